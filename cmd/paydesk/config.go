package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"paydesk/store/ops"
	"paydesk/web/app"
)

// Log formats.
const (
	logJSON = "json"
	logText = "text"
)

// Environments.
const (
	envDevelopment = "development"
	envProduction  = "production"
)

// Config is Paydesk's whole configuration: environment variables, each with
// a flag that wins over it. Secrets (the session key, the admin password)
// come only from the environment: flags show up in process listings.
type Config struct {
	Addr    string // PAYDESK_ADDR / -addr: listen address
	DataDir string // PAYDESK_DATA_DIR / -data-dir

	// PostgreSQL instead of SQLite in the data directory: several replicas
	// may share it. A password in the URL is refused from the flag (process
	// listings show flags): give it in the environment, PGPASSWORD or ~/.pgpass.
	DatabaseURL string // PAYDESK_DATABASE_URL / -database-url: postgres://…
	Migrate     string // PAYDESK_MIGRATE / -migrate: on (default) applies pending migrations at start, off leaves them to "paydesk migrate"
	DBReaders   string // PAYDESK_DB_READERS / -db-readers: reader connections per process (default max(4, CPUs)); one more writes

	databaseURLFlag bool              // DatabaseURL came from the flag
	fromFlag        map[string]string // environment variable → the flag that set it
	PublicURL       string            // PAYDESK_PUBLIC_URL / -public-url: how browsers and Antom reach Paydesk
	Env             string            // PAYDESK_ENV / -env: development or production
	LogLevel        string            // PAYDESK_LOG_LEVEL / -log-level: debug, info, warn, error
	LogFormat       string            // PAYDESK_LOG_FORMAT / -log-format: json or text; empty: text on a terminal, else JSON

	MetricsToken string // PAYDESK_METRICS_TOKEN (env only): Bearer token for GET /metrics from non-loopback clients

	SessionKey    string // PAYDESK_SESSION_KEY (env only)
	AdminEmail    string // PAYDESK_ADMIN_EMAIL / -admin-email: first-run admin
	AdminPassword string // PAYDESK_ADMIN_PASSWORD (env only)

	AntomClientID       string // ANTOM_CLIENT_ID / -antom-client-id
	AntomPrivateKeyFile string // ANTOM_MERCHANT_PRIVATE_KEY_FILE / -antom-merchant-private-key-file
	AntomPublicKeyFile  string // ANTOM_PUBLIC_KEY_FILE / -antom-public-key-file
	AntomBaseURL        string // ANTOM_BASE_URL / -antom-base-url

	SimAddr string // PAYDESK_SIM_ADDR / -sim-addr: the embedded simulator's listen address

	// Antom calls and the operations layer (store/ops); empty: the defaults.
	AntomTimeout   string // ANTOM_TIMEOUT / -antom-timeout: one exchange with Antom
	OpsCallTimeout string // PAYDESK_OPS_CALL_TIMEOUT / -ops-call-timeout: one attempt, the client's retries included
	OpsLease       string // PAYDESK_OPS_LEASE / -ops-lease: when an attempt whose process died is made again
	OpsBackoff     string // PAYDESK_OPS_BACKOFF / -ops-backoff: the first pause before an undecided operation is tried again
	OpsConcurrency string // PAYDESK_OPS_CONCURRENCY / -ops-concurrency: Antom calls the poller, and the reconciler, each make at once

	TrustedProxies string // PAYDESK_TRUSTED_PROXIES / -trusted-proxies: CIDRs of the reverse proxies whose X-Forwarded-For is believed
	ServerTiming   string // PAYDESK_SERVER_TIMING / -server-timing: on sends each response's server time (Server-Timing), off (default) does not

	// Notifications not accepted as Antom's; empty: the defaults.
	RefusedRetention string // PAYDESK_REFUSED_DELIVERY_RETENTION / -refused-delivery-retention: how long refused deliveries are kept (default 7d)
	NotifyMaxSkew    string // PAYDESK_NOTIFY_MAX_SKEW / -notify-max-skew: refuse notifications whose request-time is further from now (default off)
}

// defaultConfig is the embedded default: loopback only, ./data, simulator.
func defaultConfig() Config {
	return Config{
		Addr:         "127.0.0.1:8080",
		DataDir:      "./data",
		Env:          envDevelopment,
		LogLevel:     "info",
		Migrate:      "on",
		ServerTiming: "off",
		AdminEmail:   "admin@localhost",
		SimAddr:      "127.0.0.1:0",
	}
}

// setting ties a Config field to its environment variable and flag.
type setting struct {
	env, flag, usage string
	field            *string
	secret           bool // environment only
}

