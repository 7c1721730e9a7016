package feed

import (
	"encoding/json"
	"maps"
	"slices"
	"time"
)

// cache is what the last pull saw of the census, by "Type/id": kept in
// memory only (patient data is never written outside the encrypted
// store), so that an incremental pull can merge changes into it.
// Resources are never changed once held, only replaced, so a clone
// shares them.
type cache struct {
	wards map[string]bool // "Location/id" of cfg.Wards; empty: every ward
	res   map[string]*resource
}

func newCache(wards []string) *cache {
	c := &cache{wards: map[string]bool{}, res: map[string]*resource{}}
	for _, w := range wards {
		c.wards[w] = true
	}
	return c
}

func (c *cache) clone() *cache {
	return &cache{wards: c.wards, res: maps.Clone(c.res)}
}

// put holds a resource a search returned, unless an newer version is
// held. An Encounter that is no longer a current inpatient stay and an
// order no longer active leave; records of patients not on the census
// are dropped by prune.
func (c *cache) put(r *resource) {
	k := r.key()
	if old, ok := c.res[k]; ok && !old.lastUpdated.IsZero() && r.lastUpdated.Before(old.lastUpdated) {
		return // an older copy (included by another search)
	}
	switch r.typ {
	case "Encounter":
		if !c.inpatient(r) {
			delete(c.res, k)
			return
		}
	case "MedicationRequest":
		if r.status != "active" && r.status != "on-hold" {
			delete(c.res, k) // stopped, completed, cancelled, entered in error
			return
		}
	case "Observation":
		if !r.weight {
			return
		}
	}
	c.res[k] = r
}

// inpatient reports whether an Encounter is a current inpatient stay.
// Whether it is on one of the wards pulled is onWard's question: the
// Locations that answer it may not be held yet.
func (c *cache) inpatient(r *resource) bool {
	return r.status == "in-progress" && r.patient != "" &&
		slices.ContainsFunc(r.class, func(code string) bool { return slices.Contains(inpatientClasses, code) })
}

// onWard reports whether a stay is on one of the wards pulled: one of its
// Locations is such a ward or below one (a bed, a room), following the
// partOf chain. unknown lists the Locations on the way that are not held,
// which must be fetched before the answer is known.
func (c *cache) onWard(r *resource) (on bool, unknown []string) {
	if len(c.wards) == 0 {
		return true, nil
	}
	for _, l := range r.locations {
		for range maxLocationDepth + 1 {
			if c.wards[l] {
				return true, nil
			}
			up, ok := c.res[l]
			if !ok {
				unknown = append(unknown, l)
				break
			}
			if l = up.partOf; l == "" {
				break
			}
		}
	}
	return false, unknown
}

// current lists the patients of the current stays on the wards pulled
// ("Patient/id"), sorted.
func (c *cache) current() []string {
	set := map[string]bool{}
	for _, r := range c.res {
		if r.typ != "Encounter" {
			continue
		}
		if on, _ := c.onWard(r); on {
			set[r.patient] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// needed is every resource the census is built from: the stays on the
// wards pulled, their patients and Locations (with the partOf chain above
// each), the patients' orders, allergies and weights, the orders'
// Medications. A stay whose ward is not known yet is kept, with the
// Locations that will tell.
func (c *cache) needed() map[string]bool {
	need := map[string]bool{}
	var places []string
	for _, r := range c.res {
		if r.typ != "Encounter" {
			continue
		}
		on, unknown := c.onWard(r)
		switch {
		case on:
			need[r.key()], need[r.patient] = true, true
			places = append(places, r.locations...)
		case len(unknown) > 0:
			need[r.key()] = true
			places = append(places, unknown...)
		}
	}
	for len(places) > 0 {
		l := places[0]
		places = places[1:]
		if need[l] {
			continue // seen: a partOf cycle stops here
		}
		need[l] = true
		if r, ok := c.res[l]; ok && r.partOf != "" {
			places = append(places, r.partOf)
		}
	}
	for _, r := range c.res {
		switch r.typ {
		case "MedicationRequest", "AllergyIntolerance", "Observation":
			if need[r.patient] {
				need[r.key()] = true
				if r.medication != "" {
					need[r.medication] = true
				}
			}
		}
	}
	return need
}

// missing lists what the census needs and the cache does not hold.
func (c *cache) missing() []string {
	var out []string
	for k := range c.needed() {
		if _, ok := c.res[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// prune drops what the census no longer needs: a discharged patient and
// everything of theirs, a stay on another ward. Locations are kept (they
// are not patient data, and the ward of a stay that changes is found
// among them without asking again).
func (c *cache) prune() {
	need := c.needed()
	maps.DeleteFunc(c.res, func(k string, r *resource) bool { return !need[k] && r.typ != "Location" })
}

// typeOrder is the order of a census Bundle's entries.
var typeOrder = map[string]int{"Patient": 0, "Location": 1, "Encounter": 2, "Medication": 3, "MedicationRequest": 4, "AllergyIntolerance": 5, "Observation": 6}

// bundle is the census as one FHIR collection Bundle for the census
// parser: everything needed (not the Locations of other wards), and of
// each patient's weights the latest.
func (c *cache) bundle(base string, asOf time.Time) []byte {
	latest := map[string]*resource{} // patient -> newest usable weight
	for _, r := range c.res {
		if r.typ != "Observation" {
			continue
		}
		switch r.status {
		case "final", "amended", "corrected", "preliminary":
		default:
			continue
		}
		if l, ok := latest[r.patient]; !ok || r.effective.After(l.effective) ||
			(r.effective.Equal(l.effective) && (r.lastUpdated.After(l.lastUpdated) || (r.lastUpdated.Equal(l.lastUpdated) && r.id > l.id))) {
			latest[r.patient] = r
		}
	}
	need := c.needed()
	var rs []*resource
	for _, r := range c.res {
		if r.typ == "Observation" && latest[r.patient] != r || !need[r.key()] {
			continue
		}
		if r.typ == "Encounter" {
			if on, _ := c.onWard(r); !on {
				continue // its ward could not be found: not on the wards pulled
			}
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b *resource) int {
		if d := typeOrder[a.typ] - typeOrder[b.typ]; d != 0 {
			return d
		}
		if a.typ != b.typ {
			if a.typ < b.typ {
				return -1
			}
			return 1
		}
		if a.id < b.id {
			return -1
		}
		if a.id > b.id {
			return 1
		}
		return 0
	})
	type entry struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
	}
	b := struct {
		ResourceType string  `json:"resourceType"`
		Type         string  `json:"type"`
		Timestamp    string  `json:"timestamp"`
		Entry        []entry `json:"entry"`
	}{ResourceType: "Bundle", Type: "collection", Timestamp: asOf.UTC().Format(time.RFC3339Nano), Entry: make([]entry, len(rs))}
	for i, r := range rs {
		b.Entry[i] = entry{FullURL: base + "/" + r.key(), Resource: r.raw}
	}
	data, _ := json.Marshal(b) // raw resources are valid JSON: they were decoded
	return data
}
