package store

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"lifeboat"
)

// TestPlanKeys walks the rules of a site key rotation (install, use,
// retire) through every case planKeys decides. Devices are A (this one),
// B and C; k0 is the original key, k1 and k2 the keys of rotations r1, r2.
func TestPlanKeys(t *testing.T) {
	keys := map[string][]byte{"k0": bytes.Repeat([]byte{0}, 32), "k1": bytes.Repeat([]byte{1}, 32), "k2": bytes.Repeat([]byte{2}, 32)}
	name := func(k []byte) string {
		for n, v := range keys {
			if bytes.Equal(v, k) {
				return n
			}
		}
		return "?"
	}
	rot := func(k string, to ...string) rotation {
		r := rotation{id: keyID(keys[k]), reason: "test", recipients: map[string]bool{}}
		for _, d := range to {
			r.recipients[d] = true
		}
		return r
	}
	// steps: "B:r1:installed" style.
	facts := func(held []string, rots []rotation, steps []string, revoked ...string) keyFacts {
		f := keyFacts{self: "A", rotations: rots, steps: map[string]map[string]map[string]bool{}, revoked: map[string]bool{}}
		for _, h := range held {
			f.held = append(f.held, keys[h])
		}
		for _, s := range steps {
			p := strings.Split(s, ":")
			id := keyID(keys["k"+p[1][1:]])
			if f.steps[id] == nil {
				f.steps[id] = map[string]map[string]bool{}
			}
			if f.steps[id][p[0]] == nil {
				f.steps[id][p[0]] = map[string]bool{}
			}
			f.steps[id][p[0]][p[2]] = true
		}
		for _, d := range revoked {
			f.revoked[d] = true
		}
		return f
	}
	r1 := rot("k1", "A", "B")
	r1c := rot("k1", "A", "B", "C")
	r2 := rot("k2", "A", "B")
	cases := []struct {
		name   string
		f      keyFacts
		ring   string // key names, primary first
		retire string
		acks   string // "r1:installed" ...
		status string // per rotation: step and waiting devices
	}{
		{"no rotation", facts([]string{"k0"}, nil, nil), "k0", "", "", ""},
		{"new key opened: install it, keep sending under the old", facts([]string{"k0", "k1"}, []rotation{r1}, nil),
			"k0 k1", "", "r1:installed", "install[A B]"},
		{"installed here, waiting for B", facts([]string{"k0", "k1"}, []rotation{r1}, []string{"A:r1:installed"}),
			"k0 k1", "", "", "install[B]"},
		{"all installed: send under the new key", facts([]string{"k0", "k1"}, []rotation{r1}, []string{"A:r1:installed", "B:r1:installed"}),
			"k1 k0", "", "r1:in_use", "use[A B]"},
		{"in use here, waiting for B to switch", facts([]string{"k0", "k1"}, []rotation{r1}, []string{"A:r1:installed", "B:r1:installed", "A:r1:in_use"}),
			"k1 k0", "", "", "use[B]"},
		{"all use it: retire the old key", facts([]string{"k0", "k1"}, []rotation{r1}, []string{"A:r1:installed", "B:r1:installed", "A:r1:in_use", "B:r1:in_use"}),
			"k1", "k0", "", "done[]"},
		{"a recipient revoked since is not waited for", facts([]string{"k0", "k1"}, []rotation{r1c}, []string{"A:r1:installed", "B:r1:installed", "A:r1:in_use", "B:r1:in_use"}, "C"),
			"k1", "k0", "", "done[]"},
		{"a recipient still active is waited for", facts([]string{"k0", "k1"}, []rotation{r1c}, []string{"A:r1:installed", "B:r1:installed"}),
			"k0 k1", "", "", "install[C]"},
		{"key sealed to us not opened yet: nothing to report", facts([]string{"k0"}, []rotation{r1}, []string{"B:r1:installed"}),
			"k0", "", "", "install[A]"},
		{"not a recipient and not given the key: missed", facts([]string{"k0"}, []rotation{rot("k1", "B")}, []string{"B:r1:installed"}),
			"k0", "", "", "use[B] missed"},
		{"a newer rotation all installed wins over an older pending one",
			facts([]string{"k0", "k1", "k2"}, []rotation{rot("k1", "A", "B", "C"), r2}, []string{"A:r1:installed", "B:r1:installed", "A:r2:installed", "B:r2:installed"}),
			"k2 k0 k1", "", "r2:in_use", "install[C] use[A B]"},
		{"in use of a newer key counts for the older rotation",
			facts([]string{"k0", "k1", "k2"}, []rotation{r1, r2}, []string{"A:r1:installed", "B:r1:installed", "A:r2:installed", "B:r2:installed", "A:r2:in_use", "B:r2:in_use"}),
			"k2", "k0 k1", "", "done[] done[]"},
		{"r1 done, r2 installing: r1's key is primary and the original retired",
			facts([]string{"k0", "k1", "k2"}, []rotation{r1, r2}, []string{"A:r1:installed", "B:r1:installed", "A:r1:in_use", "B:r1:in_use"}),
			"k1 k2", "k0", "r2:installed", "done[] install[A B]"},
		{"everyone uses it though their install reports have not arrived: use and retire",
			facts([]string{"k0", "k1"}, []rotation{r1}, []string{"A:r1:installed", "A:r1:in_use", "B:r1:in_use"}),
			"k1", "k0", "", "install[B]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := planKeys(c.f)
			var ring, retire, acks, status []string
			for _, k := range p.ring {
				ring = append(ring, name(k))
			}
			for _, id := range p.retire {
				for n, k := range keys {
					if keyID(k) == id {
						retire = append(retire, n)
					}
				}
			}
			slices.Sort(retire)
			for _, a := range p.acks {
				for n, k := range keys {
					if keyID(k) == a.Key {
						acks = append(acks, "r"+n[1:]+":"+a.Step)
					}
				}
			}
			for _, s := range p.status {
				st := s.Step + "[" + strings.Join(s.Waiting, " ") + "]"
				if s.Step == "done" {
					st = "done[]"
				}
				if s.Missed {
					st += " missed"
				}
				status = append(status, st)
			}
			for _, x := range []struct{ what, got, want string }{
				{"ring", strings.Join(ring, " "), c.ring}, {"retire", strings.Join(retire, " "), c.retire},
				{"acks", strings.Join(acks, " "), c.acks}, {"status", strings.Join(status, " "), c.status},
			} {
				if x.got != x.want {
					t.Errorf("%s = %q, want %q", x.what, x.got, x.want)
				}
			}
		})
	}
}

