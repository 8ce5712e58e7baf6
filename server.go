// Command orderdesk serves the orderdesk GraphQL API.
//
//	go run .          # embedded SQLite file orderdesk.db, on :8080
//	go run . -demo    # the same, seeded with demo users and data
//	go run . migrate  # apply pending schema migrations and exit (-status: list them)
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.opentelemetry.io/otel"

	"orderdesk/account"
	"orderdesk/app"
	"orderdesk/auth"
	"orderdesk/bus"
	"orderdesk/demo"
	_ "orderdesk/ent/runtime" // registers ent hooks, defaults and privacy policies
	"orderdesk/graph/guard"
	"orderdesk/httpapi"
	"orderdesk/money"
	"orderdesk/notice"
	"orderdesk/order"
	"orderdesk/store"
	"orderdesk/telemetry"
	"orderdesk/webhook"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tuneGC(os.Getenv)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "orderdesk:", err)
		os.Exit(1)
	}
}

// tuneGC trades memory for CPU where the operator set nothing: a request
// allocates much and keeps little, so collecting at 4× the live heap
// (GOGC=400) instead of 2× saves a fifth of the CPU of a page of orders,
// while a soft memory limit (GOMEMLIMIT=52MiB) makes the collector work
// harder before the process outgrows a small container: with the
// executable's own pages, the process then peaks under 100 MB at 64
// clients. The standard GOGC and GOMEMLIMIT variables, when set, win.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(52 << 20)
	}
}

