package reconcile

import (
	"fmt"

	"lifeboat"
)

// DefaultWorkers is how many transactions Send has in flight at once when
// Client.Workers is 0.
const DefaultWorkers = 8

// MaxWorkers is the most transactions Send has in flight at once: more
// gain nothing on a server that answers one or a few at a time, and a
// trust's server should not be flooded by one ward's send.
const MaxWorkers = 32

// CheckWorkers refuses a worker count outside 1..MaxWorkers.
func CheckWorkers(n int) error {
	if n < 1 || n > MaxWorkers {
		return fmt.Errorf("check workers: %d: choose 1 to %d: %w", n, MaxWorkers, lifeboat.ErrInvalid)
	}
	return nil
}

// lanes is how Send orders an export's Bundles. Each patient's Bundles
// form a lane, sent one after another in export order; lanes go side by
// side. The server resources more than one lane writes (a ward's or a
// bed's Location, a Patient two records share an NHS number with) are
// "shared": two transactions creating the same conditional resource at
// once can both find it missing and make two copies, or leave the server
// answering 412 "multiple matches" ever after (servers do not lock a
// condition's search against another transaction's create). So a Bundle
// writing a shared resource waits for it:
//
//   - a conditional create (POST with ifNoneExist) goes once an earlier
//     Bundle has written that resource (it then matches and writes
//     nothing), or once every earlier Bundle writing it has been answered
//     (it is then the first to try, alone);
//   - any other write (a conditional update) goes once every earlier
//     Bundle writing that resource has been answered, so the writes land
//     in export order.
//
// "Earlier" is in lane order: the lanes one after another, in the order of
// their first Bundle in the export. Workers take lanes in that order, so
// the earliest Bundle not yet answered never waits and the send cannot
// deadlock. A resource is known by its conditional URL (target): two
// different conditions that happen to find the same resource are not seen
// as shared.
type lanes struct {
	lanes [][]int     // Bundle indices, lane by lane, each in export order
	uses  [][]use     // by Bundle index: the shared resources it writes
	done  []bool      // by Bundle index: answered (or given up)
	keyOf []targetKey // the shared resources, for tests
}

// use is one Bundle's write of a shared resource.
type use struct {
	g      *gate
	entry  int  // the entry writing it
	create bool // a conditional create: free once the resource exists
}

// gate is one shared resource: the Bundles writing it in lane order, the
// first of them not yet answered, and whether it exists on the server.
type gate struct {
	holders []int // Bundle indices, in lane order
	next    int   // holders[next] is the first not yet answered
	created bool
}

// planLanes groups bs into lanes by Patient and finds the resources more
// than one lane writes.
func planLanes(bs []Bundle) *lanes {
	l := &lanes{uses: make([][]use, len(bs)), done: make([]bool, len(bs))}
	laneOf := map[string]int{}
	for i, b := range bs {
		k, ok := laneOf[b.Patient]
		if !ok {
			k = len(l.lanes)
			laneOf[b.Patient] = k
			l.lanes = append(l.lanes, nil)
		}
		l.lanes[k] = append(l.lanes[k], i)
	}
	// The lane that first writes each resource, and which are written by
	// more than one.
	first := map[targetKey]int{}
	shared := map[targetKey]*gate{}
	for k, lane := range l.lanes {
		for _, i := range lane {
			for _, en := range bs[i].Entry {
				if en.Request == nil {
					continue
				}
				t := target(en)
				if f, ok := first[t]; !ok {
					first[t] = k
				} else if f != k && shared[t] == nil {
					shared[t] = &gate{}
					l.keyOf = append(l.keyOf, t)
				}
			}
		}
	}
	if len(shared) == 0 {
		return l
	}
	for _, lane := range l.lanes {
		for _, i := range lane {
			for j, en := range bs[i].Entry {
				if en.Request == nil {
					continue
				}
				g := shared[target(en)]
				if g == nil {
					continue
				}
				g.holders = append(g.holders, i)
				l.uses[i] = append(l.uses[i], use{g: g, entry: j, create: en.Request.Method == "POST" && en.Request.IfNoneExist != ""})
			}
		}
	}
	return l
}

// ready reports whether Bundle i may be posted now (see lanes).
func (l *lanes) ready(i int) bool {
	for _, u := range l.uses[i] {
		if u.create && u.g.created {
			continue
		}
		if u.g.holders[u.g.next] != i {
			return false
		}
	}
	return true
}

// answered records Bundle i answered with outs (nil: not answered, or
// refused as a whole): the resources it wrote now exist, and the next
// Bundle writing each may go.
func (l *lanes) answered(i int, outs []Outcome) {
	l.done[i] = true
	for _, u := range l.uses[i] {
		if u.entry < len(outs) && outs[u.entry].OK {
			u.g.created = true
		}
		for u.g.next < len(u.g.holders)-1 && l.done[u.g.holders[u.g.next]] {
			u.g.next++
		}
	}
}