// TestPlanKeys_NeverWithoutAKeyInCommon explores every order in which
// three devices can record their steps of one rotation and hear of each
// other's (a device hears another's steps in the order that device
// recorded them, as sync delivers them): in every reachable state each
// device can read what every other sends (the sender's primary key is in
// the receiver's ring), and every order ends with all on the new key
// alone.
func TestPlanKeys_NeverWithoutAKeyInCommon(t *testing.T) {
	k0, k1 := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{8}, 32)
	devs := []string{"A", "B", "C"}
	r := rotation{id: keyID(k1), recipients: map[string]bool{"A": true, "B": true, "C": true}}
	type state struct {
		open [3]bool     // the device has opened the new key sealed to it
		rec  [3][]string // steps each device recorded, in order
		view [3][3]int   // view[d][x]: how many of x's steps d has heard of
	}
	plan := func(s state, d int) keyPlan {
		steps := map[string]map[string]bool{}
		for x := range devs {
			steps[devs[x]] = map[string]bool{}
			for _, st := range s.rec[x][:s.view[d][x]] {
				steps[devs[x]][st] = true
			}
		}
		held := [][]byte{k0}
		if s.open[d] {
			held = append(held, k1)
		}
		return planKeys(keyFacts{self: devs[d], held: held, rotations: []rotation{r},
			steps: map[string]map[string]map[string]bool{r.id: steps}, revoked: map[string]bool{}})
	}
	seen := map[string]bool{}
	finals := 0
	var walk func(s state)
	walk = func(s state) {
		key := fmt.Sprint(s)
		if seen[key] {
			return
		}
		seen[key] = true
		for a := range devs {
			pa := plan(s, a)
			for b := range devs {
				if pb := plan(s, b); a != b && !slices.ContainsFunc(pb.ring, func(k []byte) bool { return bytes.Equal(k, pa.ring[0]) }) {
					t.Fatalf("%s sends under a key %s cannot read, in state %v", devs[a], devs[b], s)
				}
			}
		}
		moved := false
		for d := range devs {
			if !s.open[d] {
				next := s
				next.open[d] = true
				walk(next)
				moved = true
			}
			if acks := plan(s, d).acks; len(acks) > 0 {
				next := s
				next.rec[d] = slices.Clone(s.rec[d])
				for _, a := range acks {
					next.rec[d] = append(next.rec[d], a.Step)
				}
				next.view[d][d] = len(next.rec[d])
				walk(next)
				moved = true
			}
			for x := range devs {
				if s.view[d][x] < len(s.rec[x]) {
					next := s
					next.view[d][x]++
					walk(next)
					moved = true
				}
			}
		}
		if !moved {
			finals++
			for d := range devs {
				if p := plan(s, d); len(p.ring) != 1 || !bytes.Equal(p.ring[0], k1) {
					t.Fatalf("%s ends with ring %d keys, primary new = %v, in state %v", devs[d], len(p.ring), bytes.Equal(p.ring[0], k1), s)
				}
			}
		}
	}
	walk(state{})
	if finals == 0 {
		t.Fatal("no end state reached")
	}
	t.Logf("%d states, %d end states", len(seen), finals)
}

