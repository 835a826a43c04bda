package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
)

// viewersConfig holds the flags of the viewers mode.
type viewersConfig struct {
	common
	viewers         int
	broadcasts      int
	rate            float64
	kind            string
	pidList         string
	connectRate     string
	dialConcurrency int
	duration        time.Duration
	readyTimeout    time.Duration
	wait            time.Duration
	regionList      string
	lang            string
	session         int64
	liveStages      int
	storm           bool
	compress        bool // offer permessage-deflate, as browsers do
	stormMissed     int
	stormTimeout    time.Duration
	stormConc       int

	questionsRate    float64       // --questions-rate; 0: no questions
	questionsFor     time.Duration // 0: while the broadcasts are sent
	questionsApprove float64
	questionsConc    int
	ticketsPath      string
	showcaseLive     bool

	connectPerSec float64  // parsed connectRate; 0 = unpaced
	regions       []string // parsed regionList
	pids          []string // parsed pidList
}

func (c *viewersConfig) register(fs *flag.FlagSet) {
	c.common.register(fs)
	fs.IntVar(&c.viewers, "viewers", 1000, "websocket viewers to open, spread round-robin over the --url nodes")
	fs.IntVar(&c.broadcasts, "broadcasts", 60, "broadcasts to send once every viewer is ready")
	fs.Float64Var(&c.rate, "rate", 1, "broadcasts per second (0: back to back)")
	fs.StringVar(&c.kind, "kind", "announce", "broadcast kind: announce (POST announcements) or advance (advance the showcase)")
	fs.StringVar(&c.pidList, "pid", "", "server process id(s), comma-separated: report their CPU per delivery and RSS per viewer")
	fs.StringVar(&c.connectRate, "connect-rate", "2000/s", "new connections per second while connecting (0: as fast as --dial-concurrency allows)")
	fs.IntVar(&c.dialConcurrency, "dial-concurrency", 256, "websocket handshakes in flight at most")
	fs.DurationVar(&c.duration, "duration", 5*time.Minute, "hard limit for the whole run")
	fs.DurationVar(&c.readyTimeout, "ready-timeout", 2*time.Minute, "how long to wait for every viewer's snapshot")
	fs.DurationVar(&c.wait, "wait", 15*time.Second, "after the last broadcast, how long to wait for missing deliveries")
	fs.StringVar(&c.regionList, "regions", "cn,hu", "viewer regions, assigned round-robin")
	fs.StringVar(&c.lang, "lang", "en", "viewer language")
	fs.IntVar(&c.liveStages, "live-stages", 0, "before connecting, make this many stages live (start a scheduled session on each, adding stages when the event has too few); 0: leave the programme as it is")
	fs.Int64Var(&c.session, "session", 0, "showcase session id for --kind advance (default: the event's first showcase session not ended)")
	fs.BoolVar(&c.compress, "compress", false, "offer permessage-deflate in every handshake, as browsers do (the server then sends snapshots compressed)")
	fs.BoolVar(&c.storm, "reconnect-storm", false, "after the broadcasts, drop every connection and reconnect all at once with since/epoch")
	fs.IntVar(&c.stormMissed, "storm-missed", 3, "announcements posted while the viewers are disconnected, for them to recover")
	fs.DurationVar(&c.stormTimeout, "storm-timeout", time.Minute, "how long to wait for every reconnected viewer to be ready")
	fs.IntVar(&c.stormConc, "storm-concurrency", 1000, "websocket handshakes in flight at most during the reconnect storm")
	fs.Float64Var(&c.questionsRate, "questions-rate", 0, "questions per second that participants ask the item presenting on the showcase stage during the broadcasts (0: none); the showcase is started first if it is not live")
	fs.DurationVar(&c.questionsFor, "questions-duration", 0, "how long to ask questions, from the first broadcast (0: while the broadcasts are sent); a longer time holds the wait for deliveries until it ends")
	fs.Float64Var(&c.questionsApprove, "questions-approve", 0, "fraction (0–1) of the accepted questions the organizer approves, spread evenly; each approval is a question.approved envelope to every viewer, counted apart from the broadcasts")
	fs.IntVar(&c.questionsConc, "questions-concurrency", 64, "question (and approval) requests in flight at most")
	fs.BoolVar(&c.showcaseLive, "showcase-live", false, "before connecting, start (or resume) the event's first showcase session not ended, as --questions-rate and --kind advance do: for a run without questions to compare with one with them")
	fs.StringVar(&c.ticketsPath, "tickets", "", "participants' tickets for --questions-rate, one per line, used round-robin (default: every attendee's not revoked, read with --token from the attendee list)")
}

