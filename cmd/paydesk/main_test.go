package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"paydesk/store"
)

// envOf turns a map into the env function Run takes.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// run runs the program to completion and returns its output.
func run(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = Run(context.Background(), args, envOf(env), &out, &errb)
	return out.String(), errb.String(), err
}

func TestUserSubcommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PAYDESK_DATA_DIR": dir}

	out, _, err := run(t, env, "user", "add", "ana@example.com", "-role", "operator", "-name", "Ana")
	if err != nil {
		t.Fatalf("user add: %v", err)
	}
	m := regexp.MustCompile(`Password \(shown once\): (\S+)`).FindStringSubmatch(out)
	if !strings.Contains(out, "Created ana@example.com (operator)") || m == nil || len(m[1]) < 12 {
		t.Fatalf("user add output: %q", out)
	}

	_, _, err = run(t, env, "user", "add", "ana@example.com", "-role", "support")
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate add: %v, want 'already exists'", err)
	}
	_, _, err = run(t, env, "user", "add", "bo@example.com", "-role", "root")
	if err == nil || !strings.Contains(err.Error(), "role must be admin, operator or support") {
		t.Errorf("bad role: %v", err)
	}
	_, _, err = run(t, map[string]string{"PAYDESK_DATA_DIR": dir, "PAYDESK_NEW_PASSWORD": "short"}, "user", "add", "bo@example.com", "-role", "support")
	if err == nil || !strings.Contains(err.Error(), "at least 12 characters") {
		t.Errorf("short password: %v, want a clear refusal", err)
	}
	out, _, err = run(t, map[string]string{"PAYDESK_DATA_DIR": dir, "PAYDESK_NEW_PASSWORD": "bo's long password"}, "user", "add", "-data-dir", dir, "bo@example.com", "-role", "support")
	if err == nil {
		// "bo@example.com" after a flag is a stray argument for the flag
		// parser; the documented form puts EMAIL first.
		t.Logf("flag-first form accepted: %q", out)
	}
	out, _, err = run(t, map[string]string{"PAYDESK_DATA_DIR": dir, "PAYDESK_NEW_PASSWORD": "bo's long password"}, "user", "add", "bo@example.com", "-role", "support")
	if err != nil || !strings.Contains(out, "Password set from PAYDESK_NEW_PASSWORD") || strings.Contains(out, "bo's long password") {
		t.Fatalf("add with PAYDESK_NEW_PASSWORD: %v %q", err, out)
	}

	out, _, err = run(t, env, "user", "reset-password", "ana@example.com")
	m2 := regexp.MustCompile(`Password \(shown once\): (\S+)`).FindStringSubmatch(out)
	if err != nil || m2 == nil || m2[1] == m[1] {
		t.Fatalf("reset-password: %v %q", err, out)
	}
	if _, _, err := run(t, env, "user", "reset-password", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("reset unknown user: %v", err)
	}

	if _, _, err := run(t, env, "user", "disable", "bo@example.com"); err != nil {
		t.Fatalf("disable: %v", err)
	}
	out, _, err = run(t, env, "user", "list")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "ana@example.com") || !strings.Contains(lines[1], "operator") ||
		!strings.Contains(lines[1], "active") || !strings.Contains(lines[2], "bo@example.com") || !strings.Contains(lines[2], "disabled") {
		t.Errorf("list:\n%s", out)
	}
	if strings.Contains(out, "argon2") {
		t.Errorf("list shows password hashes")
	}

	// Every change is in the audit log, attributed to the command line and
	// the OS user who ran it.
	st, err := store.Open(t.Context(), env["PAYDESK_DATA_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.ListAudit(t.Context(), store.AuditFilter{Action: "user."})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, e := range page.Items {
		actions[e.Action] = true
		if e.Actor != "cli" && !strings.HasPrefix(e.Actor, "cli:") {
			t.Errorf("audit %s by %q, want the command line (cli:<os user>)", e.Action, e.Actor)
		}
	}
	for _, want := range []string{"user.create", "user.password", "user.disable"} {
		if !actions[want] {
			t.Errorf("no %s in the audit log (have %v)", want, actions)
		}
	}
}

