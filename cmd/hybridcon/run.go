package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/app/origin"
	"github.com/hybridcon/hybridcon/app/web"
	"github.com/hybridcon/hybridcon/configs"
	"github.com/hybridcon/hybridcon/realtime"
	"github.com/hybridcon/hybridcon/storage"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const defaultConfigPath = "configs/hybridcon.yaml"

// usage is the answer to "hybridcon --help" and "hybridcon help".
const usage = `usage: hybridcon [--config FILE] [COMMAND] [flags]

Commands:
  serve              run the server (the command when none is given)
  migrate            apply the database migrations and exit
  version            print the module version and the commit it was built from
  help [COMMAND]     print this help, or a command's
  users ...          list users, create one, reset a password (no server needed)
  tokens create ...  issue an API token and print it (no server needed, no restart)
  import-attendees   import an event's attendees from a CSV file, all or nothing
  tickets            write an event's tickets: QR images, an index and the texts, or
                     print-ready A4 ticket sheets or badges (--html)

Run "hybridcon COMMAND --help" for a command's flags; help touches nothing.
Every command reads --config FILE (default configs/hybridcon.yaml when
present); HYBRIDCON_* environment variables override the file.

Flags:
`

// run is main without the process: it parses args, runs one command and
// returns the exit code. Tests call it with their own environment.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	fs := flag.NewFlagSet("hybridcon", flag.ContinueOnError)
	configPath := fs.String("config", "", "configuration file (default "+defaultConfigPath+" when present)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
		fs.SetOutput(stderr)
		fmt.Fprintf(stderr, "hybridcon: %v\n", err)
		fs.Usage()
		return 2
	}
	cmd, rest := "serve", []string(nil)
	if fs.NArg() > 0 {
		cmd, rest = fs.Arg(0), fs.Args()[1:]
	}
	if cmd == "help" {
		if len(rest) == 0 {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
		cmd, rest = rest[0], []string{"--help"} // "help users" is "users --help"
	}
	if !knownCommand(cmd) {
		fmt.Fprintf(stderr, "hybridcon: unknown command %q\n", cmd)
		fs.SetOutput(stderr)
		fs.Usage()
		return 2
	}
	// Commands without flags of their own answer --help (and refuse
	// stray arguments) before the configuration is read or anything opened.
	if plain, ok := plainCommands[cmd]; ok {
		if code, done := parsePlain(cmd, plain, rest, stdout, stderr); done {
			return code
		}
	}
	if cmd == "version" {
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	path, explicit := *configPath, *configPath != ""
	if !explicit {
		path = defaultConfigPath
	}
	cfg, err := configs.Load(path, explicit, lookupEnv)
	if err != nil {
		fmt.Fprintf(stderr, "hybridcon: %v\n", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log, stdout)
	case "migrate":
		err = migrate(ctx, cfg, log, stdout)
	case "import-attendees":
		err = importAttendeesCmd(ctx, cfg, log, rest, stdout, stderr)
	case "tickets":
		err = ticketsCmd(ctx, cfg, log, rest, stdout, stderr)
	case "users":
		err = usersCmd(ctx, cfg, log, rest, stdout, stderr)
	case "tokens":
		err = tokensCmd(ctx, cfg, log, rest, stdout, stderr)
	}
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "hybridcon: %v\n", err)
		return 1
	}
	return 0
}

// plainCommands are the commands without flags of their own, with what
// their --help says.
var plainCommands = map[string]string{
	"serve":   "usage: hybridcon [--config FILE] serve\n\nRun the server until SIGINT or SIGTERM. Settings come from the configuration\nfile and HYBRIDCON_* variables (see the README); on the first start with an\nempty database it loads the demo conference and prints the admin password.\n",
	"migrate": "usage: hybridcon [--config FILE] migrate\n\nApply the database migrations the configuration's database lacks, and exit.\n",
	"version": "usage: hybridcon version\n\nPrint the module version and the commit the binary was built from.\n",
}

func knownCommand(cmd string) bool {
	switch cmd {
	case "import-attendees", "tickets", "users", "tokens":
		return true
	}
	_, ok := plainCommands[cmd]
	return ok
}

