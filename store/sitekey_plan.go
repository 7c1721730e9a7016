package store

import (
	"bytes"
	"slices"
	"time"

	"lifeboat"
)

// A site key rotation goes through memberlist's keyring in three steps,
// each device moving on only when the log shows every remaining device has
// caught up, so that no two devices are ever without a key in common:
//
//  1. install: a device that can open the new key adds it for reading and
//     records KeyStepInstalled; it still sends under the old key.
//  2. use: once every remaining device has installed it, each sends under
//     the new key and records KeyStepInUse; all still read the old one.
//  3. retire: once every remaining device uses it (or a newer key), each
//     drops the older keys. A revoked device, which only ever had those,
//     can no longer join or read anything.
//
// A device enrolled while a rotation is under way, through an admin device
// that did not have the new key yet, is not among the devices the key was
// sealed to. Any device holding the key seals it to such a device in a
// site.key_shared event. A share made before its author recorded its own
// install step makes the device one the rotation waits for: no device can
// move past step 1 without that install step, and whoever has the install
// step has the share before it (a device's events apply in order), so
// every device agrees. A later share only hands the key over.
//
// A device switched off during a rotation holds the rotation at step 1 or
// 2 until it comes back (it can still join under the old key and catch
// up) or is itself revoked. planKeys works all this out from the facts in
// the log; it is a pure function so that every rule is table-tested.

// rotation is one site.key_rotated event.
type rotation struct {
	id         string // key ID
	revoked    string
	reason     string
	at         time.Time
	recipients map[string]bool // devices the key was sealed to
}

// keyShare is one site.key_shared event.
type keyShare struct {
	key, by string // the rotation's key ID; the device that shared it
	seq     uint64 // the event's place in its device's log
	to      []string
}

// keyFacts is what planKeys decides from.
type keyFacts struct {
	self      string
	held      [][]byte   // keys this device holds: the original primary first, then as obtained
	rotations []rotation // in clock order
	// steps[key ID][device] is the set of steps the device recorded.
	steps map[string]map[string]map[string]bool
	// installedAt[key ID][device] is the seq of the device's first
	// installed step for that key.
	installedAt map[string]map[string]uint64
	shares      []keyShare
	devices     []string // every device not revoked
	revoked     map[string]bool
}

// keyPlan is what this device should do now.
type keyPlan struct {
	ring   [][]byte               // memberlist keyring, primary first
	retire []string               // key IDs to forget
	acks   []lifeboat.SiteKeyStep // steps to record
	share  []keyShare             // keys to seal to devices that lack them (by is empty)
	status []lifeboat.KeyRotation
}

func (f keyFacts) holds(id string) bool { return f.key(id) != nil }

func (f keyFacts) key(id string) []byte {
	for _, k := range f.held {
		if keyID(k) == id {
			return k
		}
	}
	return nil
}

