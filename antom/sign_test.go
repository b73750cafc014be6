package antom

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSignContentSection14(t *testing.T) {
	got := SignContent("POST", exPath, exClientID, exRequestTime, []byte(exBody))
	if len(got) != exLen {
		t.Errorf("got %d bytes, want %d", len(got), exLen)
	}
	sum := sha256.Sum256(got)
	if h := hex.EncodeToString(sum[:]); h != exSHA256 {
		t.Errorf("got SHA-256 %s, want %s", h, exSHA256)
	}
	if want := readTestdata(t, "section14_content.txt"); !bytes.Equal(got, want) {
		t.Errorf("got content\n%q\nwant\n%q", got, want)
	}
	if n := bytes.Count(got, []byte("\n")); n != 1 {
		t.Errorf("got %d LF bytes, want exactly 1", n)
	}
}

func TestSignContentNotificationExample(t *testing.T) {
	got := SignContent("POST", exNotifyPath, exClientID, exNotifyTime, []byte(exNotifyBody))
	if len(got) != exNotifyLen {
		t.Errorf("got %d bytes, want %d", len(got), exNotifyLen)
	}
	sum := sha256.Sum256(got)
	if h := hex.EncodeToString(sum[:]); h != exNotifySHA256 {
		t.Errorf("got SHA-256 %s, want %s", h, exNotifySHA256)
	}
	if want := readTestdata(t, "notify_content.txt"); !bytes.Equal(got, want) {
		t.Errorf("got content\n%q\nwant\n%q", got, want)
	}
}

// TestSignMatchesOpenSSL checks our signature over the section-14 content
// against the one `openssl dgst -sha256 -sign` produced with the same key
// (stored in testdata), for each form the key can be given in.
func TestSignMatchesOpenSSL(t *testing.T) {
	want := strings.TrimSpace(string(readTestdata(t, "section14_merchant.sig.b64")))
	if len(want) != 344 {
		t.Fatalf("golden signature has %d base64 chars, want 344 (2048-bit key)", len(want))
	}
	content := SignContent("POST", exPath, exClientID, exRequestTime, []byte(exBody))
	for _, file := range []string{"merchant_pkcs8.pem", "merchant_pkcs1.pem", "merchant_private.b64"} {
		t.Run(file, func(t *testing.T) {
			got, err := Sign(testPrivateKey(t, file), content)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("got signature\n%s\nwant (openssl)\n%s", got, want)
			}
		})
	}
}

