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
var dmdSystems = map[string]bool{"https://dmd.nhs.uk": true, "https://dm-d.org": true, "http://snomed.info/sct": true}

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
	fhirQuantity struct {
		Value *json.Number `json:"value"`
		Unit  string       `json:"unit"`
		Code  string       `json:"code"`
	}
	fhirDosage struct {
		Text   string        `json:"text"`
		Route  *fhirCodeable `json:"route"`
		Timing *struct {
			Code   *fhirCodeable `json:"code"`
			Repeat *fhirRepeat   `json:"repeat"`
		} `json:"timing"`
		AsNeededBoolean         bool          `json:"asNeededBoolean"`
		AsNeededCodeableConcept *fhirCodeable `json:"asNeededCodeableConcept"`
		DoseAndRate             []struct {
			DoseQuantity *fhirQuantity `json:"doseQuantity"`
			DoseRange    *struct{}     `json:"doseRange"`
		} `json:"doseAndRate"`
		MaxDosePerPeriod *struct {
			Numerator   *fhirQuantity `json:"numerator"`
			Denominator *fhirQuantity `json:"denominator"`
		} `json:"maxDosePerPeriod"`
	}
	fhirRepeat struct {
		BoundsPeriod *fhirPeriod  `json:"boundsPeriod"`
		Frequency    *int         `json:"frequency"`
		Period       *json.Number `json:"period"`
		PeriodMax    *json.Number `json:"periodMax"`
		PeriodUnit   string       `json:"periodUnit"`
		TimeOfDay    []string     `json:"timeOfDay"`
	}
	fhirPeriod struct {
		Start string `json:"start"`
		End   string `json:"end"`
	}
	fhirExtension struct {
		URL                  string        `json:"url"`
		ValueBoolean         *bool         `json:"valueBoolean"`
		ValueCoding          *fhirCoding   `json:"valueCoding"`
		ValueCodeableConcept *fhirCodeable `json:"valueCodeableConcept"`
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
		PhysicalType *fhirCodeable `json:"physicalType"`
		// PartOf is one reference on Location and Encounter, a list on
		// MedicationStatement and Observation: read on Location only.
		PartOf                    json.RawMessage `json:"partOf"`
		MedicationCodeableConcept *fhirCodeable   `json:"medicationCodeableConcept"`
		DosageInstruction         []fhirDosage    `json:"dosageInstruction"`
		// Dosage is a list on MedicationStatement, one on
		// MedicationAdministration: read per type.
		Dosage json.RawMessage `json:"dosage"`
		// MedicationRequest and Medication (read per type, see
		// census_fhir_clinical.go).
		MedicationReference *fhirRef          `json:"medicationReference"`
		Intent              string            `json:"intent"`
		AuthoredOn          string            `json:"authoredOn"`
		Extension           []fhirExtension   `json:"extension"`
		Contained           []json.RawMessage `json:"contained"`
		medCode             *fhirCodeable     // Medication.code (see readMedication)
	}
	fhirHumanName struct {
		Use    string   `json:"use"`
		Family string   `json:"family"`
		Given  []string `json:"given"`
	}
)

// censusTypes are the resource types a census reads; any other is
// ignored and counted (Census.Ignored).
var censusTypes = map[string]bool{"Patient": true, "Encounter": true, "Location": true, "MedicationRequest": true,
	"MedicationStatement": true, "Medication": true, "AllergyIntolerance": true, "Observation": true}

// maxLocationDepth bounds the partOf chain followed from a bed (bed, room,
// ward, building, site, ...), so a cycle cannot loop.
const maxLocationDepth = 8

// CensusOptions are the choices of whoever imports a census.
type CensusOptions struct {
	// Ward is the ward a bed goes on when the census names the bed but
	// no ward (a FHIR Location with physicalType bd and no ward above
	// it): lifeboat import's --ward, by default the device's own ward.
	// Empty: such a bed is an error.
	Ward string
	// Progress, if set, is called as rows are read (CSV: rows read and
	// the rows in the file), at most every ProgressRows rows.
	Progress func(read, total int)
}

