package store

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
)

// protocolCodes are the result codes of antom-protocol.md (the project's
// protocol fact sheet, kept outside the repository), copied here section by
// section. SUCCESS is left out: it is not a failure.
var protocolCodes = map[string][]string{
	"§4.1 gateway / common error codes": {
		"ACCESS_DENIED", "INVALID_API", "CLIENT_INVALID", "INVALID_SIGNATURE", "KEY_NOT_FOUND",
		"MEDIA_TYPE_NOT_ACCEPTABLE", "METHOD_NOT_SUPPORTED", "NO_INTERFACE_DEF", "PARAM_ILLEGAL",
		"MERCHANT_NOT_REGISTERED", "INVALID_CONTRACT", "SYSTEM_ERROR", "PROCESS_FAIL",
		"REQUEST_TRAFFIC_EXCEED_LIMIT", "UNKNOWN_EXCEPTION", "SIGNATURE_INVALID",
	},
	"§5.1 createPaymentSession (the pay table as proxy)": {
		"ACCESS_DENIED", "CURRENCY_NOT_SUPPORT", "INVALID_CONTRACT", "INVALID_MERCHANT_STATUS",
		"INVALID_PAYMENT_METHOD_META_DATA", "KEY_NOT_FOUND", "MERCHANT_KYB_NOT_QUALIFIED",
		"MERCHANT_NOT_REGISTERED", "NO_INTERFACE_DEF", "NO_PAY_OPTIONS", "ORDER_IS_CANCELED",
		"ORDER_IS_CLOSED", "PARAM_ILLEGAL", "PAYMENT_AMOUNT_EXCEED_LIMIT", "PAYMENT_COUNT_EXCEED_LIMIT",
		"PAYMENT_NOT_QUALIFIED", "PROCESS_FAIL", "REPEAT_REQ_INCONSISTENT", "RISK_REJECT",
		"SETTLE_CONTRACT_NOT_MATCH", "SYSTEM_ERROR", "PAYMENT_IN_PROCESS", "REQUEST_TRAFFIC_EXCEED_LIMIT",
		"UNKNOWN_EXCEPTION",
	},
	"§5.2 inquiryPayment API and payment result codes, notifyPayment and pay additions": {
		"ACCESS_DENIED", "INVALID_API", "KEY_NOT_FOUND", "NO_INTERFACE_DEF", "ORDER_NOT_EXIST",
		"PARAM_ILLEGAL", "PROCESS_FAIL", "SYSTEM_ERROR", "PAYMENT_IN_PROCESS", "REQUEST_TRAFFIC_EXCEED_LIMIT",
		"UNKNOWN_EXCEPTION", "CURRENCY_NOT_SUPPORT", "FRAUD_REJECT", "INVALID_CARD",
		"INVALID_EXPIRY_DATE_FORMAT", "ISSUER_REJECTS_TRANSACTION", "INVALID_ACCESS_TOKEN",
		"INVALID_MERCHANT_STATUS", "MERCHANT_KYB_NOT_QUALIFIED", "NO_PAY_OPTIONS", "ORDER_IS_CLOSED",
		"PAYMENT_AMOUNT_EXCEED_LIMIT", "PAYMENT_COUNT_EXCEED_LIMIT", "PAYMENT_NOT_QUALIFIED", "RISK_REJECT",
		"SUSPECTED_CARD", "SUSPECTED_RISK", "USER_AMOUNT_EXCEED_LIMIT", "USER_BALANCE_NOT_ENOUGH",
		"USER_KYC_NOT_QUALIFIED", "USER_PAYMENT_VERIFICATION_FAILED", "USER_STATUS_ABNORMAL",
		"CARD_NOT_SUPPORTED", "INVALID_EXPIRATION_DATE", "INVALID_CARD_NUMBER", "AUTHENTICATION_REQUIRED",
		"PAYMENT_PROHIBITED", "INVALID_AMOUNT", "DO_NOT_HONOR", "EXPIRED_CODE", "INVALID_CONTRACT",
		"MERCHANT_BALANCE_NOT_ENOUGH", "VERIFY_TIMES_EXCEED_LIMIT", "VERIFY_UNMATCHED", "USER_NOT_EXIST",
		"SELECTED_CARD_BRAND_NOT_AVAILABLE",
	},
	"§5.3 capture (and §6.2 notifyCapture)": {
		"ACCESS_DENIED", "AUTH_CANCELLED", "AUTH_EXPIRED", "AUTH_NOT_FOUND", "CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT",
		"CURRENCY_NOT_SUPPORT", "MULTI_CAPTURE_NOT_SUPPORTED", "INVALID_CONTRACT", "NO_PAY_OPTIONS",
		"ORDER_IS_CANCELED", "ORDER_STATUS_INVALID", "PARAM_ILLEGAL", "PAYMENT_COUNT_EXCEED_LIMIT",
		"PROCESS_FAIL", "REPEAT_REQ_INCONSISTENT", "RISK_REJECT", "USER_AMOUNT_EXCEED_LIMIT",
		"USER_BALANCE_NOT_ENOUGH", "USER_NOT_EXIST", "USER_STATUS_ABNORMAL", "CAPTURE_IN_PROCESS",
		"UNKNOWN_EXCEPTION",
	},
	"§5.4 cancel": {"CANCEL_WINDOW_EXCEED", "CLIENT_INVALID", "ORDER_NOT_EXIST", "ORDER_STATUS_INVALID"},
	"§5.5 refund (and §6.3 notifyRefund)": {
		"ACCESS_DENIED", "INVALID_API", "CLIENT_INVALID", "CURRENCY_NOT_SUPPORT", "INVALID_CONTRACT",
		"INVALID_MERCHANT_STATUS", "INVALID_SIGNATURE", "KEY_NOT_FOUND", "MEDIA_TYPE_NOT_ACCEPTABLE",
		"MERCHANT_BALANCE_NOT_ENOUGH", "MERCHANT_NOT_REGISTERED", "METHOD_NOT_SUPPORTED",
		"MULTIPLE_REFUNDS_NOT_SUPPORTED", "NO_INTERFACE_DEF", "ORDER_IS_CLOSED", "ORDER_NOT_EXIST",
		"ORDER_STATUS_INVALID", "PARAM_ILLEGAL", "PROCESS_FAIL", "REFUND_AMOUNT_EXCEED", "REFUND_WINDOW_EXCEED",
		"REPEAT_REQ_INCONSISTENT", "RISK_REJECT", "SYSTEM_ERROR", "REFUND_NOT_SUPPORTED",
		"PARTIAL_REFUND_NOT_SUPPORTED", "PAYMENT_METHOD_NOT_SUPPORTED", "ORDER_IS_CANCELED",
		"REFUND_IN_PROCESS", "REQUEST_TRAFFIC_EXCEED_LIMIT", "UNKNOWN_EXCEPTION",
	},
	"§5.6 inquiryRefund": {
		"ACCESS_DENIED", "INVALID_API", "KEY_NOT_FOUND", "NO_INTERFACE_DEF", "ORDER_NOT_EXIST",
		"PARAM_ILLEGAL", "PROCESS_FAIL", "SYSTEM_ERROR", "REQUEST_TRAFFIC_EXCEED_LIMIT", "UNKNOWN_EXCEPTION",
		"API_INVALID",
	},
	"§6.1 notifyPayment (closing an unpaid order)": {"ORDER_IS_CLOSED"},
}