func TestSignatureHeaderFormat(t *testing.T) {
	sig := strings.TrimSpace(string(readTestdata(t, "section14_merchant.sig.b64")))
	if !strings.ContainsAny(sig, "+/") || !strings.HasSuffix(sig, "=") {
		t.Fatal("golden signature should contain + or / and = padding for this test to mean anything")
	}
	enc := strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(sig)
	want := "algorithm=RSA256,keyVersion=1,signature=" + enc
	if got := SignatureHeader(sig, 1); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got, err := SignMessage(merchantKey(t), exPath, exClientID, exRequestTime, []byte(exBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("SignMessage: got %q, want %q", got, want)
	}
	if got := SignatureHeader(sig, 7); !strings.HasPrefix(got, "algorithm=RSA256,keyVersion=7,signature=") {
		t.Errorf("keyVersion 7: got %q", got)
	}
}

func TestParseSignatureHeader(t *testing.T) {
	b64 := strings.TrimSpace(string(readTestdata(t, "section14_merchant.sig.b64")))
	want, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	upper := strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(b64)
	lower := strings.NewReplacer("+", "%2b", "/", "%2f", "=", "%3d").Replace(b64)
	partly := strings.ReplaceAll(b64, "=", "%3D") // '+' and '/' left as they are

	valid := []struct {
		name, header, alg, kv string
	}{
		{"canonical", "algorithm=RSA256,keyVersion=1,signature=" + upper, "RSA256", "1"},
		{"spaces after commas", "algorithm=RSA256, keyVersion=1, signature=" + upper, "RSA256", "1"},
		{"spaces around everything", "  algorithm = RSA256 ,\tkeyVersion = 1 , signature = " + upper + "  ", "RSA256", "1"},
		{"lower-case hex", "algorithm=RSA256,keyVersion=1,signature=" + lower, "RSA256", "1"},
		{"un-encoded base64", "algorithm=RSA256,keyVersion=1,signature=" + b64, "RSA256", "1"},
		{"partly encoded", "algorithm=RSA256,keyVersion=1,signature=" + partly, "RSA256", "1"},
		{"missing keyVersion", "algorithm=RSA256,signature=" + upper, "RSA256", ""},
		{"missing algorithm", "keyVersion=2,signature=" + upper, "", "2"},
		{"signature only", "signature=" + upper, "", ""},
		{"signature first", "signature=" + upper + ",algorithm=RSA256,keyVersion=1", "RSA256", "1"},
		{"keys in other case", "Algorithm=rsa256,KEYVERSION=3,Signature=" + upper, "rsa256", "3"},
		{"unknown pair ignored", "algorithm=RSA256,keyVersion=1,foo=bar,signature=" + upper, "RSA256", "1"},
		{"empty items ignored", "algorithm=RSA256,,keyVersion=1,,signature=" + upper + ",", "RSA256", "1"},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseSignatureHeader(tc.header)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !bytes.Equal(p.Signature, want) {
				t.Errorf("got signature %x, want %x", p.Signature, want)
			}
			if p.Algorithm != tc.alg || p.KeyVersion != tc.kv {
				t.Errorf("got algorithm %q keyVersion %q, want %q %q", p.Algorithm, p.KeyVersion, tc.alg, tc.kv)
			}
		})
	}

	invalid := []struct {
		name, header string
		is           error
		msg          string
	}{
		{"empty", "", ErrMissingSignature, "missing"},
		{"blank", "  \t", ErrMissingSignature, "missing"},
		{"wrong algorithm", "algorithm=RSA2,keyVersion=1,signature=" + upper, ErrMalformedSignature, `algorithm "RSA2"`},
		{"sha1 algorithm", "algorithm=RSA,signature=" + upper, ErrMalformedSignature, "unsupported algorithm"},
		{"garbage", "hello world", ErrMalformedSignature, "no signature= part"},
		{"no signature pair", "algorithm=RSA256,keyVersion=1", ErrMalformedSignature, "no signature= part"},
		{"empty signature", "algorithm=RSA256,keyVersion=1,signature=", ErrMalformedSignature, "empty"},
		{"not base64", "signature=!!!notbase64!!!", ErrMalformedSignature, "not base64"},
		{"bad escape", "signature=abc%zzdef", ErrMalformedSignature, "%-escape"},
		{"plus turned into space", "signature=" + strings.ReplaceAll(b64, "+", " "), ErrMalformedSignature, "not base64"},
		{"two signatures", "signature=" + upper + ",signature=" + upper, ErrMalformedSignature, "more than one"},
		{"keyVersion not a number", "keyVersion=one,signature=" + upper, ErrMalformedSignature, `keyVersion "one"`},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSignatureHeader(tc.header)
			if !errors.Is(err, tc.is) {
				t.Fatalf("got error %v, want one wrapping %v", err, tc.is)
			}
			wantErrContains(t, err, tc.msg)
		})
	}
}

