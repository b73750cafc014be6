package store

import (
	"database/sql"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"paydesk/antom"
)

// richPaymentResult is a PAYMENT_RESULT S carrying every card,
// authorisation, acquirer, settlement and buyer field, built by hand as the
// simulator and Antom would send it.
func richPaymentResult(prid, pid string) string {
	b, _ := json.Marshal(map[string]any{
		"notifyType":       "PAYMENT_RESULT",
		"result":           map[string]string{"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "success"},
		"paymentRequestId": prid, "paymentId": pid,
		"paymentAmount": map[string]string{"currency": "SGD", "value": "4200"},
		"paymentTime":   "2025-03-01T18:00:03+08:00",
		"paymentResultInfo": map[string]any{
			"cardBrand": "VISA", "cardNo": "411111******0768", "funding": "CREDIT", "issuerName": "DBS Bank Ltd",
			"issuingCountry": "SG", "cardCategory": "CONSUMER", "paymentMethodRegion": "GLOBAL",
			"cardholderName": "Tan Ah Kow", "expiryMonth": "12", "expiryYear": "29",
			"networkTransactionId": "NTI-123456789", "authorizationCode": "A1B2C3",
			"avsResultRaw": "Y", "cvvResultRaw": "M", "rrn": "412345678901",
			"threeDSResult": map[string]any{"threeDSVersion": "2.2.0", "eci": "05", "challenged": true,
				"cavv": "AAABBBCCCDDDSECRETCAVV", "xid": "XIDSECRET", "dsTransactionId": "ds-1"},
		},
		"acquirerInfo": map[string]string{"acquirerName": "Acme Acquiring", "acquirerTransactionId": "ACQ-TX-1",
			"acquirerResultCode": "00", "acquirerResultMessage": "Approved"},
		"grossSettlementAmount": map[string]string{"currency": "USD", "value": "3102"},
		"settlementQuote":       map[string]any{"quoteCurrencyPair": "SGD/USD", "quotePrice": 0.7384, "quoteId": "Q-1"},
		"actualPaymentAmount":   map[string]string{"currency": "SGD", "value": "4200"},
		"pspCustomerInfo":       map[string]string{"pspName": "GCASH", "pspCustomerId": "psp-cust-9"},
	})
	return string(b)
}

func TestCardDetailsFromNotification(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	deliver(t, s, richPaymentResult(p.PaymentRequestID, "PID-1"))
	got := mustGet(t, s, p.PaymentRequestID).Payment
	if got.Status != StatusSuccess || got.CardBrand != "VISA" || got.CardLast4 != "0768" {
		t.Fatalf("status %s card %s %s", got.Status, got.CardBrand, got.CardLast4)
	}
	want := CardDetails{
		BIN: "411111", ExpiryMonth: "12", ExpiryYear: "29", Funding: "CREDIT", IssuerName: "DBS Bank Ltd",
		IssuingCountry: "SG", Category: "CONSUMER", MethodRegion: "GLOBAL", AuthCode: "A1B2C3",
		NetworkTxnID: "NTI-123456789", AVSRaw: "Y", CVVRaw: "M", RRN: "412345678901",
		ThreeDS:      &ThreeDS{Version: "2.2.0", ECI: "05", Challenged: true, DSTransactionID: "ds-1"},
		Acquirer:     &Acquirer{Name: "Acme Acquiring", TransactionID: "ACQ-TX-1", ResultCode: "00", ResultMessage: "Approved"},
		Settlement:   Settlement{Gross: &Money{Minor: 3102, Currency: "USD"}, Quote: &Quote{ID: "Q-1", Pair: "SGD/USD", Price: "0.7384"}},
		ActualAmount: &Money{Minor: 4200, Currency: "SGD"},
	}
	if g, w := encodeDetails(&got.Card), encodeDetails(&want); g != w {
		t.Errorf("card details\n got %s\nwant %s", g, w)
	}
	if got.Buyer.CardholderName != "Tan Ah Kow" || got.Buyer.PSP == nil || got.Buyer.PSP.CustomerID != "psp-cust-9" || got.Buyer.PSP.Name != "GCASH" {
		t.Errorf("buyer details %+v", got.Buyer)
	}
	// Authentication values are not kept anywhere in the row.
	if n := count(t, s, "SELECT count(*) FROM payments WHERE card_details LIKE '%SECRET%' OR buyer_details LIKE '%SECRET%'"); n != 0 {
		t.Errorf("CAVV or XID stored in %d rows", n)
	}
	// The buyer's name is not in the non-buyer document.
	if strings.Contains(encodeDetails(&got.Card), "Tan") {
		t.Errorf("cardholder name in card_details: %s", encodeDetails(&got.Card))
	}

	// A later inquiry answer without the details erases nothing; one that
	// adds a field (a 3DS exemption) or corrects one (the issuer) merges.
	resp := &antom.InquiryPaymentResponse{Result: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"},
		PaymentStatus: antom.PaymentSuccess, PaymentID: "PID-1", PaymentRequestID: p.PaymentRequestID,
		PaymentAmount: &antom.Amount{Currency: "SGD", Value: "4200"}}
	if _, err := s.ApplyInquiry(ctx, p.PaymentRequestID, resp, "poller"); err != nil {
		t.Fatal(err)
	}
	after := mustGet(t, s, p.PaymentRequestID).Payment
	if g, w := encodeDetails(&after.Card), encodeDetails(&want); g != w {
		t.Errorf("after a bare inquiry\n got %s\nwant %s", g, w)
	}
	if after.Buyer.CardholderName != "Tan Ah Kow" || after.CardLast4 != "0768" {
		t.Errorf("after a bare inquiry: buyer %+v last4 %q", after.Buyer, after.CardLast4)
	}
	resp.PaymentResultInfo = &antom.PaymentResultInfo{IssuerName: "DBS Bank", ThreeDSResult: &antom.ThreeDSResult{ExemptionType: "LOW_RISK"}}
	resp.SettlementQuote = &antom.Quote{QuotePrice: "0.7390"}
	if _, err := s.ApplyInquiry(ctx, p.PaymentRequestID, resp, "poller"); err != nil {
		t.Fatal(err)
	}
	after = mustGet(t, s, p.PaymentRequestID).Payment
	if after.Card.IssuerName != "DBS Bank" || after.Card.ThreeDS.Exemption != "LOW_RISK" || after.Card.ThreeDS.ECI != "05" ||
		!after.Card.ThreeDS.Challenged || after.Card.Quote.Price != "0.7390" || after.Card.Quote.Pair != "SGD/USD" || after.Card.AuthCode != "A1B2C3" {
		t.Errorf("after a richer inquiry: %s", encodeDetails(&after.Card))
	}
}

// A decline without paymentAmount keeps the refusal reason and advice code
// (the failure explanation reads them) and the card's cardInfo.
func TestDeclineDetails(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	body := `{"notifyType":"PAYMENT_RESULT","result":{"resultStatus":"F","resultCode":"DO_NOT_HONOR","resultMessage":"do not honor"},
		"paymentRequestId":"` + p.PaymentRequestID + `","paymentId":"PID-F",
		"paymentResultInfo":{"refusalReasonRaw":"05 Do not honor","merchantAdviceCode":"03","refusalCodeRaw":"05"},
		"cardInfo":{"cardBrand":"MASTERCARD","cardNo":"************4444","issuingCountry":"US","funding":"DEBIT",
			"threeDSResult":{"threeDSOffered":true,"challengeCancel":"01","threeDStransactionStatusReason":"13"}}}`
	deliver(t, s, body)
	got := mustGet(t, s, p.PaymentRequestID).Payment
	if got.Status != StatusFail || got.RefusalReasonRaw != "05 Do not honor" || got.MerchantAdviceCode != "03" {
		t.Fatalf("status %s refusal %q advice %q", got.Status, got.RefusalReasonRaw, got.MerchantAdviceCode)
	}
	if got.CardBrand != "MASTERCARD" || got.CardLast4 != "4444" || got.Card.IssuingCountry != "US" || got.Card.Funding != "DEBIT" ||
		got.Card.RefusalCodeRaw != "05" || got.Card.ThreeDS == nil || got.Card.ThreeDS.ChallengeCancel != "01" ||
		!got.Card.ThreeDS.Offered || got.Card.ThreeDS.StatusReason != "13" {
		t.Errorf("card %s %s details %s", got.CardBrand, got.CardLast4, encodeDetails(&got.Card))
	}
}

// Untrusted strings are bounded and cleaned; an unreadable settlement
// amount is dropped, not stored and not refused.
func TestCardDetailsBounded(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	p := &Payment{}
	mergePaymentDetails(p, &antom.PaymentResultInfo{IssuerName: long, AuthorizationCode: "A1\x00\nB2", CardholderName: long},
		&antom.PaymentDetails{GrossSettlementAmount: &antom.Amount{Currency: "usd", Value: "12"},
			ActualPaymentAmount: &antom.Amount{Currency: "SGD", Value: "12.5"}})
	if n := len(p.Card.IssuerName); n > detailMax || n < detailMax-1 {
		t.Errorf("issuer name is %d bytes, want at most %d", n, detailMax)
	}
	if !strings.HasPrefix(long, p.Card.IssuerName) || len(p.Buyer.CardholderName) > detailMax {
		t.Errorf("cut mid-rune or not bounded: %q", p.Card.IssuerName)
	}
	if p.Card.AuthCode != "A1B2" {
		t.Errorf("auth code %q, want control characters removed", p.Card.AuthCode)
	}
	if p.Card.Gross != nil || p.Card.ActualAmount != nil {
		t.Errorf("unreadable amounts kept: %+v %+v", p.Card.Gross, p.Card.ActualAmount)
	}
	// Nothing at all leaves the details empty (stored as '').
	q := &Payment{}
	mergePaymentDetails(q, nil, nil)
	if !q.Card.IsZero() || encodeDetails(&q.Buyer) != "" {
		t.Errorf("nothing merged, got %s %s", encodeDetails(&q.Card), encodeDetails(&q.Buyer))
	}
}

func TestRefundARNAndRRN(t *testing.T) {
	s, _ := newTestStore(t)
	p := capturedPayment(t, s, 4200)
	r, err := beginRefund(s, p.PaymentRequestID, 1000, "customer asked", "user:op@example.com")
	if err != nil {
		t.Fatal(err)
	}
	// The refund's answer: processing, with its ARN and acquirer.
	resp := &antom.RefundResponse{Result: antom.Result{ResultStatus: "U", ResultCode: "REFUND_IN_PROCESS"}, RefundRequestID: r.RefundRequestID,
		RefundID: "REF-1", RefundDetails: antom.RefundDetails{ARN: "74537605123456789012345", AcquirerInfo: &antom.AcquirerInfo{AcquirerName: "Acme Acquiring"}}}
	if _, err := recordRefund(ctx, s, r, resp, nil); err != nil {
		t.Fatal(err)
	}
	// The notification: success, with RRN and settlement but no ARN.
	body := `{"notifyType":"REFUND_RESULT","result":{"resultStatus":"S","resultCode":"SUCCESS"},
		"refundRequestId":"` + r.RefundRequestID + `","refundId":"REF-1","refundStatus":"SUCCESS",
		"refundAmount":{"currency":"SGD","value":"1000"},"rrn":"998877665544",
		"actualRefundAmount":{"currency":"SGD","value":"1000"},
		"grossSettlementAmount":{"currency":"USD","value":"738"},"settlementQuote":{"quoteCurrencyPair":"SGD/USD","quotePrice":"0.7384"},
		"acquirerInfo":{"acquirerTransactionId":"ACQ-R-1"}}`
	deliver(t, s, body)
	d := mustGet(t, s, p.PaymentRequestID)
	got := d.Refunds[0]
	if got.Status != TxnSuccess || got.ARN != "74537605123456789012345" || got.RRN != "998877665544" {
		t.Fatalf("refund %s ARN %q RRN %q", got.Status, got.ARN, got.RRN)
	}
	det := got.Details
	if det.Acquirer == nil || det.Acquirer.Name != "Acme Acquiring" || det.Acquirer.TransactionID != "ACQ-R-1" ||
		det.Gross == nil || *det.Gross != (Money{Minor: 738, Currency: "USD"}) || det.Quote == nil || det.Quote.Price != "0.7384" ||
		det.ActualAmount == nil || det.ActualAmount.Minor != 1000 {
		t.Errorf("refund details %s", encodeDetails(&det))
	}
	if n := count(t, s, "SELECT count(*) FROM refunds WHERE arn = ?", "74537605123456789012345"); n != 1 {
		t.Errorf("refunds by ARN: %d, want 1", n)
	}
}

func TestCaptureDetails(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	deliver(t, s, paymentResult(p.PaymentRequestID, "PID-C", "S", "SUCCESS", 4200))
	body := `{"notifyType":"CAPTURE_RESULT","result":{"resultStatus":"S","resultCode":"SUCCESS"},
		"paymentId":"PID-C","captureRequestId":"cap-1","captureId":"CAP-1",
		"captureAmount":{"currency":"SGD","value":"4200"},"acquirerInfo":{"acquirerName":"Acme Acquiring","acquirerResultCode":"00"}}`
	deliver(t, s, body)
	// The inquiry's transactions[] adds settlement and keeps the acquirer.
	resp := &antom.InquiryPaymentResponse{Result: antom.Result{ResultStatus: "S"}, PaymentStatus: antom.PaymentSuccess, PaymentID: "PID-C",
		PaymentAmount: &antom.Amount{Currency: "SGD", Value: "4200"},
		Transactions: []antom.Transaction{{TransactionType: antom.TxCapture, TransactionStatus: "SUCCESS", TransactionID: "CAP-1",
			TransactionRequestID: "cap-1", TransactionResult: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"},
			TransactionAmount:     &antom.Amount{Currency: "SGD", Value: "4200"},
			GrossSettlementAmount: &antom.Amount{Currency: "USD", Value: "3102"}, SettlementQuote: &antom.Quote{QuoteCurrencyPair: "SGD/USD", QuotePrice: "0.7384"}}}}
	if _, err := s.ApplyInquiry(ctx, p.PaymentRequestID, resp, "poller"); err != nil {
		t.Fatal(err)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if len(d.Captures) != 1 {
		t.Fatalf("%d captures", len(d.Captures))
	}
	det := d.Captures[0].Details
	if det.Acquirer == nil || det.Acquirer.Name != "Acme Acquiring" || det.Acquirer.ResultCode != "00" ||
		det.Gross == nil || det.Gross.Minor != 3102 || det.Quote == nil || det.Quote.Pair != "SGD/USD" {
		t.Errorf("capture details %s", encodeDetails(&det))
	}
	if d.CapturedMinor != 4200 || d.Status != StatusSuccess {
		t.Errorf("ledger moved: captured %d status %s", d.CapturedMinor, d.Status)
	}
}

// Migration 0007 on a database of the version before: existing payments,
// captures and refunds read with empty details and take new ones.
func TestCardDetailsMigration(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	files, err := migrationFiles(migrationFS, sqliteMigrations)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(files, func(m migrationFile) bool { return m.name == "0007_card_details.sql" })
	if i < 0 {
		t.Fatal("no 0007_card_details.sql")
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range files[:i] {
		body, err := fs.ReadFile(migrationFS, sqliteMigrations+"/"+m.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if _, err := db.Exec("INSERT INTO schema_migrations VALUES (?, ?, 1)", m.version, m.name); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO payments (id, payment_request_id, reference_order_id, amount_minor, currency, capture_mode, status, payment_id,
			card_brand, card_last4, captured_minor, refunded_minor, capture_state, created_at, updated_at, seq)
			VALUES (1, 'p-old', 'o1', 4200, 'SGD', 'AUTOMATIC', 'SUCCESS', 'PID-OLD', 'VISA', '0768', 4200, 1000, 'CAPTURED', 1, 2, 1)`,
		`INSERT INTO captures (payment_fk, capture_request_id, capture_id, amount_minor, currency, status, created_at, updated_at)
			VALUES (1, 'cap-old', 'CAP-OLD', 4200, 'SGD', 'SUCCESS', 1, 2)`,
		`INSERT INTO refunds (payment_fk, refund_request_id, refund_id, amount_minor, currency, status, created_at, updated_at)
			VALUES (1, 'ref-old', 'REF-OLD', 1000, 'SGD', 'SUCCESS', 1, 2)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatalf("Open after 0006: %v", err)
	}
	defer s.Close()
	d := mustGet(t, s, "p-old")
	if d.CardBrand != "VISA" || d.CardLast4 != "0768" || !d.Card.IsZero() || d.RefusalReasonRaw != "" ||
		len(d.Refunds) != 1 || d.Refunds[0].ARN != "" || len(d.Captures) != 1 || d.Captures[0].Details.Acquirer != nil {
		t.Fatalf("old payment after 0007: %+v", d)
	}
	resp := &antom.InquiryPaymentResponse{Result: antom.Result{ResultStatus: "S"}, PaymentStatus: antom.PaymentSuccess, PaymentID: "PID-OLD",
		PaymentAmount:     &antom.Amount{Currency: "SGD", Value: "4200"},
		PaymentResultInfo: &antom.PaymentResultInfo{IssuerName: "DBS Bank", AuthorizationCode: "OK1234"}}
	if _, err := s.ApplyInquiry(ctx, "p-old", resp, "poller"); err != nil {
		t.Fatal(err)
	}
	d = mustGet(t, s, "p-old")
	if d.Card.IssuerName != "DBS Bank" || d.Card.AuthCode != "OK1234" || d.CardLast4 != "0768" {
		t.Errorf("old payment after an inquiry: %s last4 %q", encodeDetails(&d.Card), d.CardLast4)
	}
}

// BenchmarkScanCardDetails measures what reading a fully detailed payment
// costs on top of a bare one: decoding its card and buyer JSON (every
// payment row read goes through it, list pages included).
func BenchmarkScanCardDetails(b *testing.B) {
	p := &Payment{}
	n, err := antom.ParseNotification([]byte(richPaymentResult("p-1", "PID-1")))
	if err != nil {
		b.Fatal(err)
	}
	mergePaymentDetails(p, n.PaymentResultInfo, &n.PaymentDetails)
	card, buyer := encodeDetails(&p.Card), encodeDetails(&p.Buyer)
	b.ReportMetric(float64(len(card)+len(buyer)), "bytes/row")
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			var q Payment
			if err := decodeDetails(card, &q.Card); err != nil {
				b.Fatal(err)
			}
			if err := decodeDetails(buyer, &q.Buyer); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("empty", func(b *testing.B) {
		for b.Loop() {
			var q Payment
			_ = decodeDetails("", &q.Card)
			_ = decodeDetails("", &q.Buyer)
		}
	})
}

// inquiryRefund's answer fills a refund's ARN, RRN and settlement; a later
// one without them keeps them.
func TestRefundInquiryDetails(t *testing.T) {
	s, _ := newTestStore(t)
	p := capturedPayment(t, s, 4200)
	r, err := beginRefund(s, p.PaymentRequestID, 4200, "", "user:op")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recordRefund(ctx, s, r, nil, errTimeout); err != nil {
		t.Fatal(err)
	}
	op, err := pendingOp(s, p.PaymentRequestID, r.RefundRequestID, OpRefund)
	if err != nil {
		t.Fatal(err)
	}
	processing := &antom.InquiryRefundResponse{Result: antom.Result{ResultStatus: "S"}, RefundStatus: "PROCESSING",
		RefundRequestID: r.RefundRequestID, RefundID: "R-9", RefundAmount: &antom.Amount{Currency: "SGD", Value: "4200"},
		RefundDetails: antom.RefundDetails{ARN: "ARN-1", RRN: "RRN-1", GrossSettlementAmount: &antom.Amount{Currency: "USD", Value: "3102"},
			AcquirerInfo: &antom.AcquirerInfo{AcquirerName: "Acme Acquiring"}}}
	if _, err := s.RecordRefundInquiry(ctx, op.ID, processing, nil, attemptOf(nil)); err != nil {
		t.Fatal(err)
	}
	done := &antom.InquiryRefundResponse{Result: antom.Result{ResultStatus: "S"}, RefundStatus: "SUCCESS",
		RefundRequestID: r.RefundRequestID, RefundID: "R-9", RefundAmount: &antom.Amount{Currency: "SGD", Value: "4200"}}
	if _, err := s.RecordRefundInquiry(ctx, op.ID, done, nil, attemptOf(nil)); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, s, p.PaymentRequestID).Refunds[0]
	if got.Status != TxnSuccess || got.ARN != "ARN-1" || got.RRN != "RRN-1" || got.Details.Gross == nil || got.Details.Gross.Minor != 3102 ||
		got.Details.Acquirer == nil || got.Details.Acquirer.Name != "Acme Acquiring" {
		t.Errorf("refund %s ARN %q RRN %q details %s", got.Status, got.ARN, got.RRN, encodeDetails(&got.Details))
	}
}

// A capture's answer names its acquirer.
func TestCaptureAnswerAcquirer(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s, func(n *NewPayment) { n.CaptureMode = antom.CaptureManual })
	deliver(t, s, paymentResult(p.PaymentRequestID, "PID-M", "S", "SUCCESS", 4200))
	c, err := beginCapture(s, p.PaymentRequestID, 4200, "user:op")
	if err != nil {
		t.Fatal(err)
	}
	resp := &antom.CaptureResponse{Result: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"}, CaptureRequestID: c.CaptureRequestID,
		CaptureID: "CAP-M", CaptureAmount: &antom.Amount{Currency: "SGD", Value: "4200"},
		AcquirerInfo: &antom.AcquirerInfo{AcquirerName: "Acme Acquiring", AcquirerTransactionID: "ACQ-C-1"}}
	got, err := recordCapture(ctx, s, c, resp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != TxnSuccess || got.Details.Acquirer == nil || got.Details.Acquirer.TransactionID != "ACQ-C-1" {
		t.Errorf("capture %s details %s", got.Status, encodeDetails(&got.Details))
	}
}

// BenchmarkListPaymentsCardDetails is a list page of 50 payments with and
// without card details stored: what the JSON documents cost a list (every
// row's are decoded).
func BenchmarkListPaymentsCardDetails(b *testing.B) {
	s, _ := newTestStore(b)
	for i := range 60 {
		mustCreate(b, s, func(n *NewPayment) { n.ReferenceOrderID = "order-" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) })
	}
	p := &Payment{}
	n, err := antom.ParseNotification([]byte(richPaymentResult("p-1", "PID-1")))
	if err != nil {
		b.Fatal(err)
	}
	mergePaymentDetails(p, n.PaymentResultInfo, &n.PaymentDetails)
	for _, tc := range []struct{ name, card, buyer string }{
		{"without", "", ""},
		{"with", encodeDetails(&p.Card), encodeDetails(&p.Buyer)},
	} {
		if _, err := s.wdb.Exec("UPDATE payments SET card_details = ?, buyer_details = ?", tc.card, tc.buyer); err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				page, err := s.ListPayments(ctx, PaymentFilter{Limit: 50})
				if err != nil || len(page.Items) != 50 {
					b.Fatalf("%d items, %v", len(page.Items), err)
				}
			}
		})
	}
}

// Lists do not decode the details; a payment read by a list and saved
// keeps them, and one payment's load has them.
func TestCardDetailsDecodedForOnePayment(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	deliver(t, s, richPaymentResult(p.PaymentRequestID, "PID-L"))
	page, err := s.ListPayments(ctx, PaymentFilter{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list: %d items, %v", len(page.Items), err)
	}
	listed := page.Items[0]
	if !listed.Card.IsZero() {
		t.Errorf("a list decoded the details: %s", encodeDetails(&listed.Card))
	}
	cols := mutableColumns(&listed)
	if got := cols[len(cols)-2].(string); !strings.Contains(got, "A1B2C3") {
		t.Errorf("a listed payment would store card_details %q", got)
	}
	if d := mustGet(t, s, p.PaymentRequestID); d.Card.AuthCode != "A1B2C3" || d.Buyer.CardholderName != "Tan Ah Kow" {
		t.Errorf("GetPayment: %s", encodeDetails(&d.Card))
	}
}
