package mesh

import (
	"context"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"
)

// DefaultNoiseInterval is how often a misbehaving peer may put a line in
// the log (Config.NoiseInterval).
const DefaultNoiseInterval = time.Minute

// maxNoiseKeys bounds the peers the limiter tracks (a sender can forge
// many UDP source addresses); beyond it they share one key.
const maxNoiseKeys = 1024

// noise rate-limits the log lines that misbehaving peers cause (refused
// messages, undecodable packets, junk connections): per key (a peer's
// device ID or host) the first line in each interval is logged and the
// rest are counted; the count goes out as "suppressed" with the key's
// next line, or from flush once the interval is over. A peer sending
// garbage per packet must not fill the disk or bury the lines that
// matter. Safe for concurrent use.
type noise struct {
	interval time.Duration
	now      func() time.Time

	mu         sync.Mutex
	keys       map[string]*noisy
	suppressed uint64 // lines not logged, in all
}

type noisy struct {
	since      time.Time // start of its current interval
	suppressed int       // lines not logged in it
	level      slog.Level
	msg        string
	log        *slog.Logger
}

func newNoise(interval time.Duration, now func() time.Time) *noise {
	return &noise{interval: interval, now: now, keys: map[string]*noisy{}}
}

// log logs msg for key at level unless key already had a line in this
// interval; args never hold payloads or keys (as for any log line).
func (r *noise) log(l *slog.Logger, level slog.Level, key, msg string, args ...any) {
	if !l.Enabled(context.Background(), level) {
		return
	}
	now := r.now()
	r.mu.Lock()
	k := r.keys[key]
	if k == nil && len(r.keys) >= maxNoiseKeys {
		key = "(many)"
		k = r.keys[key]
	}
	if k != nil && now.Sub(k.since) < r.interval {
		k.suppressed++
		k.level, k.msg, k.log = max(k.level, level), msg, l
		r.suppressed++
		r.mu.Unlock()
		return
	}
	n := 0
	if k != nil {
		n = k.suppressed
	}
	r.keys[key] = &noisy{since: now, level: level, msg: msg, log: l}
	r.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	l.Log(context.Background(), level, msg, args...)
}

// flush logs, for each key whose interval is over, how many of its lines
// were not logged, and forgets keys that were quiet for an interval.
// all flushes every key (at shutdown).
func (r *noise) flush(all bool) {
	now := r.now()
	type line struct {
		l     *slog.Logger
		level slog.Level
		msg   string
		key   string
		n     int
	}
	var out []line
	r.mu.Lock()
	for key, k := range r.keys {
		if !all && now.Sub(k.since) < r.interval {
			continue
		}
		if k.suppressed > 0 {
			out = append(out, line{k.log, k.level, k.msg, key, k.suppressed})
			// A new interval starts now, so a peer still misbehaving gets
			// at most one more line in it.
			r.keys[key] = &noisy{since: now, level: k.level, msg: k.msg, log: k.log}
			continue
		}
		delete(r.keys, key)
	}
	r.mu.Unlock()
	for _, o := range out {
		o.l.Log(context.Background(), o.level, o.msg, "from", o.key, "suppressed", o.n, "within", r.interval)
	}
}

// total is how many lines have not been logged since the node started.
func (r *noise) total() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.suppressed
}

// maxProblemKey bounds the problem part of a noise key.
const maxProblemKey = 60

var (
	logFrom = regexp.MustCompile(`from=(\S+)`)
	logNode = regexp.MustCompile(`'([^']*)'`)
	digits  = regexp.MustCompile(`[0-9]+`)
)

// noiseKey is the key of one of memberlist's lines: the host it names
// (from=host:port; every connection from one host is one peer) with the
// problem (the line's start, numbers taken out), else the node it names
// in quotes, else the line with its numbers taken out.
func noiseKey(line string) string {
	if m := logFrom.FindStringSubmatch(line); m != nil {
		host := m[1]
		if h, _, err := net.SplitHostPort(m[1]); err == nil {
			host = h
		}
		// One line per host and problem: a host failing in two ways
		// (a peer that cannot decrypt, and acks to an old address) shows
		// both, not whichever came first in the minute.
		what := digits.ReplaceAllString(strings.TrimSpace(logFrom.ReplaceAllString(line, "")), "#")
		if len(what) > maxProblemKey {
			what = strings.TrimSpace(what[:maxProblemKey])
		}
		return host + " " + what
	}
	if m := logNode.FindStringSubmatch(line); m != nil {
		return m[1]
	}
	return digits.ReplaceAllString(line, "#")
}
