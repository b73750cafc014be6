package store

import (
	"context"
	"fmt"
	"time"

	"paydesk/antom"
)

// lease is the first attempt's lease the tests give a new operation.
func lease() time.Time { return time.Now().Add(time.Minute) }

// beginCapture is BeginCapture returning the capture it created.
func beginCapture(s *Store, paymentRequestID string, amount int64, actor string) (*Capture, error) {
	op, err := s.BeginCapture(ctx, paymentRequestID, amount, AuditContext{Actor: actor}, lease())
	if err != nil {
		return nil, err
	}
	return captureBy(ctx, s.rdb, "capture_request_id", op.RequestID)
}

// beginRefund is BeginRefund returning the refund it created.
func beginRefund(s *Store, paymentRequestID string, amount int64, reason, actor string) (*Refund, error) {
	op, err := s.BeginRefund(ctx, paymentRequestID, amount, reason, AuditContext{Actor: actor}, lease())
	if err != nil {
		return nil, err
	}
	return refundBy(ctx, s.rdb, "refund_request_id", op.RequestID)
}

// pendingOp finds the operation of a request ID.
func pendingOp(s *Store, paymentRequestID, requestID string, kind OpKind) (*Operation, error) {
	ops, err := s.PaymentOperations(ctx, paymentRequestID)
	if err != nil {
		return nil, err
	}
	for i := len(ops) - 1; i >= 0; i-- {
		if ops[i].RequestID == requestID && ops[i].Kind == kind {
			return &ops[i], nil
		}
	}
	return nil, fmt.Errorf("no %s operation for %s", kind, requestID)
}

func attemptOf(err error) Attempt {
	return Attempt{Outcome: OutcomeOf(err), Next: time.Now().Add(time.Second)}
}

// recordCapture records an answer to the capture's operation and returns the capture.
func recordCapture(ctx context.Context, s *Store, c *Capture, resp *antom.CaptureResponse, callErr error) (*Capture, error) {
	op, err := pendingOp(s, c.PaymentRequestID, c.CaptureRequestID, OpCapture)
	if err != nil {
		return nil, err
	}
	if _, err := s.RecordCaptureAnswer(ctx, op.ID, resp, callErr, attemptOf(callErr)); err != nil {
		return nil, err
	}
	return captureBy(ctx, s.rdb, "capture_request_id", c.CaptureRequestID)
}

// recordRefund records an answer to the refund's operation and returns the refund.
func recordRefund(ctx context.Context, s *Store, r *Refund, resp *antom.RefundResponse, callErr error) (*Refund, error) {
	op, err := pendingOp(s, r.PaymentRequestID, r.RefundRequestID, OpRefund)
	if err != nil {
		return nil, err
	}
	if _, err := s.RecordRefundAnswer(ctx, op.ID, resp, callErr, attemptOf(callErr)); err != nil {
		return nil, err
	}
	return refundBy(ctx, s.rdb, "refund_request_id", r.RefundRequestID)
}

// recordCancel records an answer to the payment's latest cancel operation.
func recordCancel(ctx context.Context, s *Store, p *Payment, resp *antom.CancelResponse, callErr error) (*Payment, error) {
	op, err := pendingOp(s, p.PaymentRequestID, p.PaymentRequestID, OpCancel)
	if err != nil {
		return nil, err
	}
	if _, err := s.RecordCancelAnswer(ctx, op.ID, resp, attemptOf(callErr)); err != nil {
		return nil, err
	}
	d, err := s.GetPayment(ctx, p.PaymentRequestID)
	if err != nil {
		return nil, err
	}
	return &d.Payment, nil
}
