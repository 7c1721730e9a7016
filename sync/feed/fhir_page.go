package feed

import (
	"encoding/json"
	"strings"
	"time"
)

// page is one answer to a search: its resources, the next page's URL and
// the server's time of the search.
type page struct {
	at   time.Time // Bundle.meta.lastUpdated; zero if it has none
	next string    // Bundle.link "next", "" on the last page
	res  []*resource
}

// resource is one resource as the server holds it, with the fields the
// feed follows. The resource itself is kept as sent, for the census
// parser to read.
type resource struct {
	typ, id     string
	raw         json.RawMessage
	lastUpdated time.Time
	status      string
	// class is an Encounter's class codes.
	class []string
	// patient is "Patient/id" of an Encounter's, MedicationRequest's or
	// Observation's subject, or an AllergyIntolerance's patient.
	patient string
	// locations are an Encounter's locations ("Location/id").
	locations []string
	// partOf is a Location's parent ("Location/id").
	partOf string
	// medication is a MedicationRequest's medicationReference
	// ("Medication/id"); "" for a code or a contained Medication.
	medication string
	// weight marks a body-weight Observation; effective is when it was
	// measured.
	weight    bool
	effective time.Time
}

func (r *resource) key() string { return r.typ + "/" + r.id }

// weightCodes are the body-weight codes the census parser reads (LOINC
// body weight, measured body weight; SNOMED CT body weight).
var weightCodes = map[string]bool{"http://loinc.org|29463-7": true, "http://loinc.org|3141-9": true, "http://snomed.info/sct|27113001": true}

// weightSearch is the code parameter of the weight searches.
const weightSearch = "http://loinc.org|29463-7,http://loinc.org|3141-9,http://snomed.info/sct|27113001"

// decodePage reads a FHIR searchset Bundle. Entries of search mode
// "outcome" (a server's warnings) are skipped. Anything that is not a
// searchset of resources with a type and an id is bad data.
func decodePage(data []byte) (page, error) {
	var b struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Meta         struct {
			LastUpdated string `json:"lastUpdated"`
		} `json:"meta"`
		Link []struct {
			Relation string `json:"relation"`
			URL      string `json:"url"`
		} `json:"link"`
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
			Search   *struct {
				Mode string `json:"mode"`
			} `json:"search"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return page{}, badData("the answer is not FHIR JSON: %v", jsonWords(err))
	}
	if b.ResourceType != "Bundle" || b.Type != "searchset" {
		return page{}, badData("the answer is not a search result (a %s %s, not a searchset Bundle)", clip(b.ResourceType), clip(b.Type))
	}
	var p page
	p.at = instant(b.Meta.LastUpdated)
	for _, l := range b.Link {
		if l.Relation == "next" {
			p.next = l.URL
		}
	}
	for i, e := range b.Entry {
		if (e.Search != nil && e.Search.Mode == "outcome") || len(e.Resource) == 0 || string(e.Resource) == "null" {
			continue
		}
		r, err := decodeResource(e.Resource)
		if err != nil {
			return page{}, badData("search result entry %d: %v", i+1, err)
		}
		if r.typ == "OperationOutcome" {
			continue
		}
		p.res = append(p.res, r)
	}
	return p, nil
}

// decodeResource reads the fields the feed follows.
func decodeResource(raw json.RawMessage) (*resource, error) {
	var h struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
		Meta         struct {
			LastUpdated string `json:"lastUpdated"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, badData("the resource cannot be read: %v", jsonWords(err))
	}
	if h.ResourceType == "" || h.ID == "" || strings.ContainsAny(h.ResourceType+h.ID, "/?#,| ") {
		return nil, badData("a resource has no resourceType or id")
	}
	r := &resource{typ: h.ResourceType, id: h.ID, raw: raw, lastUpdated: instant(h.Meta.LastUpdated)}
	var err error
	switch r.typ {
	case "Encounter":
		var e struct {
			Status   string          `json:"status"`
			Class    json.RawMessage `json:"class"`
			Subject  *fhirRef        `json:"subject"`
			Location []struct {
				Location fhirRef `json:"location"`
			} `json:"location"`
		}
		if err = json.Unmarshal(raw, &e); err == nil {
			r.status, r.patient, r.class = e.Status, e.Subject.key("Patient"), classCodes(e.Class)
			for _, l := range e.Location {
				if k := l.Location.key("Location"); k != "" {
					r.locations = append(r.locations, k)
				}
			}
		}
	case "Location":
		var l struct {
			PartOf *fhirRef `json:"partOf"`
		}
		if err = json.Unmarshal(raw, &l); err == nil {
			r.partOf = l.PartOf.key("Location")
		}
	case "MedicationRequest":
		var m struct {
			Status              string   `json:"status"`
			Subject             *fhirRef `json:"subject"`
			MedicationReference *fhirRef `json:"medicationReference"`
		}
		if err = json.Unmarshal(raw, &m); err == nil {
			r.status, r.patient, r.medication = m.Status, m.Subject.key("Patient"), m.MedicationReference.key("Medication")
		}
	case "AllergyIntolerance":
		var a struct {
			Patient *fhirRef `json:"patient"`
		}
		if err = json.Unmarshal(raw, &a); err == nil {
			r.patient = a.Patient.key("Patient")
		}
	case "Observation":
		var o struct {
			Status  string   `json:"status"`
			Subject *fhirRef `json:"subject"`
			Code    *struct {
				Coding []struct {
					System string `json:"system"`
					Code   string `json:"code"`
				} `json:"coding"`
			} `json:"code"`
			EffectiveDateTime string `json:"effectiveDateTime"`
		}
		if err = json.Unmarshal(raw, &o); err == nil {
			r.status, r.patient, r.effective = o.Status, o.Subject.key("Patient"), instant(o.EffectiveDateTime)
			if o.Code != nil {
				for _, c := range o.Code.Coding {
					r.weight = r.weight || weightCodes[c.System+"|"+c.Code]
				}
			}
		}
	}
	if err != nil {
		return nil, badData("(%s/%s) cannot be read: %v", clip(r.typ), clip(r.id), jsonWords(err))
	}
	return r, nil
}

// fhirRef is a FHIR Reference.
type fhirRef struct {
	Reference string `json:"reference"`
}

// key is "Type/id" of a reference to a resource of type typ, relative or
// absolute ("https://pas/fhir/Patient/1/_history/2"), or "" for none, a
// contained resource ("#m1") or another type.
func (r *fhirRef) key(typ string) string {
	if r == nil {
		return ""
	}
	ref := r.Reference
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	parts := strings.Split(ref, "/")
	if len(parts) < 2 || parts[len(parts)-2] != typ || parts[len(parts)-1] == "" {
		return ""
	}
	return typ + "/" + parts[len(parts)-1]
}

// classCodes reads Encounter.class: one Coding (R4) or a list of
// CodeableConcepts (R5).
func classCodes(raw json.RawMessage) []string {
	var one struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(raw, &one) == nil && one.Code != "" {
		return []string{one.Code}
	}
	var list []struct {
		Coding []struct {
			Code string `json:"code"`
		} `json:"coding"`
	}
	var out []string
	if json.Unmarshal(raw, &list) == nil {
		for _, cc := range list {
			for _, c := range cc.Coding {
				out = append(out, c.Code)
			}
		}
	}
	return out
}

// instant reads a FHIR instant or dateTime; zero if it is not one.
func instant(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// clip shortens a string from the server for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
