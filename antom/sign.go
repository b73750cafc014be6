package antom

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// DefaultKeyVersion is the keyVersion every official SDK sends.
const DefaultKeyVersion = 1

// AlgorithmRSA256 is the only signature algorithm Antom uses: RSASSA-PKCS1-v1_5
// with SHA-256 (section 3.1).
const AlgorithmRSA256 = "RSA256"

// Header names used by Antom. Responses and notifications use these exact
// lower-case spellings (section 2.2); Go's http.Header lookups are
// case-insensitive, so reading them works whatever case a peer sends.
const (
	HeaderSignature    = "signature"
	HeaderClientID     = "client-id"
	HeaderRequestTime  = "request-time"
	HeaderResponseTime = "response-time"
)

// SignContent builds the exact bytes that are signed (section 3.1):
// "POST <path>\n<client-id>.<time>.<raw body>". The body is used as sent,
// never re-serialized.
func SignContent(method, path, clientID, timestamp string, body []byte) []byte {
	b := make([]byte, 0, len(method)+len(path)+len(clientID)+len(timestamp)+len(body)+4)
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, '\n')
	b = append(b, clientID...)
	b = append(b, '.')
	b = append(b, timestamp...)
	b = append(b, '.')
	b = append(b, body...)
	return b
}

// Sign signs content with RSASSA-PKCS1-v1_5 over SHA-256 and returns the
// standard base64 encoding of the signature (not yet URL-encoded). The
// scheme is deterministic: the same key and content give the same signature.
func Sign(key *rsa.PrivateKey, content []byte) (string, error) {
	if key == nil {
		return "", errors.New("antom: sign: no private key")
	}
	sum := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("antom: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// SignatureHeader formats the value of the signature header:
// "algorithm=RSA256,keyVersion=N,signature=<url-encoded base64>", with
// upper-case hex escapes and no spaces, as the Go and Java SDKs send it.
func SignatureHeader(b64sig string, keyVersion int) string {
	return "algorithm=" + AlgorithmRSA256 + ",keyVersion=" + strconv.Itoa(keyVersion) + ",signature=" + url.QueryEscape(b64sig)
}

// SignMessage signs a request, response or notification and returns the
// signature header value. path is the URI path the peer will see.
func SignMessage(key *rsa.PrivateKey, path, clientID, timestamp string, body []byte) (string, error) {
	sig, err := Sign(key, SignContent("POST", path, clientID, timestamp, body))
	if err != nil {
		return "", err
	}
	return SignatureHeader(sig, DefaultKeyVersion), nil
}

// ParsedSignature is a parsed signature header.
type ParsedSignature struct {
	Algorithm  string // "RSA256" in any case; empty when the header omits it
	KeyVersion string // decimal digits; empty when the header omits it
	Signature  []byte // the decoded signature bytes
}

// Errors returned by signature parsing and verification. Parsing errors wrap
// ErrMalformedSignature, so a caller can tell "no header", "a header that
// makes no sense" and "a signature that does not verify" apart with errors.Is.
var (
	ErrMissingSignature   = errors.New("antom: signature header is missing")
	ErrMalformedSignature = errors.New("antom: signature header is malformed")
	ErrBadSignature       = errors.New("antom: signature does not verify")
)

// ParseSignatureHeader parses a signature header leniently (section 3.4):
// comma-separated key=value pairs with optional spaces, keys in any case,
// pairs in any order, unknown keys ignored, keyVersion and algorithm
// optional; the signature value URL-encoded with upper- or lower-case hex,
// partly encoded, or not encoded at all. A present algorithm other than
// RSA256 is an error.
func ParseSignatureHeader(h string) (ParsedSignature, error) {
	var p ParsedSignature
	if strings.TrimSpace(h) == "" {
		return p, ErrMissingSignature
	}
	var raw string
	var haveSig bool
	// Neither base64 nor its URL encoding contains a comma, so splitting on
	// commas is safe; each pair splits on its first '=' because an
	// un-encoded value ends in '=' padding.
	for _, item := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case strings.EqualFold(k, "algorithm"):
			p.Algorithm = v
		case strings.EqualFold(k, "keyVersion"):
			p.KeyVersion = v
		case strings.EqualFold(k, "signature"):
			if haveSig {
				return p, fmt.Errorf("%w: more than one signature= part", ErrMalformedSignature)
			}
			raw, haveSig = v, true
		}
	}
	if !haveSig {
		return p, fmt.Errorf("%w: no signature= part", ErrMalformedSignature)
	}
	if p.Algorithm != "" && !strings.EqualFold(p.Algorithm, AlgorithmRSA256) {
		return p, fmt.Errorf("%w: unsupported algorithm %q (want %s)", ErrMalformedSignature, p.Algorithm, AlgorithmRSA256)
	}
	if p.KeyVersion != "" && !allDigits(p.KeyVersion) {
		return p, fmt.Errorf("%w: keyVersion %q is not a number", ErrMalformedSignature, p.KeyVersion)
	}
	sig, err := decodeSignatureValue(raw)
	if err != nil {
		return p, err
	}
	p.Signature = sig
	return p, nil
}