func TestVerifyMessage(t *testing.T) {
	key, pub := antomKey(t), antomPub(t)
	body := []byte(exNotifyBody)
	header, err := SignMessage(key, exNotifyPath, exClientID, exNotifyTime, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyMessage(pub, exNotifyPath, exClientID, exNotifyTime, header, body); err != nil {
		t.Fatalf("genuine message: got %v, want nil", err)
	}
	// The same message as .NET would send it: lower-case hex, spaces.
	dotnet := strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3D", "%3d", ",", ", ").Replace(header)
	if err := VerifyMessage(pub, exNotifyPath, exClientID, exNotifyTime, dotnet, body); err != nil {
		t.Fatalf("lower-case hex and spaces: got %v, want nil", err)
	}

	tampered := bytes.Replace(body, []byte(`"4200"`), []byte(`"4201"`), 1)
	reformatted := bytes.ReplaceAll(body, []byte(`,"`), []byte(`, "`))
	cases := []struct {
		name                    string
		path, clientID, reqTime string
		header                  string
		body                    []byte
		is                      error
	}{
		{"tampered body", exNotifyPath, exClientID, exNotifyTime, header, tampered, ErrBadSignature},
		{"re-serialized body", exNotifyPath, exClientID, exNotifyTime, header, reformatted, ErrBadSignature},
		{"other path", "/antom/notify?x=1", exClientID, exNotifyTime, header, body, ErrBadSignature},
		{"other client", exNotifyPath, "SANDBOX_OTHER", exNotifyTime, header, body, ErrBadSignature},
		{"other time", exNotifyPath, exClientID, "2024-05-11T10:13:07+08:00", header, body, ErrBadSignature},
		{"missing header", exNotifyPath, exClientID, exNotifyTime, "", body, ErrMissingSignature},
		{"malformed header", exNotifyPath, exClientID, exNotifyTime, "algorithm=RSA256", body, ErrMalformedSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyMessage(pub, tc.path, tc.clientID, tc.reqTime, tc.header, tc.body)
			if !errors.Is(err, tc.is) {
				t.Fatalf("got %v, want %v", err, tc.is)
			}
		})
	}
	t.Run("wrong key", func(t *testing.T) {
		// The mistake of section 11: verifying with the merchant's own key.
		err := VerifyMessage(merchantPub(t), exNotifyPath, exClientID, exNotifyTime, header, body)
		if !errors.Is(err, ErrBadSignature) {
			t.Fatalf("got %v, want ErrBadSignature", err)
		}
	})
}

func TestSignVerifyWithoutKey(t *testing.T) {
	if _, err := Sign(nil, []byte("x")); err == nil {
		t.Error("Sign(nil key): got no error")
	}
	if err := Verify(nil, []byte("x"), []byte("y")); err == nil {
		t.Error("Verify(nil key): got no error")
	}
}

// TestOpenSSLInterop runs the real openssl binary: it must verify what we
// sign, reject a tampered copy, and we must verify what it signs.
func TestOpenSSLInterop(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	content := SignContent("POST", exNotifyPath, exClientID, exNotifyTime, []byte(exNotifyBody))
	sigB64, err := Sign(antomKey(t), content)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString(sigB64)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sigFile := write("sig.bin", sig)
	contentFile := write("content.txt", content)
	tamperedFile := write("tampered.txt", bytes.Replace(content, []byte("4200"), []byte("4201"), 1))
	pubFile, _ := filepath.Abs(filepath.Join("testdata", "antom_public.pem"))

	out, err := exec.Command(openssl, "dgst", "-sha256", "-verify", pubFile, "-signature", sigFile, contentFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verified OK") {
		t.Fatalf("openssl verify of our signature: err %v, output %q", err, out)
	}
	out, err = exec.Command(openssl, "dgst", "-sha256", "-verify", pubFile, "-signature", sigFile, tamperedFile).CombinedOutput()
	if err == nil || strings.Contains(string(out), "Verified OK") {
		t.Fatalf("openssl verify of a tampered content: err %v, output %q; want a failure", err, out)
	}

	keyFile, _ := filepath.Abs(filepath.Join("testdata", "antom_pkcs8.pem"))
	osig, err := exec.Command(openssl, "dgst", "-sha256", "-sign", keyFile, contentFile).Output()
	if err != nil {
		t.Fatalf("openssl sign: %v", err)
	}
	header := "algorithm=RSA256,keyVersion=1,signature=" + base64.StdEncoding.EncodeToString(osig)
	if err := VerifyMessage(antomPub(t), exNotifyPath, exClientID, exNotifyTime, header, []byte(exNotifyBody)); err != nil {
		t.Fatalf("verifying openssl's signature: %v", err)
	}
}

