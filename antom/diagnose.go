package antom

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// SignatureCause names what made a notification's signature fail, as
// DiagnoseSignature found by checking, not guessing.
type SignatureCause string

// Causes, in the order DiagnoseSignature tries them.
const (
	CauseMissing       SignatureCause = "missing"        // no signature, client-id or request-time header
	CauseMalformed     SignatureCause = "malformed"      // the signature header is not Antom's format
	CauseNoKey         SignatureCause = "no_key"         // no Antom public key is configured
	CausePath          SignatureCause = "path"           // signed for another path (or with/without the query)
	CauseClientID      SignatureCause = "client_id"      // signed with another client-id than the header says
	CauseRequestTime   SignatureCause = "request_time"   // the request-time header was changed in transit
	CauseBodyReencoded SignatureCause = "body_reencoded" // a proxy re-encoded the JSON body
	CauseUnexplained   SignatureCause = "unexplained"    // nothing about the request explains it: another key, or not Antom
)

// DiagnoseInput is a failed delivery as received, and what Paydesk expects.
type DiagnoseInput struct {
	Key             *rsa.PublicKey
	Path            string // as received, escaped, without the query
	RawQuery        string // as received, "" when none
	ClientID        string // the client-id header
	RequestTime     string // the request-time header
	SignatureHeader string
	Body            []byte
	// BodyComplete is false when only part of the body was kept; the body
	// variants are then not tried.
	BodyComplete bool
	// NotifyURL is the paymentNotifyUrl Paydesk sends Antom; MerchantClientID
	// this merchant's client-id.
	NotifyURL        string
	MerchantClientID string
}

// Diagnosis is what DiagnoseSignature found.
type Diagnosis struct {
	Cause SignatureCause
	// Verdict says it in plain words.
	Verdict string
	// Verified is true when a variant of the request verifies; Variant
	// describes it and SignedContent is its exact string-to-sign.
	Verified      bool
	Variant       string
	SignedContent []byte
	// Tried lists every variant checked, in order.
	Tried []string
	// KeyFingerprint is the SHA-256 of the configured key's DER
	// (SubjectPublicKeyInfo), hex, as `openssl pkey -pubin -outform DER |
	// sha256sum` prints it.
	KeyFingerprint string
}

