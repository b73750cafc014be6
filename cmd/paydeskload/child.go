package main

// -server process: the same in-process Paydesk, but in a child process
// (this program run again with -child), so that its resident memory and CPU
// are Paydesk's alone, without the load generator's. The child keeps its
// keys in <data>/keys like cmd/paydesk, prints its URL and serves until
// SIGTERM.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// childURLPrefix starts the line on which the child announces its URL.
const childURLPrefix = "paydeskload child serving on "

// childPassword is the environment variable that hands the child the
// admin password (never a flag: flags show in process listings).
const childPassword = "PAYDESKLOAD_PASSWORD"

// childDatabaseURL hands the child the PostgreSQL URL the same way (it
// may hold a password).
const childDatabaseURL = "PAYDESKLOAD_DATABASE_URL"

// runChild is the child's whole life (-child).
func runChild(ctx context.Context, o options, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	e, err := startEmbedded(ctx, embedConfig{dataDir: o.dataDir, databaseURL: o.pgURL, email: o.email,
		password: os.Getenv(childPassword), jobs: o.jobs})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, childURLPrefix+e.Base)
	<-ctx.Done()
	return e.shutdown()
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
	cmd.Env = append(os.Environ(), childPassword+"="+o.password, childDatabaseURL+"="+o.pgURL)
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