func TestParsePrivateKey(t *testing.T) {
	want := merchantKey(t)
	pkcs1DER := x509.MarshalPKCS1PrivateKey(want)
	pkcs8B64 := strings.TrimSpace(string(readTestdata(t, "merchant_private.b64")))
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPKCS8, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	pkcs1Pub := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&want.PublicKey)})

	valid := []struct {
		name string
		data []byte
	}{
		{"PKCS#8 PEM", readTestdata(t, "merchant_pkcs8.pem")},
		{"PKCS#1 PEM", readTestdata(t, "merchant_pkcs1.pem")},
		{"raw base64 PKCS#8 DER", []byte(pkcs8B64)},
		{"raw base64 with line breaks", []byte(wrap(pkcs8B64, 64) + "\n")},
		{"raw base64 PKCS#1 DER", []byte(base64.StdEncoding.EncodeToString(pkcs1DER))},
		{"PEM after other text", append([]byte("Bag Attributes\n  localKeyID: 01\n"), readTestdata(t, "merchant_pkcs8.pem")...)},
		{"PKCS#8 DER in an RSA PRIVATE KEY block", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: mustDecode(t, pkcs8B64)})},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePrivateKey(tc.data)
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if !k.Equal(want) {
				t.Error("got a different key")
			}
		})
	}

	invalid := []struct {
		name string
		data []byte
		is   error
		msg  string
	}{
		{"public SPKI PEM", readTestdata(t, "merchant_public.pem"), ErrKeyIsPublic, "public key"},
		{"public raw base64", readTestdata(t, "merchant_public.b64"), ErrKeyIsPublic, "public key"},
		{"public PKCS#1 PEM", pkcs1Pub, ErrKeyIsPublic, "public key"},
		{"public PKCS#1 raw base64", []byte(base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&want.PublicKey))), ErrKeyIsPublic, "public key"},
		{"empty", nil, nil, "key is empty"},
		{"blank", []byte(" \n\t"), nil, "key is empty"},
		{"garbage", []byte("this is not a key"), nil, "neither PEM nor base64"},
		{"a file name", []byte("keys/merchant.pem"), nil, "neither PEM nor base64"},
		{"base64 of garbage", []byte("aGVsbG8gd29ybGQ="), nil, "not a PKCS#8 or PKCS#1 RSA private key"},
		{"broken PEM", []byte("-----BEGIN PRIVATE KEY-----\nMIIE\n"), nil, "malformed PEM"},
		{"encrypted PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}}), nil, "encrypted"},
		{"encrypted PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: pkcs1DER}), nil, "encrypted"},
		{"ECDSA key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecPKCS8}), nil, "ECDSA key; Antom uses RSA"},
		{"other PEM block", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1}}), nil, `"EC PRIVATE KEY" is not an RSA private key`},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePrivateKey(tc.data)
			if k != nil {
				t.Error("got a key, want nil")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("got error %v, want one wrapping %v", err, tc.is)
			}
			wantErrContains(t, err, tc.msg)
			wantErrContains(t, err, "antom: private key: ")
		})
	}
}

func TestParsePublicKey(t *testing.T) {
	priv := merchantKey(t)
	want := &priv.PublicKey
	pkcs1 := x509.MarshalPKCS1PublicKey(want)
	certDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "antom test"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(1<<31, 0),
	}, &x509.Certificate{Subject: pkix.Name{CommonName: "antom test"}}, want, priv)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecSPKI, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)

	valid := []struct {
		name string
		data []byte
	}{
		{"SPKI PEM", readTestdata(t, "merchant_public.pem")},
		{"raw base64 SPKI DER", readTestdata(t, "merchant_public.b64")},
		{"raw base64 with line breaks", []byte(wrap(strings.TrimSpace(string(readTestdata(t, "merchant_public.b64"))), 64))},
		{"PKCS#1 PEM", pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1})},
		{"raw base64 PKCS#1 DER", []byte(base64.StdEncoding.EncodeToString(pkcs1))},
		{"certificate PEM", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePublicKey(tc.data)
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if !k.Equal(want) {
				t.Error("got a different key")
			}
		})
	}

	invalid := []struct {
		name string
		data []byte
		is   error
		msg  string
	}{
		{"private PKCS#8 PEM", readTestdata(t, "merchant_pkcs8.pem"), ErrKeyIsPrivate, "private key"},
		{"private PKCS#1 PEM", readTestdata(t, "merchant_pkcs1.pem"), ErrKeyIsPrivate, "private key"},
		{"private raw base64 PKCS#8", readTestdata(t, "merchant_private.b64"), ErrKeyIsPrivate, "private key"},
		{"private raw base64 PKCS#1", []byte(base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PrivateKey(priv))), ErrKeyIsPrivate, "private key"},
		{"encrypted private", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), nil, "encrypted"},
		{"empty", []byte(""), nil, "key is empty"},
		{"garbage", []byte("-- not a key --"), nil, "neither PEM nor base64"},
		{"base64 of garbage", []byte("aGVsbG8gd29ybGQ="), nil, "not an SPKI or PKCS#1 RSA public key"},
		{"ECDSA key", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecSPKI}), nil, "ECDSA key; Antom uses RSA"},
		{"other PEM block", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{1}}), nil, `"CERTIFICATE REQUEST" is not an RSA public key`},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePublicKey(tc.data)
			if k != nil {
				t.Error("got a key, want nil")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("got error %v, want one wrapping %v", err, tc.is)
			}
			wantErrContains(t, err, tc.msg)
			wantErrContains(t, err, "antom: public key: ")
		})
	}
}