// TestPlanKeys_Shares: a device N enrolled during rotation r1 (sealed to A
// and B) is handed the key by a device holding it, and is waited for only
// if that share came before its author's install step, so a late share
// never holds back a rotation others have moved on with.
func TestPlanKeys_Shares(t *testing.T) {
	k0, k1 := bytes.Repeat([]byte{0}, 32), bytes.Repeat([]byte{1}, 32)
	r1 := rotation{id: keyID(k1), recipients: map[string]bool{"A": true, "B": true}}
	type step struct {
		dev, step string
		seq       uint64
	}
	facts := func(steps []step, shares []keyShare, revoked ...string) keyFacts {
		f := keyFacts{self: "A", held: [][]byte{k0, k1}, rotations: []rotation{r1}, shares: shares,
			steps:       map[string]map[string]map[string]bool{r1.id: {}},
			installedAt: map[string]map[string]uint64{r1.id: {}}, revoked: map[string]bool{}}
		for _, d := range []string{"A", "B", "N"} {
			if !slices.Contains(revoked, d) {
				f.devices = append(f.devices, d)
			}
		}
		for _, d := range revoked {
			f.revoked[d] = true
		}
		for _, s := range steps {
			if f.steps[r1.id][s.dev] == nil {
				f.steps[r1.id][s.dev] = map[string]bool{}
			}
			f.steps[r1.id][s.dev][s.step] = true
			if s.step == "installed" {
				f.installedAt[r1.id][s.dev] = s.seq
			}
		}
		return f
	}
	installed := []step{{"A", "installed", 10}, {"B", "installed", 6}}
	inUse := append(slices.Clone(installed), step{"A", "in_use", 11}, step{"B", "in_use", 8})
	shareBefore := []keyShare{{key: r1.id, by: "B", seq: 5, to: []string{"N"}}}
	shareAfter := []keyShare{{key: r1.id, by: "B", seq: 7, to: []string{"N"}}}
	cases := []struct {
		name   string
		f      keyFacts
		share  string // devices this device should share with
		status string
		ring   string // 0 and 1 for k0 and k1, primary first
	}{
		{"N enrolled during the rotation and not given the key: share it", facts(nil, nil), "N", "install[A B]", "0 1"},
		{"a share before its author's install counts: the ward waits for N", facts(installed, shareBefore), "", "install[N]", "0 1"},
		{"a share after its author's install only hands the key over (and A shares too)", facts(installed, shareAfter), "N", "use[A B]", "1 0"},
		{"the same late share does not hold back a ward already using the key", facts(inUse, shareAfter), "", "done", "1"},
		{"N installed a key no counted share gave it: share anyway", facts(append(slices.Clone(installed), step{"N", "installed", 3}), nil), "N", "use[A B]", "1 0"},
		{"our own share is not repeated", facts(installed, []keyShare{{key: r1.id, by: "A", seq: 12, to: []string{"N"}}}), "", "use[A B]", "1 0"},
		{"N revoked: never shared", facts(nil, nil, "N"), "", "install[A B]", "0 1"},
		{"a share by a device revoked since does not count", facts(installed, []keyShare{{key: r1.id, by: "C", seq: 1, to: []string{"N"}}}, "C"), "N", "use[A B]", "1 0"},
		{"the rotation is done: nothing to share", facts(inUse, nil), "", "done", "1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := planKeys(c.f)
			var share, ring []string
			for _, s := range p.share {
				share = append(share, s.to...)
			}
			for _, k := range p.ring {
				ring = append(ring, fmt.Sprint(k[0]))
			}
			st := p.status[0].Step
			if st != "done" {
				st += "[" + strings.Join(p.status[0].Waiting, " ") + "]"
			}
			if got := strings.Join(share, " "); got != c.share {
				t.Errorf("share with %q, want %q", got, c.share)
			}
			if st != c.status {
				t.Errorf("status %s, want %s", st, c.status)
			}
			if got := strings.Join(ring, " "); got != c.ring {
				t.Errorf("ring %s, want %s", got, c.ring)
			}
		})
	}
}