func (c *viewersConfig) validate() error {
	if err := c.common.validate(); err != nil {
		return err
	}
	switch {
	case c.viewers < 1:
		return errors.New("--viewers must be at least 1")
	case c.liveStages < 0:
		return errors.New("--live-stages must not be negative")
	case c.broadcasts < 0:
		return errors.New("--broadcasts must not be negative")
	case c.rate < 0:
		return errors.New("--rate must not be negative")
	case c.kind != "announce" && c.kind != "advance":
		return fmt.Errorf("--kind: %q is neither announce nor advance", c.kind)
	case c.dialConcurrency < 1 || c.stormConc < 1:
		return errors.New("--dial-concurrency and --storm-concurrency must be at least 1")
	case c.duration <= 0 || c.readyTimeout <= 0 || c.wait < 0 || c.stormTimeout <= 0:
		return errors.New("--duration, --ready-timeout and --storm-timeout must be positive, --wait not negative")
	case c.stormMissed < 0:
		return errors.New("--storm-missed must not be negative")
	case c.token == "" && (c.broadcasts > 0 || c.storm && c.stormMissed > 0):
		return errors.New("--token is needed to send broadcasts")
	case c.questionsRate < 0 || math.IsInf(c.questionsRate, 0) || math.IsNaN(c.questionsRate):
		return errors.New("--questions-rate must be a rate per second, not negative")
	case c.questionsFor < 0:
		return errors.New("--questions-duration must not be negative")
	case !(c.questionsApprove >= 0 && c.questionsApprove <= 1):
		return errors.New("--questions-approve must be a fraction from 0 to 1")
	case c.questionsConc < 1:
		return errors.New("--questions-concurrency must be at least 1")
	case c.questionsRate > 0 && c.token == "":
		return errors.New("--questions-rate needs --token (the organizer's: to make the showcase live, read tickets, approve)")
	case c.questionsRate > 0 && c.broadcasts == 0 && c.questionsFor == 0:
		return errors.New("--questions-rate without broadcasts needs --questions-duration")
	case c.questionsRate == 0 && (c.questionsApprove > 0 || c.questionsFor > 0 || c.ticketsPath != ""):
		return errors.New("--questions-approve, --questions-duration and --tickets need --questions-rate")
	}
	r, err := parseRate(c.connectRate)
	if err != nil {
		return fmt.Errorf("--connect-rate: %w", err)
	}
	c.connectPerSec = r
	c.regions = splitList(c.regionList)
	if len(c.regions) == 0 {
		return errors.New("--regions: at least one region")
	}
	c.pids = splitList(c.pidList)
	return nil
}

