package lifeboat

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// HLC is a hybrid logical clock timestamp: wall-clock milliseconds since the
// Unix epoch plus a logical counter that orders events within one
// millisecond or while the wall clock stands still or jumps backwards. HLCs
// order a ward's events even when device clocks disagree: an event is always
// later than every event its device had seen when it was made.
type HLC struct {
	Wall    int64  // milliseconds since the Unix epoch
	Logical uint32 // tie-breaker within one Wall value
}

// Compare returns -1, 0 or +1 as h is before, equal to or after o.
func (h HLC) Compare(o HLC) int {
	switch {
	case h.Wall < o.Wall:
		return -1
	case h.Wall > o.Wall:
		return 1
	case h.Logical < o.Logical:
		return -1
	case h.Logical > o.Logical:
		return 1
	}
	return 0
}

// IsZero reports whether h is the zero timestamp.
func (h HLC) IsZero() bool { return h == HLC{} }

// Time returns the wall-clock part as a time in UTC.
func (h HLC) Time() time.Time { return time.UnixMilli(h.Wall).UTC() }

// String formats h as "<RFC3339 millis>+<logical>".
func (h HLC) String() string {
	return fmt.Sprintf("%s+%d", h.Time().Format("2006-01-02T15:04:05.000Z"), h.Logical)
}

// Clock issues HLC timestamps. It is safe for concurrent use. The wall
// clock is injected so tests can skew it and jump it backwards.
type Clock struct {
	now func() time.Time

	mu       sync.Mutex
	last     HLC
	maxAhead int64 // ms; remote timestamps further ahead of wall time are not taken (0: no bound)
}

// ErrClockAhead is why an event is held: it is stamped further ahead of
// this device's wall time than the ward allows (a device whose clock is
// wrong, or set wrong on purpose). It is applied once the wall time
// catches up, or when an IT admin lets it in.
var ErrClockAhead = fmt.Errorf("clock far ahead: %w", ErrConflict)

// ClockAheadReason reports whether a refusal's reason, kept as text (say
// in a quarantine, which does not keep the error), is ErrClockAhead's.
func ClockAheadReason(reason string) bool {
	return strings.HasSuffix(reason, ErrClockAhead.Error())
}

// NewClock returns a clock that reads wall time from now (time.Now if nil)
// and never issues a timestamp at or before last (the newest HLC already in
// the log, so a restart cannot go back in time).
func NewClock(now func() time.Time, last HLC) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now, last: last}
}

// Now returns a timestamp for a local event: later than every timestamp this
// clock has issued or observed.
func (c *Clock) Now() HLC {
	c.mu.Lock()
	defer c.mu.Unlock()
	wall := c.now().UnixMilli()
	if wall > c.last.Wall {
		c.last = HLC{Wall: wall}
	} else {
		c.last = c.last.next()
	}
	return c.last
}

// SetMaxAhead bounds how far ahead of wall time a timestamp Observe is
// given may be and still move the clock (0 or less: no bound). Without a
// bound, one peer stamped 2099 would drag every later local event to 2099.
func (c *Clock) SetMaxAhead(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maxAhead = max(d.Milliseconds(), 0)
}

// Observe merges a timestamp received from a peer so that later local
// events sort after it, and returns the clock's new reading. A timestamp
// further ahead of wall time than SetMaxAhead allows does not move the
// clock: it advances as for a local event.
func (c *Clock) Observe(remote HLC) HLC {
	c.mu.Lock()
	defer c.mu.Unlock()
	wall := c.now().UnixMilli()
	if c.maxAhead > 0 && remote.Wall > wall+c.maxAhead {
		remote = HLC{}
	}
	switch {
	case wall > c.last.Wall && wall > remote.Wall:
		c.last = HLC{Wall: wall}
	case remote.Compare(c.last) > 0:
		c.last = remote.next()
	default:
		c.last = c.last.next()
	}
	return c.last
}

// Last returns the newest timestamp issued or observed.
func (c *Clock) Last() HLC {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// next is the smallest timestamp after h with the same wall time, rolling
// into the next millisecond if the counter is exhausted.
func (h HLC) next() HLC {
	if h.Logical == ^uint32(0) {
		return HLC{Wall: h.Wall + 1}
	}
	return HLC{Wall: h.Wall, Logical: h.Logical + 1}
}
