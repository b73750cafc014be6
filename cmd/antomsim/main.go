// Command antomsim runs the offline Antom simulator on its own: Antom's card
// payment APIs (production and sandbox paths), a hosted test checkout, signed
// notifications with Antom's retry schedule, and fault injection.
//
//	go run ./cmd/antomsim -addr 127.0.0.1:8090
//
// Run with -h for every flag.
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "antomsim:", err)
		os.Exit(1)
	}
}

// options are the parsed command line.
type options struct {
	addr              string
	clientID          string
	merchantPublicKey string
	merchantKeyOut    string
	key               string
	stateFile         string
	timeScale         float64
	publicURL         string
	notifyURL         string
	sdkEventURL       string
	orderClose        time.Duration
	settlementCcy     string
	logLevel          string
	faults            sim.Faults
	apis              string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("antomsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8090", "listen address")
	fs.StringVar(&o.clientID, "client-id", "SANDBOX_PAYDESK", "merchant client ID to accept")
	fs.StringVar(&o.merchantPublicKey, "merchant-public-key", "", "merchant public key `FILE` (PEM or raw base64) that verifies request signatures; when empty, a merchant key pair is generated (see -merchant-key-out)")
	fs.StringVar(&o.merchantKeyOut, "merchant-key-out", filepath.Join("data", "antomsim", "merchant-private.pem"), "where the generated merchant private key is kept when -merchant-public-key is empty (its public key goes beside it as FILE.pub.pem)")
	fs.StringVar(&o.key, "key", filepath.Join("data", "antomsim", "antom-private.pem"), "the simulator's private key `FILE`; generated if absent, its public key written beside it as FILE.pub.pem")
	fs.StringVar(&o.stateFile, "state", filepath.Join("data", "antomsim", "state.json"), "keep sessions, payments and pending notifications in `FILE` across restarts (empty: in memory only); delete it to start empty")
	fs.Float64Var(&o.timeScale, "time-scale", 1, "simulated time runs this many times faster than real time (retries, order close, expiry)")
	fs.StringVar(&o.publicURL, "public-url", "", "base URL browsers use for the checkout (default: http://<addr>)")
	fs.StringVar(&o.notifyURL, "notify-url", "", "notification URL used when a request has none (stands in for the dashboard setting)")
	fs.StringVar(&o.sdkEventURL, "sdk-event-url", "", "report checkout SDK events here, e.g. http://127.0.0.1:8080/api/v1/payments/{paymentRequestId}/sdk-events, with the clientSecret the checkout was opened with (else the API key in $ANTOMSIM_SDK_EVENT_API_KEY)")
	fs.DurationVar(&o.orderClose, "order-close", sim.DefaultOrderClose, "unpaid orders close after this much simulated time")
	fs.StringVar(&o.settlementCcy, "settlement-currency", sim.DefaultSettlementCurrency, "the merchant's settlement currency (ISO 4217); payments in another currency get grossSettlementAmount and settlementQuote (a session's settlementStrategy wins)")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f := &o.faults
	fs.IntVar(&f.Duplicate, "fault-duplicate", 0, "deliver each notification N times in all")
	fs.BoolVar(&f.Reorder, "fault-reorder", false, "send CAPTURE_RESULT before PAYMENT_RESULT")
	fs.DurationVar(&f.NotifyDelay, "fault-notify-delay", 0, "delay the first attempt of each notification (simulated time)")
	fs.IntVar(&f.FailFirst, "fault-fail-first", 0, "ignore the merchant's acknowledgement of the first K attempts")
	fs.IntVar(&f.DropFirst, "fault-drop-first", 0, "do not send the first K attempts of each notification")
	fs.BoolVar(&f.CorruptSignature, "fault-corrupt-signature", false, "sign notifications wrongly")
	fs.BoolVar(&f.WrongAmount, "fault-wrong-amount", false, "add one minor unit to notification amounts")
	fs.DurationVar(&f.RequestTimeSkew, "fault-request-time-skew", 0, "shift the request-time of notifications")
	fs.StringVar(&f.RequestTimeFormat, "request-time-format", sim.TimeFormatISO8601, "request-time of notifications: iso8601 (e.g. 2026-12-04T10:08:56.253-08:00) or millis (epoch milliseconds)")
	fs.IntVar(&f.APIUnknown, "fault-api-unknown", 0, "answer the next N API calls with U UNKNOWN_EXCEPTION (-1: all)")
	fs.BoolVar(&f.APIUnknownProcessed, "fault-api-unknown-processed", false, "with -fault-api-unknown, process the call before answering U")
	fs.DurationVar(&f.APIDelay, "fault-api-delay", 0, "delay every API answer (real time)")
	fs.IntVar(&f.APIHTTP5xx, "fault-api-5xx", 0, "answer the next N API calls with HTTP 503 (-1: all)")
	fs.StringVar(&o.apis, "fault-apis", "", "comma-separated API names the API faults apply to (default: all)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.apis != "" {
		for _, a := range strings.Split(o.apis, ",") {
			f.APIs = append(f.APIs, strings.TrimSpace(a))
		}
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	o.settlementCcy = strings.ToUpper(strings.TrimSpace(o.settlementCcy))
	if _, err := antom.Exponent(o.settlementCcy); err != nil {
		return nil, fmt.Errorf("-settlement-currency: %w", err)
	}
	if !(o.timeScale > 0) {
		return nil, errors.New("-time-scale must be greater than 0")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	key, created, err := loadOrCreateKey(o.key)
	if err != nil {
		return fmt.Errorf("-key: %w", err)
	}
	if created {
		fmt.Fprintf(stdout, "generated the simulator key %s (public key %s)\n", o.key, o.key+".pub.pem")
	}
	var merchantPub *rsa.PublicKey
	if o.merchantPublicKey != "" {
		data, err := os.ReadFile(o.merchantPublicKey)
		if err != nil {
			return fmt.Errorf("-merchant-public-key: %w", err)
		}
		if merchantPub, err = antom.ParsePublicKey(data); err != nil {
			return fmt.Errorf("-merchant-public-key %s: %w", o.merchantPublicKey, err)
		}
	} else {
		mk, created, err := loadOrCreateKey(o.merchantKeyOut)
		if err != nil {
			return fmt.Errorf("-merchant-key-out: %w", err)
		}
		merchantPub = &mk.PublicKey
		verb := "using"
		if created {
			verb = "generated"
		}
		fmt.Fprintf(stdout, "%s the merchant key %s (sign your requests with it; public key %s)\n", verb, o.merchantKeyOut, o.merchantKeyOut+".pub.pem")
	}

	cfg := sim.Config{
		ClientID:           o.clientID,
		MerchantPublicKey:  merchantPub,
		Key:                key,
		PublicURL:          o.publicURL,
		Logger:             logger,
		SDKEventURL:        o.sdkEventURL,
		SDKEventAPIKey:     os.Getenv("ANTOMSIM_SDK_EVENT_API_KEY"),
		DefaultNotifyURL:   o.notifyURL,
		OrderClose:         o.orderClose,
		SettlementCurrency: o.settlementCcy,
		Faults:             o.faults,
		StateFile:          o.stateFile,
	}
	if o.timeScale != 1 {
		cfg.Clock = sim.NewScaledClock(o.timeScale)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := sim.StartServer(ctx, o.addr, cfg)
	if err != nil {
		return err
	}
	base := srv.URL
	if o.publicURL != "" {
		base = strings.TrimRight(o.publicURL, "/")
	}
	fmt.Fprintf(stdout, "antomsim: listening on %s (client ID %s, time scale %g)\n", srv.URL, o.clientID, o.timeScale)
	fmt.Fprintf(stdout, "antomsim: API %s/ams/api/v1/payments/<api> and %s/ams/sandbox/api/v1/payments/<api>\n", srv.URL, srv.URL)
	fmt.Fprintf(stdout, "antomsim: checkout %s/checkout?sessionData=<url-encoded paymentSessionData>\n", base)
	fmt.Fprintf(stdout, "antomsim: control %s/sim/ (faults, payments, deliveries)\n", srv.URL)
	if o.stateFile != "" {
		fmt.Fprintf(stdout, "antomsim: state kept in %s (%d payments, %d notifications pending)\n", o.stateFile, len(srv.Sim.Payments()), srv.Sim.PendingDeliveries())
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "antomsim: shutting down")
	return srv.Close()
}

// loadOrCreateKey reads an RSA private key, or generates a 2048-bit one and
// writes it (PKCS#8 PEM, mode 0600) with its public key beside it.
func loadOrCreateKey(path string) (*rsa.PrivateKey, bool, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		key, err := antom.ParsePrivateKey(data)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, false, fmt.Errorf("generate key: %w", err)
	}
	priv, err := antom.MarshalPrivateKeyPEM(key)
	if err != nil {
		return nil, false, err
	}
	pub, err := antom.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	if err := os.WriteFile(path, priv, 0o600); err != nil {
		return nil, false, err
	}
	if err := os.WriteFile(path+".pub.pem", pub, 0o644); err != nil {
		return nil, false, err
	}
	return key, true, nil
}