func TestReasonsCoverProtocolCodes(t *testing.T) {
	for section, codes := range protocolCodes {
		for _, code := range codes {
			if _, ok := LookupReason(ReasonResult, code); !ok {
				t.Errorf("%s: %s has no explanation", section, code)
			}
		}
	}
}

// notResultCodes are the upper-snake string literals of the simulator that
// are not result codes.
var notResultCodes = []string{
	"CASHIER_PAYMENT", "CHECKOUT_PAYMENT", "LOW_RISK", "SANDBOX_PAYDESK",
	"PAYMENT_RESULT", "PAYMENT_PENDING", "CAPTURE_RESULT", "REFUND_RESULT",
	"ANTOM_SIM_ACQUIRER", // the simulator's acquirerName
}

// simulatorCodes collects the result codes the simulator can produce from
// its source: every upper-snake string literal of its non-test files, and
// every antom.Code* constant it refers to (resolved through antom's
// source). The refusal reasons and advice codes it sets are collected too.
func simulatorCodes(t *testing.T) (codes, refusals, advice []string) {
	t.Helper()
	upper := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	fset := token.NewFileSet()
	parse := func(dir string) []*ast.File {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		var out []*ast.File
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, af)
		}
		return out
	}
	antomConsts := map[string]string{}
	for _, f := range parse(filepath.Join("..", "antom")) {
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							antomConsts[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
			return true
		})
	}
	simFiles := parse(filepath.Join("..", "antom", "sim"))
	if len(simFiles) == 0 {
		t.Fatal("no simulator source found")
	}
	add := func(list *[]string, s string) {
		if s != "" && !slices.Contains(*list, s) {
			*list = append(*list, s)
		}
	}
	for _, f := range simFiles {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); n.Kind == token.STRING && err == nil && upper.MatchString(s) &&
					!slices.Contains(notResultCodes, s) && !strings.HasPrefix(s, "SDK_") {
					add(&codes, s)
				}
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == "antom" && strings.HasPrefix(n.Sel.Name, "Code") {
					add(&codes, antomConsts[n.Sel.Name])
				}
			case *ast.KeyValueExpr:
				// RefusalReasonRaw: "05 Do not honor", MerchantAdviceCode: "03"
				k, ok := n.Key.(*ast.Ident)
				lit, isLit := n.Value.(*ast.BasicLit)
				if !ok || !isLit || lit.Kind != token.STRING {
					return true
				}
				s, _ := strconv.Unquote(lit.Value)
				switch k.Name {
				case "RefusalReasonRaw":
					add(&refusals, s)
				case "MerchantAdviceCode":
					add(&advice, s)
				}
			}
			return true
		})
	}
	return codes, refusals, advice
}