// parseRate reads "2000/s", "2000" or "0" as a per-second rate.
func parseRate(s string) (float64, error) {
	n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "/s"), 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a rate such as 2000/s", s)
	}
	return n, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func runViewers(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c viewersConfig
	fs := newFlagSet("viewers", stderr)
	c.register(fs)
	if ok, code := parseFlags(fs, args, stderr, c.validate); !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	r, err := newViewersRun(ctx, c, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen viewers: %v\n", err)
		return 1
	}
	rep := r.run(ctx)
	if c.json {
		err = writeJSON(stdout, rep)
	} else {
		err = rep.print(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadgen viewers: %v\n", err)
		return 1
	}
	if len(rep.Problems) > 0 {
		return 1
	}
	return 0
}

// viewersRun is one run of the viewers mode.
type viewersRun struct {
	cfg    viewersConfig
	logw   io.Writer
	api    *apiClient
	dialer *websocket.Dialer
	origin time.Time // monotonic origin of every recorded time
	want   frameType
	ann    *announcer
	adv    *advancer
	ask    *asker // --questions-rate
	// showcaseSlot is the item presenting on the showcase stage when the
	// run started the showcase without advancing it (--showcase-live,
	// --questions-rate in announce mode).
	showcaseSlot int64
	viewers      []*viewer
	wsBase       []string      // per node: ws://host:port/ws/events/{slug}?
	headers      []http.Header // per node: Origin
	wg           sync.WaitGroup
	self         proc
	server       procSet
	rep          *ViewersReport
}

func newViewersRun(ctx context.Context, c viewersConfig, logw io.Writer) (*viewersRun, error) {
	r := &viewersRun{
		cfg:    c,
		logw:   logw,
		api:    &apiClient{hc: newHTTPClient(4, 30*time.Second), token: c.token},
		origin: time.Now(),
		want:   ftAnnouncement,
		dialer: &websocket.Dialer{
			NetDialContext:    loopbackDialer().DialContext,
			HandshakeTimeout:  30 * time.Second,
			ReadBufferSize:    2048,
			WriteBufferSize:   256,
			WriteBufferPool:   &sync.Pool{}, // viewers never write data frames
			EnableCompression: c.compress,
		},
	}
	runID := strconv.FormatInt(r.origin.UnixMilli(), 36)
	r.ann = &announcer{api: r.api, base: c.urls[0], event: c.event, runID: runID}
	if c.kind == "advance" {
		r.want = ftShowcase
		r.adv = &advancer{api: r.api, base: c.urls[0], event: c.event, sessionID: c.session}
	}
	for _, u := range c.urls {
		ws := *u
		ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
		ws.Path = u.Path + "/ws/events/" + url.PathEscape(c.event)
		r.wsBase = append(r.wsBase, ws.String()+"?")
		r.headers = append(r.headers, http.Header{"Origin": {u.Scheme + "://" + u.Host}})
	}
	ticks := clockTicks(ctx)
	var err error
	if r.self, err = newProc("self", ticks); err != nil {
		return nil, fmt.Errorf("reading /proc/self: %w", err)
	}
	for _, pid := range c.pids {
		p, err := newProc(pid, ticks)
		if err != nil {
			return nil, fmt.Errorf("--pid %s: %w", pid, err)
		}
		r.server = append(r.server, p)
	}
	r.viewers = make([]*viewer, c.viewers)
	for i := range r.viewers {
		node := i % len(c.urls)
		r.viewers[i] = &viewer{idx: i, node: node, region: c.regions[(i/len(c.urls))%len(c.regions)],
			recs: make([]rec, 0, c.broadcasts)}
	}
	return r, nil
}

func (r *viewersRun) now() time.Duration { return time.Since(r.origin) }

func (r *viewersRun) logf(format string, args ...any) {
	fmt.Fprintf(r.logw, "[%7.2fs] "+format+"\n", append([]any{r.now().Seconds()}, args...)...)
}

func (r *viewersRun) problem(format string, args ...any) {
	r.rep.Problems = append(r.rep.Problems, fmt.Sprintf(format, args...))
}

// run performs every phase that ctx leaves time for and returns the
// report; a phase cut short is listed among the problems.
func (r *viewersRun) run(ctx context.Context) *ViewersReport {
	c := r.cfg
	r.rep = &ViewersReport{Mode: "viewers", Kind: c.kind, Event: c.event, Viewers: c.viewers,
		Regions: c.regions, Started: r.origin.UTC(), Problems: []string{},
		Connect: ConnectReport{Errors: map[string]int{}}, Broadcast: BroadcastReport{Errors: map[string]int{}}}
	for _, u := range c.urls {
		r.rep.URLs = append(r.rep.URLs, u.String())
	}
	defer r.teardown()

	cur, hard, err := raiseNoFile()
	r.rep.Connect.NoFileLimit = cur
	if err != nil {
		r.logf("warning: raising RLIMIT_NOFILE to the hard limit %d: %v", hard, err)
	}
	if cur < uint64(c.viewers)+64 {
		r.logf("warning: RLIMIT_NOFILE is %d, too low for %d viewers", cur, c.viewers)
	}
	if r.adv != nil {
		if err := r.adv.prepare(ctx); err != nil {
			r.problem("advance mode: %v", err)
			return r.rep
		}
		r.rep.Prepared = append(r.rep.Prepared, r.adv.prepared...)
	} else if c.showcaseLive || c.questionsRate > 0 {
		sc := &advancer{api: r.api, base: c.urls[0], event: c.event, sessionID: c.session}
		err := sc.prepare(ctx)
		r.rep.Prepared = append(r.rep.Prepared, sc.prepared...)
		if err != nil {
			r.problem("showcase: %v", err)
			return r.rep
		}
		r.showcaseSlot = sc.current
	}
	if c.liveStages > 0 {
		sl := &stageLiner{api: r.api, base: c.urls[0], event: c.event, want: c.liveStages}
		err := sl.prepare(ctx)
		r.rep.Prepared = append(r.rep.Prepared, sl.prepared...)
		if err != nil {
			r.problem("--live-stages: %v", err)
			return r.rep
		}
	}
	if c.questionsRate > 0 {
		if err := r.prepareQuestions(ctx); err != nil {
			r.problem("--questions-rate: %v", err)
			return r.rep
		}
	}

	rssBefore := r.server.rss()
	selfCPU0, srvCPU0 := r.cpu()
	r.logf("connecting %d viewers to %s", c.viewers, strings.Join(r.rep.URLs, ", "))
	took := r.connect(ctx, r.viewers, phaseMain, c.readyTimeout, c.connectPerSec, c.dialConcurrency)
	r.summariseConnect(took)
	r.logf("%d viewers ready, %d failed, in %.2fs", r.rep.Connect.Ready, r.rep.Connect.Failed, took.Seconds())
	rssAfter := r.server.rss()
	r.rep.Generator.RSSKiB, _ = r.self.rss()
	selfCPU1, srvCPU1 := r.cpu()
	r.rep.Generator.ConnectCPUSeconds = seconds(selfCPU1 - selfCPU0)
	if r.rep.Connect.Ready == 0 {
		r.problem("no viewer became ready")
		return r.rep
	}

	res := r.broadcast(ctx)
	selfCPU2, srvCPU2 := r.cpu()
	r.evaluate(res)
	if res.questions != nil {
		r.evaluateQuestions(res.questions)
	}
	r.rep.Generator.BroadcastCPUSeconds = seconds(selfCPU2 - selfCPU1)
	if d := r.rep.Broadcast.Deliveries; d > 0 {
		r.rep.Generator.CPUMicrosPerDelivery = micros(selfCPU2-selfCPU1) / float64(d)
	}
	if len(r.server) > 0 {
		r.rep.Server = serverReport(c.pids, rssBefore, rssAfter, srvCPU0, srvCPU1, srvCPU2, r.rep.Connect.Ready, r.rep.Broadcast.Deliveries, r.rep.Broadcast.FramesReceived)
		if q := r.rep.Questions; q != nil && q.Deliveries > 0 {
			r.rep.Server.CPUMicrosPerDeliveryAll = micros(sumDelta(srvCPU1, srvCPU2)) / float64(r.rep.Broadcast.Deliveries+q.Deliveries)
		}
		if r.rep.Server.RSSPerViewerKiB < 0 {
			r.rep.Notes = append(r.rep.Notes, "server RSS fell while the viewers connected (memory from earlier runs released): "+
				"measure RSS per viewer on a freshly started server")
		}
	}
	if c.storm && ctx.Err() == nil {
		r.rep.Storm = r.reconnectStorm(ctx)
	}
	selfEnd, _ := r.self.cpu()
	r.rep.Generator.TotalCPUSeconds = seconds(selfEnd)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		r.problem("the run hit --duration %s before finishing", c.duration)
	case ctx.Err() != nil:
		r.problem("interrupted before finishing")
	}
	return r.rep
}

