package antom

import (
	"strings"
	"testing"
)

func TestDiagnoseSignature(t *testing.T) {
	const (
		path   = "/webhooks/antom"
		client = "SANDBOX_5YBZ1N2Z2Y5Y04567"
		rt     = "2026-12-04T10:08:56.253+08:00"
	)
	body := []byte(`{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success <ok> & café"},"paymentRequestId":"PR-1","paymentId":"2026120419401080010018800000001","paymentAmount":{"currency":"SGD","value":"4200"}}`)
	sign := func(t *testing.T, path, clientID, rt string, body []byte) string {
		t.Helper()
		sig, err := SignMessage(antomKey(t), path, clientID, rt, body)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	base := func() DiagnoseInput {
		return DiagnoseInput{
			Key: antomPub(t), Path: path, ClientID: client, RequestTime: rt, Body: body, BodyComplete: true,
			NotifyURL: "https://shop.example/webhooks/antom?src=antom", MerchantClientID: client,
		}
	}
	var escaped []byte
	if b, err := reencode(body, true, false, false); err == nil {
		escaped = b
	}
	tests := []struct {
		name     string
		in       func() DiagnoseInput
		cause    SignatureCause
		verified bool
		says     string
	}{
		{"missing header", func() DiagnoseInput { in := base(); in.SignatureHeader = ""; return in }, CauseMissing, false, "signature header is missing"},
		{"malformed header", func() DiagnoseInput { in := base(); in.SignatureHeader = "algorithm=RSA256,keyVersion=1"; return in }, CauseMalformed, false, "not in Antom's format"},
		{"no key", func() DiagnoseInput {
			in := base()
			in.SignatureHeader, in.Key = sign(t, path, client, rt, body), nil
			return in
		}, CauseNoKey, false, "No Antom public key"},
		{"signed with the query", func() DiagnoseInput {
			in := base()
			in.RawQuery = "src=antom"
			in.SignatureHeader = sign(t, path+"?src=antom", client, rt, body)
			return in
		}, CausePath, true, `"/webhooks/antom?src=antom"`},
		{"signed for the notify URL's path behind a prefix-stripping proxy", func() DiagnoseInput {
			in := base()
			in.Path = "/antom"
			in.NotifyURL = "https://shop.example/paydesk/antom"
			in.SignatureHeader = sign(t, "/paydesk/antom", client, rt, body)
			return in
		}, CausePath, true, `arrived at "/antom"`},
		{"trailing slash", func() DiagnoseInput {
			in := base()
			in.SignatureHeader = sign(t, path+"/", client, rt, body)
			return in
		}, CausePath, true, `"/webhooks/antom/"`},
		{"client-id changed", func() DiagnoseInput {
			in := base()
			in.ClientID = "SANDBOX_OTHER"
			in.SignatureHeader = sign(t, path, client, rt, body)
			return in
		}, CauseClientID, true, `header says "SANDBOX_OTHER"`},
		{"request-time rewritten to UTC", func() DiagnoseInput {
			in := base()
			in.RequestTime = "2026-12-04T02:08:56.253Z"
			in.SignatureHeader = sign(t, path, client, rt, body)
			return in
		}, CauseRequestTime, true, `signed with request-time "2026-12-04T10:08:56.253+08:00"`},
		{"request-time rewritten to epoch", func() DiagnoseInput {
			in := base()
			in.RequestTime = "1796350136253"
			in.SignatureHeader = sign(t, path, client, "2026-12-04T02:08:56.253Z", body)
			return in
		}, CauseRequestTime, true, "changed the header"},
		{"body pretty-printed by a proxy", func() DiagnoseInput {
			in := base()
			in.Body = []byte("{\n  \"notifyType\": \"PAYMENT_RESULT\"\n}")
			in.SignatureHeader = sign(t, path, client, rt, []byte(`{"notifyType":"PAYMENT_RESULT"}`))
			return in
		}, CauseBodyReencoded, true, "whitespace removed"},
		{"body re-encoded with UTF-8 where Antom sent escapes", func() DiagnoseInput {
			in := base()
			in.SignatureHeader = sign(t, path, client, rt, escaped)
			return in
		}, CauseBodyReencoded, true, "non-ASCII written as"},
		{"body cut: variants not tried", func() DiagnoseInput {
			in := base()
			in.BodyComplete = false
			in.SignatureHeader = sign(t, path, client, rt, escaped)
			return in
		}, CauseUnexplained, false, "Either Antom signs with another key"},
		{"another key", func() DiagnoseInput {
			in := base()
			sig, err := SignMessage(merchantKey(t), path, client, rt, body)
			if err != nil {
				t.Fatal(err)
			}
			in.SignatureHeader = sig
			return in
		}, CauseUnexplained, false, KeyFingerprint(antomPub(t))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DiagnoseSignature(tc.in())
			if d.Cause != tc.cause || d.Verified != tc.verified {
				t.Fatalf("cause %q verified %v, want %q %v (%s; tried %v)", d.Cause, d.Verified, tc.cause, tc.verified, d.Verdict, d.Tried)
			}
			if !strings.Contains(d.Verdict, tc.says) {
				t.Errorf("verdict %q does not say %q", d.Verdict, tc.says)
			}
			if d.Verified {
				if err := Verify(antomPub(t), d.SignedContent, mustSig(t, tc.in().SignatureHeader)); err != nil {
					t.Errorf("SignedContent does not verify: %v", err)
				}
			}
		})
	}
	if fp := KeyFingerprint(antomPub(t)); len(fp) != 64 {
		t.Errorf("fingerprint %q is not hex SHA-256", fp)
	}
}

func mustSig(t *testing.T, h string) []byte {
	t.Helper()
	ps, err := ParseSignatureHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	return ps.Signature
}

func TestReencodeKeepsOrderAndNumbers(t *testing.T) {
	in := []byte(`{"b":1.50,"a":[true,null,"é<"],"c":{}}`)
	got, err := reencode(in, true, true, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"b":1.50,"a":[true,null,"\u00e9\u003c"],"c":{}}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	got, _ = reencode(in, false, false, true)
	if want := `{"b": 1.50, "a": [true, null, "é<"], "c": {}}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