func TestReasonsCoverSimulatorCodes(t *testing.T) {
	codes, refusals, advice := simulatorCodes(t)
	// The simulator's decline scenarios must be among what was collected,
	// or the collection itself is broken.
	for _, must := range []string{"DO_NOT_HONOR", "ISSUER_REJECTS_TRANSACTION", "INVALID_CARD", "RISK_REJECT", "ORDER_IS_CLOSED", "USER_PAYMENT_VERIFICATION_FAILED"} {
		if !slices.Contains(codes, must) {
			t.Errorf("collected %v from the simulator, missing %s", codes, must)
		}
	}
	for _, c := range codes {
		if _, ok := LookupReason(ReasonResult, c); !ok {
			t.Errorf("the simulator can produce %s, which has no explanation (if it is not a result code, add it to notResultCodes)", c)
		}
	}
	for _, r := range refusals {
		if RefusalCode(r) == "" {
			t.Errorf("the simulator's refusalReasonRaw %q has no explanation", r)
		}
	}
	for _, a := range advice {
		if _, ok := LookupReason(ReasonAdvice, a); !ok {
			t.Errorf("the simulator's merchantAdviceCode %q has no explanation", a)
		}
	}
	for _, sc := range antom.SDKCodes() {
		if _, ok := LookupReason(ReasonSDK, sc.Code); !ok {
			t.Errorf("SDK event %s has no explanation", sc.Code)
		}
	}
}

// The table is well formed: one entry per code and kind, every field
// filled, known who/retry values, and nothing that tells the buyer about a
// fraud or risk suspicion.
func TestReasonsTable(t *testing.T) {
	seen := map[string]bool{}
	leak := regexp.MustCompile(`(?i)fraud|risk|suspect|stolen|\blost\b|sanction|security violation|\blaw\b|blocked|pick up`)
	for _, r := range Reasons() {
		key := string(r.Kind) + ":" + r.Code
		if seen[key] {
			t.Errorf("%s is in the table twice", key)
		}
		seen[key] = true
		if r.Reason == "" || r.CustomerMessage == "" {
			t.Errorf("%s: empty reason or customer message", key)
		}
		if _, ok := stoppedByText[r.StoppedBy]; !ok {
			t.Errorf("%s: unknown stoppedBy %q", key, r.StoppedBy)
		}
		if _, ok := retryText[r.Retry]; !ok && !(r.Kind == ReasonAdvice && r.Retry == "") {
			t.Errorf("%s: unknown retry %q", key, r.Retry)
		}
		if (r.Kind == ReasonRefusal || r.Kind == ReasonAdvice) != (r.Name != "") {
			t.Errorf("%s: name %q (refusal and advice codes have a name, others none)", key, r.Name)
		}
		if leak.MatchString(r.CustomerMessage) {
			t.Errorf("%s: the customer message %q reveals too much", key, r.CustomerMessage)
		}
	}
	if len(seen) != len(reasons) {
		t.Errorf("Reasons returned %d of %d entries", len(seen), len(reasons))
	}
	for _, k := range ReasonKinds {
		if !slices.ContainsFunc(reasons, func(r Reason) bool { return r.Kind == k }) {
			t.Errorf("no entry of kind %s", k)
		}
	}
}

