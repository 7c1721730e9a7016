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

// inpatient reports whether an Encounter is a current inpatient stay on
// one of the wards pulled.
func (c *cache) inpatient(r *resource) bool {
	if r.status != "in-progress" || r.patient == "" {
		return false
	}
	if !slices.ContainsFunc(r.class, func(code string) bool { return slices.Contains(inpatientClasses, code) }) {
		return false
	}
	if len(c.wards) == 0 {
		return true
	}
	return slices.ContainsFunc(r.locations, func(l string) bool { return c.wards[l] })
}

// current lists the patients of the current stays ("Patient/id"), sorted.
func (c *cache) current() []string {
	set := map[string]bool{}
	for _, r := range c.res {
		if r.typ == "Encounter" {
			set[r.patient] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// needed is every resource the census is built from: the stays, their
// patients and Locations (with the partOf chain above each), the
// patients' orders, allergies and weights, the orders' Medications.
func (c *cache) needed() map[string]bool {
	need := map[string]bool{}
	var places []string
	for _, r := range c.res {
		if r.typ != "Encounter" {
			continue
		}
		need[r.key()], need[r.patient] = true, true
		places = append(places, r.locations...)
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
// everything of theirs, a Location no stay is in.
func (c *cache) prune() {
	need := c.needed()
	maps.DeleteFunc(c.res, func(k string, _ *resource) bool { return !need[k] })
}

// typeOrder is the order of a census Bundle's entries.
var typeOrder = map[string]int{"Patient": 0, "Location": 1, "Encounter": 2, "Medication": 3, "MedicationRequest": 4, "AllergyIntolerance": 5, "Observation": 6}

// bundle is the census as one FHIR collection Bundle for the census
// parser: everything held, and of each patient's weights the latest.
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
	var rs []*resource
	for _, r := range c.res {
		if r.typ == "Observation" && latest[r.patient] != r {
			continue
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