// decodeSignatureValue undoes the URL encoding, if any, then base64.
// url.PathUnescape is used rather than QueryUnescape because it leaves '+'
// alone: base64 contains no spaces, so a '+' is always a literal '+' from a
// peer that did not (fully) URL-encode, never an encoded space.
func decodeSignatureValue(raw string) ([]byte, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: signature value is empty", ErrMalformedSignature)
	}
	dec := raw
	if strings.Contains(raw, "%") {
		var err error
		if dec, err = url.PathUnescape(raw); err != nil {
			return nil, fmt.Errorf("%w: signature value has a bad %%-escape", ErrMalformedSignature)
		}
	}
	sig, err := base64.StdEncoding.DecodeString(dec)
	if err != nil || len(sig) == 0 {
		return nil, fmt.Errorf("%w: signature value is not base64", ErrMalformedSignature)
	}
	return sig, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Verify checks a decoded signature over content with a public key: Antom's
// for responses and notifications, the merchant's in the simulator.
func Verify(pub *rsa.PublicKey, content, sig []byte) error {
	if pub == nil {
		return errors.New("antom: verify: no public key")
	}
	sum := sha256.Sum256(content)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return ErrBadSignature
	}
	return nil
}

// VerifyMessage verifies a signed request, response or notification given the
// path as received, the client-id and time headers, the signature header and
// the raw body bytes. The error wraps ErrMissingSignature,
// ErrMalformedSignature or ErrBadSignature.
func VerifyMessage(pub *rsa.PublicKey, path, clientID, timestamp, signatureHeader string, body []byte) error {
	ps, err := ParseSignatureHeader(signatureHeader)
	if err != nil {
		return err
	}
	return Verify(pub, SignContent("POST", path, clientID, timestamp, body), ps.Signature)
}

// Errors for a key of the wrong kind, wrapped by ParsePrivateKey and
// ParsePublicKey (the commonest configuration mistake, section 11).
var (
	ErrKeyIsPublic  = errors.New("this is a public key, not a private key")
	ErrKeyIsPrivate = errors.New("this is a private key, not a public key")
)

// ParsePrivateKey reads an RSA private key given as PEM (PKCS#1 "RSA PRIVATE
// KEY" or PKCS#8 "PRIVATE KEY") or as the raw base64 DER (PKCS#8 or PKCS#1)
// that Antom's dashboard and the official SDKs use. A public key, an
// encrypted key or a non-RSA key gets an error that says so.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	der, kind, err := keyDER(data)
	if err != nil {
		return nil, fmt.Errorf("antom: private key: %w", err)
	}
	switch kind {
	case "", "PRIVATE KEY", "RSA PRIVATE KEY":
	case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
		return nil, fmt.Errorf("antom: private key: %w", ErrKeyIsPublic)
	default:
		return nil, fmt.Errorf("antom: private key: PEM block %q is not an RSA private key", kind)
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("antom: private key: this is an %s key; Antom uses RSA", keyAlgorithm(k))
		}
		return rk, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if looksPublic(der) {
		return nil, fmt.Errorf("antom: private key: %w", ErrKeyIsPublic)
	}
	return nil, errors.New("antom: private key: not a PKCS#8 or PKCS#1 RSA private key")
}

