package realtime

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/hybridcon/hybridcon/app/origin"
)

// Close codes the hub sends on websocket connections. Clients should
// reconnect (with since and epoch) after 1008, 1012 and 1013; 1003 and
// 1009 answer a client that sent what it must not.
const (
	// CloseSlowConsumer (1008, policy violation, reason "slow consumer") closes
	// a viewer whose send queue would exceed HubConfig.MaxQueueBytes. The
	// client may reconnect with since/epoch; it gets the missed envelopes or
	// a snapshot.
	CloseSlowConsumer = 1008
	// CloseServiceRestart (1012, reason "service restart") is sent to every
	// viewer by Hub.Shutdown: reconnect (to any node).
	CloseServiceRestart = 1012
	// CloseTryAgainLater (1013, reason "try again later") means the first
	// frames could not be prepared (the database did not answer).
	CloseTryAgainLater = 1013
	// CloseMessageTooBig (1009, reason "frame too large") answers a client
	// frame larger than HubConfig.MaxClientFrame.
	CloseMessageTooBig = 1009
	// CloseUnsupportedData (1003) answers a binary client frame.
	CloseUnsupportedData = 1003
	// CloseInvalidPayload (1007) answers a client text frame that is not
	// valid UTF-8.
	CloseInvalidPayload = 1007
)

// Close reasons that accompany the codes above.
const (
	ReasonSlowConsumer   = "slow consumer"
	ReasonServiceRestart = "service restart"
	ReasonTryAgainLater  = "try again later"
	// ReasonPingFlood goes with 1008 to a client that keeps sending
	// pings while their answers cannot go out (it is not reading).
	ReasonPingFlood = "too many pings"
)

// Defaults applied by NewHub to zero fields of HubConfig.
const (
	DefaultRegion           = "cn"
	DefaultPingInterval     = 25 * time.Second
	DefaultWriteTimeout     = 10 * time.Second
	DefaultMaxQueueBytes    = 256 << 10
	DefaultMaxClientFrame   = 4 << 10
	DefaultRingSize         = 1024
	DefaultHoldBack         = 150 * time.Millisecond
	DefaultCatchUpInterval  = 3 * time.Second
	DefaultMaxLogCatchUp    = 5000
	DefaultVolatileInterval = time.Second
	DefaultPresenceInterval = 5 * time.Second
	DefaultPresenceTTL      = 15 * time.Second
	DefaultSnapshotMaxAge   = 5 * time.Second
	DefaultSSEHeartbeat     = 15 * time.Second
	DefaultReadBufferSize   = 512
	// DefaultMaxViewersPerAddress is the default per-address cap: a
	// household or a small office behind one NAT stays well under it.
	DefaultMaxViewersPerAddress = 100
)

// RegionOther is the region of viewers outside every known region (the
// live page's "other countries"). A viewer may always name it
// (?region=other); it is counted as a region of its own in presence and
// the viewer gauges, never as the node's region.
const RegionOther = "other"

// UnlimitedViewers, as HubConfig.MaxViewersPerAddress, turns the
// per-address cap off (load generators, a node behind a gateway that
// limits on its own).
const UnlimitedViewers = -1

