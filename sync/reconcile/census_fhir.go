package reconcile

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"lifeboat/forms"
)

// NHSNumberSystem is the FHIR identifier system of NHS numbers.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// dm+d code systems accepted on import (dm+d concepts are SNOMED CT).
var dmdSystems = map[string]bool{"https://dmd.nhs.uk": true, "http://snomed.info/sct": true}

// Minimal FHIR R4 shapes for census import: only the fields read.
type (
	fhirBundle struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Timestamp    string `json:"timestamp"`
		Meta         struct {
			LastUpdated string `json:"lastUpdated"`
		} `json:"meta"`
		Entry []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	fhirRef struct {
		Reference string `json:"reference"`
		Display   string `json:"display"`
	}
	fhirCoding struct {
		System  string `json:"system"`
		Code    string `json:"code"`
		Display string `json:"display"`
	}
	fhirCodeable struct {
		Coding []fhirCoding `json:"coding"`
		Text   string       `json:"text"`
	}
	fhirIdentifier struct {
		System string `json:"system"`
		Value  string `json:"value"`
	}
	fhirDosage struct {
		Text   string        `json:"text"`
		Route  *fhirCodeable `json:"route"`
		Timing *struct {
			Code *fhirCodeable `json:"code"`
		} `json:"timing"`
		AsNeededBoolean bool `json:"asNeededBoolean"`
		DoseAndRate     []struct {
			DoseQuantity *struct {
				Value *json.Number `json:"value"`
				Unit  string       `json:"unit"`
				Code  string       `json:"code"`
			} `json:"doseQuantity"`
		} `json:"doseAndRate"`
	}
	// fhirResource holds the fields of every resource type read; name is
	// a list on Patient and a string on Location, so it stays raw.
	fhirResource struct {
		ResourceType string           `json:"resourceType"`
		ID           string           `json:"id"`
		Identifier   []fhirIdentifier `json:"identifier"`
		Name         json.RawMessage  `json:"name"`
		Gender       string           `json:"gender"`
		BirthDate    string           `json:"birthDate"`
		Status       string           `json:"status"`
		Subject      *fhirRef         `json:"subject"`
		Period       *struct {
			Start string `json:"start"`
		} `json:"period"`
		Location []struct {
			Location fhirRef `json:"location"`
		} `json:"location"`
		PhysicalType              *fhirCodeable `json:"physicalType"`
		PartOf                    *fhirRef      `json:"partOf"`
		MedicationCodeableConcept *fhirCodeable `json:"medicationCodeableConcept"`
		DosageInstruction         []fhirDosage  `json:"dosageInstruction"`
		Dosage                    []fhirDosage  `json:"dosage"`
	}
	fhirHumanName struct {
		Use    string   `json:"use"`
		Family string   `json:"family"`
		Given  []string `json:"given"`
	}
)

// MaxCensusBytes bounds a census file read into memory.
const MaxCensusBytes = 256 << 20

