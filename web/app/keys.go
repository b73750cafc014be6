package app

import (
	"context"
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
	"paydesk/store"
)

// SandboxKeys are the embedded setup's key pairs: Paydesk signs its
// requests with Merchant, the simulator ("Antom") signs its answers and
// notifications with Simulator.
type SandboxKeys struct {
	Merchant  *rsa.PrivateKey
	Simulator *rsa.PrivateKey
}

// Files inside the data directory.
const (
	// KeysDir holds the embedded setup's keys (0700).
	KeysDir = "keys"
	// SessionKeyFile keeps a generated session key (0600).
	SessionKeyFile = "session.key"
	// SimulatorStateFile keeps the embedded simulator's state.
	SimulatorStateFile = "simulator-state.json"

	merchantPrivateFile = "merchant_private.pem"
	merchantPublicFile  = "merchant_public.pem"
	simPrivateFile      = "simulator_private.pem"
	simPublicFile       = "simulator_public.pem"
	simAPIKeyFile       = "simulator_api_key"
)

// SimulatorKeyFile is where the embedded simulator's private key is kept
// in dataDir: what signs notifications "from Antom" (the load tool signs
// its own with it).
func SimulatorKeyFile(dataDir string) string {
	return filepath.Join(dataDir, KeysDir, simPrivateFile)
}

// loadOrCreateSandboxKeys reads the two key pairs from dir, generating and
// saving them (0600) when absent: RSA generation happens on first run only.
func loadOrCreateSandboxKeys(dir string, log *slog.Logger) (*SandboxKeys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	merchant, err := loadOrCreateKey(dir, merchantPrivateFile, merchantPublicFile, log)
	if err != nil {
		return nil, err
	}
	simKey, err := loadOrCreateKey(dir, simPrivateFile, simPublicFile, log)
	if err != nil {
		return nil, err
	}
	return &SandboxKeys{Merchant: merchant, Simulator: simKey}, nil
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

// loadOrCreateSessionKey returns the session key kept in <data>/session.key,
// generated (48 random bytes, 0600) on first run.
func loadOrCreateSessionKey(dataDir string, log *slog.Logger) ([]byte, error) {
	path := filepath.Join(dataDir, SessionKeyFile)
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

// retireSimulatorAPIKey revokes the API key earlier versions made for the
// embedded simulator (kept in <keys>/simulator_api_key) and removes the
// file: the checkout reports with client secrets now, and a key nothing
// uses should not stay valid.
func retireSimulatorAPIKey(ctx context.Context, st *store.Store, keysDir string, log *slog.Logger) error {
	path := filepath.Join(keysDir, simAPIKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	k, err := st.AuthenticateAPIKey(ctx, strings.TrimSpace(string(b)))
	switch {
	case err == nil:
		if err := st.RevokeAPIKey(ctx, k.ID, store.AuditContext{Actor: "system"}); err != nil {
			return fmt.Errorf("keys: revoke the simulator's API key: %w", err)
		}
		log.Info("revoked the simulator's API key: its checkout reports with client secrets", "key", k.Prefix)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	return nil
}

// tightenSecrets makes the secrets kept in dataDir private whatever mode
// an earlier version or a person left them in: the keys directory 0700,
// the session key, private keys, the simulator's state and (left by
// earlier versions, until retireSimulatorAPIKey removes it) API key 0600.
// It returns what it changed ("path: old → new"), for a warning.
func tightenSecrets(dataDir string) ([]string, error) {
	var changed []string
	keys := filepath.Join(dataDir, KeysDir)
	for _, f := range []struct {
		path string
		mode fs.FileMode
	}{
		{keys, 0o700},
		{filepath.Join(dataDir, SessionKeyFile), 0o600},
		{filepath.Join(dataDir, SimulatorStateFile), 0o600},
		{filepath.Join(keys, merchantPrivateFile), 0o600},
		{filepath.Join(keys, simPrivateFile), 0o600},
		{filepath.Join(keys, simAPIKeyFile), 0o600},
	} {
		fi, err := os.Stat(f.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return changed, fmt.Errorf("secrets: %w", err)
		}
		if got := fi.Mode().Perm(); got&^f.mode != 0 {
			if err := os.Chmod(f.path, f.mode); err != nil {
				return changed, fmt.Errorf("secrets: restrict %s: %w", f.path, err)
			}
			changed = append(changed, fmt.Sprintf("%s: %04o → %04o", f.path, got, f.mode))
		}
	}
	return changed, nil
}
