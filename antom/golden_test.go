package antom

// Golden samples: the bodies in testdata/golden (Antom's documented
// samples, and the constructed ones for cases the documentation has no
// sample of; see testdata/golden/README.md) decode, and what comes out.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenEveryFileIsListed keeps the sources list honest: every golden
// file has a line in README.md and every listed file exists.
func TestGoldenEveryFileIsListed(t *testing.T) {
	readme := string(readGolden(t, "README.md"))
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	constructed, _ := filepath.Glob(filepath.Join("testdata", "golden", "constructed", "*.json"))
	if len(files) < 11 || len(constructed) < 3 {
		t.Fatalf("%d documented and %d constructed samples, want at least 11 and 3", len(files), len(constructed))
	}
	for _, f := range append(files, constructed...) {
		if !strings.Contains(readme, filepath.Base(f)) {
			t.Errorf("%s is not listed in testdata/golden/README.md", f)
		}
	}
}

func TestGoldenNotifications(t *testing.T) {
	cases := []struct {
		file  string
		check func(t *testing.T, n *Notification)
	}{
		{"notify_payment_success.json", func(t *testing.T, n *Notification) {
			if n.NotifyType != NotifyPaymentResult || n.Result.ResultStatus != StatusSuccess || n.PaymentRequestID != "paymentRequestId01" ||
				n.PaymentID != "2020010123456789XXXX" || *n.PaymentAmount != (Amount{Currency: "SGD", Value: "4200"}) || n.PaymentTime != "2020-01-01T12:01:01+08:30" {
				t.Errorf("decoded %+v", n)
			}
		}},
		{"notify_capture_success.json", func(t *testing.T, n *Notification) {
			if n.NotifyType != NotifyCaptureResult || n.Result.ResultCode != CodeSuccess || n.CaptureID != "2022XXXXXXX" ||
				n.CaptureRequestID != "captureRequestId01" || n.CaptureAmount.Value != "4200" || n.PaymentID != "2022XXXXXXX" {
				t.Errorf("decoded %+v", n)
			}
		}},
		{"notify_capture_failure.json", func(t *testing.T, n *Notification) {
			if n.NotifyType != NotifyCaptureResult || n.Result.ResultStatus != StatusFail || n.Result.ResultCode != CodeProcessFail {
				t.Errorf("decoded %+v", n)
			}
		}},
		{"notify_refund_success.json", func(t *testing.T, n *Notification) {
			if n.NotifyType != NotifyRefundResult || n.RefundStatus != PaymentSuccess || n.RefundID != "2021080419401080130018866020092XXXX" ||
				n.RefundRequestID != "amsdemorefund_zhangyikai_zyk_20210804_165236_931" || *n.RefundAmount != (Amount{Currency: "HKD", Value: "10000"}) {
				t.Errorf("decoded %+v", n)
			}
		}},
		{"constructed/notify_payment_failed_no_amount.json", func(t *testing.T, n *Notification) {
			if n.NotifyType != NotifyPaymentResult || n.Result.ResultStatus != StatusFail || n.Result.ResultCode != CodeOrderIsClosed || n.PaymentAmount != nil {
				t.Errorf("decoded %+v", n)
			}
		}},
		{"constructed/notify_payment_pending.json", func(t *testing.T, n *Notification) {
			if n.NotifyType != NotifyPaymentPending || n.Result.ResultStatus != StatusSuccess || n.PaymentAmount == nil {
				t.Errorf("decoded %+v", n)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			n, err := ParseNotification(readGolden(t, c.file))
			if err != nil {
				t.Fatalf("ParseNotification: %v", err)
			}
			c.check(t, n)
			if n.DedupeKey() == "" {
				t.Error("no dedupe key")
			}
		})
	}
}

func decodeGolden(t *testing.T, name string, v any) {
	t.Helper()
	if err := json.Unmarshal(readGolden(t, name), v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func TestGoldenResponses(t *testing.T) {
	t.Run("inquiryPayment success", func(t *testing.T) {
		var r InquiryPaymentResponse
		decodeGolden(t, "inquiry_payment_success.json", &r)
		if r.Result.ResultCode != CodeSuccess || r.PaymentStatus != PaymentSuccess || r.PaymentID != "2019060811401080010018882020035XXXX" ||
			r.PaymentAmount.Value != "4200" || r.Transactions != nil {
			t.Errorf("decoded %+v", r)
		}
	})
	for _, c := range []struct{ file, status, result, code string }{
		{"inquiry_payment_capture_success.json", PaymentSuccess, StatusSuccess, CodeSuccess},
		{"inquiry_payment_capture_failure.json", PaymentFail, StatusFail, CodeProcessFail},
		{"inquiry_payment_capture_processing.json", PaymentProcessing, StatusUnknown, CodePaymentInProcess},
	} {
		t.Run(c.file, func(t *testing.T) {
			var r InquiryPaymentResponse
			decodeGolden(t, c.file, &r)
			if len(r.Transactions) != 1 {
				t.Fatalf("%d transactions", len(r.Transactions))
			}
			tx := r.Transactions[0]
			if tx.TransactionType != TxCapture || tx.TransactionStatus != c.status || tx.TransactionResult.ResultStatus != c.result ||
				tx.TransactionResult.ResultCode != c.code || tx.TransactionID != "2022XXXXXXXX" || tx.TransactionRequestID != "test_test_test_XXXX" {
				t.Errorf("decoded %+v", tx)
			}
		})
	}
	t.Run("inquiryPayment cancelled (constructed)", func(t *testing.T) {
		var r InquiryPaymentResponse
		decodeGolden(t, "constructed/inquiry_payment_cancelled.json", &r)
		if r.PaymentStatus != PaymentCancelled || len(r.Transactions) != 1 {
			t.Fatalf("decoded %+v", r)
		}
		tx := r.Transactions[0]
		if tx.TransactionType != TxCancel || tx.TransactionID != "" || tx.TransactionRequestID != "" || tx.TransactionAmount.Value != "4200" {
			t.Errorf("cancel entry %+v", tx)
		}
	})
	t.Run("capture", func(t *testing.T) {
		var r CaptureResponse
		decodeGolden(t, "capture_response.json", &r)
		if r.Result.ResultCode != CodeSuccess || r.CaptureID != "20220919194010890100111740275850565" || r.AcquirerReferenceNo != "2022091919031300010740267587902" ||
			*r.CaptureAmount != (Amount{Currency: "HKD", Value: "10"}) {
			t.Errorf("decoded %+v", r)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		var r CancelResponse
		decodeGolden(t, "cancel_response.json", &r)
		if r.Result.ResultStatus != StatusSuccess || r.PaymentID != "2019061218401080010018882020035XXXX" || r.CancelTime != "2019-06-12T19:07:11+08:00" {
			t.Errorf("decoded %+v", r)
		}
	})
	t.Run("inquiryRefund", func(t *testing.T) {
		var r InquiryRefundResponse
		decodeGolden(t, "inquiry_refund_response.json", &r)
		if r.RefundStatus != PaymentSuccess || r.RefundID != "2021080419401080130018866020092XXXX" || r.RefundAmount.Value != "10000" {
			t.Errorf("decoded %+v", r)
		}
	})
}
