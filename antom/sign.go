package antom

import (
	"crypto"
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
// standard base64 encoding of the signature (not yet URL-encoded).
func Sign(key *rsa.PrivateKey, content []byte) (string, error) {
	sum := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("antom: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// SignatureHeader formats the value of the signature header:
// "algorithm=RSA256,keyVersion=N,signature=<url-encoded base64>".
func SignatureHeader(b64sig string, keyVersion int) string {
	return "algorithm=RSA256,keyVersion=" + strconv.Itoa(keyVersion) + ",signature=" + url.QueryEscape(b64sig)
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
	Algorithm  string // "RSA256"; empty when the header omits it
	KeyVersion string // empty when the header omits it
	Signature  []byte // the decoded signature bytes
}

// Errors returned by signature parsing and verification.
var (
	ErrMissingSignature = errors.New("antom: signature header is missing")
	ErrBadSignature     = errors.New("antom: signature does not verify")
)

// ParseSignatureHeader parses a signature header leniently (section 3.4):
// pairs separated by commas with optional spaces, keys in any case, the
// signature URL-encoded with upper- or lower-case hex or not encoded at all,
// keyVersion optional.
func ParseSignatureHeader(h string) (ParsedSignature, error) {
	var p ParsedSignature
	h = strings.TrimSpace(h)
	if h == "" {
		return p, ErrMissingSignature
	}
	// The signature value may itself contain '=' (un-encoded padding) and,
	// in theory, ','; take everything after "signature=" as the value.
	idx := strings.Index(strings.ToLower(h), "signature=")
	for idx > 0 && h[idx-1] != ',' && h[idx-1] != ' ' {
		next := strings.Index(strings.ToLower(h[idx+1:]), "signature=")
		if next < 0 {
			idx = -1
			break
		}
		idx += 1 + next
	}
	if idx < 0 {
		return p, errors.New("antom: signature header has no signature= part")
	}
	raw := strings.TrimSpace(h[idx+len("signature="):])
	for _, item := range strings.Split(h[:idx], ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "algorithm":
			p.Algorithm = strings.TrimSpace(v)
		case "keyversion":
			p.KeyVersion = strings.TrimSpace(v)
		}
	}
	if p.Algorithm != "" && !strings.EqualFold(p.Algorithm, "RSA256") {
		return p, fmt.Errorf("antom: unsupported signature algorithm %q", p.Algorithm)
	}
	sig, err := decodeSignatureValue(raw)
	if err != nil {
		return p, err
	}
	p.Signature = sig
	return p, nil
}

// decodeSignatureValue URL-decodes then base64-decodes, falling back to the
// raw value as base64 when the peer did not URL-encode it.
func decodeSignatureValue(raw string) ([]byte, error) {
	if raw == "" {
		return nil, errors.New("antom: signature value is empty")
	}
	// A '+' or '/' can only appear un-encoded, and QueryUnescape would turn
	// '+' into a space, so try the raw value first in that case.
	if strings.ContainsAny(raw, "+/") || strings.HasSuffix(raw, "=") {
		if sig, err := base64.StdEncoding.DecodeString(raw); err == nil {
			return sig, nil
		}
	}
	if dec, err := url.QueryUnescape(raw); err == nil {
		if sig, err := base64.StdEncoding.DecodeString(dec); err == nil {
			return sig, nil
		}
	}
	if sig, err := base64.StdEncoding.DecodeString(raw); err == nil {
		return sig, nil
	}
	return nil, errors.New("antom: signature value is neither URL-encoded base64 nor base64")
}

// Verify checks a base64-decoded signature over content with Antom's (or the
// merchant's) public key.
func Verify(pub *rsa.PublicKey, content, sig []byte) error {
	sum := sha256.Sum256(content)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return ErrBadSignature
	}
	return nil
}

// VerifyMessage verifies a signed request, response or notification given the
// path as received, the client-id and time headers, the signature header and
// the raw body bytes.
func VerifyMessage(pub *rsa.PublicKey, path, clientID, timestamp, signatureHeader string, body []byte) error {
	ps, err := ParseSignatureHeader(signatureHeader)
	if err != nil {
		return err
	}
	return Verify(pub, SignContent("POST", path, clientID, timestamp, body), ps.Signature)
}

// ParsePrivateKey reads an RSA private key given as PEM (PKCS#1 "RSA PRIVATE
// KEY" or PKCS#8 "PRIVATE KEY") or as the raw base64 DER (PKCS#8 or PKCS#1)
// that Antom's dashboard and the official SDKs use.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	der, kind, err := keyDER(data)
	if err != nil {
		return nil, fmt.Errorf("antom: private key: %w", err)
	}
	if kind == "PUBLIC KEY" || kind == "RSA PUBLIC KEY" {
		return nil, errors.New("antom: private key: this is a public key; use the private key file")
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("antom: private key: %T is not an RSA key", k)
		}
		return rk, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if _, err := x509.ParsePKIXPublicKey(der); err == nil {
		return nil, errors.New("antom: private key: this is a public key; use the private key file")
	}
	return nil, errors.New("antom: private key: not a PKCS#8 or PKCS#1 RSA private key")
}

// ParsePublicKey reads an RSA public key given as PEM (SPKI "PUBLIC KEY" or
// PKCS#1 "RSA PUBLIC KEY") or as the raw base64 SPKI DER shown in Antom's
// dashboard.
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	der, kind, err := keyDER(data)
	if err != nil {
		return nil, fmt.Errorf("antom: public key: %w", err)
	}
	if strings.Contains(kind, "PRIVATE") {
		return nil, errors.New("antom: public key: this is a private key; use Antom's public key")
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("antom: public key: %T is not an RSA key", k)
		}
		return rk, nil
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return nil, errors.New("antom: public key: this is a private key; use Antom's public key")
	}
	return nil, errors.New("antom: public key: not an SPKI or PKCS#1 RSA public key")
}

// keyDER returns the DER bytes of a PEM block or of raw base64 text, and the
// PEM block type ("" for raw base64).
func keyDER(data []byte) ([]byte, string, error) {
	s := strings.TrimSpace(string(data))
	if s == "" {
		return nil, "", errors.New("empty key")
	}
	if strings.HasPrefix(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(s))
		if block == nil {
			return nil, "", errors.New("malformed PEM block")
		}
		return block.Bytes, block.Type, nil
	}
	clean := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	der, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return nil, "", errors.New("neither PEM nor base64 DER")
	}
	return der, "", nil
}

// MarshalPrivateKeyPEM encodes key as a PKCS#8 PEM block.
func MarshalPrivateKeyPEM(key *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKeyPEM encodes key as an SPKI PEM block.
func MarshalPublicKeyPEM(key *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
