package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"paydesk/antom"
)

// maxBody is the largest request body the API accepts.
const maxBody = 1 << 20

// API path prefixes (section 1.1). Both families are always served.
const (
	prodPrefix    = "/ams/api/v1/payments/"
	sandboxPrefix = "/ams/sandbox/api/v1/payments/"
)

// Result codes the simulator answers with (sections 4 and 5).
const (
	codeSuccess                = "SUCCESS"
	codeParamIllegal           = "PARAM_ILLEGAL"
	codeClientInvalid          = "CLIENT_INVALID"
	codeInvalidSignature       = "INVALID_SIGNATURE"
	codeNoInterfaceDef         = "NO_INTERFACE_DEF"
	codeMethodNotSupported     = "METHOD_NOT_SUPPORTED"
	codeUnknownException       = "UNKNOWN_EXCEPTION"
	codeRepeatReqInconsistent  = "REPEAT_REQ_INCONSISTENT"
	codeOrderNotExist          = "ORDER_NOT_EXIST"
	codeOrderIsClosed          = "ORDER_IS_CLOSED"
	codeOrderIsCanceled        = "ORDER_IS_CANCELED"
	codeOrderStatusInvalid     = "ORDER_STATUS_INVALID"
	codePaymentInProcess       = "PAYMENT_IN_PROCESS"
	codeAuthNotFound           = "AUTH_NOT_FOUND"
	codeAuthCancelled          = "AUTH_CANCELLED"
	codeAuthExpired            = "AUTH_EXPIRED"
	codeCaptureExceedAuth      = "CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT"
	codeCancelWindowExceed     = "CANCEL_WINDOW_EXCEED"
	codeRefundAmountExceed     = "REFUND_AMOUNT_EXCEED"
	codeRiskReject             = "RISK_REJECT"
	codeUserVerificationFailed = "USER_PAYMENT_VERIFICATION_FAILED"
	codeInvalidCard            = "INVALID_CARD"
	codeIssuerRejects          = "ISSUER_REJECTS_TRANSACTION"
	codeDoNotHonor             = "DO_NOT_HONOR"
)

// resultOnly is an answer that carries only Antom's result.
type resultOnly struct {
	Result antom.Result `json:"result"`
}

func failBody(code, msg string) []byte {
	return mustJSON(resultOnly{Result: antom.Result{ResultStatus: antom.StatusFail, ResultCode: code, ResultMessage: msg}})
}

func unknownBody() []byte {
	return mustJSON(resultOnly{Result: antom.Result{ResultStatus: antom.StatusUnknown, ResultCode: codeUnknownException, ResultMessage: "unknown exception; call again"}})
}

func successResult() antom.Result {
	return antom.Result{ResultStatus: antom.StatusSuccess, ResultCode: codeSuccess, ResultMessage: "success."}
}