// ParseCensusFHIR reads a FHIR R4 census: a searchset or collection Bundle
// of Patient, Encounter (in-progress, with ward and bed Locations),
// Location, MedicationRequest and MedicationStatement (active), or a single
// Patient. asOf zero takes the bundle's timestamp or meta.lastUpdated.
// Every problem is collected, by entry number; if there is any the error is
// an *ImportError and the census is empty.
func ParseCensusFHIR(data []byte, source string, asOf time.Time) (Census, error) {
	var errs []RowError
	bad := func(entry int, format string, args ...any) {
		errs = append(errs, RowError{Line: entry, Unit: "entry", Msg: fmt.Sprintf(format, args...)})
	}
	fail := func() (Census, error) { return Census{}, &ImportError{Source: source, Rows: errs} }
	if len(data) > MaxCensusBytes {
		bad(0, "the file is larger than %d MiB", MaxCensusBytes>>20)
		return fail()
	}
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		bad(0, "not FHIR JSON: %v", err)
		return fail()
	}
	var b fhirBundle
	switch head.ResourceType {
	case "Bundle":
		if err := json.Unmarshal(data, &b); err != nil {
			bad(0, "not a FHIR Bundle: %v", err)
			return fail()
		}
		if b.Type != "searchset" && b.Type != "collection" {
			bad(0, "a census Bundle must be a searchset or collection, not %q", b.Type)
		}
	case "Patient":
		b.Entry = append(b.Entry, struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		}{Resource: data})
	default:
		bad(0, "expected a Bundle or a Patient, not %q", head.ResourceType)
		return fail()
	}
	if asOf.IsZero() {
		for _, s := range []string{b.Timestamp, b.Meta.LastUpdated} {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				asOf = t.UTC()
				break
			}
		}
	}
	if asOf.IsZero() {
		bad(0, "the time the data is as of is required (the Bundle has no timestamp)")
	}

	type entry struct {
		n   int
		r   fhirResource
		url string
	}
	var es []entry
	byRef := map[string]int{} // "Type/id" and fullUrl -> index in es
	for i, e := range b.Entry {
		var r fhirResource
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			bad(i+1, "cannot read the resource: %v", err)
			continue
		}
		es = append(es, entry{n: i + 1, r: r, url: e.FullURL})
		if r.ID != "" {
			byRef[r.ResourceType+"/"+r.ID] = len(es) - 1
		}
		if e.FullURL != "" {
			byRef[e.FullURL] = len(es) - 1
		}
	}
	resolve := func(ref *fhirRef, typ string) (entry, bool) {
		if ref == nil {
			return entry{}, false
		}
		for _, k := range []string{ref.Reference, typ + "/" + lastPart(ref.Reference)} {
			if i, ok := byRef[k]; ok && es[i].r.ResourceType == typ {
				return es[i], true
			}
		}
		return entry{}, false
	}

	c := Census{Source: source, AsOf: asOf}
	patientAt := map[string]int{} // "Patient/id" -> index in c.Patients
	nhsAt := map[string]int{}
	for _, e := range es {
		if e.r.ResourceType != "Patient" {
			continue
		}
		where := fmt.Sprintf("(Patient/%s)", e.r.ID)
		p := CensusPatient{Line: e.n, BirthDate: e.r.BirthDate, Sex: e.r.Gender}
		for _, id := range e.r.Identifier {
			if id.System == NHSNumberSystem {
				nhs, err := forms.ParseNHSNumber(id.Value)
				if err != nil {
					bad(e.n, "%s %s", where, nhsReason(id.Value, err))
					p.NHSNumber = "bad"
				} else {
					p.NHSNumber = nhs
				}
			}
		}
		if p.NHSNumber == "" {
			bad(e.n, "%s has no NHS number (identifier system %s)", where, NHSNumberSystem)
		}
		var names []fhirHumanName
		if len(e.r.Name) > 0 {
			if err := json.Unmarshal(e.r.Name, &names); err != nil {
				bad(e.n, "%s name is not a list of HumanName", where)
			}
		}
		for _, n := range names {
			if n.Use == "official" || p.Surname == "" {
				p.Surname = n.Family
				p.Given = strings.Join(n.Given, " ")
			}
		}
		for _, m := range checkPatient(p) {
			bad(e.n, "%s %s", where, m)
		}
		if p.NHSNumber == "bad" || p.NHSNumber == "" {
			continue
		}
		if j, dup := nhsAt[p.NHSNumber]; dup {
			bad(e.n, "%s NHS number %s is also on entry %d", where, forms.FormatNHSNumber(p.NHSNumber), c.Patients[j].Line)
			continue
		}
		nhsAt[p.NHSNumber] = len(c.Patients)
		patientAt["Patient/"+e.r.ID] = len(c.Patients)
		if e.url != "" {
			patientAt[e.url] = len(c.Patients)
		}
		c.Patients = append(c.Patients, p)
	}
	patientOf := func(e entry, what string) (int, bool) {
		if e.r.Subject == nil {
			bad(e.n, "(%s/%s) has no subject", what, e.r.ID)
			return 0, false
		}
		pe, ok := resolve(e.r.Subject, "Patient")
		if !ok {
			bad(e.n, "(%s/%s) subject %s is not a Patient in this bundle", what, e.r.ID, e.r.Subject.Reference)
			return 0, false
		}
		i, ok := patientAt["Patient/"+pe.r.ID]
		if !ok {
			i, ok = patientAt[pe.url]
		}
		return i, ok // a patient with problems was already reported
	}
	for _, e := range es {
		switch e.r.ResourceType {
		case "Encounter":
			if e.r.Status != "in-progress" && e.r.Status != "arrived" {
				continue // finished or planned stays are not the current census
			}
			i, ok := patientOf(e, "Encounter")
			if !ok {
				continue
			}
			p := &c.Patients[i]
			for _, l := range e.r.Location {
				le, ok := resolve(&l.Location, "Location")
				if !ok {
					if p.Ward == "" {
						p.Ward = l.Location.Display
					}
					continue
				}
				switch physical(le.r) {
				case "bd":
					p.Bed = locationName(le.r)
					if we, ok := resolve(le.r.PartOf, "Location"); ok && p.Ward == "" {
						p.Ward = locationName(we.r)
					}
				default:
					p.Ward = locationName(le.r)
				}
			}
			if e.r.Period != nil && e.r.Period.Start != "" {
				t, err := time.Parse(time.RFC3339, e.r.Period.Start)
				if err != nil {
					bad(e.n, "(Encounter/%s) period.start %q is not a date and time", e.r.ID, e.r.Period.Start)
				}
				p.AdmittedAt = t.UTC()
			}
			if p.Bed != "" && p.Ward == "" {
				bad(e.n, "(Encounter/%s) has a bed but no ward", e.r.ID)
			}
		case "MedicationRequest", "MedicationStatement":
			if e.r.Status != "active" {
				continue
			}
			i, ok := patientOf(e, e.r.ResourceType)
			if !ok {
				continue
			}
			m, msgs := fhirMedicine(e.r)
			m.Line = e.n
			for _, msg := range msgs {
				bad(e.n, "(%s/%s) %s", e.r.ResourceType, e.r.ID, msg)
			}
			if len(msgs) == 0 {
				c.Patients[i].Medicines = append(c.Patients[i].Medicines, m)
			}
		}
	}
	if len(errs) > 0 {
		return fail()
	}
	return c, nil
}