// TestPlanKeys_LateDeviceNeverCutOff explores every order of events when
// N is enrolled through B after A rotated the key (sealed to A and B) and
// before B heard of it: A learns that N exists only from B's log, N can
// open the key only once it has heard a share to it, and every device
// acts on what it has heard (shares, then steps, as AdvanceSiteKeys
// records them). In every reachable state each device can read what every
// other sends, and every order ends with all three on the new key alone.
// Without the share rule N is cut off; with every share counted a late
// share would hold back a ward that moved on.
func TestPlanKeys_LateDeviceNeverCutOff(t *testing.T) {
	k0, k1 := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{8}, 32)
	devs := []string{"A", "B", "N"}
	const A, B, N = 0, 1, 2
	r := rotation{id: keyID(k1), recipients: map[string]bool{"A": true, "B": true}}
	type state struct {
		open [3]bool
		rec  [3][]string // records in order: "enrol" (B's, of N), "share", "installed", "in_use"
		view [3][3]int
	}
	facts := func(s state, d int) keyFacts {
		f := keyFacts{self: devs[d], held: [][]byte{k0}, rotations: []rotation{r}, revoked: map[string]bool{},
			steps: map[string]map[string]map[string]bool{r.id: {}}, installedAt: map[string]map[string]uint64{r.id: {}}}
		if s.open[d] {
			f.held = append(f.held, k1)
		}
		f.devices = []string{"A", "B"}
		if d == N || s.view[d][B] >= 1 { // B's first record enrols N
			f.devices = append(f.devices, "N")
		}
		for x := range devs {
			f.steps[r.id][devs[x]] = map[string]bool{}
			for i, rec := range s.rec[x][:s.view[d][x]] {
				switch rec {
				case "share":
					f.shares = append(f.shares, keyShare{key: r.id, by: devs[x], seq: uint64(i + 1), to: []string{"N"}})
				case lifeboat.KeyStepInstalled, lifeboat.KeyStepInUse:
					f.steps[r.id][devs[x]][rec] = true
					if _, ok := f.installedAt[r.id][devs[x]]; !ok && rec == lifeboat.KeyStepInstalled {
						f.installedAt[r.id][devs[x]] = uint64(i + 1)
					}
				}
			}
		}
		return f
	}
	plan := func(s state, d int) keyPlan { return planKeys(facts(s, d)) }
	heardShare := func(s state) bool {
		for x := range devs {
			if slices.Contains(s.rec[x][:s.view[N][x]], "share") {
				return true
			}
		}
		return false
	}
	start := state{}
	start.rec[B] = []string{"enrol"}
	start.view[B][B] = 1
	seen := map[string]bool{}
	finals := 0
	var walk func(s state)
	walk = func(s state) {
		key := fmt.Sprint(s)
		if seen[key] {
			return
		}
		seen[key] = true
		for a := range devs {
			pa := plan(s, a)
			for b := range devs {
				if pb := plan(s, b); a != b && !slices.ContainsFunc(pb.ring, func(k []byte) bool { return bytes.Equal(k, pa.ring[0]) }) {
					t.Fatalf("%s sends under a key %s cannot read, in state %v", devs[a], devs[b], s)
				}
			}
		}
		moved := false
		for d := range devs {
			if !s.open[d] && (d != N || heardShare(s)) {
				next := s
				next.open[d] = true
				walk(next)
				moved = true
			}
			if p := plan(s, d); len(p.share) > 0 || len(p.acks) > 0 {
				next := s
				next.rec[d] = slices.Clone(s.rec[d])
				for range p.share {
					next.rec[d] = append(next.rec[d], "share")
				}
				for _, a := range p.acks {
					next.rec[d] = append(next.rec[d], a.Step)
				}
				next.view[d][d] = len(next.rec[d])
				walk(next)
				moved = true
			}
			for x := range devs {
				if s.view[d][x] < len(s.rec[x]) {
					next := s
					next.view[d][x]++
					walk(next)
					moved = true
				}
			}
		}
		if !moved {
			finals++
			for d := range devs {
				if p := plan(s, d); len(p.ring) != 1 || !bytes.Equal(p.ring[0], k1) {
					t.Fatalf("%s ends with ring %d keys, primary new = %v, in state %v", devs[d], len(p.ring), bytes.Equal(p.ring[0], k1), s)
				}
			}
		}
	}
	walk(start)
	if finals == 0 {
		t.Fatal("no end state reached")
	}
	t.Logf("%d states, %d end states", len(seen), finals)
}