// KeyFingerprint is the hex SHA-256 of key's DER SubjectPublicKeyInfo; ""
// for nil.
func KeyFingerprint(key *rsa.PublicKey) string {
	if key == nil {
		return ""
	}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// DiagnoseSignature finds out why a notification's signature does not
// verify by verifying variants of what was received: the path as Paydesk's
// notify URL has it and with or without the query; this merchant's
// client-id; other renderings of the same request-time; the body as a
// proxy that re-serialises JSON would have changed it (whitespace, escaping
// of non-ASCII and HTML characters, a trailing newline). The first variant
// that verifies is the cause; when none does, the key is the likely cause
// (another key, a rotation) or the request is not Antom's. Every check is a
// real RSA verification: a few dozen per call, about two hundred when a
// UTC request-time makes every offset worth trying (some milliseconds).
func DiagnoseSignature(in DiagnoseInput) Diagnosis {
	d := Diagnosis{KeyFingerprint: KeyFingerprint(in.Key)}
	if in.SignatureHeader == "" || in.ClientID == "" || in.RequestTime == "" {
		var missing []string
		for _, h := range []struct{ name, v string }{{HeaderSignature, in.SignatureHeader}, {HeaderClientID, in.ClientID}, {HeaderRequestTime, in.RequestTime}} {
			if h.v == "" {
				missing = append(missing, h.name)
			}
		}
		d.Cause, d.Verdict = CauseMissing, "The "+strings.Join(missing, ", ")+" header is missing: the sender did not sign the request as Antom does, or a proxy dropped the header."
		return d
	}
	ps, err := ParseSignatureHeader(in.SignatureHeader)
	if err != nil {
		d.Cause, d.Verdict = CauseMalformed, "The signature header is not in Antom's format (algorithm=RSA256,keyVersion=…,signature=…): "+err.Error()+"."
		return d
	}
	if in.Key == nil {
		d.Cause, d.Verdict = CauseNoKey, "No Antom public key is configured, so nothing can be verified. Configure the key shown in Antom's dashboard."
		return d
	}
	try := func(label, path, clientID, requestTime string, body []byte) bool {
		d.Tried = append(d.Tried, label)
		content := SignContent("POST", path, clientID, requestTime, body)
		if Verify(in.Key, content, ps.Signature) == nil {
			d.Verified, d.Variant, d.SignedContent = true, label, content
			return true
		}
		return false
	}
	if try("as received", in.Path, in.ClientID, in.RequestTime, in.Body) {
		// Verifies now: the key was changed since, or the receiver had none.
		d.Cause, d.Verdict = "", "The signature verifies with the key configured now; it failed when the delivery arrived (the key was changed since)."
		return d
	}

	// 1. The path.
	for _, v := range pathVariants(in.Path, in.RawQuery, in.NotifyURL) {
		if try("path "+v, v, in.ClientID, in.RequestTime, in.Body) {
			d.Cause = CausePath
			d.Verdict = fmt.Sprintf("Antom signed the request for the path %q, but it arrived at %q. A proxy or router rewrote the path, or Antom has another notify URL than the one Paydesk sends (%s).",
				v, in.Path+query(in.RawQuery), orNone(in.NotifyURL))
			return d
		}
	}
	// 2. The client-id.
	if in.MerchantClientID != "" && in.MerchantClientID != in.ClientID {
		if try("client-id "+in.MerchantClientID, in.Path, in.MerchantClientID, in.RequestTime, in.Body) {
			d.Cause = CauseClientID
			d.Verdict = fmt.Sprintf("The request was signed with client-id %q, but its client-id header says %q: the header was changed in transit.", in.MerchantClientID, in.ClientID)
			return d
		}
	}
	// 3. The request-time.
	for _, v := range requestTimeVariants(in.RequestTime) {
		if try("request-time "+v, in.Path, in.ClientID, v, in.Body) {
			d.Cause = CauseRequestTime
			d.Verdict = fmt.Sprintf("The request was signed with request-time %q, but the header arrived as %q: a proxy changed the header in transit.", v, in.RequestTime)
			return d
		}
	}
	// 4. The body.
	if in.BodyComplete {
		for _, v := range bodyVariants(in.Body) {
			if try("body "+v.label, in.Path, in.ClientID, in.RequestTime, v.body) {
				d.Cause = CauseBodyReencoded
				d.Verdict = "The body was re-encoded in transit (" + v.label + "): Antom signed the bytes it sent, and a proxy or framework re-serialised the JSON before Paydesk read it. Pass the body through unchanged."
				return d
			}
		}
	} else {
		d.Tried = append(d.Tried, "body variants skipped: only part of the body was kept")
	}
	d.Cause = CauseUnexplained
	d.Verdict = "Nothing about the request explains it: path, client-id, request-time and body variants do not verify with the configured Antom public key (SHA-256 " + d.KeyFingerprint + "). Either Antom signs with another key (compare the key in Antom's dashboard; a rotation makes every delivery fail from one moment on), or the request is not from Antom."
	return d
}

func query(raw string) string {
	if raw == "" {
		return ""
	}
	return "?" + raw
}

func orNone(s string) string {
	if s == "" {
		return "none configured"
	}
	return s
}

// pathVariants are the paths Antom may have signed for: with and without the
// query, with and without a trailing slash, and the configured notify URL's
// path with and without its query.
func pathVariants(path, rawQuery, notifyURL string) []string {
	seen := map[string]bool{path: true}
	var out []string
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if rawQuery != "" {
		add(path + "?" + rawQuery)
	}
	if u, err := url.Parse(notifyURL); err == nil && notifyURL != "" {
		add(u.EscapedPath())
		if u.RawQuery != "" {
			add(u.EscapedPath() + "?" + u.RawQuery)
		}
	}
	for _, p := range append([]string{path}, out...) {
		base, q, _ := strings.Cut(p, "?")
		alt := strings.TrimSuffix(base, "/")
		if alt == base {
			alt = base + "/"
		}
		if q != "" {
			alt += "?" + q
		}
		add(alt)
	}
	return out
}

// requestTimeVariants are other renderings of the instant a request-time
// names: epoch milliseconds, ISO 8601 in UTC and in the header's own offset,
// with and without milliseconds, and the value trimmed.
func requestTimeVariants(rt string) []string {
	seen := map[string]bool{rt: true}
	var out []string
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	add(strings.TrimSpace(rt))
	at, err := ParseRequestTime(rt)
	if err != nil {
		return out
	}
	add(strconv.FormatInt(at.UnixMilli(), 10))
	add(strconv.FormatInt(at.Unix(), 10))
	// The header's own offset and UTC; when the header is in UTC (or epoch
	// time), every offset in use too: a proxy that rewrote it to UTC lost
	// the sender's, so each is checked.
	zones := []*time.Location{time.UTC}
	if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(rt)); err == nil {
		zones = append([]*time.Location{t.Location()}, zones...)
	}
	if _, off := at.In(zones[0]).Zone(); off == 0 {
		for _, m := range utcOffsetsMinutes {
			zones = append(zones, time.FixedZone("", m*60))
		}
	}
	for _, z := range zones {
		t := at.In(z)
		for _, layout := range []string{"2006-01-02T15:04:05.000Z07:00", time.RFC3339, "2006-01-02T15:04:05.000-07:00", "2006-01-02T15:04:05-07:00", time.RFC3339Nano} {
			add(t.Format(layout))
		}
	}
	return out
}