func (c *Config) settings() []setting {
	return []setting{
		{"PAYDESK_ADDR", "addr", "listen address", &c.Addr, false},
		{"PAYDESK_DATA_DIR", "data-dir", "data directory (database, keys)", &c.DataDir, false},
		{"PAYDESK_DATABASE_URL", "database-url", "PostgreSQL URL (postgres://user@host:5432/db) instead of SQLite in the data directory; a password only from the environment", &c.DatabaseURL, false},
		{"PAYDESK_MIGRATE", "migrate", "on: apply pending migrations at start; off: leave them to \"paydesk migrate\"", &c.Migrate, false},
		{"PAYDESK_DB_READERS", "db-readers", "database connections for reads per process (default max(4, CPUs)); one more connection writes", &c.DBReaders, false},
		{"PAYDESK_PUBLIC_URL", "public-url", "public base URL, e.g. https://paydesk.example.com", &c.PublicURL, false},
		{"PAYDESK_ENV", "env", "development or production", &c.Env, false},
		{"PAYDESK_LOG_LEVEL", "log-level", "debug, info, warn or error", &c.LogLevel, false},
		{"PAYDESK_LOG_FORMAT", "log-format", "json or text (default: text when stderr is a terminal, else json)", &c.LogFormat, false},
		{"PAYDESK_METRICS_TOKEN", "", "", &c.MetricsToken, true},
		{"PAYDESK_SESSION_KEY", "", "", &c.SessionKey, true},
		{"PAYDESK_ADMIN_EMAIL", "admin-email", "email of the admin created on first run", &c.AdminEmail, false},
		{"PAYDESK_ADMIN_PASSWORD", "", "", &c.AdminPassword, true},
		{"ANTOM_CLIENT_ID", "antom-client-id", "Antom client ID (real Antom)", &c.AntomClientID, false},
		{"ANTOM_MERCHANT_PRIVATE_KEY_FILE", "antom-merchant-private-key-file", "merchant private key file (PEM or base64)", &c.AntomPrivateKeyFile, false},
		{"ANTOM_PUBLIC_KEY_FILE", "antom-public-key-file", "Antom public key file (PEM or base64)", &c.AntomPublicKeyFile, false},
		{"ANTOM_BASE_URL", "antom-base-url", "Antom base URL, e.g. https://open-sea-global.alipay.com", &c.AntomBaseURL, false},
		{"PAYDESK_SIM_ADDR", "sim-addr", "embedded simulator listen address", &c.SimAddr, false},
		{"ANTOM_TIMEOUT", "antom-timeout", "timeout of one exchange with Antom (default 15s)", &c.AntomTimeout, false},
		{"PAYDESK_OPS_CALL_TIMEOUT", "ops-call-timeout", "budget of one attempt of an Antom call, retries included (default 40s)", &c.OpsCallTimeout, false},
		{"PAYDESK_OPS_LEASE", "ops-lease", "how long an attempt is owned before it is made again after a crash (default call timeout + 20s)", &c.OpsLease, false},
		{"PAYDESK_OPS_BACKOFF", "ops-backoff", "first pause before an operation with an unknown outcome is tried again, doubled each time up to 10m (default 2s)", &c.OpsBackoff, false},
		{"PAYDESK_OPS_CONCURRENCY", "ops-concurrency", "Antom calls the poller, and the reconciler, each make at once (default 8)", &c.OpsConcurrency, false},
		{"PAYDESK_TRUSTED_PROXIES", "trusted-proxies", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed (default none: the peer address counts)", &c.TrustedProxies, false},
		{"PAYDESK_SERVER_TIMING", "server-timing", "on: send each response's server time in a Server-Timing header (load tests, browser tools); off: do not", &c.ServerTiming, false},
		{"PAYDESK_REFUSED_DELIVERY_RETENTION", "refused-delivery-retention", "how long notifications that were not Antom's (bad signature, too large) are kept, e.g. 7d or 36h (default 7d)", &c.RefusedRetention, false},
		{"PAYDESK_NOTIFY_MAX_SKEW", "notify-max-skew", "refuse a signed notification whose request-time is further than this from now, e.g. 15m (default off)", &c.NotifyMaxSkew, false},
	}
}

// loadConfig reads defaults, then the environment, then flags in args; it
// returns the remaining arguments.
func loadConfig(name string, args []string, env func(string) string, stderr io.Writer, extra func(*flag.FlagSet)) (Config, []string, error) {
	cfg := defaultConfig()
	for _, s := range cfg.settings() {
		if v := strings.TrimSpace(env(s.env)); v != "" {
			*s.field = v
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range cfg.settings() {
		if !s.secret {
			fs.StringVar(s.field, s.flag, *s.field, s.usage+" ($"+s.env+")")
		}
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	flagEnv := map[string]string{}
	for _, s := range cfg.settings() {
		flagEnv[s.flag] = s.env
	}
	fs.Visit(func(f *flag.Flag) {
		cfg.databaseURLFlag = cfg.databaseURLFlag || f.Name == "database-url"
		if env, ok := flagEnv[f.Name]; ok {
			if cfg.fromFlag == nil {
				cfg.fromFlag = map[string]string{}
			}
			cfg.fromFlag[env] = "-" + f.Name
		}
	})
	return cfg, fs.Args(), nil
}

// name is how the person who set a setting knows it: its flag when the
// flag set it, else its environment variable.
func (c Config) name(env string) string {
	if f, ok := c.fromFlag[env]; ok {
		return f
	}
	return env
}

// realAntom reports whether real Antom is configured (then no simulator).
func (c Config) realAntom() bool {
	return c.AntomClientID != "" || c.AntomPrivateKeyFile != "" || c.AntomPublicKeyFile != "" || c.AntomBaseURL != ""
}

// https reports whether Paydesk is served over https.
func (c Config) https() bool { return strings.HasPrefix(strings.ToLower(c.PublicURL), "https://") }

// validate checks the configuration as a whole; every problem is listed.
func (c Config) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("%s %q: want host:port", c.name("PAYDESK_ADDR"), c.Addr))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("PAYDESK_DATA_DIR is empty"))
	}
	errs = append(errs, c.validateDatabase()...)
	if c.Env != envDevelopment && c.Env != envProduction {
		errs = append(errs, fmt.Errorf("%s %q: want %s or %s", c.name("PAYDESK_ENV"), c.Env, envDevelopment, envProduction))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if f := c.LogFormat; f != "" && f != logJSON && f != logText {
		errs = append(errs, fmt.Errorf("%s %q: want json or text", c.name("PAYDESK_LOG_FORMAT"), f))
	}
	if t := c.MetricsToken; t != "" && len(t) < 16 {
		errs = append(errs, fmt.Errorf("%s must be at least 16 characters (got %d); generate one with: openssl rand -hex 24", c.name("PAYDESK_METRICS_TOKEN"), len(t)))
	}
	if c.PublicURL != "" {
		if err := checkBaseURL(c.PublicURL); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.name("PAYDESK_PUBLIC_URL"), err))
		}
	}
	if c.Env == envProduction {
		if err := checkSessionKey(c.SessionKey); err != nil {
			errs = append(errs, fmt.Errorf("PAYDESK_ENV=production refuses to start: %w", err))
		}
	} else if c.SessionKey != "" {
		if err := checkSessionKey(c.SessionKey); err != nil {
			errs = append(errs, err)
		}
	}
	if c.realAntom() {
		for _, s := range []struct{ name, v string }{
			{"ANTOM_CLIENT_ID", c.AntomClientID}, {"ANTOM_MERCHANT_PRIVATE_KEY_FILE", c.AntomPrivateKeyFile},
			{"ANTOM_PUBLIC_KEY_FILE", c.AntomPublicKeyFile}, {"ANTOM_BASE_URL", c.AntomBaseURL},
		} {
			if s.v == "" {
				errs = append(errs, fmt.Errorf("%s is required with real Antom (or unset every ANTOM_* variable for the simulator)", c.name(s.name)))
			}
		}
		if c.AntomBaseURL != "" {
			if err := checkBaseURL(c.AntomBaseURL); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", c.name("ANTOM_BASE_URL"), err))
			}
		}
		if c.PublicURL == "" {
			errs = append(errs, errors.New("PAYDESK_PUBLIC_URL is required with real Antom: it builds the notify and redirect URLs Antom calls"))
		}
	} else if _, _, err := net.SplitHostPort(c.SimAddr); err != nil {
		errs = append(errs, fmt.Errorf("%s %q: want host:port", c.name("PAYDESK_SIM_ADDR"), c.SimAddr))
	}
	for _, d := range []struct{ name, v string }{
		{"ANTOM_TIMEOUT", c.AntomTimeout}, {"PAYDESK_OPS_CALL_TIMEOUT", c.OpsCallTimeout},
		{"PAYDESK_OPS_LEASE", c.OpsLease}, {"PAYDESK_OPS_BACKOFF", c.OpsBackoff},
	} {
		if v, err := time.ParseDuration(d.v); d.v != "" && (err != nil || v <= 0) {
			errs = append(errs, fmt.Errorf("%s %q: want a positive duration such as 30s", c.name(d.name), d.v))
		}
	}
	if v, err := days(c.RefusedRetention); err != nil || (strings.TrimSpace(c.RefusedRetention) != "" && v <= 0) {
		errs = append(errs, fmt.Errorf("%s %q: want a positive duration such as 7d or 36h", c.name("PAYDESK_REFUSED_DELIVERY_RETENTION"), c.RefusedRetention))
	}
	if v, err := days(c.NotifyMaxSkew); err != nil || v < 0 {
		errs = append(errs, fmt.Errorf("%s %q: want a duration such as 15m, or 0 or off for no check", c.name("PAYDESK_NOTIFY_MAX_SKEW"), c.NotifyMaxSkew))
	}
	if v := strings.TrimSpace(c.DBReaders); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 256 {
			errs = append(errs, fmt.Errorf("%s %q: want a number from 1 to 256", c.name("PAYDESK_DB_READERS"), c.DBReaders))
		}
	}
	if v := strings.TrimSpace(c.OpsConcurrency); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 256 {
			errs = append(errs, fmt.Errorf("%s %q: want a number from 1 to 256", c.name("PAYDESK_OPS_CONCURRENCY"), c.OpsConcurrency))
		}
	}
	if _, err := c.trustedProxies(); err != nil {
		errs = append(errs, err)
	}
	call := c.duration(c.OpsCallTimeout)
	if call == 0 {
		call = ops.DefaultCallTimeout
	}
	if lease := c.duration(c.OpsLease); lease > 0 && lease <= call {
		errs = append(errs, fmt.Errorf("%s %s must be longer than the call timeout %s (%s): a live attempt must not be made twice", c.name("PAYDESK_OPS_LEASE"), lease, call, c.name("PAYDESK_OPS_CALL_TIMEOUT")))
	}
	return errors.Join(errs...)
}

