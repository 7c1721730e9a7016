package reconcile

import (
	"errors"
	"slices"
	"testing"

	"lifeboat"
)

// laneBundle is a Bundle of patient writing each of writes: "+Location/w"
// a conditional create of Location w, "=Location/w" a conditional update.
func laneBundle(patient string, writes ...string) Bundle {
	b := Bundle{ResourceType: "Bundle", Type: "transaction", Patient: patient}
	for _, w := range writes {
		typ, id := w[1:len(w)-2], w[len(w)-1:]
		q := "identifier=s|" + id
		r := &Request{Method: "POST", URL: typ, IfNoneExist: q}
		if w[0] == '=' {
			r = &Request{Method: "PUT", URL: typ + "?" + q}
		}
		b.Entry = append(b.Entry, Entry{Request: r})
	}
	return b
}

func oks(n int, ok bool) []Outcome {
	out := make([]Outcome, n)
	for i := range out {
		out[i].OK = ok
	}
	return out
}

// TestLanes_SharedResourcesWaitForTheirFirstWriter: one patient's Bundles
// form a lane; a Bundle writing a resource another lane also writes (a
// ward's Location) waits until an earlier Bundle has created it, or every
// earlier writer of it was answered; a conditional update waits for every
// earlier writer even once it exists. Resources of one lane never wait.
func TestLanes_SharedResourcesWaitForTheirFirstWriter(t *testing.T) {
	type step struct {
		answer int  // Bundle answered
		ok     bool // its entries written
		ready  []int
	}
	for _, tt := range []struct {
		name    string
		bundles []Bundle
		lanes   [][]int
		shared  int
		ready   []int // let through by the gates before any answer
		steps   []step
	}{
		{
			name:    "no shared resource: every lane goes at once",
			bundles: []Bundle{laneBundle("a", "+Patient/a", "+Observation/1"), laneBundle("b", "+Patient/b"), laneBundle("a", "+Patient/a", "+Observation/2")},
			lanes:   [][]int{{0, 2}, {1}},
			ready:   []int{0, 1, 2}, // no gate: the order within a lane is the worker's
		},
		{
			name:    "ward created by the first lane, then the others go",
			bundles: []Bundle{laneBundle("a", "+Location/w"), laneBundle("b", "+Location/w"), laneBundle("c", "+Location/w")},
			lanes:   [][]int{{0}, {1}, {2}},
			shared:  1,
			ready:   []int{0},
			steps:   []step{{answer: 0, ok: true, ready: []int{1, 2}}},
		},
		{
			name:    "the first writer refused: the next one tries alone",
			bundles: []Bundle{laneBundle("a", "+Location/w"), laneBundle("b", "+Location/w"), laneBundle("c", "+Location/w")},
			lanes:   [][]int{{0}, {1}, {2}},
			shared:  1,
			ready:   []int{0},
			steps:   []step{{answer: 0, ok: false, ready: []int{1}}, {answer: 1, ok: true, ready: []int{2}}},
		},
		{
			name:    "a conditional update waits for every earlier writer",
			bundles: []Bundle{laneBundle("a", "+Location/w"), laneBundle("b", "+Location/w"), laneBundle("", "=Location/w")},
			lanes:   [][]int{{0}, {1}, {2}},
			shared:  1,
			ready:   []int{0},
			steps:   []step{{answer: 0, ok: true, ready: []int{1}}, {answer: 1, ok: true, ready: []int{2}}},
		},
		{
			name: "lanes in the order of their first Bundle; each shared resource waits on its own",
			bundles: []Bundle{laneBundle("a", "+Patient/a"), laneBundle("a", "+Location/w"), laneBundle("b", "+Location/w"),
				laneBundle("b", "+Location/x"), laneBundle("", "=Location/x")},
			lanes:  [][]int{{0, 1}, {2, 3}, {4}},
			shared: 2,
			ready:  []int{0, 1, 3}, // the order within a lane is the worker's
			steps:  []step{{answer: 1, ok: true, ready: []int{0, 2, 3}}, {answer: 3, ok: true, ready: []int{0, 2, 4}}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := planLanes(tt.bundles)
			if !slices.EqualFunc(l.lanes, tt.lanes, slices.Equal) {
				t.Fatalf("lanes = %v, want %v", l.lanes, tt.lanes)
			}
			if len(l.keyOf) != tt.shared {
				t.Errorf("shared = %v, want %d", l.keyOf, tt.shared)
			}
			readyNow := func() []int {
				var r []int
				for i := range tt.bundles {
					if !l.done[i] && l.ready(i) {
						r = append(r, i)
					}
				}
				return r
			}
			if got := readyNow(); !slices.Equal(got, tt.ready) {
				t.Errorf("ready at start = %v, want %v", got, tt.ready)
			}
			for _, s := range tt.steps {
				l.answered(s.answer, oks(len(tt.bundles[s.answer].Entry), s.ok))
				if got := readyNow(); !slices.Equal(got, s.ready) {
					t.Errorf("ready after %d answered (ok %v) = %v, want %v", s.answer, s.ok, got, s.ready)
				}
			}
		})
	}
}

func TestCheckWorkers(t *testing.T) {
	for n, ok := range map[int]bool{-1: false, 0: false, 1: true, 8: true, 32: true, 33: false} {
		if err := CheckWorkers(n); (err == nil) != ok || (err != nil && !errors.Is(err, lifeboat.ErrInvalid)) {
			t.Errorf("CheckWorkers(%d) = %v, want ok %v", n, err, ok)
		}
	}
}