func lastPart(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

func physical(r fhirResource) string {
	if r.PhysicalType != nil {
		for _, c := range r.PhysicalType.Coding {
			return c.Code
		}
	}
	return ""
}

// locationName is the Location's first identifier value (the ward or bed
// code Lifeboat uses), else its name.
func locationName(r fhirResource) string {
	for _, id := range r.Identifier {
		if id.Value != "" {
			return id.Value
		}
	}
	var s string
	json.Unmarshal(r.Name, &s)
	return s
}

// fhirMedicine reads a MedicationRequest or MedicationStatement's medicine
// and first dosage.
func fhirMedicine(r fhirResource) (CensusMedicine, []string) {
	var m CensusMedicine
	var msgs []string
	if cc := r.MedicationCodeableConcept; cc != nil {
		m.Drug = cc.Text
		for _, c := range cc.Coding {
			if dmdSystems[c.System] && m.DMDCode == "" {
				m.DMDCode = c.Code
				if m.Drug == "" {
					m.Drug = c.Display
				}
			}
		}
	}
	if m.Drug == "" {
		msgs = append(msgs, "has no medicationCodeableConcept with text or a dm+d display")
	}
	ds := r.DosageInstruction
	if r.ResourceType == "MedicationStatement" {
		ds = r.Dosage
	}
	if len(ds) == 0 {
		return m, append(msgs, "has no dosage")
	}
	d := ds[0]
	if d.Route != nil {
		m.Route = d.Route.Text
		for _, c := range d.Route.Coding {
			if m.Route == "" {
				m.Route = c.Display
			}
		}
	}
	if len(d.DoseAndRate) > 0 && d.DoseAndRate[0].DoseQuantity != nil && d.DoseAndRate[0].DoseQuantity.Value != nil {
		dq := d.DoseAndRate[0].DoseQuantity
		q, err := forms.ParseQuantity(dq.Value.String())
		if err != nil || q <= 0 {
			msgs = append(msgs, fmt.Sprintf("dose %s is not a positive number with at most three decimals", dq.Value))
		}
		m.Dose, m.DoseUnit = q, dq.Unit
		if m.DoseUnit == "" {
			m.DoseUnit = dq.Code
		}
	} else {
		msgs = append(msgs, "has no doseQuantity")
	}
	freq := ""
	if d.Timing != nil && d.Timing.Code != nil {
		freq = d.Timing.Code.Text
		for _, c := range d.Timing.Code.Coding {
			if freq == "" {
				freq = c.Code
			}
		}
	}
	if d.AsNeededBoolean {
		freq = "PRN"
	}
	if msg := setFrequency(&m, freq); msg != "" {
		msgs = append(msgs, strings.Replace(msg, "frequency", "timing code", 1))
	}
	for _, msg := range checkMedicine(m) {
		if !strings.Contains(msg, "(drug)") && !strings.Contains(msg, "(frequency)") {
			msgs = append(msgs, msg)
		}
	}
	return m, msgs
}
