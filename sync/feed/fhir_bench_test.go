package feed

import (
	"fmt"
	"testing"
	"time"

	"lifeboat/internal/fhirtest"
	"lifeboat/sync/reconcile"
)

// BenchmarkFeedFirstPull1000 is a first (full) pull of 1,000 inpatients
// with their orders, allergies and weights from the local FHIR server
// (Medplum's router over its in-memory repository); seeding is not timed.
func BenchmarkFeedFirstPull1000(b *testing.B) {
	srv := fhirtest.Start(b)
	seed := fhirtest.SeedCensus(b, srv, 1000, 1)
	var c reconcile.Census
	var took time.Duration
	for b.Loop() {
		f, err := NewFHIR(FHIRConfig{Base: srv.URL, PageSize: DefaultPageSize}, reconcile.CensusOptions{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		c, err = f.Pull(b.Context())
		took += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
	}
	if len(c.Patients) != len(seed.Patients) {
		b.Fatalf("pulled %d patients, want %d", len(c.Patients), len(seed.Patients))
	}
	b.ReportMetric(took.Seconds()/float64(b.N), "pull-s")
	b.ReportMetric(float64(len(c.Patients)), "patients")
}

// BenchmarkFeedIncremental1000 is an incremental pull after ~10 changes
// on the server (five allergies and five weights added), with 1,000
// inpatients held; the changes are not timed.
func BenchmarkFeedIncremental1000(b *testing.B) {
	srv := fhirtest.Start(b)
	seed := fhirtest.SeedCensus(b, srv, 1000, 1)
	f, err := NewFHIR(FHIRConfig{Base: srv.URL, PageSize: DefaultPageSize}, reconcile.CensusOptions{})
	if err != nil {
		b.Fatal(err)
	}
	f.overlap = 0         // the seeding just before is not a change to fetch again
	f.fullPulls = 1 << 30 // time only incremental pulls
	f.fullAfter = 24 * time.Hour
	if _, err := f.Pull(b.Context()); err != nil {
		b.Fatal(err)
	}
	var took time.Duration
	var requests, resources int
	n := 0
	for b.Loop() {
		b.StopTimer()
		for k := range 5 {
			p := seed.Patients[(n*5+k*97)%len(seed.Patients)]
			srv.Put(b, fhirtest.AllergyIntolerance(fmt.Sprintf("al-bench-%d-%d", n, k), p.ID, "Latex", "300916003"),
				fhirtest.Weight(fmt.Sprintf("wt-bench-%d-%d", n, k), p.ID, 70, time.Now().Add(-time.Minute)))
		}
		n++
		b.StartTimer()
		start := time.Now()
		if _, err := f.Pull(b.Context()); err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		if f.last.wasFull {
			b.Fatalf("pull was full (%s)", f.last.fellBack)
		}
		requests += f.last.requests
		resources += f.last.resources
	}
	b.ReportMetric(took.Seconds()/float64(b.N), "pull-s")
	b.ReportMetric(float64(requests)/float64(b.N), "requests")
	b.ReportMetric(float64(resources)/float64(b.N), "changed")
	b.ReportMetric(float64(len(seed.Patients)), "patients")
}