// parsePlain handles --help and stray arguments of a command without
// flags; done reports that the exit code is final.
func parsePlain(cmd, help string, args []string, stdout, stderr io.Writer) (code int, done bool) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, help)
		return 0, true
	case err != nil:
		fmt.Fprintf(stderr, "hybridcon %s: %v\n%s", cmd, err, help)
		return 2, true
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "hybridcon %s: unexpected argument %q\n%s", cmd, fs.Arg(0), help)
		return 2, true
	}
	return 0, false
}

// versionLine is "hybridcon VERSION (commit C[, modified], built from MODULE@V)":
// the -ldflags version when set, else the module version, and the VCS
// revision the go command stamped into the binary.
func versionLine() string {
	v, module, commit := version, "", ""
	modified := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		module = bi.Main.Path + "@" + bi.Main.Version
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if commit == "" {
		commit = "unknown (built without VCS information, e.g. by go run)"
	} else if modified {
		commit += ", with uncommitted changes"
	}
	line := fmt.Sprintf("hybridcon %s (commit %s", v, commit)
	if module != "" {
		line += ", module " + module
	}
	return line + ")"
}

func newLogger(cfg configs.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func openStore(ctx context.Context, cfg configs.Config, log *slog.Logger) (*storage.Store, error) {
	return storage.Open(ctx, storage.Options{DatabaseURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath(), Logger: log})
}

func migrate(ctx context.Context, cfg configs.Config, log *slog.Logger, stdout io.Writer) error {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

// serve wires config → storage → broker → hub → app → HTTP and runs until
// ctx is cancelled (SIGINT/SIGTERM), then drains.
func serve(ctx context.Context, cfg configs.Config, log *slog.Logger, stdout io.Writer) error {
	started := time.Now()
	// Listen first so a taken port fails at once, before any work.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HYBRIDCON_HTTP_ADDR=%q: %w", cfg.HTTPAddr, err)
	}
	defer ln.Close()

	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()

	metrics, err := newNodeMetrics(cfg)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	svc := app.NewService(st, nil, log)
	defer svc.StopAttendance()
	defer svc.FlushTokenUses() // before the store closes
	svc.ScanObserver = metrics.scan
	svc.SetPasswordHashes(cfg.PasswordHashes)
	svc.Regions = cfg.Regions
	checks := []api.Check{{Name: "database", Func: st.Ping}}

	var broker realtime.Broker
	if cfg.RedisURL != "" {
		useRedisLogger(log)
		prefix, err := redisPrefix(ctx, cfg, st)
		if err != nil {
			return err
		}
		// A single Redis or a Redis Cluster: the server says which.
		rb, err := realtime.OpenRedisBroker(ctx, cfg.RedisURL, realtime.RedisConfig{Prefix: prefix, Logger: log})
		if err != nil {
			return fmt.Errorf("HYBRIDCON_REDIS_URL: %w", err)
		}
		defer rb.Close()
		log.Info("redis channels", "prefix", prefix, "cluster", rb.Cluster())
		broker = rb
		checks = append(checks, api.Check{Name: "redis", Func: rb.Ping})
	} else {
		broker = realtime.NewMemoryBroker()
	}
	origins := origin.NewPolicy(cfg.AllowedOrigins) // one rule for websockets and cookie writes
	perAddress := cfg.ViewersPerAddress
	if perAddress == 0 {
		perAddress = realtime.UnlimitedViewers
		log.Warn("no cap on live connections per address (HYBRIDCON_VIEWERS_PER_ADDRESS=0)")
	}
	hub := realtime.NewHub(realtime.HubConfig{
		Region: cfg.Region, NodeID: cfg.NodeID, KnownRegions: cfg.Regions, Origins: origins,
		MaxViewersPerAddress: perAddress, Metrics: metrics.hub,
	}, broker, svc, log)
	svc.SetPublisher(hub)
	svc.Presence = hub.Presence

	if cfg.Demo {
		if err := loadDemo(ctx, svc, st, log); err != nil {
			return err
		}
	}
	password, err := svc.Bootstrap(ctx, cfg.AdminToken)
	if err != nil {
		return fmt.Errorf("creating the administrator: %w", err)
	}

	limits := api.Limits{}
	if !cfg.RateLimits {
		limits = api.NoLimits
		log.Warn("rate limits are off (HYBRIDCON_RATE_LIMITS=false)")
	}
	srv := api.New(api.Config{ReadyChecks: checks, Logger: log, Metrics: metrics.http, MetricsAside: cfg.MetricsAddr != "", Limits: limits,
		Origins: origins, TrustedProxies: cfg.TrustedProxies, ProxyHeader: cfg.ProxyHeader,
		SecureCookies: cfg.SecureCookies, HSTSMaxAge: cfg.HSTSMaxAge}, svc, hub)
	web.Mount(srv.App(), web.Config{Regions: cfg.Regions, Logger: log, Snapshot: hub.Snapshot, EmbedOrigins: cfg.EmbedOrigins}, svc)
	hubCtx, stopHub := context.WithCancel(context.Background())
	defer stopHub()
	go hub.Run(hubCtx)
	go refreshSchedules(hubCtx, svc, log)

	if cfg.MetricsAddr != "" {
		stopMetrics, err := serveMetrics(cfg.MetricsAddr, metrics.http.Handler(), log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	if cfg.PprofAddr != "" {
		stopPprof, err := servePprof(cfg.PprofAddr, log)
		if err != nil {
			return err
		}
		defer stopPprof()
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.App().Listener(ln) }()

	url := "http://" + displayAddr(ln.Addr().String())
	fmt.Fprintf(stdout, "hybridcon %s listening on %s (region %s, node %s, %s, %s)\n",
		version, url, cfg.Region, cfg.NodeID, st.Dialect(), brokerName(cfg))
	if cfg.Demo {
		fmt.Fprintf(stdout, "  live page:   %s/e/%s\n  API:         %s/api/v1/events/%s\n", url, demo.Slug, url, demo.Slug)
	}
	if password != "" {
		fmt.Fprintf(stdout, "  first start: log in at %s/console as user \"admin\" with password %s\n", url, password)
		fmt.Fprintf(stdout, "               (shown only this once; set HYBRIDCON_ADMIN_TOKEN for a fixed API token)\n")
	}
	log.Info("ready", "addr", ln.Addr().String(), "startup_ms", time.Since(started).Milliseconds(), "config", cfg)

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: closing viewers with 1012 and finishing requests")
	drainCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	hub.Shutdown(drainCtx)
	if err := srv.App().ShutdownWithContext(drainCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown", "err", err)
	}
	stopHub()
	return nil
}

// loadDemo stores the demo conference when the database has no events.
func loadDemo(ctx context.Context, svc *app.Service, st *storage.Store, log *slog.Logger) error {
	empty, err := st.Empty(ctx)
	if err != nil || !empty {
		return err
	}
	conf := demo.Build(time.Now())
	err = svc.Seed(ctx, app.ConferenceSeed(conf))
	if app.ErrorCode(err) == app.EConflict { // another node loaded it first
		return nil
	}
	if err != nil {
		return fmt.Errorf("loading the demo conference: %w", err)
	}
	if err := svc.SeedTransfer(ctx, demo.Slug, demo.Transfer(conf)); err != nil {
		return fmt.Errorf("loading the demo's technology-transfer sample data: %w", err)
	}
	log.Info("demo conference loaded", "slug", demo.Slug)
	return nil
}

func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}

func brokerName(cfg configs.Config) string {
	if cfg.RedisURL != "" {
		return "redis broker"
	}
	return "in-process broker"
}

// scheduleRefreshEvery is how often expected times are recomputed so that
// overruns reach viewers as schedule.shifted without an organizer action.
const scheduleRefreshEvery = 10 * time.Second

func refreshSchedules(ctx context.Context, svc *app.Service, log *slog.Logger) {
	t := time.NewTicker(scheduleRefreshEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := svc.RefreshSchedules(ctx); err != nil && ctx.Err() == nil {
				log.Warn("refreshing expected times", "err", err)
			}
		}
	}
}

// redisPrefix is HYBRIDCON_REDIS_PREFIX, or when it is empty the prefix
// derived from the database's identity, so two deployments sharing a Redis
// (production and a staging copy restored from it, say) stay apart.
func redisPrefix(ctx context.Context, cfg configs.Config, st *storage.Store) (string, error) {
	if cfg.RedisPrefix != "" {
		return cfg.RedisPrefix, nil
	}
	id, err := st.Identity(ctx)
	if err != nil {
		return "", fmt.Errorf("deriving the Redis prefix (or set HYBRIDCON_REDIS_PREFIX): %w", err)
	}
	return realtime.DeploymentPrefix(id), nil
}