// cpu samples the generator's and the servers' CPU time.
func (r *viewersRun) cpu() (self time.Duration, server []time.Duration) {
	self, _ = r.self.cpu()
	return self, r.server.cpu()
}

// teardown closes every connection and waits for the readers to exit.
func (r *viewersRun) teardown() {
	politeBy := time.Now().Add(2 * time.Second) // one bound for all, not per viewer
	for _, v := range r.viewers {
		v.close(politeBy)
	}
	r.wg.Wait()
	r.api.hc.CloseIdleConnections()
}

var errNotDialed = errors.New("not dialed: the phase ended first")

// connect opens a connection for each of vs (for phase ph), at most
// perSec new ones a second (0: unpaced) and conc at once,
// and waits until each is ready or failed, or limit passed. Viewers not
// ready by then are closed and count as failed. It returns how long the
// phase took.
func (r *viewersRun) connect(ctx context.Context, vs []*viewer, ph phase, limit time.Duration, perSec float64, conc int) time.Duration {
	cd := newCountdown(len(vs))
	pctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	sem := make(chan struct{}, conc)
	start := r.now()
	launched := 0
launch:
	for i, v := range vs {
		if perSec > 0 {
			due := start + time.Duration(float64(i)/perSec*float64(time.Second))
			if d := due - r.now(); d > time.Millisecond && !sleepCtx(pctx, d) {
				break
			}
		}
		select {
		case sem <- struct{}{}:
		case <-pctx.Done():
			break launch
		}
		v.mu.Lock()
		v.ph, v.cd, v.conn, v.closed, v.signaled, v.ready, v.failErr, v.readErr, v.gotFirst =
			ph, cd, nil, false, false, false, nil, nil, false
		v.dialStart = r.now()
		v.mu.Unlock()
		r.wg.Add(1)
		go r.dial(pctx, v, sem)
		launched++
	}
	for _, v := range vs[launched:] {
		v.mu.Lock()
		v.ph, v.cd, v.signaled, v.ready = ph, cd, false, false
		v.signal(errNotDialed, r.now())
		v.mu.Unlock()
	}
	select {
	case <-cd.ch:
	case <-pctx.Done():
	}
	took := r.now() - start
	cancel() // abort handshakes still in flight
	for _, v := range vs {
		v.mu.Lock()
		late := !v.signaled
		v.signal(fmt.Errorf("not ready within %s", limit), r.now())
		v.mu.Unlock()
		if late {
			v.close(time.Time{})
		}
	}
	return took
}

