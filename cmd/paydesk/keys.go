package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"paydesk/antom"
)

// sandboxKeys are the embedded setup's key pairs, made on first run.
type sandboxKeys struct {
	merchant *rsa.PrivateKey // Paydesk signs requests with it
	sim      *rsa.PrivateKey // the simulator ("Antom") signs with it
}

// Key file names inside <data>/keys.
const (
	merchantPrivateFile = "merchant_private.pem"
	merchantPublicFile  = "merchant_public.pem"
	simPrivateFile      = "simulator_private.pem"
	simPublicFile       = "simulator_public.pem"
	simAPIKeyFile       = "simulator_api_key"
	sessionKeyFile      = "session.key"
)

// loadOrCreateSandboxKeys reads the two key pairs from dir, generating and
// saving them (0600) when absent: RSA generation happens on first run only.
func loadOrCreateSandboxKeys(dir string, log *slog.Logger) (*sandboxKeys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	merchant, err := loadOrCreateKey(dir, merchantPrivateFile, merchantPublicFile, log)
	if err != nil {
		return nil, err
	}
	sim, err := loadOrCreateKey(dir, simPrivateFile, simPublicFile, log)
	if err != nil {
		return nil, err
	}
	return &sandboxKeys{merchant: merchant, sim: sim}, nil
}

func loadOrCreateKey(dir, privName, pubName string, log *slog.Logger) (*rsa.PrivateKey, error) {
	privPath := filepath.Join(dir, privName)
	b, err := os.ReadFile(privPath)
	if err == nil {
		k, err := antom.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("keys: %s: %w", privPath, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("keys: %w", err)
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("keys: generate: %w", err)
	}
	privPEM, err := antom.MarshalPrivateKeyPEM(k)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	pubPEM, err := antom.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if err := writeSecret(privPath, privPEM); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, pubName), pubPEM, 0o644); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	log.Info("generated sandbox key pair", "file", privPath)
	return k, nil
}

// writeSecret writes a file only its owner can read, atomically.
func writeSecret(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readKeyFile reads a key file once, warning when group or others may read
// it. The contents never reach a log.
func readKeyFile(path string, log *slog.Logger) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		log.Warn("key file is readable by group or others; chmod 600 it", "file", path, "mode", st.Mode().Perm().String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	return b, nil
}

// loadSessionKey returns PAYDESK_SESSION_KEY, or outside production a key
// generated once and kept in <data>/session.key (0600).
func loadSessionKey(cfg Config, log *slog.Logger) ([]byte, error) {
	if cfg.SessionKey != "" {
		return []byte(cfg.SessionKey), nil
	}
	if cfg.Env == envProduction {
		return nil, errors.New("PAYDESK_SESSION_KEY is required in production")
	}
	path := filepath.Join(cfg.DataDir, sessionKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) < 32 {
			return nil, fmt.Errorf("session key %s is damaged; delete it to make a new one (everyone signs in again)", path)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("session key: %w", err)
	}
	k := make([]byte, 48)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	if err := writeSecret(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n")); err != nil {
		return nil, err
	}
	log.Info("generated a session key", "file", path)
	return k, nil
}