func TestAPIKeySubcommands(t *testing.T) {
	env := map[string]string{"PAYDESK_DATA_DIR": t.TempDir()}
	out, _, err := run(t, env, "apikey", "create", "android-app")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	key := regexp.MustCompile(`pdk_live_[a-z2-7]+`).FindString(out)
	if key == "" {
		t.Fatalf("create output has no key: %q", out)
	}
	if !strings.Contains(out, "scopes sessions)") {
		t.Errorf("create without -scopes: %q, want scopes sessions (the default)", out)
	}
	out, _, err = run(t, env, "apikey", "create", "reconciliation", "-scopes", "payments:read, sessions")
	if err != nil || !strings.Contains(out, "scopes sessions,payments:read)") {
		t.Fatalf("create -scopes: %q %v, want scopes sessions,payments:read", out, err)
	}
	if _, _, err := run(t, env, "apikey", "create", "x", "-scopes", "payments:write"); err == nil || !strings.Contains(err.Error(), "payments:write") {
		t.Errorf("create -scopes payments:write: %v, want an error naming it", err)
	}
	out, _, _ = run(t, env, "apikey", "list")
	if strings.Contains(out, key) || !strings.Contains(out, key[:15]) || !strings.Contains(out, "active") {
		t.Errorf("list: %q (must show the prefix, never the key)", out)
	}
	if !regexp.MustCompile(`android-app\s+pdk_live_\S+\s+sessions\s`).MatchString(out) || !strings.Contains(out, "sessions,payments:read") {
		t.Errorf("list: %q, want each key's scopes", out)
	}
	if _, _, err := run(t, env, "apikey", "revoke", "1"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if out, _, _ = run(t, env, "apikey", "list"); !strings.Contains(out, "revoked") {
		t.Errorf("list after revoke: %q", out)
	}
	if _, _, err := run(t, env, "apikey", "revoke", "x"); err == nil {
		t.Errorf("revoke x: no error")
	}
}

func TestProductionRefusesAWeakSessionKey(t *testing.T) {
	for _, tc := range []struct{ name, key, want string }{
		{"missing", "", "at least 32 bytes"},
		{"short", "too-short-key", "at least 32 bytes"},
		{"repetitive", strings.Repeat("ab", 24), "too repetitive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"PAYDESK_ENV": "production", "PAYDESK_SESSION_KEY": tc.key, "PAYDESK_DATA_DIR": dir, "PAYDESK_ADDR": "127.0.0.1:0"}
			_, _, err := run(t, env, "serve")
			if err == nil || !strings.Contains(err.Error(), "production refuses to start") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a refusal mentioning %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("refused start still wrote %d files", len(entries))
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"partial Antom", map[string]string{"ANTOM_CLIENT_ID": "X"}, "ANTOM_MERCHANT_PRIVATE_KEY_FILE is required"},
		{"real Antom without public URL", map[string]string{"ANTOM_CLIENT_ID": "X", "ANTOM_MERCHANT_PRIVATE_KEY_FILE": "a",
			"ANTOM_PUBLIC_KEY_FILE": "b", "ANTOM_BASE_URL": "https://open-sea-global.alipay.com"}, "PAYDESK_PUBLIC_URL is required"},
		{"bad env", map[string]string{"PAYDESK_ENV": "prod"}, "PAYDESK_ENV"},
		{"bad public URL", map[string]string{"PAYDESK_PUBLIC_URL": "paydesk.example.com"}, "PAYDESK_PUBLIC_URL"},
		{"bad addr", map[string]string{"PAYDESK_ADDR": "8080"}, "PAYDESK_ADDR"},
		{"bad Antom timeout", map[string]string{"ANTOM_TIMEOUT": "15"}, "ANTOM_TIMEOUT"},
		{"negative backoff", map[string]string{"PAYDESK_OPS_BACKOFF": "-1s"}, "PAYDESK_OPS_BACKOFF"},
		{"lease within the default call timeout", map[string]string{"PAYDESK_OPS_LEASE": "30s"}, "must be longer than the call timeout 40s"},
		{"lease within the call timeout", map[string]string{"PAYDESK_OPS_CALL_TIMEOUT": "2s", "PAYDESK_OPS_LEASE": "2s"}, "must be longer than the call timeout 2s"},
		{"bad server timing", map[string]string{"PAYDESK_SERVER_TIMING": "yes"}, `PAYDESK_SERVER_TIMING "yes": want on or off`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := loadConfig("t", nil, envOf(tc.env), io.Discard, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
	cfg, _, _ := loadConfig("t", []string{"-addr", "127.0.0.1:9999"}, envOf(map[string]string{"PAYDESK_ADDR": "127.0.0.1:1234"}), io.Discard, nil)
	if cfg.Addr != "127.0.0.1:9999" {
		t.Errorf("flag does not win over the environment: %s", cfg.Addr)
	}
	if defaultConfig().Addr != "127.0.0.1:8080" {
		t.Errorf("default address is not loopback 8080")
	}
	// A bad value is named the way it was given: by its flag when a flag
	// set it, by its environment variable otherwise.
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
		not  string
	}{
		{[]string{"-addr", "8080"}, nil, "-addr \"8080\"", "PAYDESK_ADDR"},
		{nil, map[string]string{"PAYDESK_ADDR": "8080"}, "PAYDESK_ADDR \"8080\"", "-addr"},
		{[]string{"-ops-lease", "2s", "-ops-call-timeout", "2s"}, nil, "-ops-lease 2s must be longer than the call timeout 2s (-ops-call-timeout)", "PAYDESK_OPS"},
		{[]string{"-antom-timeout", "15"}, nil, "-antom-timeout \"15\"", "ANTOM_TIMEOUT"},
		{[]string{"-antom-client-id", "X"}, nil, "ANTOM_MERCHANT_PRIVATE_KEY_FILE is required", "-antom-merchant"},
	} {
		cfg, _, err := loadConfig("t", tc.args, envOf(tc.env), io.Discard, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), tc.not) {
			t.Errorf("%v %v: got %v, want it to say %q and not %q", tc.args, tc.env, err, tc.want, tc.not)
		}
	}
}

// TestWholeProgram starts Paydesk as main does (embedded simulator, temp
// data dir, port 0), signs in with the first-run admin, checks health, and
// restarts on the same data to see the keys and the admin reused.
func TestWholeProgram(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PAYDESK_DATA_DIR": dir, "PAYDESK_ADDR": "127.0.0.1:0", "PAYDESK_ADMIN_EMAIL": "boss@example.com"}
	cfg, _, err := loadConfig("t", nil, envOf(env), io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	app, err := Start(context.Background(), cfg, &stdout, &stderr)
	if err != nil {
		t.Fatalf("start: %v\n%s", err, stderr.String())
	}
	password := regexp.MustCompile(`(?m)^    (\S+)$`).FindStringSubmatch(stdout.String())
	if password == nil {
		t.Fatalf("no generated password on stdout: %q", stdout.String())
	}
	if strings.Contains(stderr.String(), password[1]) {
		t.Errorf("the generated password reached the log")
	}
	if app.SimulatorURL == "" || !strings.HasPrefix(app.URL, "http://localhost:") {
		t.Errorf("embedded default: URL %q simulator %q", app.URL, app.SimulatorURL)
	}
	base := "http://" + app.Addr
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", err, res)
	}
	res.Body.Close()
	if h := res.Header.Get("Server-Timing"); h != "" {
		t.Errorf("Server-Timing %q sent by default", h)
	}

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	res, err = client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindStringSubmatch(string(b))
	if token == nil {
		t.Fatalf("no CSRF token on the login page")
	}
	res, err = client.PostForm(base+"/login", url.Values{"_csrf": {token[1]}, "email": {"boss@example.com"}, "password": {password[1]}, "next": {"/account"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "boss@example.com") || !strings.Contains(string(b), "admin") {
		t.Fatalf("login with the printed password: %d", res.StatusCode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	keyFile := filepath.Join(dir, "keys", "merchant_private.pem")
	st1, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if st1.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", keyFile, st1.Mode().Perm())
	}
	if st, err := os.Stat(filepath.Join(dir, "session.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("session key file: %v", err)
	}

	stdout.Reset()
	app, err = Start(context.Background(), cfg, &stdout, &stderr)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer app.Shutdown(context.Background())
	if strings.Contains(stdout.String(), "First run") {
		t.Errorf("restart created another admin")
	}
	st2, _ := os.Stat(keyFile)
	if !st2.ModTime().Equal(st1.ModTime()) {
		t.Errorf("restart regenerated the keys")
	}
	if n, _ := app.Store.CountUsers(context.Background()); n != 1 {
		t.Errorf("users after restart: %d, want 1", n)
	}
}

func TestHelpAndUnknownCommand(t *testing.T) {
	out, _, err := run(t, nil, "help")
	if err != nil || !strings.Contains(out, "user add EMAIL") {
		t.Errorf("help: %v %q", err, out)
	}
	if _, _, err := run(t, nil, "frobnicate"); err == nil {
		t.Errorf("unknown command: no error")
	}
}

func TestKeyFilesReadableByOthersWarn(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	loose := filepath.Join(dir, "loose.pem")
	tight := filepath.Join(dir, "tight.pem")
	os.WriteFile(loose, []byte("SECRET-KEY-BYTES"), 0o644)
	os.WriteFile(tight, []byte("SECRET-KEY-BYTES"), 0o600)
	if _, err := readKeyFile(tight, log); err != nil || logs.Len() != 0 {
		t.Fatalf("0600 file: %v, log %q", err, logs.String())
	}
	b, err := readKeyFile(loose, log)
	if err != nil || string(b) != "SECRET-KEY-BYTES" {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "readable by group or others") || strings.Contains(logs.String(), "SECRET-KEY-BYTES") {
		t.Errorf("log: %q", logs.String())
	}
	if _, err := readKeyFile(filepath.Join(dir, "missing.pem"), log); err == nil {
		t.Errorf("missing key file: no error")
	}
}

// TestRealAntomStartsNoSimulator configures real Antom (the golden test keys
// of package antom) and checks that no simulator starts and the URLs Antom
// calls come from PAYDESK_PUBLIC_URL.
func TestRealAntomStartsNoSimulator(t *testing.T) {
	dir := t.TempDir()
	priv := filepath.Join(dir, "merchant.pem")
	pub := filepath.Join(dir, "antom.pem")
	for src, dst := range map[string]string{"../../antom/testdata/merchant_pkcs8.pem": priv, "../../antom/testdata/antom_public.pem": pub} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{
		"PAYDESK_DATA_DIR": filepath.Join(dir, "data"), "PAYDESK_ADDR": "127.0.0.1:0",
		"PAYDESK_PUBLIC_URL": "https://paydesk.example.com", "ANTOM_CLIENT_ID": "SANDBOX_5YEZ",
		"ANTOM_MERCHANT_PRIVATE_KEY_FILE": priv, "ANTOM_PUBLIC_KEY_FILE": pub,
		"ANTOM_BASE_URL": "https://open-sea-global.alipay.com", "PAYDESK_ADMIN_PASSWORD": "the first admin's password",
	}
	cfg, _, err := loadConfig("t", nil, envOf(env), io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	app, err := Start(context.Background(), cfg, &stdout, io.Discard)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer app.Shutdown(context.Background())
	if app.Simulator != nil || app.SimulatorURL != "" || app.URL != "https://paydesk.example.com" {
		t.Errorf("simulator %v url %q", app.Simulator, app.URL)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "keys")); err == nil {
		t.Errorf("sandbox keys generated with real Antom")
	}
	if strings.Contains(stdout.String(), "the first admin's password") {
		t.Errorf("the configured admin password was printed")
	}
	res, err := http.Get("http://" + app.Addr + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v", err)
	}
	res.Body.Close()
	if h := res.Header.Get("Strict-Transport-Security"); h == "" {
		t.Errorf("no HSTS with an https public URL")
	}
}

// With PAYDESK_SERVER_TIMING=on every response carries its server time,
// so a load tool can time the real binary as the in-process one.
func TestServerTimingOn(t *testing.T) {
	env := map[string]string{"PAYDESK_DATA_DIR": t.TempDir(), "PAYDESK_ADDR": "127.0.0.1:0", "PAYDESK_SERVER_TIMING": "on"}
	cfg, _, err := loadConfig("t", nil, envOf(env), io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	app, err := Start(context.Background(), cfg, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Shutdown(context.Background())
	res, err := http.Get("http://" + app.Addr + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if h := res.Header.Get("Server-Timing"); !regexp.MustCompile(`^app;dur=\d+\.\d{3}$`).MatchString(h) {
		t.Errorf("Server-Timing %q, want app;dur=<ms>", h)
	}
}