// validateDatabase checks PAYDESK_DATABASE_URL and PAYDESK_MIGRATE.
func (c Config) validateDatabase() []error {
	var errs []error
	if c.DatabaseURL != "" {
		if err := app.CheckDatabaseURL(c.DatabaseURL); err != nil {
			errs = append(errs, err)
		} else if u, _ := url.Parse(c.DatabaseURL); c.databaseURLFlag {
			_, inUser := u.User.Password()
			if q := u.Query(); inUser || q.Has("password") || q.Has("sslpassword") {
				errs = append(errs, errors.New("-database-url carries a password, which process listings show: set PAYDESK_DATABASE_URL in the environment instead, or give the password with PGPASSWORD or ~/.pgpass"))
			}
		}
	}
	if c.Migrate != "on" && c.Migrate != "off" {
		errs = append(errs, fmt.Errorf("%s %q: want on or off", c.name("PAYDESK_MIGRATE"), c.Migrate))
	}
	if c.ServerTiming != "on" && c.ServerTiming != "off" {
		errs = append(errs, fmt.Errorf("%s %q: want on or off", c.name("PAYDESK_SERVER_TIMING"), c.ServerTiming))
	}
	return errs
}

// migrate reports whether pending migrations are applied at start.
func (c Config) migrate() bool { return c.Migrate != "off" }