// waiting lists the remaining recipients of rotation i that have not
// recorded step (for "in_use", using rotation i's key or a newer one
// counts).
func (f keyFacts) waiting(i int, step string) []string {
	var out []string
	for d := range f.recipients(i) {
		if !f.reached(i, d, step) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// recipients are the devices rotation i waits for: those its key was
// sealed to and those of shares that count, less any revoked since.
func (f keyFacts) recipients(i int) map[string]bool {
	out := map[string]bool{}
	for d := range f.rotations[i].recipients {
		if !f.revoked[d] {
			out[d] = true
		}
	}
	for _, s := range f.shares {
		if s.key != f.rotations[i].id || !f.counts(s) {
			continue
		}
		for _, d := range s.to {
			if !f.revoked[d] {
				out[d] = true
			}
		}
	}
	return out
}

// counts reports whether a share adds its devices to those the rotation
// waits for: only if its author had not yet recorded its install step,
// and is not revoked since (so revoking a device that named devices that
// never come, as it could, frees the rotation it held up).
func (f keyFacts) counts(s keyShare) bool {
	if f.revoked[s.by] {
		return false
	}
	at, ok := f.installedAt[s.key][s.by]
	return !ok || s.seq < at
}

// lacking lists the devices not revoked that rotation i's key was not
// sealed to and that no share that counts names, nor one of this
// device's own. A share that does not count (its author had installed
// already) is not enough, even if the device has installed the key from
// it: this device shares too, and its share counts if it has not
// installed yet (TestPlanKeys_LateDeviceNeverCutOff found the order in
// which skipping it cuts the device off).
func (f keyFacts) lacking(i int) []string {
	r := f.rotations[i]
	given := map[string]bool{f.self: true}
	for _, s := range f.shares {
		if s.key == r.id && (s.by == f.self || f.counts(s)) {
			for _, d := range s.to {
				given[d] = true
			}
		}
	}
	var out []string
	for _, d := range f.devices {
		if !given[d] && !r.recipients[d] && !f.revoked[d] {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

func (f keyFacts) reached(i int, d, step string) bool {
	if step == lifeboat.KeyStepInstalled {
		return f.steps[f.rotations[i].id][d][step]
	}
	for j := i; j < len(f.rotations); j++ {
		if f.steps[f.rotations[j].id][d][step] {
			return true
		}
	}
	return false
}

// planKeys decides this device's keyring and the steps it should record.
func planKeys(f keyFacts) keyPlan {
	var p keyPlan
	// use: the newest rotation every remaining device has installed; done:
	// the newest every remaining device already uses.
	use, done := -1, -1
	for i := len(f.rotations) - 1; i >= 0; i-- {
		if !f.holds(f.rotations[i].id) {
			continue
		}
		if use < 0 && len(f.waiting(i, lifeboat.KeyStepInstalled)) == 0 {
			use = i
		}
		if done < 0 && len(f.waiting(i, lifeboat.KeyStepInUse)) == 0 {
			done = i
		}
	}
	// Every device using a key means every device had it: a newer "done"
	// than "use" (installed reports still on their way here) is safe to use.
	use = max(use, done)

	for i, r := range f.rotations {
		if f.holds(r.id) && !f.steps[r.id][f.self][lifeboat.KeyStepInstalled] {
			p.acks = append(p.acks, lifeboat.SiteKeyStep{Key: r.id, Step: lifeboat.KeyStepInstalled})
		}
		st := lifeboat.KeyRotation{Key: r.id, Revoked: r.revoked, Reason: r.reason, At: r.at, Step: "done",
			Missed: !f.holds(r.id) && !f.recipients(i)[f.self]}
		if w := f.waiting(i, lifeboat.KeyStepInstalled); len(w) > 0 {
			st.Step, st.Waiting = "install", w
		} else if w := f.waiting(i, lifeboat.KeyStepInUse); len(w) > 0 {
			st.Step, st.Waiting = "use", w
		}
		p.status = append(p.status, st)
		if f.holds(r.id) && st.Step != "done" {
			if to := f.lacking(i); len(to) > 0 {
				p.share = append(p.share, keyShare{key: r.id, to: to})
			}
		}
	}
	if use >= 0 && !f.reached(use, f.self, lifeboat.KeyStepInUse) {
		p.acks = append(p.acks, lifeboat.SiteKeyStep{Key: f.rotations[use].id, Step: lifeboat.KeyStepInUse})
	}

	// Retire the keys every device has stopped sending under: the
	// original keys and those of rotations older than "done".
	keep := map[string]bool{}
	if done >= 0 {
		for _, r := range f.rotations[done:] {
			keep[r.id] = true
		}
	}
	var primary []byte
	if use >= 0 {
		primary = f.key(f.rotations[use].id)
	}
	var rest [][]byte
	for _, k := range f.held {
		id := keyID(k)
		switch {
		case done >= 0 && !keep[id]:
			p.retire = append(p.retire, id)
		case primary == nil:
			primary = k
		case !bytes.Equal(k, primary):
			rest = append(rest, k)
		}
	}
	if primary != nil {
		p.ring = append([][]byte{primary}, rest...)
	}
	return p
}