// dial opens v's connection and then runs its reader until it closes.
func (r *viewersRun) dial(ctx context.Context, v *viewer, sem chan struct{}) {
	defer r.wg.Done()
	u := r.wsBase[v.node] + "region=" + url.QueryEscape(v.region) + "&lang=" + url.QueryEscape(r.cfg.lang)
	if v.ph == phaseStorm {
		u += "&since=" + strconv.FormatInt(v.since, 10)
		if v.epoch != "" {
			u += "&epoch=" + url.QueryEscape(v.epoch)
		}
	}
	conn, resp, err := r.dialer.DialContext(ctx, u, r.headers[v.node])
	<-sem
	if err != nil {
		if resp != nil {
			err = &httpError{Status: resp.StatusCode, Code: "handshake"}
		}
		v.mu.Lock()
		v.signal(err, r.now())
		v.mu.Unlock()
		return
	}
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		_ = conn.NetConn().Close()
		return
	}
	v.conn = conn
	if v.ph == phaseStorm && v.since >= v.target {
		v.signal(nil, r.now()) // nothing missed: ready once connected
	}
	v.mu.Unlock()
	v.read(conn, r.now, r.want)
}

// summariseConnect fills the connect section from the viewers' outcome.
func (r *viewersRun) summariseConnect(took time.Duration) {
	cr := &r.rep.Connect
	var times []time.Duration
	for _, v := range r.viewers {
		v.mu.Lock()
		if v.ready {
			cr.Ready++
			times = append(times, v.readyAt-v.dialStart)
		} else {
			cr.Failed++
			cr.Errors[errKey(v.failErr)]++
		}
		v.mu.Unlock()
	}
	cr.Time = summarize(times)
	cr.AllReadyMS = ms(took)
	if cr.Failed > 0 {
		r.problem("%d of %d viewers failed to connect", cr.Failed, len(r.viewers))
	}
}

// raiseNoFile raises the soft RLIMIT_NOFILE to the hard limit and returns
// the limits now in force.
func raiseNoFile() (cur, hard uint64, err error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0, err
	}
	if rl.Cur < rl.Max {
		want := rl
		want.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return rl.Cur, rl.Max, err
		}
		rl = want
	}
	return rl.Cur, rl.Max, nil
}

func seconds(d time.Duration) float64 { return float64(d.Microseconds()) / 1e6 }
func micros(d time.Duration) float64  { return float64(d.Nanoseconds()) / 1e3 }