// config is everything run reads from flags and ORDERDESK_* variables.
type config struct {
	addr           string
	dbDriver       string
	dbDSN          string
	jwtSecret      string
	accessTTL      time.Duration
	bcryptCost     int
	currency       string
	adminEmail     string
	adminPassword  string
	demo           bool
	logLevel       slog.Level
	limits         guard.Limits
	policy         order.Policy
	rulesEvery     time.Duration
	edge           httpapi.Edge
	db             store.Options
	drainDelay     time.Duration
	metricsToken   string
	mailer         notice.Mailer // ORDERDESK_SMTP_URL; nil: notices are SKIPPED
	noticeLang     string
	noticeEvery    time.Duration
	webhookEvery   time.Duration
	natsURL        string
	natsSubject    string
	webhookAllow   webhook.Addresses
	webhookTimeout time.Duration
	refreshGrace   time.Duration
	noticeHold     time.Duration
	dunning        []time.Duration // nil: order.DefaultDunning; empty: no reminders
	publicURL      string
	confirmTTL     time.Duration
	migrate        string // ORDERDESK_MIGRATE: auto or off
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(name, def string) string {
		if v := getenv("ORDERDESK_" + name); v != "" {
			return v
		}
		return def
	}
	var c config
	fs := flag.NewFlagSet("orderdesk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", env("ADDR", ":8080"), "listen address (ORDERDESK_ADDR)")
	fs.StringVar(&c.dbDriver, "db-driver", env("DB_DRIVER", store.SQLite), "sqlite or mysql (ORDERDESK_DB_DRIVER)")
	fs.StringVar(&c.dbDSN, "db-dsn", env("DB_DSN", ""), "database DSN; default the SQLite file orderdesk.db (ORDERDESK_DB_DSN)")
	fs.DurationVar(&c.accessTTL, "access-ttl", 10*time.Minute, "access token lifetime (ORDERDESK_ACCESS_TTL)")
	fs.IntVar(&c.bcryptCost, "bcrypt-cost", auth.DefaultCost, "bcrypt cost (ORDERDESK_BCRYPT_COST)")
	fs.StringVar(&c.currency, "currency", env("CURRENCY", "EUR"), "default currency of new customers and items (ORDERDESK_CURRENCY)")
	fs.BoolVar(&c.demo, "demo", env("DEMO", "") == "1", "seed demo users and data (ORDERDESK_DEMO=1)")
	fs.IntVar(&c.limits.MaxComplexity, "max-complexity", 1000, "query complexity limit (ORDERDESK_MAX_COMPLEXITY)")
	fs.IntVar(&c.limits.MaxDepth, "max-depth", 12, "query depth limit (ORDERDESK_MAX_DEPTH)")
	c.policy = order.DefaultPolicy
	fs.Int64Var(&c.policy.MaxDiscountBP, "max-discount-bp", c.policy.MaxDiscountBP, "largest discount off list price without override, in basis points (ORDERDESK_MAX_DISCOUNT_BP)")
	fs.Int64Var(&c.policy.SevereAmountMinor, "correction-severe-minor", c.policy.SevereAmountMinor, "a correction moving the order total by more than this many minor units is SEVERE; 0 = no amount threshold (ORDERDESK_CORRECTION_SEVERE_MINOR)")
	fs.Int64Var(&c.policy.SevereBP, "correction-severe-bp", c.policy.SevereBP, "a correction moving the order total by more than this share of it, in basis points, is SEVERE; 0 = no share threshold (ORDERDESK_CORRECTION_SEVERE_BP)")
	fs.DurationVar(&c.policy.PaymentTerms, "payment-terms", 0, "payment due time set at confirmation when an order has none; 0 = none (ORDERDESK_PAYMENT_TERMS)")
	fs.DurationVar(&c.policy.AfterDeliveryFollowUp, "after-delivery-follow-up", 0, "schedule a follow-up contact (客户回访) for the order's rep this long after delivery; 0 = off (ORDERDESK_AFTER_DELIVERY_FOLLOW_UP)")
	fs.BoolVar(&c.policy.InvoiceAtShipment, "invoice-at-shipment", env("INVOICE_AT_SHIPMENT", "") == "1", "issue an order's invoice with its first shipment (ORDERDESK_INVOICE_AT_SHIPMENT=1)")
	fs.BoolVar(&c.policy.CancellationConsent, "cancellation-consent", env("CANCELLATION_CONSENT", "") == "1", "send requested cancellations that refund money the customer did not ask for to the customer's confirmation page first (ORDERDESK_CANCELLATION_CONSENT=1)")
	fs.DurationVar(&c.policy.DeliveryLeadTime, "delivery-lead-time", c.policy.DeliveryLeadTime, "earliest delivery after confirmation (ORDERDESK_DELIVERY_LEAD_TIME)")
	fs.DurationVar(&c.rulesEvery, "rules-interval", time.Minute, "how often background rules run, e.g. automatic cancellation; 0 = never (ORDERDESK_RULES_INTERVAL)")
	fs.StringVar(&c.noticeLang, "notice-language", env("NOTICE_LANGUAGE", notice.DefaultLanguage), "language of notices to customers who have none: "+strings.Join(notice.Languages, " or ")+" (ORDERDESK_NOTICE_LANGUAGE)")
	fs.DurationVar(&c.refreshGrace, "refresh-grace", account.DefaultRefreshGrace, "how long a spent refresh token, presented again, still gets the session it was exchanged for (a retry after a lost answer); 0 = every second use ends the session (ORDERDESK_REFRESH_GRACE)")
	fs.DurationVar(&c.webhookEvery, "webhook-interval", 2*time.Second, "how often the webhook relay looks for due deliveries; an event committed on this server goes at once; 0 = this server relays none (ORDERDESK_WEBHOOK_INTERVAL)")
	fs.DurationVar(&c.webhookTimeout, "webhook-timeout", webhook.DefaultTimeout, "how long one webhook delivery attempt may take (ORDERDESK_WEBHOOK_TIMEOUT)")
	fs.StringVar(&c.natsURL, "nats-url", env("NATS_URL", ""), "NATS server with JetStream that connects the live subscriptions of several servers, e.g. nats://127.0.0.1:4222; empty: this server's subscribers see what commits here (ORDERDESK_NATS_URL)")
	fs.StringVar(&c.natsSubject, "nats-subject", env("NATS_SUBJECT", "orderdesk"), "the deployment's NATS subject prefix and stream; servers of one deployment share it (ORDERDESK_NATS_SUBJECT)")
	webhookAllow := fs.String("webhook-allow", env("WEBHOOK_ALLOW", ""), "address ranges webhook endpoints may point at besides public addresses, comma-separated CIDRs (ORDERDESK_WEBHOOK_ALLOW; with -demo default 127.0.0.0/8,::1)")
	fs.DurationVar(&c.noticeEvery, "notice-interval", 10*time.Second, "how often the notice sender looks for due notices; one committed on this server goes at once; 0 = this server sends none (ORDERDESK_NOTICE_INTERVAL)")
	fs.DurationVar(&c.noticeHold, "notice-hold", 0, "how long a customer notice waits after its change before it goes, for staff to read or withhold it (ORDERDESK_NOTICE_HOLD)")
	fs.StringVar(&c.publicURL, "public-url", env("PUBLIC_URL", ""), "the server's address as customers reach it, for links in notices (the confirmation page); default http://localhost and the listen port (ORDERDESK_PUBLIC_URL)")
	fs.DurationVar(&c.confirmTTL, "confirmation-ttl", order.DefaultConfirmationTTL, "how long a link to the customer's confirmation page works (ORDERDESK_CONFIRMATION_TTL)")
	dunning := fs.String("dunning", env("DUNNING", ""), "when payment reminders of an unpaid invoice go, after its due time: comma-separated durations, e.g. 24h,168h,336h (the default); off = none (ORDERDESK_DUNNING)")
	fs.StringVar(&c.migrate, "migrate", env("MIGRATE", migrateAuto), "auto: apply pending migrations at start; off: refuse to start while any is pending (apply them with 'orderdesk migrate') (ORDERDESK_MIGRATE)")
	fs.IntVar(&c.limits.MaxMutations, "max-mutations", 0, "most mutation fields in one operation; money- and stock-moving ones always alone; default 5 (ORDERDESK_MAX_MUTATIONS)")
	fs.IntVar(&c.edge.MaxInFlight, "max-in-flight", 128, "requests served at once; past it 503 + Retry-After; 0 = no bound (ORDERDESK_MAX_IN_FLIGHT)")
	fs.IntVar(&c.edge.MaxExecuting, "max-executing", 8*runtime.GOMAXPROCS(0), "of those, how many execute at once (the others wait their turn); default 8 per CPU; 0 = no bound (ORDERDESK_MAX_EXECUTING)")
	fs.DurationVar(&c.edge.RequestTimeout, "request-timeout", 30*time.Second, "time budget of one request, database calls included (ORDERDESK_REQUEST_TIMEOUT)")
	fs.DurationVar(&c.db.Timeout, "db-timeout", store.DefaultTimeout, "MySQL: longest wait for one answer of the database (ORDERDESK_DB_TIMEOUT)")
	fs.DurationVar(&c.db.LockWait, "db-lock-wait", store.DefaultLockWait, "MySQL: longest wait for a row lock (ORDERDESK_DB_LOCK_WAIT)")
	fs.DurationVar(&c.drainDelay, "drain-delay", 0, "at shutdown, how long /readyz fails before the server stops taking requests (ORDERDESK_DRAIN_DELAY)")
	fs.BoolVar(&c.edge.OpenIntrospection, "open-introspection", env("OPEN_INTROSPECTION", "") == "1", "let anonymous callers introspect the schema (ORDERDESK_OPEN_INTROSPECTION=1)")
	proxies := fs.String("trusted-proxies", env("TRUSTED_PROXIES", ""), "addresses and CIDR ranges of reverse proxies whose X-Forwarded-For is believed (ORDERDESK_TRUSTED_PROXIES)")
	trusted := fs.String("trusted-documents", env("TRUSTED_DOCUMENTS", ""), "a manifest of trusted documents (hash → document, as graphql-codegen's persisted-documents.json or an Apollo persisted query manifest) clients may run by hash (ORDERDESK_TRUSTED_DOCUMENTS)")
	rawDocs := fs.String("raw-documents", env("RAW_DOCUMENTS", string(httpapi.RawFromAll)), "with trusted documents, who may still send other documents: all, no-api-keys (machine accounts send trusted hashes) or none (ORDERDESK_RAW_DOCUMENTS)")
	origins := fs.String("cors-origins", env("CORS_ORIGINS", ""), "browser origins besides the API's own, comma-separated, e.g. https://crm.example.com (ORDERDESK_CORS_ORIGINS)")
	level := fs.String("log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (ORDERDESK_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var errs []error
	for name, target := range map[string]*int{"BCRYPT_COST": &c.bcryptCost, "MAX_COMPLEXITY": &c.limits.MaxComplexity, "MAX_DEPTH": &c.limits.MaxDepth,
		"MAX_MUTATIONS": &c.limits.MaxMutations, "MAX_IN_FLIGHT": &c.edge.MaxInFlight, "MAX_EXECUTING": &c.edge.MaxExecuting} {
		if v := getenv("ORDERDESK_" + name); v != "" && !flagSet(fs, strings.ToLower(strings.ReplaceAll(name, "_", "-"))) {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("ORDERDESK_%s: %w", name, err))
			}
			*target = n
		}
	}
	for name, target := range map[string]*time.Duration{"ACCESS_TTL": &c.accessTTL, "PAYMENT_TERMS": &c.policy.PaymentTerms,
		"DELIVERY_LEAD_TIME": &c.policy.DeliveryLeadTime, "AFTER_DELIVERY_FOLLOW_UP": &c.policy.AfterDeliveryFollowUp,
		"RULES_INTERVAL": &c.rulesEvery, "NOTICE_INTERVAL": &c.noticeEvery, "WEBHOOK_INTERVAL": &c.webhookEvery, "WEBHOOK_TIMEOUT": &c.webhookTimeout, "REFRESH_GRACE": &c.refreshGrace, "NOTICE_HOLD": &c.noticeHold, "CONFIRMATION_TTL": &c.confirmTTL, "REQUEST_TIMEOUT": &c.edge.RequestTimeout, "DB_TIMEOUT": &c.db.Timeout, "DB_LOCK_WAIT": &c.db.LockWait, "DRAIN_DELAY": &c.drainDelay} {
		if v := getenv("ORDERDESK_" + name); v != "" && !flagSet(fs, strings.ToLower(strings.ReplaceAll(name, "_", "-"))) {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("ORDERDESK_%s: %w", name, err))
			}
			*target = d
		}
	}
	for name, target := range map[string]*int64{"MAX_DISCOUNT_BP": &c.policy.MaxDiscountBP,
		"CORRECTION_SEVERE_MINOR": &c.policy.SevereAmountMinor, "CORRECTION_SEVERE_BP": &c.policy.SevereBP} {
		if v := getenv("ORDERDESK_" + name); v != "" && !flagSet(fs, strings.ToLower(strings.ReplaceAll(name, "_", "-"))) {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				errs = append(errs, fmt.Errorf("ORDERDESK_%s: %q is not a non-negative integer", name, v))
			}
			*target = n
		}
	}
	var err error
	if c.edge.TrustedProxies, err = httpapi.ParseProxies(*proxies); err != nil {
		errs = append(errs, fmt.Errorf("ORDERDESK_TRUSTED_PROXIES: %w", err))
	}
	if *trusted != "" {
		if c.edge.Documents, err = httpapi.LoadTrustedDocuments(*trusted, httpapi.RawDocuments(*rawDocs)); err != nil {
			errs = append(errs, fmt.Errorf("ORDERDESK_TRUSTED_DOCUMENTS: %w", err))
		}
	} else if *rawDocs != string(httpapi.RawFromAll) {
		errs = append(errs, errors.New("ORDERDESK_RAW_DOCUMENTS needs ORDERDESK_TRUSTED_DOCUMENTS: without a manifest there are no other documents to send"))
	}
	c.edge.Origins = splitList(*origins)
	for _, o := range c.edge.Origins {
		if _, err := path.Match(o, ""); err != nil {
			errs = append(errs, fmt.Errorf("ORDERDESK_CORS_ORIGINS: %q is not a valid pattern (path.Match: * and ? within a host, e.g. https://*.example.com)", o))
		}
	}
	if *webhookAllow == "" && c.demo {
		*webhookAllow = "127.0.0.0/8,::1" // the demo's receiver runs on the same machine
	}
	if c.webhookAllow, err = webhook.ParseAddresses(*webhookAllow); err != nil {
		errs = append(errs, fmt.Errorf("ORDERDESK_WEBHOOK_ALLOW: %w", err))
	}
	if c.natsURL != "" && c.webhookEvery <= 0 {
		errs = append(errs, errors.New("ORDERDESK_NATS_URL needs the relay: ORDERDESK_WEBHOOK_INTERVAL must be positive"))
	}
	if c.publicURL, err = publicURL(c.publicURL, c.addr); err != nil {
		errs = append(errs, fmt.Errorf("ORDERDESK_PUBLIC_URL: %w", err))
	}
	if c.dunning, err = parseDunning(*dunning); err != nil {
		errs = append(errs, fmt.Errorf("ORDERDESK_DUNNING: %w", err))
	}
	if err := c.logLevel.UnmarshalText([]byte(*level)); err != nil {
		errs = append(errs, fmt.Errorf("log level: %w", err))
	}
	if err := checkMigrateSetting(c.migrate); err != nil {
		errs = append(errs, err)
	}
	if c.dbDriver != store.SQLite && c.dbDriver != store.MySQL {
		errs = append(errs, fmt.Errorf("ORDERDESK_DB_DRIVER %q: use %q or %q", c.dbDriver, store.SQLite, store.MySQL))
	}
	if !money.ValidCurrency(c.currency) {
		errs = append(errs, fmt.Errorf("currency %q is not an ISO 4217 code", c.currency))
	}
	if lang, ok := notice.Language(c.noticeLang); ok {
		c.noticeLang = lang
	} else {
		errs = append(errs, fmt.Errorf("ORDERDESK_NOTICE_LANGUAGE %q: use %s", c.noticeLang, strings.Join(notice.Languages, " or ")))
	}
	// A secret (it may hold the mail server's password), so no flag.
	if raw := getenv("ORDERDESK_SMTP_URL"); raw != "" {
		m, err := notice.ParseSMTP(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("ORDERDESK_SMTP_URL: %w", err))
		} else {
			c.mailer = m
		}
	}
	if c.dbDSN == "" && c.dbDriver == store.SQLite {
		c.dbDSN = "orderdesk.db"
	}
	c.jwtSecret = getenv("ORDERDESK_JWT_SECRET")
	c.adminEmail = getenv("ORDERDESK_ADMIN_EMAIL")
	c.adminPassword = getenv("ORDERDESK_ADMIN_PASSWORD")
	// A secret, so no flag: flags show in the process list.
	c.metricsToken = getenv("ORDERDESK_METRICS_TOKEN")
	if c.metricsToken != "" && len(c.metricsToken) < minMetricsToken {
		errs = append(errs, fmt.Errorf("ORDERDESK_METRICS_TOKEN must be at least %d bytes", minMetricsToken))
	}
	limits := guard.DefaultLimits()
	limits.MaxComplexity, limits.MaxDepth = c.limits.MaxComplexity, c.limits.MaxDepth
	if c.limits.MaxMutations > 0 {
		limits.MaxMutations = c.limits.MaxMutations
	}
	c.limits = limits
	return c, errors.Join(errs...)
}