// utcOffsetsMinutes are the UTC offsets in use around the world.
var utcOffsetsMinutes = []int{
	-720, -660, -600, -570, -540, -480, -420, -360, -300, -240, -210, -180, -120, -60,
	60, 120, 180, 210, 240, 270, 300, 330, 345, 360, 390, 420, 480, 525, 540, 570, 600, 630, 660, 720, 765, 780, 840,
}

type bodyVariant struct {
	label string
	body  []byte
}

// bodyVariants are the body as common re-serialisations would have changed
// it. Each keeps the keys in their order (a token-level re-encoding, not a
// decode into a map).
func bodyVariants(body []byte) []bodyVariant {
	var out []bodyVariant
	seen := map[string]bool{string(body): true}
	add := func(label string, b []byte) {
		if b != nil && !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, bodyVariant{label, b})
		}
	}
	add("without the trailing newline", bytes.TrimRight(body, "\r\n"))
	add("with a trailing newline", append(bytes.TrimRight(append([]byte(nil), body...), "\r\n"), '\n'))
	add("with CRLF line ends made LF", bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")))
	var compact bytes.Buffer
	if json.Compact(&compact, body) == nil {
		add("whitespace removed", compact.Bytes())
		for _, indent := range []string{"  ", "    "} {
			var ind bytes.Buffer
			if json.Indent(&ind, compact.Bytes(), "", indent) == nil {
				add(fmt.Sprintf("pretty-printed with %d spaces", len(indent)), ind.Bytes())
			}
		}
	}
	for _, enc := range []struct {
		label        string
		ascii, html  bool
		spaceAfterKV bool
	}{
		{"non-ASCII written as \\u escapes", true, false, false},
		{"\\u escapes written as UTF-8", false, false, false},
		{"HTML characters escaped (\\u003c, \\u003e, \\u0026)", false, true, false},
		{"non-ASCII and HTML characters escaped", true, true, false},
		{"a space after each colon and comma", false, false, true},
	} {
		if b, err := reencode(body, enc.ascii, enc.html, enc.spaceAfterKV); err == nil {
			add(enc.label, b)
		}
	}
	return out
}

// reencode writes body's JSON tokens back compactly with the chosen string
// escaping, keeping the order of keys and the text of numbers.
func reencode(body []byte, ascii, html, spaced bool) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var b bytes.Buffer
	type frame struct {
		object bool
		n      int
	}
	var stack []frame
	sep := func() {
		if len(stack) == 0 {
			return
		}
		f := &stack[len(stack)-1]
		if f.n > 0 {
			if f.object && f.n%2 == 1 {
				b.WriteByte(':')
			} else {
				b.WriteByte(',')
			}
			if spaced {
				b.WriteByte(' ')
			}
		}
		f.n++
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				sep()
				b.WriteByte(byte(t))
				stack = append(stack, frame{object: t == '{'})
			default:
				if len(stack) == 0 {
					return nil, errors.New("unbalanced")
				}
				stack = stack[:len(stack)-1]
				b.WriteByte(byte(t))
			}
		case string:
			sep()
			writeJSONString(&b, t, ascii, html)
		case json.Number:
			sep()
			b.WriteString(t.String())
		case bool:
			sep()
			b.WriteString(strconv.FormatBool(t))
		case nil:
			sep()
			b.WriteString("null")
		}
	}
	return b.Bytes(), nil
}

func writeJSONString(b *bytes.Buffer, s string, ascii, html bool) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20, html && (r == '<' || r == '>' || r == '&'), r == '\u2028', r == '\u2029':
			fmt.Fprintf(b, `\u%04x`, r)
		case ascii && r > 0x7e:
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			} else {
				fmt.Fprintf(b, `\u%04x`, r)
			}
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