// mustJSON encodes values built by the simulator itself, which always
// encode. Like Antom's own (Java) encoder it does not escape & < >, so
// paymentSessionData's "&&" travels as is.
func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("sim: encode %T: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// apiFromPath returns the API name of a production or sandbox path.
func apiFromPath(path string) (string, bool) {
	var name string
	switch {
	case strings.HasPrefix(path, prodPrefix):
		name = path[len(prodPrefix):]
	case strings.HasPrefix(path, sandboxPrefix):
		name = path[len(sandboxPrefix):]
	default:
		return "", false
	}
	for _, n := range apiNames {
		if n == name {
			return n, true
		}
	}
	return "", false
}

// serveAPI is Antom's gateway: method and path, faults, headers, client,
// signature, then the API itself. Every answer is HTTP 200 with a result and
// is signed, except INVALID_SIGNATURE (unsigned, section 12) and the 5xx fault.
func (s *Simulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	clientID := r.Header.Get(antom.HeaderClientID)
	api, ok := apiFromPath(path)
	if !ok {
		s.writeSigned(w, path, clientID, failBody(codeNoInterfaceDef, "no API is defined at "+path))
		return
	}
	if r.Method != http.MethodPost {
		s.writeSigned(w, path, clientID, failBody(codeMethodNotSupported, "only POST is supported"))
		return
	}

	s.mu.Lock()
	f := s.faults
	fail5xx := f.appliesTo(api) && f.APIHTTP5xx != 0
	if fail5xx && s.faults.APIHTTP5xx > 0 {
		s.faults.APIHTTP5xx--
	}
	s.mu.Unlock()
	if f.appliesTo(api) && f.APIDelay > 0 {
		// Read the body before holding: net/http notices a client that
		// leaves only once the request body is read, and a send whose
		// client gave up must end here, not be processed after the delay.
		if b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1)); err == nil {
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		select {
		case <-time.After(f.APIDelay):
		case <-r.Context().Done():
			return
		}
	}
	if fail5xx {
		s.log.Info("sim: api fault: 503", "api", api)
		http.Error(w, "503 Service Unavailable (simulated)", http.StatusServiceUnavailable)
		return
	}

	for _, h := range []string{antom.HeaderClientID, antom.HeaderRequestTime, antom.HeaderSignature} {
		if r.Header.Get(h) == "" {
			s.writeSigned(w, path, clientID, failBody(codeParamIllegal, "header "+h+" is missing"))
			return
		}
	}
	if clientID != s.cfg.ClientID {
		s.writeSigned(w, path, clientID, failBody(codeClientInvalid, "client-id "+clientID+" is not registered"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		s.writeSigned(w, path, clientID, failBody(codeParamIllegal, "request body could not be read"))
		return
	}
	if len(body) > maxBody {
		s.writeSigned(w, path, clientID, failBody(codeParamIllegal, "request body is larger than 1 MiB"))
		return
	}
	err = antom.VerifyMessage(s.cfg.MerchantPublicKey, path, clientID, r.Header.Get(antom.HeaderRequestTime), r.Header.Get(antom.HeaderSignature), body)
	if err != nil {
		s.log.Info("sim: request signature rejected", "api", api, "err", err)
		writeJSON(w, http.StatusOK, failBody(codeInvalidSignature, "the signature does not verify with the public key registered for this client"))
		return
	}

	s.mu.Lock()
	f = s.faults
	unknown := f.appliesTo(api) && f.APIUnknown != 0
	if unknown && f.APIUnknown > 0 {
		s.faults.APIUnknown--
	}
	s.mu.Unlock()
	if unknown && !f.APIUnknownProcessed {
		s.log.Info("sim: api fault: U before processing", "api", api)
		s.writeSigned(w, path, clientID, unknownBody())
		return
	}
	resp := s.dispatch(api, body)
	// Antom's answer is a promise: it leaves only once the state it reports
	// is saved (persist.go). When that fails the merchant gets U and calls
	// again; the retry replays the answer and tries the save again.
	if err := s.flush(); err != nil {
		resp = unknownBody()
	}
	if unknown {
		s.log.Info("sim: api fault: U after processing", "api", api)
		resp = unknownBody()
	}
	s.writeSigned(w, path, clientID, resp)
}

func (s *Simulator) dispatch(api string, body []byte) []byte {
	switch api {
	case "createPaymentSession":
		return s.apiCreateSession(body)
	case "inquiryPayment":
		return s.apiInquiryPayment(body)
	case "capture":
		return s.apiCapture(body)
	case "cancel":
		return s.apiCancel(body)
	case "refund":
		return s.apiRefund(body)
	case "inquiryRefund":
		return s.apiInquiryRefund(body)
	}
	return failBody(codeNoInterfaceDef, "no API "+api)
}

// writeSigned writes an HTTP 200 answer signed over
// "POST <request path>\n<client-id>.<response-time>.<body>" with the
// lower-case header names some SDKs require (section 2.2).
func (s *Simulator) writeSigned(w http.ResponseWriter, path, clientID string, body []byte) {
	respTime := s.formatTime(s.clock.Now())
	sig, err := antom.SignMessage(s.cfg.Key, path, clientID, respTime, body)
	if err != nil {
		s.log.Error("sim: sign response", "err", err)
		writeJSON(w, http.StatusOK, failBody("SYSTEM_ERROR", "the simulator could not sign its answer"))
		return
	}
	h := w.Header()
	h[antom.HeaderClientID] = []string{clientID}
	h[antom.HeaderResponseTime] = []string{respTime}
	h[antom.HeaderSignature] = []string{sig}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// paramError is a PARAM_ILLEGAL answer naming the field at fault.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func paramf(format string, args ...any) error { return &paramError{msg: fmt.Sprintf(format, args...)} }

// decodeBody decodes a request body, turning type errors into messages that
// name the field.
func decodeBody(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return paramf("%s has the wrong type: got a JSON %s, want %s", te.Field, te.Value, jsonKind(te.Type.Kind().String()))
		}
		if strings.Contains(err.Error(), "is not a boolean") {
			// FlexBool's error does not know its field.
			return paramf("a boolean field is neither true nor false: %s", strings.TrimPrefix(err.Error(), "antom: "))
		}
		return paramf("request body is not valid JSON: %v", err)
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	case "bool":
		return "a boolean"
	}
	return k
}
