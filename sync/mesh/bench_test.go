package mesh_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/internal/procmem"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh"
)

// signedObs makes n signed events of a fresh test device enrolled on db
// (a patient and n-1 observation sets), without applying them.
func signedObs(tb testing.TB, db *store.DB, admin *store.Session, n int) []lifeboat.Event {
	tb.Helper()
	dev := storetest.NewDevice(tb)
	if _, err := db.Enrol(context.Background(), admin, dev.Pub, "bench"); err != nil {
		tb.Fatal(err)
	}
	pid := "patient-" + dev.ID
	reg, _ := json.Marshal(forms.Patient{ID: pid, Surname: "Bench", Given: "Mark", BirthDate: "1960-01-01", TempID: "DT-" + dev.ID + "-1"})
	evs := []lifeboat.Event{dev.Next(admin.User.ID, forms.KindPatientRegistered, pid, reg, storetest.T0)}
	for i := 1; i < n; i++ {
		r, sp, pulse, temp, air := 12+i%10, 94+i%5, 60+i%40, 36.5+float64(i%10)/10, false
		obs, _ := json.Marshal(forms.Observations{PatientID: pid, RespRate: &r, SpO2: &sp, SpO2Scale: 1, OnOxygen: &air,
			Systolic: &pulse, Diastolic: &pulse, Pulse: &pulse, Consciousness: "A", TempC: &temp})
		evs = append(evs, dev.Next(admin.User.ID, forms.KindObsRecorded, pid, obs, storetest.T0.Add(time.Duration(i)*time.Second)))
	}
	return evs
}

func applyAll(tb testing.TB, db *store.DB, evs []lifeboat.Event) {
	tb.Helper()
	for len(evs) > 0 {
		k := min(1000, len(evs))
		res, err := db.ApplyRemote(context.Background(), evs[:k])
		if err != nil || len(res.Refused) > 0 || len(res.Held) > 0 {
			tb.Fatalf("ApplyRemote = %+v, %v", res.Refused, err)
		}
		evs = evs[k:]
	}
}

// peakHeap samples the heap until stopped and returns the peak in MiB
// (the whole test process: every node of the benchmark). It is the Go
// heap only; procmem.Measure gives the process's resident memory.
func peakHeap() (stop func() float64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() float64 {
		close(done)
		<-finished
		return float64(peak.Load()) / (1 << 20)
	}
}

// waitVectors polls the nodes' in-memory vectors until all equal want.
func waitVectors(tb testing.TB, within time.Duration, want map[string]uint64, nodes ...*node) {
	tb.Helper()
	waitFor(tb, within, "vectors", func() (bool, string) {
		for i, n := range nodes {
			if v := n.Status().Vector; !maps.Equal(v, want) {
				return false, fmt.Sprintf("node %d at %d devices", i, len(v))
			}
		}
		return true, ""
	})
}

// BenchmarkHeal5Nodes: five nodes, each cut off from the others, each
// takes 2,000 new events from its own device; then the network heals.
// Reports the time from heal to identical logs and the mesh's bytes
// received as a ratio to the encoded events each node lacked (the least
// any sync could move; memberlist's own gossip is not counted), the peak
// Go heap and the process's resident memory at the end and at its peak
// during the heal (MB-rss, MB-rss-peak; Linux only): the whole test
// process, all five nodes, after the set-up's garbage is collected and
// handed back. Targets: heal < 2 s, ratio <= 1.2.
func BenchmarkHeal5Nodes(b *testing.B) {
	const nodes, each = 5, 2000
	for range b.N {
		b.StopTimer()
		s := newSite(b)
		dbs := []*store.DB{s.founder}
		for range nodes - 1 {
			dbs = append(dbs, s.device(true))
		}
		var made [][]lifeboat.Event
		for range nodes {
			made = append(made, signedObs(b, s.founder, s.admin, each))
		}
		// Production's request timeout: under a full CPU a short one
		// makes nodes give up on slow answers and ask again elsewhere.
		tune := func(c *mesh.Config) { c.RequestTimeout = mesh.DefaultRequestTimeout }
		ns := []*node{s.start(s.founder, nil, tune)}
		for _, db := range dbs[1:] {
			ns = append(ns, s.start(db, []string{ns[0].Addr()}, tune))
		}
		_, n0 := digest(b, s.founder)
		converged(b, 30*time.Second, n0, dbs...)
		for i := range ns {
			for j := range i {
				s.faults.partition([]string{ns[i].Addr()}, []string{ns[j].Addr()})
			}
		}
		waitFor(b, 20*time.Second, "everyone alone", func() (bool, string) {
			for _, n := range ns {
				if len(n.Status().Peers) != 0 {
					return false, n.Device()
				}
			}
			return true, ""
		})
		var need, before, wireBefore uint64
		for i, db := range dbs {
			applyAll(b, db, made[i])
			for j := range made {
				if j != i {
					for k := range made[j] {
						need += uint64(len(made[j][k].Encode()))
					}
				}
			}
			before += ns[i].Status().BytesReceived
			wireBefore += ns[i].Status().WireBytesReceived
		}
		want := maps.Clone(ns[0].Status().Vector)
		for i := range made {
			want[made[i][0].Device] = each
		}
		rss := procmem.Measure()
		peak := peakHeap()
		b.StartTimer()
		start := time.Now()
		s.faults.heal()
		waitVectors(b, 60*time.Second, want, ns...)
		took := time.Since(start)
		b.StopTimer()
		mb := peak()
		rss(b)
		converged(b, 10*time.Second, n0+nodes*each, dbs...)
		var got, wire uint64
		for _, n := range ns {
			got += n.Status().BytesReceived
			wire += n.Status().WireBytesReceived
		}
		b.ReportMetric(took.Seconds(), "heal-s")
		// bytes/min: what the protocol sent (before compression) against
		// the encoded events each node lacked; wire/min: what went over
		// the network, batches compressed.
		b.ReportMetric(float64(got-before)/float64(need), "bytes/min")
		b.ReportMetric(float64(wire-wireBefore)/float64(need), "wire/min")
		b.ReportMetric(mb, "peak-heap-MiB")
		for _, n := range ns {
			n.stop()
		}
	}
}

// BenchmarkJoin100k: a new device joins a ward holding 100,000 events.
// Reports the time to fully synced, events per second, the peak Go heap
// and the process's resident memory when synced and at its peak during
// the join (MB-rss, MB-rss-peak; Linux only). Both are of the whole test
// process, the serving node as well as the joining one, after the
// set-up's garbage is collected and handed back. Targets: < 5 s, > 20,000
// events/s.
func BenchmarkJoin100k(b *testing.B) {
	const total = 100000
	for range b.N {
		b.StopTimer()
		s := newSite(b)
		for range 4 {
			applyAll(b, s.founder, signedObs(b, s.founder, s.admin, total/4))
		}
		c := s.device(true)
		a := s.start(s.founder, nil)
		want := maps.Clone(a.Status().Vector)
		rss := procmem.Measure()
		peak := peakHeap()
		b.StartTimer()
		start := time.Now()
		nc := s.start(c, []string{a.Addr()})
		waitVectors(b, 120*time.Second, want, nc)
		took := time.Since(start)
		b.StopTimer()
		mb := peak()
		rss(b)
		_, n := digest(b, s.founder)
		converged(b, 10*time.Second, n, s.founder, c)
		b.ReportMetric(took.Seconds(), "join-s")
		b.ReportMetric(float64(n)/took.Seconds(), "events/s")
		b.ReportMetric(mb, "peak-heap-MiB")
		nc.stop()
		a.stop()
	}
}