// trustedProxies parses PAYDESK_TRUSTED_PROXIES: CIDRs, or bare addresses
// (one host), separated by commas or spaces.
func (c Config) trustedProxies() ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, f := range strings.FieldsFunc(c.TrustedProxies, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !strings.Contains(f, "/") {
			if ip := net.ParseIP(f); ip != nil && ip.To4() != nil {
				f += "/32"
			} else {
				f += "/128"
			}
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %q is not an address or CIDR such as 10.0.0.0/8", c.name("PAYDESK_TRUSTED_PROXIES"), c.TrustedProxies, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// readers is PAYDESK_DB_READERS, 0 for the default.
func (c Config) readers() int {
	n, _ := strconv.Atoi(strings.TrimSpace(c.DBReaders))
	return n
}

// concurrency is PAYDESK_OPS_CONCURRENCY, 0 for the default.
func (c Config) concurrency() int {
	n, _ := strconv.Atoi(strings.TrimSpace(c.OpsConcurrency))
	return n
}

// checkBaseURL accepts an absolute http(s) URL without query or fragment.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an absolute http(s) base URL", s)
	}
	return nil
}

// checkSessionKey refuses short or low-variety keys ("changeme…", "aaaa…").
func checkSessionKey(k string) error {
	if len(k) < 32 {
		return fmt.Errorf("PAYDESK_SESSION_KEY must be at least 32 bytes (got %d); generate one with: openssl rand -base64 48", len(k))
	}
	distinct := map[rune]bool{}
	for _, r := range k {
		distinct[r] = true
	}
	if len(distinct) < 12 {
		return errors.New("PAYDESK_SESSION_KEY is too repetitive to be random; generate one with: openssl rand -base64 48")
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("PAYDESK_LOG_LEVEL %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// days reads a duration that may be given in days ("7d") as well as Go's
// units ("36h", "15m"); "", "0" and "off" are 0.
func days(s string) (time.Duration, error) {
	switch s = strings.TrimSpace(s); s {
	case "", "0", "off":
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(v) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// days is a validated setting read by days; 0 when unset or off.
func (c Config) days(s string) time.Duration {
	d, _ := days(s)
	return d
}
