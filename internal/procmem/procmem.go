// Package procmem reads the resident memory (RSS) of this whole process,
// for benchmarks that must report what the operating system sees and not
// only the Go heap: the runtime's own memory, goroutine stacks, heap the
// runtime has not yet handed back and mapped files all count against a
// phone or a ward PC.
//
// It reads VmRSS (resident now) and VmHWM (the most ever resident) from
// /proc/self/status, so it works on Linux only; elsewhere Sample reports
// that it knows nothing, and benchmarks then report nothing rather than a
// made-up figure. VmHWM is a peak over the process's life: ResetPeak
// brings it down to the current RSS (by writing "5" to
// /proc/self/clear_refs, Linux 4.0 and later) so that a benchmark can
// report the peak of its measured part alone.
//
// MB in the metric names means MiB (2^20 bytes), as elsewhere in make
// bench.
package procmem

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
)

// Usage is the process's resident memory, in bytes.
type Usage struct {
	// Current is the resident set now (VmRSS).
	Current uint64
	// Peak is the largest resident set since the process started or since
	// the last successful ResetPeak, whichever is later (VmHWM).
	Peak uint64
}

// CurrentMB is Current in MiB.
func (u Usage) CurrentMB() float64 { return float64(u.Current) / (1 << 20) }

// PeakMB is Peak in MiB.
func (u Usage) PeakMB() float64 { return float64(u.Peak) / (1 << 20) }

// Sample reads the process's current and peak resident memory. ok is false
// where the system does not say (no /proc/self/status, as on every OS but
// Linux): the caller must then report nothing.
func Sample() (u Usage, ok bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return Usage{}, false
	}
	var rss, hwm bool
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, value, found := bytes.Cut(sc.Bytes(), []byte(":"))
		if !found {
			continue
		}
		switch string(name) {
		case "VmRSS":
			u.Current, rss = kB(value)
		case "VmHWM":
			u.Peak, hwm = kB(value)
		}
	}
	return u, rss && hwm
}

// kB parses a /proc/self/status size ("   1764 kB") into bytes.
func kB(v []byte) (uint64, bool) {
	f := bytes.Fields(v)
	if len(f) != 2 || string(f[1]) != "kB" {
		return 0, false
	}
	n, err := strconv.ParseUint(string(f[0]), 10, 64)
	if err != nil {
		return 0, false
	}
	return n << 10, true
}

// ResetPeak sets the process's peak resident memory (VmHWM) to its current
// RSS and reports whether it could. Where it could not, Sample's Peak is
// still the peak over the process's whole life.
func ResetPeak() bool {
	f, err := os.OpenFile("/proc/self/clear_refs", os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	_, err = f.WriteString("5")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err == nil
}

// Reporter takes a benchmark's metrics: a *testing.B.
type Reporter interface {
	ReportMetric(n float64, unit string)
}

// Measure starts the measured part of a benchmark: it collects garbage
// and hands the free heap back to the system (so that what the set-up
// left behind is not counted), resets the peak and returns report. Call
// report when the measured part ends: it adds "MB-rss" (resident now) and
// "MB-rss-peak" (the most resident since Measure) to b's metrics. Where
// the peak could not be reset it adds MB-rss only (a lifetime peak would
// say nothing about the part measured), and where the system does not say
// (not Linux) it adds nothing.
func Measure() (report func(b Reporter)) {
	debug.FreeOSMemory()
	reset := ResetPeak()
	return func(b Reporter) {
		u, ok := Sample()
		if !ok {
			return
		}
		b.ReportMetric(u.CurrentMB(), "MB-rss")
		if reset {
			b.ReportMetric(u.PeakMB(), "MB-rss-peak")
		}
	}
}
