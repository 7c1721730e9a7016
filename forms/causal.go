package forms

// VersionVector records, per device, the highest contiguous event sequence
// number seen: {"dev-a": 12} means events 1..12 of dev-a are known. Sync
// advertises it (DESIGN.md section 6) and the clinical conflict rules use it
// to tell whether two records were made knowing of each other.
//
// A nil VersionVector is valid for reading and means nothing seen; Merge
// needs a non-nil receiver. VersionVector is not safe for concurrent writes.
type VersionVector map[string]uint64

// Covers reports whether v has seen event seq of device. Seq 0 is not an
// event (sequences start at 1), so it is always covered.
func (v VersionVector) Covers(device string, seq uint64) bool {
	return seq <= v[device]
}

// Merge raises v to the pointwise maximum of v and o: afterwards v covers
// everything either covered. v must not be nil.
func (v VersionVector) Merge(o VersionVector) {
	for d, s := range o {
		if s > v[d] {
			v[d] = s
		}
	}
}

// Clone returns an independent copy of v (never nil).
func (v VersionVector) Clone() VersionVector {
	c := make(VersionVector, len(v))
	for d, s := range v {
		c[d] = s
	}
	return c
}

// Causality is how two version vectors, or two events, relate.
type Causality int

// The four causal relations. A zero entry and a missing entry are the same.
const (
	CausalEqual      Causality = iota // both have seen exactly the same events
	CausalBefore                      // the first has seen a strict subset of the second
	CausalAfter                       // the first has seen a strict superset of the second
	CausalConcurrent                  // each has seen something the other has not
)

// String names the relation in lower case ("before", "concurrent", ...).
func (c Causality) String() string {
	switch c {
	case CausalEqual:
		return "equal"
	case CausalBefore:
		return "before"
	case CausalAfter:
		return "after"
	case CausalConcurrent:
		return "concurrent"
	}
	return "unknown"
}

// Compare reports how v relates to o: CausalBefore means o covers all of v
// and more.
func (v VersionVector) Compare(o VersionVector) Causality {
	less, more := false, false
	for d, s := range v {
		switch t := o[d]; {
		case s < t:
			less = true
		case s > t:
			more = true
		}
	}
	for d, t := range o {
		if _, ok := v[d]; !ok && t > 0 {
			less = true
		}
	}
	switch {
	case less && more:
		return CausalConcurrent
	case less:
		return CausalBefore
	case more:
		return CausalAfter
	}
	return CausalEqual
}

// EventRef names one event by its device and per-device sequence number.
type EventRef struct {
	Device string `json:"device"`
	Seq    uint64 `json:"seq"`
}

// HappenedBefore reports whether event a happened before event b, given
// bSeen, the version vector b's device held when it recorded b: either bSeen
// covers a, or both come from one device and a has the lower sequence. The
// vector must be the merged (transitive) one the device really held, so
// anything b's device learnt through a third device counts too.
func HappenedBefore(a EventRef, b EventRef, bSeen VersionVector) bool {
	if a == b {
		return false
	}
	if a.Device == b.Device {
		return a.Seq < b.Seq
	}
	return bSeen.Covers(a.Device, a.Seq)
}

// Concurrent reports whether events a and b were made apart: neither
// happened before the other. aSeen and bSeen are the version vectors each
// device held when it recorded its event. An event is not concurrent with
// itself. Two records of one scheduled dose that are concurrent are a
// clinical conflict to raise on every device (DESIGN.md section 6).
func Concurrent(a EventRef, aSeen VersionVector, b EventRef, bSeen VersionVector) bool {
	if a == b {
		return false
	}
	return !HappenedBefore(a, b, bSeen) && !HappenedBefore(b, a, aSeen)
}