func TestMarshalKeysRoundTrip(t *testing.T) {
	priv := merchantKey(t)
	privPEM, err := MarshalPrivateKeyPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(privPEM, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("private PEM starts %q, want a PKCS#8 block", privPEM[:30])
	}
	if !bytes.Equal(privPEM, readTestdata(t, "merchant_pkcs8.pem")) {
		t.Error("MarshalPrivateKeyPEM differs from openssl's PKCS#8 PEM of the same key")
	}
	pubPEM, err := MarshalPublicKeyPEM(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pubPEM, readTestdata(t, "merchant_public.pem")) {
		t.Error("MarshalPublicKeyPEM differs from openssl's SPKI PEM of the same key")
	}
	pubB64, err := MarshalPublicKeyBase64(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(readTestdata(t, "merchant_public.b64"))); pubB64 != want {
		t.Errorf("MarshalPublicKeyBase64: got %q, want %q", pubB64, want)
	}
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n])
		b.WriteByte('\n')
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func BenchmarkVerifyMessage(b *testing.B) {
	header := SignatureHeader(strings.TrimSpace(string(readTestdata(b, "section14_merchant.sig.b64"))), 1)
	pub := merchantPub(b)
	body := []byte(exBody)
	if err := VerifyMessage(pub, exPath, exClientID, exRequestTime, header, body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyMessage(pub, exPath, exClientID, exRequestTime, header, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignMessage(b *testing.B) {
	key := merchantKey(b)
	body := []byte(exBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SignMessage(key, exPath, exClientID, exRequestTime, body); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParseSignatureHeader(f *testing.F) {
	b64 := "ab+/cd=="
	for _, s := range []string{
		"algorithm=RSA256,keyVersion=1,signature=" + strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(b64),
		"algorithm=RSA256, keyVersion=1, signature=ab%2b%2fcd%3d%3d",
		"signature=" + b64,
		"keyVersion=1,signature=ab+/cd%3D%3D",
		"algorithm=RSA512,signature=" + b64,
		"signature=%zz",
		"signature=,signature=",
		"İsignature=abcd", // a rune whose lower-case form is longer
		"",
		",,,=,=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		p, err := ParseSignatureHeader(h)
		if err != nil {
			if !errors.Is(err, ErrMissingSignature) && !errors.Is(err, ErrMalformedSignature) {
				t.Fatalf("error %v wraps neither ErrMissingSignature nor ErrMalformedSignature", err)
			}
			return
		}
		if len(p.Signature) == 0 {
			t.Fatal("no error but an empty signature")
		}
		if p.Algorithm != "" && !strings.EqualFold(p.Algorithm, AlgorithmRSA256) {
			t.Fatalf("accepted algorithm %q", p.Algorithm)
		}
		// What we parse, we can format and parse back to the same bytes.
		again, err := ParseSignatureHeader(SignatureHeader(base64.StdEncoding.EncodeToString(p.Signature), 1))
		if err != nil || !bytes.Equal(again.Signature, p.Signature) {
			t.Fatalf("round trip: got %x, %v; want %x", again.Signature, err, p.Signature)
		}
	})
}