func TestRefusalCode(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"05 Do not honor", "05"},
		{"05", "05"},
		{"51: Insufficient funds", "51"},
		{"54-Expired card", "54"},
		{"(59) Suspected fraud", "59"},
		{"  91 Issuer or switch inoperative", "91"},
		{"n7 CVV2 failure", "N7"},
		{"Insufficient funds", "51"},
		{"insufficient FUNDS", "51"},
		{"1A Additional authentication required", "1A"},
		{"99 Something new", ""},
		{"051 Not a two-digit code", ""},
		{"Do not honour, probably", ""},
		{"", ""},
	} {
		if got := RefusalCode(tc.raw); got != tc.want {
			t.Errorf("RefusalCode(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestExplainFailure(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        FailureInput
		code      string
		stoppedBy StoppedBy
		retry     Retry
		customer  string // a substring of the customer message
		unknown   bool
		check     func(t *testing.T, e Explanation)
	}{
		{name: "issuer do not honor", in: FailureInput{Status: StatusFail, ResultCode: "DO_NOT_HONOR"},
			code: "DO_NOT_HONOR", stoppedBy: StoppedByIssuer, retry: RetryAnotherCard, customer: "Your bank declined the payment"},
		{name: "issuer with its refusal reason", in: FailureInput{Status: StatusFail, ResultCode: "ISSUER_REJECTS_TRANSACTION", RefusalReasonRaw: "54 Expired card"},
			code: "ISSUER_REJECTS_TRANSACTION", stoppedBy: StoppedByIssuer, retry: RetryAnotherCard, customer: "The card has expired",
			check: func(t *testing.T, e Explanation) {
				if e.Refusal != "54 Expired card" || e.RefusalCode != "54" {
					t.Errorf("refusal %q (%q)", e.Refusal, e.RefusalCode)
				}
			}},
		{name: "fraud refusal reads as a decline", in: FailureInput{Status: StatusFail, ResultCode: "DO_NOT_HONOR", RefusalReasonRaw: "59 Suspected fraud"},
			code: "DO_NOT_HONOR", stoppedBy: StoppedByIssuer, retry: RetryNo, customer: "Your bank declined the payment"},
		{name: "advice code says later", in: FailureInput{Status: StatusFail, ResultCode: "DO_NOT_HONOR", RefusalReasonRaw: "51 Insufficient funds", MerchantAdviceCode: "24"},
			code: "DO_NOT_HONOR", stoppedBy: StoppedByIssuer, retry: RetryLater, customer: "try again in a few minutes",
			check: func(t *testing.T, e Explanation) {
				if e.AdviceCode != "24" || !strings.Contains(e.AdviceMeaning, "Retry after 1 hour") {
					t.Errorf("advice %q: %q", e.AdviceCode, e.AdviceMeaning)
				}
			}},
		{name: "advice code do not try again", in: FailureInput{Status: StatusFail, ResultCode: "DO_NOT_HONOR", MerchantAdviceCode: "03"},
			code: "DO_NOT_HONOR", stoppedBy: StoppedByIssuer, retry: RetryAnotherCard, customer: "Your bank declined"},
		{name: "unknown advice code is kept, unexplained", in: FailureInput{Status: StatusFail, ResultCode: "DO_NOT_HONOR", MerchantAdviceCode: "77"},
			code: "DO_NOT_HONOR", stoppedBy: StoppedByIssuer, retry: RetryAnotherCard, customer: "Your bank declined",
			check: func(t *testing.T, e Explanation) {
				if e.AdviceCode != "77" || e.AdviceMeaning != "" {
					t.Errorf("advice %q: %q", e.AdviceCode, e.AdviceMeaning)
				}
			}},
		{name: "risk control never told", in: FailureInput{Status: StatusFail, ResultCode: "RISK_REJECT"},
			code: "RISK_REJECT", stoppedBy: StoppedByRisk, retry: RetryAnotherCard, customer: "could not be completed"},
		{name: "a refusal reason does not override risk control", in: FailureInput{Status: StatusFail, ResultCode: "RISK_REJECT", RefusalReasonRaw: "51 Insufficient funds"},
			code: "RISK_REJECT", stoppedBy: StoppedByRisk, retry: RetryAnotherCard, customer: "could not be completed"},
		{name: "3-D Secure", in: FailureInput{Status: StatusFail, ResultCode: "USER_PAYMENT_VERIFICATION_FAILED"},
			code: "USER_PAYMENT_VERIFICATION_FAILED", stoppedBy: StoppedBy3DS, retry: RetryYes, customer: "verification"},
		{name: "closed unpaid", in: FailureInput{Status: StatusFail, ResultCode: "ORDER_IS_CLOSED"},
			code: "ORDER_IS_CLOSED", stoppedBy: StoppedByClosedUnpaid, retry: RetryYes, customer: "No money was taken"},
		{name: "closed unpaid after the buyer left", in: FailureInput{Status: StatusFail, ResultCode: "ORDER_IS_CLOSED", LastSDKEvent: antom.SDKPaymentCancel},
			code: "ORDER_IS_CLOSED", stoppedBy: StoppedByBuyer, retry: RetryYes, customer: "No money was taken"},
		{name: "staff cancel", in: FailureInput{Status: StatusCancelled, Paid: true, StaffCancel: true, CancelledBy: "user:ann@example.com"},
			code: StateStaffCancel, stoppedBy: StoppedByMerchant, retry: RetryNo, customer: "The merchant cancelled",
			check: func(t *testing.T, e Explanation) {
				if e.CancelledBy != "user:ann@example.com" {
					t.Errorf("cancelled by %q", e.CancelledBy)
				}
			}},
		{name: "staff cancel of an unpaid payment", in: FailureInput{Status: StatusCancelled, StaffCancel: true},
			code: StateStaffCancel, stoppedBy: StoppedByMerchant, retry: RetryNo, customer: "The merchant cancelled"},
		{name: "cancel after payment, not from Paydesk", in: FailureInput{Status: StatusCancelled, Paid: true},
			code: StateMerchantCancel, stoppedBy: StoppedByMerchant, retry: RetryNo, customer: "The merchant cancelled"},
		{name: "cancelled unpaid", in: FailureInput{Status: StatusCancelled},
			code: StateCancelledUnpd, stoppedBy: StoppedByClosedUnpaid, retry: RetryYes, customer: "No money was taken"},
		{name: "expired", in: FailureInput{Status: StatusExpired, SessionExpired: true},
			code: StateSessionExpired, stoppedBy: StoppedBySessionExpired, retry: RetryYes, customer: "expired"},
		{name: "session past expiry before the sweep", in: FailureInput{Status: StatusSessionReady, SessionExpired: true},
			code: StateSessionExpired, stoppedBy: StoppedBySessionExpired, retry: RetryYes, customer: "expired"},
		{name: "expired after the buyer left", in: FailureInput{Status: StatusExpired, LastSDKEvent: antom.SDKPaymentCancel},
			code: StateSessionExpired, stoppedBy: StoppedByBuyer, retry: RetryYes, customer: "expired"},
		{name: "expired after the SDK failed to start", in: FailureInput{Status: StatusExpired, LastSDKEvent: antom.SDKCreatePaymentParameterError},
			code: StateSessionExpired, stoppedBy: StoppedBySetup, retry: RetryNo, customer: "problem on our side"},
		{name: "session failed", in: FailureInput{Status: StatusSessionFailed, ResultCode: "INVALID_SIGNATURE"},
			code: "INVALID_SIGNATURE", stoppedBy: StoppedBySetup, retry: RetryNo, customer: "problem on our side"},
		{name: "session failed with an unknown code", in: FailureInput{Status: StatusSessionFailed, ResultCode: "BRAND_NEW_CODE"},
			code: "BRAND_NEW_CODE", stoppedBy: StoppedBySetup, retry: RetryLater, customer: "problem on our side", unknown: true},
		{name: "unknown code", in: FailureInput{Status: StatusFail, ResultCode: "SOMETHING_NEW", ResultMessage: "a new kind of no"},
			code: "SOMETHING_NEW", stoppedBy: StoppedByUnknown, retry: RetryLater, customer: "could not be completed", unknown: true,
			check: func(t *testing.T, e Explanation) {
				if !strings.Contains(e.Reason, "a new kind of no") {
					t.Errorf("reason %q lacks Antom's message", e.Reason)
				}
			}},
		{name: "unknown code, known refusal", in: FailureInput{Status: StatusFail, ResultCode: "SOMETHING_NEW", RefusalReasonRaw: "91"},
			code: "SOMETHING_NEW", stoppedBy: StoppedByIssuer, retry: RetryLater, customer: "try again in a few minutes"},
		{name: "no code at all", in: FailureInput{Status: StatusFail},
			code: "FAIL", stoppedBy: StoppedByUnknown, retry: RetryLater, customer: "could not be completed", unknown: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ok := ExplainFailure(tc.in)
			if !ok {
				t.Fatal("not explained")
			}
			if e.Code != tc.code || e.StoppedBy != tc.stoppedBy || e.Retry != tc.retry || e.Unknown != tc.unknown {
				t.Errorf("got code %s, stopped by %s, retry %s, unknown %v; want %s, %s, %s, %v",
					e.Code, e.StoppedBy, e.Retry, e.Unknown, tc.code, tc.stoppedBy, tc.retry, tc.unknown)
			}
			if !strings.Contains(e.CustomerMessage, tc.customer) {
				t.Errorf("customer message %q, want it to contain %q", e.CustomerMessage, tc.customer)
			}
			if e.Reason == "" {
				t.Error("no reason")
			}
			if tc.check != nil {
				tc.check(t, e)
			}
		})
	}
	for _, in := range []FailureInput{
		{Status: StatusSuccess, ResultCode: "SUCCESS", Paid: true},
		{Status: StatusProcessing},
		{Status: StatusCreated},
		{Status: StatusSessionReady},
	} {
		if e, ok := ExplainFailure(in); ok {
			t.Errorf("%s explained as a failure: %+v", in.Status, e)
		}
	}
}

