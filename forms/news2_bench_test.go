package forms

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// benchObs makes n observation sets spread over every NEWS2 band, with a
// few incomplete and a few unusual ones, from a fixed seed.
func benchObs(n int) []Observations {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]Observations, n)
	for i := range out {
		o := Observations{
			PatientID:     "p",
			RespRate:      obsInt(6 + r.IntN(30)),
			SpO2:          obsInt(85 + r.IntN(16)),
			OnOxygen:      obsBool(r.IntN(4) == 0),
			Systolic:      obsInt(80 + r.IntN(160)),
			Diastolic:     obsInt(40 + r.IntN(60)),
			Pulse:         obsInt(35 + r.IntN(120)),
			Consciousness: string("AAAAAAAACVPU"[r.IntN(12)]),
			TempC:         obsFloat(float64(340+r.IntN(70)) / 10),
		}
		if r.IntN(20) == 0 {
			o.TempC = nil
		}
		out[i] = o
	}
	return out
}

// BenchmarkScoreAndValidate100k scores and validates 100,000 observation
// sets per op, as a ward list of that many sets would. It reports the
// time and allocations per set.
func BenchmarkScoreAndValidate100k(b *testing.B) {
	const n = 100_000
	sets := benchObs(n)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for b.Loop() {
		for i := range sets {
			s := ScoreNEWS2(sets[i], 1+i%2)
			total += s.Partial
			total += len(ValidateObservations(sets[i]))
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	if total == 0 {
		b.Fatal("nothing scored")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/set")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N*n), "allocs/set")
}

func TestScoreAndValidate_NormalSetAllocatesNothing(t *testing.T) {
	o := normalObs()
	got := testing.AllocsPerRun(100, func() {
		ScoreNEWS2(o, 1)
		ValidateObservations(o)
	})
	if got != 0 {
		t.Errorf("ScoreNEWS2 + ValidateObservations(normal set) allocs = %v, want 0", got)
	}
}
