package main

// -server process: the same in-process Paydesk, but in a child process
// (this program run again with -child), so that its resident memory and CPU
// are Paydesk's alone, without the load generator's. The child keeps its
// keys in <data>/keys like cmd/paydesk, prints its URL and serves until
// SIGTERM.

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"paydesk/antom"
)

// childURLPrefix starts the line on which the child announces its URL.
const childURLPrefix = "paydeskload child serving on "

// Key files of the child, inside <data>/keys.
const (
	keyMerchant   = "merchant_private.pem"
	keySimulator  = "simulator_private.pem"
	keySession    = "session.key"
	keySimAPIKey  = "simulator_api_key"
	childPassword = "PAYDESKLOAD_PASSWORD" // environment: the admin password, never a flag
)

// saveKeys writes the keys to dir, readable by the owner only.
func (k *embedKeys) save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	m, err := antom.MarshalPrivateKeyPEM(k.merchant)
	if err != nil {
		return err
	}
	s, err := antom.MarshalPrivateKeyPEM(k.sim)
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{
		keyMerchant: m, keySimulator: s, keySimAPIKey: []byte(k.simAPIKey),
		keySession: []byte(base64.StdEncoding.EncodeToString(k.sessionKey)),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// loadKeys reads what save wrote; nil, nil when there is nothing yet.
func loadKeys(dir string) (*embedKeys, error) {
	read := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
	m, err := read(keyMerchant)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	k := &embedKeys{}
	if k.merchant, err = antom.ParsePrivateKey(m); err != nil {
		return nil, err
	}
	if k.sim, err = signKeyFile(filepath.Join(dir, keySimulator)); err != nil {
		return nil, err
	}
	b, err := read(keySimAPIKey)
	if err != nil {
		return nil, err
	}
	k.simAPIKey = string(b)
	if b, err = read(keySession); err != nil {
		return nil, err
	}
	if k.sessionKey, err = base64.StdEncoding.DecodeString(string(b)); err != nil {
		return nil, err
	}
	return k, nil
}

// runChild is the child's whole life (-child).
func runChild(ctx context.Context, o options, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	keysDir := filepath.Join(o.dataDir, "keys")
	keys, err := loadKeys(keysDir)
	if err != nil {
		return fmt.Errorf("child keys: %w", err)
	}
	first := keys == nil
	app, keys, err := startEmbedded(ctx, embedConfig{dataDir: o.dataDir, email: o.email,
		password: os.Getenv(childPassword), jobs: o.jobs}, keys)
	if err != nil {
		return err
	}
	if first {
		if err := keys.save(keysDir); err != nil {
			app.shutdown()
			return err
		}
	}
	fmt.Fprintln(stdout, childURLPrefix+app.URL)
	<-ctx.Done()
	return app.shutdown()
}

// child is a running child server.
type child struct {
	cmd  *exec.Cmd
	URL  string
	wait chan error
}

// startChild runs this program as a server on dataDir and returns once it
// announced its URL.
func startChild(o options, dataDir string, stderr io.Writer) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-child", "-data-dir", dataDir, "-email", o.email, fmt.Sprintf("-jobs=%v", o.jobs)}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), childPassword+"="+o.password)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, wait: make(chan error, 1)}
	urlCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), childURLPrefix); ok {
				urlCh <- u
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() { c.wait <- cmd.Wait() }()
	select {
	case c.URL = <-urlCh:
		return c, nil
	case err := <-c.wait:
		return nil, fmt.Errorf("child server exited before serving: %v", err)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return nil, errors.New("child server did not start within 60 s")
	}
}

// stop ends the child gracefully (SIGTERM) and waits for it.
func (c *child) stop() error {
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-c.wait:
		return err
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		return errors.New("child server did not stop within 30 s")
	}
}

func (c *child) pid() string { return fmt.Sprint(c.cmd.Process.Pid) }