// HubConfig configures a Hub. Every zero value means the default named
// in its comment, so HubConfig{} is a valid single-node configuration.
type HubConfig struct {
	// Region is this node's region (cn, hu, …); viewers that name no
	// region count here. Zero: the first of KnownRegions, else "cn".
	Region string
	// NodeID identifies this node in presence and on the broker; it must be
	// unique in the cluster. Zero: host name + "-" + pid.
	NodeID string
	// KnownRegions are the regions a viewer may name (?region=), besides
	// RegionOther; anything else is refused with 400. Region is always
	// included. Zero: [Region].
	KnownRegions []string
	// Origins decides which browsers may open websockets: those on the
	// node's own origin (as Fiber sees it behind trusted proxies) and
	// those the policy allows — the rule the API's cookie writes follow.
	// A request without an Origin header (a non-browser client) is always
	// allowed. Zero: the own origin only.
	Origins origin.Policy

	// PingInterval is how often each websocket viewer is pinged. Zero: 25 s.
	PingInterval time.Duration
	// PongWait is how long a websocket viewer may stay silent (no pong, no
	// frame) before it is dropped. Zero, or not more than 5/4 of
	// PingInterval: 2 × PingInterval.
	PongWait time.Duration
	// WriteTimeout bounds one batch of socket writes; a viewer whose socket
	// accepts nothing for this long is dropped. Zero: 10 s.
	WriteTimeout time.Duration
	// MaxQueueBytes bounds each viewer's queue of frames not yet written;
	// a delivery that would exceed it closes the viewer with 1008 "slow
	// consumer". Zero: 256 KiB.
	MaxQueueBytes int
	// MaxClientFrame is the largest frame a client may send; a larger one
	// closes the connection with 1009. Zero: 4 KiB.
	MaxClientFrame int
	// ReadBufferSize is each websocket's read buffer (client frames are
	// tiny); at least 125 bytes are used. Zero: 512.
	ReadBufferSize int
	// MaxViewersPerAddress caps the websocket and SSE viewers open at
	// once from one client address (as Fiber's c.IP sees it, so behind
	// trusted proxies the proxy header's address); past it a handshake
	// gets 429 rate_limited with Retry-After. Zero: 100; negative
	// (UnlimitedViewers): no cap.
	MaxViewersPerAddress int

	// RingSize is how many recent envelopes per event are kept in memory to
	// serve reconnects. Zero: 1024.
	RingSize int
	// HoldBack is how long an envelope that arrives before an earlier seq
	// waits for it before the gap is fetched from the log. Zero: 150 ms.
	HoldBack time.Duration
	// CatchUpInterval is how often each active event's last seq is compared
	// with the log, so a silently dead subscription cannot leave viewers
	// stale. Zero: 3 s.
	CatchUpInterval time.Duration
	// MaxLogCatchUp is the most missed envelopes a reconnecting viewer (or
	// a lagging node) is sent from the log; further behind, it gets a
	// snapshot. Zero: 5000.
	MaxLogCatchUp int
	// VolatileInterval is how long volatile messages (latest value per
	// event and type) are held and coalesced before they are sent, timed
	// from the first one since the last send: at most one send per
	// interval, and no timer while nothing is held. Zero: 1 s.
	VolatileInterval time.Duration
	// PresenceInterval is how often this node reports its viewer counts and
	// recomputes the cluster's totals. Zero: 5 s.
	PresenceInterval time.Duration
	// PresenceTTL is how long a node's reported counts stay valid; a node
	// that stops reporting drops out after it. Zero: 15 s (raised to at
	// least 2 × PresenceInterval).
	PresenceTTL time.Duration
	// SnapshotMaxAge is how old the cached snapshot may get before the
	// next viewer that needs it rebuilds it (for its volatile parts:
	// attendance, presence). Zero: 5 s.
	SnapshotMaxAge time.Duration
	// SSEHeartbeat is the period of the comment line that keeps idle
	// Server-Sent-Events streams open and detects gone clients. Zero: 15 s.
	SSEHeartbeat time.Duration

	// Metrics receives the hub's counts and timings (see Metrics). Nil:
	// none are recorded.
	Metrics *Metrics
}

// withDefaults returns cfg with every zero field set to its default.
func (cfg HubConfig) withDefaults() HubConfig {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
		if len(cfg.KnownRegions) > 0 {
			cfg.Region = cfg.KnownRegions[0]
		}
	}
	if cfg.NodeID == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "node"
		}
		cfg.NodeID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	cfg.KnownRegions = slices.Clone(cfg.KnownRegions)
	if !slices.Contains(cfg.KnownRegions, cfg.Region) {
		cfg.KnownRegions = append(cfg.KnownRegions, cfg.Region)
	}
	setDur(&cfg.PingInterval, DefaultPingInterval)
	if cfg.PongWait <= cfg.PingInterval*5/4 {
		cfg.PongWait = 2 * cfg.PingInterval
	}
	setDur(&cfg.WriteTimeout, DefaultWriteTimeout)
	setInt(&cfg.MaxQueueBytes, DefaultMaxQueueBytes)
	setInt(&cfg.MaxClientFrame, DefaultMaxClientFrame)
	setInt(&cfg.ReadBufferSize, DefaultReadBufferSize)
	if cfg.MaxViewersPerAddress == 0 {
		cfg.MaxViewersPerAddress = DefaultMaxViewersPerAddress
	} else if cfg.MaxViewersPerAddress < 0 {
		cfg.MaxViewersPerAddress = UnlimitedViewers
	}
	setInt(&cfg.RingSize, DefaultRingSize)
	setDur(&cfg.HoldBack, DefaultHoldBack)
	setDur(&cfg.CatchUpInterval, DefaultCatchUpInterval)
	setInt(&cfg.MaxLogCatchUp, DefaultMaxLogCatchUp)
	setDur(&cfg.VolatileInterval, DefaultVolatileInterval)
	setDur(&cfg.PresenceInterval, DefaultPresenceInterval)
	setDur(&cfg.PresenceTTL, DefaultPresenceTTL)
	if cfg.PresenceTTL < 2*cfg.PresenceInterval {
		cfg.PresenceTTL = 2 * cfg.PresenceInterval
	}
	setDur(&cfg.SnapshotMaxAge, DefaultSnapshotMaxAge)
	setDur(&cfg.SSEHeartbeat, DefaultSSEHeartbeat)
	return cfg
}

func setDur(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func setInt(n *int, def int) {
	if *n <= 0 {
		*n = def
	}
}
