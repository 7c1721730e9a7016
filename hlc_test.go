package lifeboat

import (
	"sync"
	"testing"
	"time"
)

// fakeWall is a settable wall clock for HLC tests.
type fakeWall struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeWall) now() time.Time  { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeWall) set(t time.Time) { f.mu.Lock(); f.t = t; f.mu.Unlock() }

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func TestClock_MonotonicWhenWallStandsStill(t *testing.T) {
	w := &fakeWall{t: t0}
	c := NewClock(w.now, HLC{})
	prev := c.Now()
	for i := 0; i < 1000; i++ {
		h := c.Now()
		if h.Compare(prev) <= 0 {
			t.Fatalf("Now() = %v after %v, want later", h, prev)
		}
		prev = h
	}
	if prev.Wall != t0.UnixMilli() || prev.Logical != 1000 {
		t.Errorf("after 1001 reads = %v, want wall %d logical 1000", prev, t0.UnixMilli())
	}
}

func TestClock_WallJumpsBackwards(t *testing.T) {
	w := &fakeWall{t: t0}
	c := NewClock(w.now, HLC{})
	before := c.Now()
	w.set(t0.Add(-2 * time.Hour)) // NTP or a user fixes a fast clock
	after := c.Now()
	if after.Compare(before) <= 0 {
		t.Fatalf("Now() after backwards jump = %v, want after %v", after, before)
	}
	if after.Wall != before.Wall {
		t.Errorf("wall after backwards jump = %d, want held at %d", after.Wall, before.Wall)
	}
	w.set(t0.Add(time.Second)) // the wall clock catches up again
	if got := c.Now(); got != (HLC{Wall: t0.Add(time.Second).UnixMilli()}) {
		t.Errorf("Now() once wall passes = %v, want wall time with logical 0", got)
	}
}

func TestClock_ObserveSkewedPeers(t *testing.T) {
	tests := []struct {
		name   string
		local  time.Time
		remote HLC
		want   HLC
	}{
		{"peer behind", t0, HLC{Wall: t0.Add(-time.Minute).UnixMilli(), Logical: 7}, HLC{Wall: t0.UnixMilli()}},
		{"peer ahead", t0, HLC{Wall: t0.Add(3 * time.Minute).UnixMilli(), Logical: 4}, HLC{Wall: t0.Add(3 * time.Minute).UnixMilli(), Logical: 5}},
		{"same millisecond", t0, HLC{Wall: t0.UnixMilli(), Logical: 9}, HLC{Wall: t0.UnixMilli(), Logical: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &fakeWall{t: tt.local}
			c := NewClock(w.now, HLC{})
			if got := c.Observe(tt.remote); got != tt.want {
				t.Errorf("Observe(%v) = %v, want %v", tt.remote, got, tt.want)
			}
			if next := c.Now(); next.Compare(tt.remote) <= 0 {
				t.Errorf("Now() after Observe(%v) = %v, want later than the peer", tt.remote, next)
			}
		})
	}
}

func TestClock_RestartNeverGoesBack(t *testing.T) {
	last := HLC{Wall: t0.Add(time.Hour).UnixMilli(), Logical: 3} // newest in the log
	w := &fakeWall{t: t0}                                        // clock reset to an hour earlier
	c := NewClock(w.now, last)
	if got := c.Now(); got.Compare(last) <= 0 {
		t.Errorf("Now() after restart = %v, want after %v", got, last)
	}
}

func TestClock_CounterOverflowRollsIntoNextMillisecond(t *testing.T) {
	w := &fakeWall{t: t0}
	c := NewClock(w.now, HLC{Wall: t0.UnixMilli(), Logical: ^uint32(0)})
	want := HLC{Wall: t0.UnixMilli() + 1}
	if got := c.Now(); got != want {
		t.Errorf("Now() at max counter = %v, want %v", got, want)
	}
}

func TestClock_ConcurrentUseIsStrictlyIncreasing(t *testing.T) {
	c := NewClock(nil, HLC{})
	const n, workers = 500, 4
	got := make(chan HLC, n*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				got <- c.Now()
			}
		}()
	}
	wg.Wait()
	close(got)
	seen := map[HLC]bool{}
	for h := range got {
		if seen[h] {
			t.Fatalf("Now() returned %v twice", h)
		}
		seen[h] = true
	}
}

// A peer's timestamp far ahead of wall time does not drag the clock there;
// one within the bound still orders later local events after it. Fails on
// main before this change: there is no bound, and Observe took 2099, so
// the next local event was stamped 2099 too.
func TestClock_ObserveFarAheadDoesNotMoveClock(t *testing.T) {
	w := &fakeWall{t: t0}
	c := NewClock(w.now, HLC{})
	c.SetMaxAhead(5 * time.Minute)
	far := HLC{Wall: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()}
	if got := c.Observe(far); got.Wall != t0.UnixMilli() {
		t.Errorf("Observe(2099) = %v, want the wall time %v", got, t0)
	}
	threeH := HLC{Wall: t0.Add(3 * time.Hour).UnixMilli()}
	c.Observe(threeH)
	if got := c.Now(); got.Wall != t0.UnixMilli() {
		t.Errorf("Now() after a peer 3 h ahead = %v, want the wall time %v", got, t0)
	}
	near := HLC{Wall: t0.Add(4 * time.Minute).UnixMilli(), Logical: 7}
	c.Observe(near)
	if got := c.Now(); got.Compare(near) <= 0 {
		t.Errorf("Now() after a peer 4 min ahead = %v, want after %v", got, near)
	}
	// Once wall time catches up, the far timestamp is within the bound.
	w.set(threeH.Time().Add(-time.Minute))
	c.Observe(threeH)
	if got := c.Now(); got.Compare(threeH) <= 0 {
		t.Errorf("Now() once wall time caught up = %v, want after %v", got, threeH)
	}
}
