package procmem

import (
	"runtime"
	"runtime/debug"
	"testing"
)

const touched = 64 << 20

// touch allocates n bytes and writes to every page, so that all of it is
// resident.
func touch(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	return b
}

func mustSample(t *testing.T) Usage {
	t.Helper()
	u, ok := Sample()
	if !ok {
		t.Skip("no /proc/self/status: procmem reports nothing on this system")
	}
	if u.Current == 0 || u.Peak < u.Current {
		t.Fatalf("Sample() = %+v, want 0 < Current <= Peak", u)
	}
	return u
}

// TestSample_SeesTouchedMemory: touching 64 MB raises the resident set and
// its peak by about that much, and once it is handed back and the peak is
// reset, the peak falls with it.
func TestSample_SeesTouchedMemory(t *testing.T) {
	debug.FreeOSMemory()
	before := mustSample(t)
	buf := touch(touched)
	during := mustSample(t)
	if grew := int64(during.Current) - int64(before.Current); grew < touched*9/10 {
		t.Errorf("RSS grew by %d bytes after touching %d, want at least 90%%", grew, touched)
	}
	if during.Peak < during.Current {
		t.Errorf("peak %d below current %d", during.Peak, during.Current)
	}
	runtime.KeepAlive(buf)
	buf = nil
	debug.FreeOSMemory()
	if !ResetPeak() {
		t.Skip("the kernel does not let the peak be reset (needs Linux 4.0)")
	}
	after := mustSample(t)
	if after.Peak > during.Current-touched/2 {
		t.Errorf("peak after release and reset = %d, want well below %d (resident while touched)", after.Peak, during.Current)
	}
}

// TestMeasure_ReportsThePartsPeak: Measure's report gives the RSS at the
// end of the measured part and the peak of that part (64 MB touched in
// it), not the process's lifetime peak (128 MB touched before it).
func TestMeasure_ReportsThePartsPeak(t *testing.T) {
	mustSample(t)
	big := touch(2 * touched)
	runtime.KeepAlive(big)
	big = nil
	report := Measure()
	base := mustSample(t)
	buf := touch(touched)
	got := metrics{}
	report(got)
	runtime.KeepAlive(buf)
	mb := func(n uint64) float64 { return float64(n) / (1 << 20) }
	if rss := got["MB-rss"]; rss < mb(base.Current+touched*9/10) {
		t.Errorf("MB-rss = %.1f, want at least %.1f (%.1f at the start and 64 MB touched)", rss, mb(base.Current+touched*9/10), mb(base.Current))
	}
	peak, ok := got["MB-rss-peak"]
	if !ResetPeak() {
		if ok {
			t.Errorf("MB-rss-peak reported where the peak cannot be reset: %v", got)
		}
		t.Skip("the kernel does not let the peak be reset (needs Linux 4.0)")
	}
	if peak < got["MB-rss"] || peak > mb(base.Current+touched*3/2) {
		t.Errorf("MB-rss-peak = %.1f, want the part's peak: from MB-rss %.1f to %.1f, not the 128 MB touched before (metrics %v)",
			peak, got["MB-rss"], mb(base.Current+touched*3/2), got)
	}
	t.Logf("start %.1f MB; metrics %v", mb(base.Current), got)
}

func TestKB(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"\t  1764 kB", 1764 << 10, true},
		{"0 kB", 0, true},
		{"1764", 0, false},
		{"1764 MB", 0, false},
		{"x kB", 0, false},
		{"-1 kB", 0, false},
		{"", 0, false},
	} {
		got, ok := kB([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("kB(%q) = %d, %v, want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// metrics is a Reporter that keeps what it is given.
type metrics map[string]float64

func (m metrics) ReportMetric(n float64, unit string) { m[unit] = n }