// Every code of every kind explains a failure on its own, so the table and
// ExplainFailure agree: a FAIL with any result code in the table is not
// Unknown.
func TestExplainFailureKnowsEveryResultCode(t *testing.T) {
	for _, r := range Reasons() {
		if r.Kind != ReasonResult {
			continue
		}
		e, ok := ExplainFailure(FailureInput{Status: StatusFail, ResultCode: r.Code})
		if !ok || e.Unknown || e.CustomerMessage == "" {
			t.Errorf("%s: %+v, %v", r.Code, e, ok)
		}
	}
}

func TestFailureInputOf(t *testing.T) {
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	detail := func(kind EventKind, code string) Event {
		b, _ := json.Marshal(map[string]any{"eventCode": code})
		return Event{Kind: kind, Detail: b}
	}
	d := &PaymentDetail{
		Payment: Payment{Status: StatusCancelled, ResultCode: "SUCCESS", PaidAt: now.Add(-time.Hour)},
		Operations: []Operation{
			{Kind: OpCapture, Actor: "user:cap@example.com", State: OpFailed},
			{Kind: OpCancel, Actor: "user:first@example.com", State: OpFailed},
			{Kind: OpCancel, Actor: "user:ann@example.com", State: OpSucceeded},
		},
		Timeline: []Event{
			detail(EventSDK, antom.SDKPaymentSuccessful),
			detail(EventSDK, antom.SDKPaymentCancel),
			detail(EventNotification, "NOT_AN_SDK_EVENT"),
		},
	}
	in := FailureInputOf(d, now)
	if !in.StaffCancel || in.CancelledBy != "user:ann@example.com" || !in.Paid || in.LastSDKEvent != antom.SDKPaymentCancel || in.SessionExpired {
		t.Errorf("got %+v", in)
	}
	// A refused cancel is not a staff cancel; a session past its expiry is
	// expired before the sweeper records it.
	d = &PaymentDetail{
		Payment:    Payment{Status: StatusSessionReady, SessionExpiresAt: now.Add(-time.Second)},
		Operations: []Operation{{Kind: OpCancel, State: OpFailed}},
	}
	in = FailureInputOf(d, now)
	if in.StaffCancel || in.Paid || !in.SessionExpired || in.LastSDKEvent != "" {
		t.Errorf("got %+v", in)
	}
}
