package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/internal/fhirtest"
	"lifeboat/store"
	"lifeboat/sync/reconcile"
)

// benchEvents is the size of the downtime the send figures are for.
const benchEvents = 100000

// mustBigDemo is a demo ward grown by n events from the site (demo
// --events n), signed in as the admin, with its whole log.
func mustBigDemo(b *testing.B, n int) (*store.DB, *store.Session, []lifeboat.Event) {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), StoreFile)
	if err := SeedDemoLoad(ctx, path, store.TestKDF, time.Now(), n); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Unlock(ctx, DemoPassphrase); err != nil {
		b.Fatal(err)
	}
	users, err := db.Users(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var s *store.Session
	for _, u := range users {
		if u.Name == "Ada Admin" {
			s, err = db.SignIn(ctx, u.ID, DemoAdminPIN, "")
		}
	}
	if s == nil || err != nil {
		b.Fatalf("sign in: %v", err)
	}
	evs, err := wholeLog(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	return db, s, evs
}

// BenchmarkExport100k maps a 100k-event store's log to FHIR transaction
// Bundles (target >= 20,000 events/s). Reading the log is not timed.
func BenchmarkExport100k(b *testing.B) {
	db, _, evs := mustBigDemo(b, benchEvents)
	db.Close() // nothing of the store's runs while timing
	runtime.GC()
	b.ResetTimer()
	var x *reconcile.Export
	for i := 0; i < b.N; i++ {
		var err error
		if x, err = reconcile.ExportFHIR(evs, reconcile.ExportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(len(x.Events)), "exported")
	b.ReportMetric(float64(len(evs)), "log-events")
}

// BenchmarkSend100k sends a 100k-event store's downtime to the test FHIR
// server (Medplum's router in memory, on this machine), recording every
// outcome in the store as lifeboat send does: one transaction at a time
// (workers=1, as before parallel send) and with lifeboat send's default
// (workers=8), so one run gives the before and after. Each iteration
// starts a fresh server (not timed), so every send creates everything.
// Besides the wall time it reports the CPU time each side used during the
// send: go-cpu-s (this process: mapping, HTTP, the store's writes, GC) and
// server-cpu-s (the Node server, single-threaded: it can never take less
// wall time than that), read from /proc (0 where there is none).
func BenchmarkSend100k(b *testing.B) {
	db, s, evs := mustBigDemo(b, benchEvents)
	x, err := reconcile.ExportFHIR(evs, reconcile.ExportOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, reconcile.DefaultWorkers} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			var secs, goCPU, srvCPU float64
			var posts int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				before := childCPU()
				srv := fhirtest.Start(b)
				node := 0
				for pid := range childCPU() {
					if _, ok := before[pid]; !ok {
						node = pid
					}
				}
				runtime.GC()
				srv0, go0 := childCPU()[node], selfCPU()
				b.StartTimer()
				start := time.Now()
				n := &postCounter{RoundTripper: transport()}
				c := &reconcile.Client{BaseURL: srv.URL, Workers: workers, HTTP: &http.Client{Timeout: time.Minute, Transport: n}}
				rep, err := reconcile.Send(context.Background(), c, x, reconcile.StoreAppender(db, s), "bench", time.Now, nil)
				secs += time.Since(start).Seconds()
				posts += n.Load()
				goCPU += selfCPU() - go0
				if node != 0 {
					srvCPU += childCPU()[node] - srv0
				}
				if err != nil || rep.Rejected != 0 {
					b.Fatalf("send = %+v, %v", rep, err)
				}
			}
			b.ReportMetric(secs/float64(b.N), "send-s")
			b.ReportMetric(goCPU/float64(b.N), "go-cpu-s")
			b.ReportMetric(srvCPU/float64(b.N), "server-cpu-s")
			b.ReportMetric(float64(len(x.Events)*b.N)/secs, "events/s")
			b.ReportMetric(float64(len(x.Events)), "exported")
			b.ReportMetric(float64(len(x.Bundles)), "bundles")
			b.ReportMetric(float64(posts)/float64(b.N), "posts")
		})
	}
}

// postCounter counts the requests (transactions) sent through it.
type postCounter struct {
	http.RoundTripper
	atomic.Int64
}

func (p *postCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	p.Add(1)
	return p.RoundTripper.RoundTrip(r)
}

// transport is a transport keeping an idle connection per worker, as
// lifeboat send's does.
func transport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = reconcile.MaxWorkers
	return t
}

// selfCPU is the CPU time this process has used, in seconds (0 where
// there is no /proc).
func selfCPU() float64 {
	_, _, cpu := procStat("self")
	return cpu
}

// childCPU is the CPU time (in seconds) of each running child process of
// this one named node, from /proc (Linux; none elsewhere).
func childCPU() map[int]float64 {
	out := map[int]float64{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if comm, ppid, cpu := procStat(d.Name()); comm == "node" && ppid == os.Getpid() {
			out[pid] = cpu
		}
	}
	return out
}

// procStat reads /proc/PID/stat: the command's name, its parent and the
// CPU time it has used (user and system, in seconds).
func procStat(pid string) (comm string, ppid int, cpu float64) {
	stat, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return "", 0, 0
	}
	// pid (comm) state ppid ... utime stime: fields 14 and 15.
	i, j := bytes.LastIndexByte(stat, ')'), bytes.IndexByte(stat, '(')
	if i < 0 || j < 0 || j > i {
		return "", 0, 0
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return "", 0, 0
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return string(stat[j+1 : i]), ppid, (ut + st) / clockTicks
}

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat's times: 100
// on every architecture Go supports.
const clockTicks = 100