// splitList is the non-empty, trimmed items of a comma-separated list.
func splitList(list string) []string {
	var items []string
	for item := range strings.SplitSeq(list, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// run starts the server and blocks until ctx ends, then shuts down
// gracefully. ready, when not nil, receives the listening address.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) error {
	if len(args) > 0 && args[0] == "migrate" {
		return runMigrate(ctx, args[1:], getenv, stdout, stderr)
	}
	c, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: c.logLevel}))
	// Before anything touches the disk, so that a bad OTEL_* setting
	// leaves nothing behind.
	tracing, err := startTracing(ctx, getenv, log)
	if err != nil {
		return err
	}
	// Deferred before the database closes, so it runs after it: the spans
	// of the last requests are flushed at exit.
	defer stopTracing(tracing, log)
	c.db.OpenSQL = tracing.OpenSQL

	secret, err := jwtSecret(c)
	if err != nil {
		return err
	}
	tokens, err := auth.NewTokens(secret, c.accessTTL)
	if err != nil {
		return err
	}
	db, err := store.OpenWith(c.dbDriver, c.dbDSN, c.db)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrateAtStart(ctx, c, log); err != nil {
		return err
	}

	var liveBus *bus.Bus
	if c.natsURL != "" {
		if liveBus, err = bus.Connect(ctx, c.natsURL, c.natsSubject); err != nil {
			return err
		}
		defer liveBus.Close()
	}
	a := app.New(db, app.Options{Log: log, Bus: liveBus, Tokens: tokens, BcryptCost: c.bcryptCost, Mailer: c.mailer, NoticeLanguage: c.noticeLang, NoticeHold: c.noticeHold, Dunning: c.dunning,
		PublicURL: c.publicURL, ConfirmationTTL: c.confirmTTL, WebhookAllow: c.webhookAllow, WebhookTimeout: c.webhookTimeout,
		Currency: c.currency, Limits: c.limits, Policy: c.policy, Edge: c.edge,
		MetricsToken: c.metricsToken, Tracing: tracing, RefreshGrace: refreshGrace(c.refreshGrace)})
	stopBus, err := a.ListenBus(ctx, log)
	if err != nil {
		return fmt.Errorf("listening on the NATS bus: %w", err)
	}
	defer stopBus()
	if c.adminEmail != "" {
		created, err := a.Accounts.EnsureAdmin(ctx, c.adminEmail, c.adminPassword, "Administrator")
		if err != nil {
			return fmt.Errorf("creating the first admin from ORDERDESK_ADMIN_EMAIL: %w", err)
		}
		if created {
			log.Info("created admin account", "email", c.adminEmail)
		}
	}
	if c.demo {
		if err := demo.Seed(ctx, a, stdout); err != nil {
			return fmt.Errorf("seeding demo data: %w", err)
		}
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	// Requests live on their own base context: it ends after Shutdown has
	// let in-flight requests finish, and then closes the websockets, which
	// Shutdown does not wait for.
	base, closeConns := context.WithCancel(context.WithoutCancel(ctx))
	defer closeConns()
	srv := &http.Server{
		BaseContext: func(net.Listener) context.Context { return base },
		Handler:     a.Handler,
		// No WriteTimeout: it would cut websockets; each request gets its
		// own write deadline from the request budget instead.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("orderdesk listening", "addr", ln.Addr().String(), "graphql", "/graphql", "db", c.dbDriver)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	// The rules stop when run returns, and run waits for them before the
	// database closes.
	var rules sync.WaitGroup
	defer rules.Wait()
	rulesCtx, stopRules := context.WithCancel(ctx)
	defer stopRules()
	if c.rulesEvery > 0 {
		rules.Go(func() { a.RunRules(a.Metrics.WatchTx(rulesCtx), log, c.rulesEvery) })
	}
	if c.noticeEvery > 0 {
		rules.Go(func() { a.RunNotices(a.Metrics.WatchTx(rulesCtx), log, c.noticeEvery) })
	}
	if c.webhookEvery > 0 {
		rules.Go(func() { a.RunWebhooks(a.Metrics.WatchTx(rulesCtx), log, c.webhookEvery) })
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// Load balancers see /readyz fail and stop sending before the
	// listener closes.
	a.Drain()
	if c.drainDelay > 0 {
		time.Sleep(c.drainDelay)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	closeConns()
	return err
}

// jwtSecret is ORDERDESK_JWT_SECRET. On SQLite, where one process owns the
// database, a missing secret is generated once and kept beside the database
// file, readable by its owner only; on MySQL every replica must share one,
// so it is required.
func jwtSecret(c config) ([]byte, error) {
	if c.jwtSecret != "" {
		if len(c.jwtSecret) < auth.MinSecretLen {
			return nil, fmt.Errorf("ORDERDESK_JWT_SECRET must be at least %d bytes", auth.MinSecretLen)
		}
		return []byte(c.jwtSecret), nil
	}
	if c.dbDriver != store.SQLite {
		return nil, errors.New("ORDERDESK_JWT_SECRET is required with a MySQL database (at least 32 random bytes, the same on every replica)")
	}
	path := strings.TrimPrefix(strings.SplitN(c.dbDSN, "?", 2)[0], "file:") + ".secret"
	if b, err := os.ReadFile(path); err == nil {
		if s := strings.TrimSpace(string(b)); len(s) >= auth.MinSecretLen {
			return []byte(s), nil
		}
		return nil, fmt.Errorf("%s holds a secret shorter than %d bytes", path, auth.MinSecretLen)
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	s := hex.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("keeping a generated JWT secret in %s: %w", path, err)
	}
	return []byte(s), nil
}

// minMetricsToken is the shortest ORDERDESK_METRICS_TOKEN accepted: the
// token is all that keeps /metrics from the public.
const minMetricsToken = 16

// startTracing sets tracing up from the OTEL_* variables (nil when they ask
// for none). Export failures, such as a collector that does not answer,
// become warnings in the log instead of lines on stderr.
func startTracing(ctx context.Context, getenv func(string) string, log *slog.Logger) (*telemetry.Tracing, error) {
	t, err := telemetry.TracingFromEnv(ctx, getenv)
	if err != nil || t == nil {
		return nil, err
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("opentelemetry", "err", err) }))
	log.Info("tracing on")
	return t, nil
}

// stopTracing flushes the spans not yet exported, waiting a few seconds
// at most for the collector.
func stopTracing(t *telemetry.Tracing, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil {
		log.Warn("flushing traces", "err", err)
	}
}

// parseDunning reads the reminder schedule: "" is the default, "off" none,
// else ascending positive durations.
func parseDunning(v string) ([]time.Duration, error) {
	switch strings.TrimSpace(v) {
	case "":
		return nil, nil
	case "off":
		return []time.Duration{}, nil
	}
	var out []time.Duration
	for _, item := range splitList(v) {
		d, err := time.ParseDuration(item)
		if err != nil {
			return nil, err
		}
		if d < 0 || (len(out) > 0 && d <= out[len(out)-1]) {
			return nil, fmt.Errorf("%q: the durations must be ascending and not negative", v)
		}
		out = append(out, d)
	}
	return out, nil
}

// publicURL is the address customers reach the server at: as configured
// (an absolute http(s) URL), else http://localhost on the listen port.
func publicURL(v, addr string) (string, error) {
	if v == "" {
		_, port, err := net.SplitHostPort(addr)
		if err != nil || port == "" {
			port = "8080"
		}
		return "http://localhost:" + port, nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) address", v)
	}
	return strings.TrimRight(v, "/"), nil
}

// refreshGrace is the -refresh-grace setting as app.Options takes it, where
// zero means the default: a window of 0 is none.
func refreshGrace(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}