// MaxCensusBytes bounds a census file read into memory.
const MaxCensusBytes = 256 << 20

// ParseCensusFHIR reads a FHIR R4 census: a searchset or collection Bundle
// of Patient, Encounter (in-progress, with ward and bed Locations),
// Location, MedicationRequest and MedicationStatement (active), or a single
// Patient. asOf zero takes the bundle's timestamp or meta.lastUpdated.
// Every problem is collected, by entry number; if there is any the error is
// an *ImportError and the census is empty.
func ParseCensusFHIR(data []byte, source string, asOf time.Time) (Census, error) {
	return ParseCensusFHIRWith(data, source, asOf, CensusOptions{})
}

// ParseCensusFHIRWith is ParseCensusFHIR with the importer's options: a
// bed named with no ward goes on opts.Ward.
func ParseCensusFHIRWith(data []byte, source string, asOf time.Time, opts CensusOptions) (Census, error) {
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

	var es []censusEntry
	byRef := map[string]int{} // "Type/id" and fullUrl -> index in es
	ignored := map[string]int{}
	for i, e := range b.Entry {
		// Types not read are counted, never decoded: their fields have
		// other shapes (QuestionnaireResponse.identifier is one
		// Identifier, MedicationAdministration.partOf a list).
		var typ struct {
			ResourceType string `json:"resourceType"`
		}
		if err := json.Unmarshal(e.Resource, &typ); err != nil {
			bad(i+1, "cannot read the resource: %v", err)
			continue
		}
		if !censusTypes[typ.ResourceType] {
			name := typ.ResourceType
			if name == "" {
				name = "(no resourceType)"
			}
			ignored[name]++
			continue
		}
		var r fhirResource
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			bad(i+1, "cannot read the resource: %v", err)
			continue
		}
		if r.ResourceType == "Medication" {
			r.readMedication(e.Resource)
		}
		es = append(es, censusEntry{n: i + 1, r: r, url: e.FullURL, raw: e.Resource})
		if r.ID != "" {
			byRef[r.ResourceType+"/"+r.ID] = len(es) - 1
		}
		if e.FullURL != "" {
			byRef[e.FullURL] = len(es) - 1
		}
	}
	resolve := func(ref *fhirRef, typ string) (censusEntry, bool) {
		if ref == nil {
			return censusEntry{}, false
		}
		for _, k := range []string{ref.Reference, typ + "/" + lastPart(ref.Reference)} {
			if i, ok := byRef[k]; ok && es[i].r.ResourceType == typ {
				return es[i], true
			}
		}
		return censusEntry{}, false
	}

	c := Census{Source: source, AsOf: asOf}
	if len(ignored) > 0 {
		c.Ignored = ignored
	}
	leave := func(n int, format string, args ...any) {
		c.Notes = append(c.Notes, RowError{Line: n, Unit: "entry", Msg: fmt.Sprintf(format, args...)})
		c.LeftOut++
	}
	warn := func(n int, format string, args ...any) {
		c.Notes = append(c.Notes, RowError{Line: n, Unit: "entry", Msg: fmt.Sprintf(format, args...)})
	}
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
		for _, m := range checkPatient(p, asOf) {
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
	patientOfRef := func(e censusEntry, ref *fhirRef, field string) (int, bool) {
		what := e.r.ResourceType
		if ref == nil {
			bad(e.n, "(%s/%s) has no %s", what, e.r.ID, field)
			return 0, false
		}
		pe, ok := resolve(ref, "Patient")
		if !ok {
			bad(e.n, "(%s/%s) %s %s is not a Patient in this bundle", what, e.r.ID, field, ref.Reference)
			return 0, false
		}
		i, ok := patientAt["Patient/"+pe.r.ID]
		if !ok {
			i, ok = patientAt[pe.url]
		}
		return i, ok // a patient with problems was already reported
	}
	patientOf := func(e censusEntry, _ string) (int, bool) { return patientOfRef(e, e.r.Subject, "subject") }
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
			placed := "" // a bed or room named, which needs a ward
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
					placed = "bed " + p.Bed
					if w, ok := wardAbove(le, resolve); ok && p.Ward == "" {
						p.Ward = w
					}
				case "ro":
					// A room names neither ward nor bed: its ward may.
					if placed == "" {
						placed = "room " + locationName(le.r)
					}
					if w, ok := wardAbove(le, resolve); ok && p.Ward == "" {
						p.Ward = w
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
			if placed != "" && p.Ward == "" {
				if opts.Ward == "" {
					bad(e.n, "(Encounter/%s) has %s but no ward: give the ward with --ward", e.r.ID, placed)
				} else {
					p.Ward = opts.Ward
					c.OnDefaultWard++
				}
			}
		case "MedicationRequest", "MedicationStatement":
			where := fmt.Sprintf("(%s/%s)", e.r.ResourceType, e.r.ID)
			if e.r.ResourceType == "MedicationStatement" && e.r.Status != "active" {
				continue // a statement is history, not an order
			}
			if e.r.ResourceType == "MedicationRequest" {
				if why := requestLeftOut(e.r); why != "" {
					if _, ok := patientOf(e, e.r.ResourceType); ok {
						leave(e.n, "%s %s", where, why)
					}
					continue
				}
			}
			i, ok := patientOf(e, e.r.ResourceType)
			if !ok {
				continue
			}
			m, msgs, notes := fhirMedicine(e, asOf, resolve)
			m.Line = e.n
			for _, msg := range notes {
				warn(e.n, "%s %s", where, msg)
			}
			if len(msgs) > 0 && (e.r.Status == "stopped" || e.r.Status == "completed") {
				// Nothing more can be given on it: list it, do not refuse the census.
				leave(e.n, "%s %s order not imported: it %s", where, e.r.Status, strings.Join(msgs, "; "))
				continue
			}
			if len(msgs) == 0 && !m.Stop.IsZero() {
				if why := m.settleStop(asOf); why != "" {
					leave(e.n, "%s not imported: it %s", where, why)
					continue
				}
			}
			for _, msg := range msgs {
				bad(e.n, "%s %s", where, msg)
			}
			if len(msgs) == 0 {
				c.Patients[i].Medicines = append(c.Patients[i].Medicines, m)
			}
		case "AllergyIntolerance":
			readAllergy(e, &c, patientOfRef, bad, leave)
		case "Observation":
			readWeight(e, &c, asOf, patientOfRef, bad, leave)
		}
	}
	settleNoneKnown(&c, leave)
	for _, m := range oneBedEach(c.Patients, "entry") {
		bad(m.Line, "%s", m.Msg)
	}
	if len(errs) > 0 {
		return fail()
	}
	return c, nil
}

// wardAbove follows a Location's partOf chain (bed, room, ward) to the
// first Location with physicalType wa, else the first above it with no
// physicalType (older extracts name the ward without coding it).
func wardAbove(le censusEntry, resolve func(*fhirRef, string) (censusEntry, bool)) (string, bool) {
	untyped := ""
	seen := map[string]bool{}
	for range maxLocationDepth {
		ref := le.r.partOf()
		if ref == nil || seen[ref.Reference] {
			break
		}
		seen[ref.Reference] = true
		up, ok := resolve(ref, "Location")
		if !ok {
			break
		}
		switch physical(up.r) {
		case "wa":
			return locationName(up.r), true
		case "":
			if untyped == "" {
				untyped = locationName(up.r)
			}
		}
		le = up
	}
	return untyped, untyped != ""
}

// partOf is a Location's parent, or nil.
func (r fhirResource) partOf() *fhirRef {
	var ref fhirRef
	if len(r.PartOf) == 0 || json.Unmarshal(r.PartOf, &ref) != nil || ref.Reference == "" {
		return nil
	}
	return &ref
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

// censusEntry is one resource of a census Bundle.
type censusEntry struct {
	n   int
	r   fhirResource
	url string
	raw json.RawMessage
}