// ParsePublicKey reads an RSA public key given as PEM (SPKI "PUBLIC KEY",
// PKCS#1 "RSA PUBLIC KEY" or a "CERTIFICATE") or as the raw base64 SPKI DER
// shown in Antom's dashboard. A private key or a non-RSA key gets an error
// that says so.
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	der, kind, err := keyDER(data)
	if err != nil {
		return nil, fmt.Errorf("antom: public key: %w", err)
	}
	switch kind {
	case "", "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
	default:
		if strings.Contains(kind, "PRIVATE") {
			return nil, fmt.Errorf("antom: public key: %w", ErrKeyIsPrivate)
		}
		return nil, fmt.Errorf("antom: public key: PEM block %q is not an RSA public key", kind)
	}
	var k any
	if pk, err := x509.ParsePKIXPublicKey(der); err == nil {
		k = pk
	} else if pk, err := x509.ParsePKCS1PublicKey(der); err == nil {
		k = pk
	} else if cert, err := x509.ParseCertificate(der); err == nil {
		k = cert.PublicKey
	} else if looksPrivate(der) {
		return nil, fmt.Errorf("antom: public key: %w", ErrKeyIsPrivate)
	} else {
		return nil, errors.New("antom: public key: not an SPKI or PKCS#1 RSA public key")
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("antom: public key: this is an %s key; Antom uses RSA", keyAlgorithm(k))
	}
	return rk, nil
}

func looksPublic(der []byte) bool {
	if _, err := x509.ParsePKIXPublicKey(der); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return true
	}
	_, err := x509.ParseCertificate(der)
	return err == nil
}

func looksPrivate(der []byte) bool {
	if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return true
	}
	_, err := x509.ParseECPrivateKey(der)
	return err == nil
}

func keyAlgorithm(k any) string {
	switch k.(type) {
	case *ecdsa.PrivateKey, *ecdsa.PublicKey:
		return "ECDSA"
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "Ed25519"
	default:
		return fmt.Sprintf("unsupported (%T)", k)
	}
}

// keyDER returns the DER bytes of the first PEM block in data, or of data as
// raw base64 (line breaks and spaces allowed), and the PEM block type ("" for
// raw base64).
func keyDER(data []byte) ([]byte, string, error) {
	s := strings.TrimSpace(string(data))
	if s == "" {
		return nil, "", errors.New("key is empty")
	}
	if strings.Contains(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(s))
		if block == nil {
			return nil, "", errors.New("malformed PEM block")
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, "", errors.New("the key is encrypted; export it without a passphrase")
		}
		return block.Bytes, block.Type, nil
	}
	clean := strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', ' ', '\t':
			return -1
		}
		return r
	}, s)
	der, err := base64.StdEncoding.DecodeString(clean)
	if err != nil || len(der) == 0 {
		return nil, "", errors.New("key is neither PEM nor base64-encoded DER")
	}
	return der, "", nil
}

// MarshalPrivateKeyPEM encodes key as a PKCS#8 PEM block.
func MarshalPrivateKeyPEM(key *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("antom: marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKeyPEM encodes key as an SPKI PEM block.
func MarshalPublicKeyPEM(key *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, fmt.Errorf("antom: marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// MarshalPublicKeyBase64 encodes key as raw base64 SPKI DER, the one-line
// form Antom's dashboard shows and accepts.
func MarshalPublicKeyBase64(key *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return "", fmt.Errorf("antom: marshal public key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}
