package fhirtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"lifeboat/forms"
)

// Census is what SeedCensus put on a server: the current inpatients, in
// the order seeded, and how many other patients (discharged, outpatients)
// it added around them, which a feed must leave out.
type Census struct {
	Patients []Inpatient
	Wards    []string // ward codes (the ward Locations' identifier values)
	Others   int
	// Admitted is the admission time of every stay.
	Admitted time.Time
}

// Inpatient is one current inpatient SeedCensus made.
type Inpatient struct {
	ID          string // Patient id, e.g. "pat-0001"
	EncounterID string
	NHSNumber   string // 10 digits
	Surname     string
	Given       string
	Ward, Bed   string // codes, as Lifeboat shows them
	Orders      []Order
	// Allergies are the allergies' substances; NoKnownAllergies is set
	// instead when the core system records none known.
	Allergies        []string
	NoKnownAllergies bool
	WeightKg         string // the latest weight
}

// Order is one active MedicationRequest.
type Order struct {
	ID   string
	Drug string
}

// Drug is a medicine SeedCensus prescribes.
type drug struct {
	name, code, unit, route string
	dose                    int
	byReference             bool // ordered by medicationReference to a Medication
}

var drugs = []drug{
	{"Paracetamol 500mg tablets", "42109611000001109", "mg", "oral", 1000, false},
	{"Amoxicillin 500mg capsules", "323509004", "mg", "oral", 500, true},
	{"Enoxaparin 40mg/0.4ml injection", "9214211000001109", "mg", "subcutaneous", 40, false},
	{"Omeprazole 20mg capsules", "317249006", "mg", "oral", 20, true},
	{"Amlodipine 5mg tablets", "319283006", "mg", "oral", 5, false},
	{"Furosemide 40mg tablets", "317972000", "mg", "oral", 40, false},
}

var allergens = []struct{ name, code string }{
	{"Penicillin", "91936005"}, {"Latex", "300916003"}, {"Cashew nuts", "227493005"}, {"Codeine", "300954003"},
}

var (
	surnames = []string{"OKAFOR", "SMITH", "JONES", "PATEL", "NOWAK", "MURPHY", "KHAN", "EVANS", "WONG", "SILVA"}
	givens   = []string{"Grace", "Ann", "Tom", "Ravi", "Zofia", "Sean", "Aisha", "Megan", "Li", "João"}
)

const (
	// BedsPerWard is how many beds each seeded ward has.
	BedsPerWard = 30
	physicalURL = "http://terminology.hl7.org/CodeSystem/location-physical-type"
)

// SeedCensus puts a census of n current inpatients on srv, spread over
// wards of BedsPerWard beds, each with one to three active orders (some by
// medicationReference, some as needed), an allergy or "no known
// allergies", and two weights. Around them it adds what a feed must leave
// out: a discharged patient and an outpatient for every ten inpatients, and
// a stopped order for every fifth. Half the stays name their ward and bed,
// half only the bed (its ward is its partOf). The same seed gives the same
// census. Resources have fixed ids ("pat-0001", "enc-0001", "mr-0001-1"),
// so a test can change them with Put.
func SeedCensus(tb testing.TB, srv *Server, n int, seed uint64) Census {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	admitted := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second)
	c := Census{Admitted: admitted}
	var rs []map[string]any
	wards := (n + BedsPerWard - 1) / BedsPerWard
	for w := range wards {
		code := fmt.Sprintf("W%02d", w+1)
		c.Wards = append(c.Wards, code)
		rs = append(rs, map[string]any{"resourceType": "Location", "id": "ward-" + code, "status": "active",
			"identifier": []any{map[string]any{"value": code}}, "name": "Ward " + code,
			"physicalType": coding(physicalURL, "wa", "Ward")})
		for b := range BedsPerWard {
			bed := fmt.Sprintf("B%02d", b+1)
			rs = append(rs, map[string]any{"resourceType": "Location", "id": "bed-" + code + "-" + bed, "status": "active",
				"identifier": []any{map[string]any{"value": bed}}, "name": "Bed " + bed,
				"physicalType": coding(physicalURL, "bd", "Bed"), "partOf": ref("Location/ward-" + code)})
		}
	}
	for _, d := range drugs {
		if d.byReference {
			rs = append(rs, map[string]any{"resourceType": "Medication", "id": "med-" + d.code,
				"code": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": d.code, "display": d.name}}}})
		}
	}
	nhs := 943476591 // NHS numbers from 943 476 591x, skipping those with no check digit
	nextNHS := func() string {
		for {
			nhs++
			s := fmt.Sprint(nhs)
			if d, ok := forms.NHSCheckDigit(s); ok {
				return s + fmt.Sprint(d)
			}
		}
	}
	others := n / 10
	for i := range n + 2*others {
		id := fmt.Sprintf("%04d", i+1)
		p := Inpatient{ID: "pat-" + id, EncounterID: "enc-" + id, NHSNumber: nextNHS(),
			Surname: surnames[rng.IntN(len(surnames))], Given: givens[rng.IntN(len(givens))]}
		rs = append(rs, map[string]any{"resourceType": "Patient", "id": p.ID,
			"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": p.NHSNumber}},
			"name":       []any{map[string]any{"use": "official", "family": p.Surname, "given": []any{p.Given}}},
			"gender":     []string{"female", "male"}[i%2], "birthDate": fmt.Sprintf("19%02d-%02d-%02d", 30+rng.IntN(70), 1+rng.IntN(12), 1+rng.IntN(28))})
		enc := map[string]any{"resourceType": "Encounter", "id": p.EncounterID, "status": "in-progress",
			"class":   map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
			"subject": ref("Patient/" + p.ID), "period": map[string]any{"start": admitted.Format(time.RFC3339)}}
		switch {
		case i >= n+others: // an outpatient
			enc["class"] = map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}
			rs = append(rs, enc)
			continue
		case i >= n: // discharged
			enc["status"] = "finished"
			rs = append(rs, enc)
			continue
		}
		p.Ward, p.Bed = c.Wards[i/BedsPerWard], fmt.Sprintf("B%02d", i%BedsPerWard+1)
		bed := ref("Location/bed-" + p.Ward + "-" + p.Bed)
		if i%2 == 0 {
			enc["location"] = []any{map[string]any{"location": ref("Location/ward-" + p.Ward)}, map[string]any{"location": bed}}
		} else {
			enc["location"] = []any{map[string]any{"location": bed}}
		}
		rs = append(rs, enc)
		for k := range 1 + rng.IntN(3) {
			d := drugs[(i+k*2)%len(drugs)]
			o := Order{ID: fmt.Sprintf("mr-%s-%d", id, k+1), Drug: d.name}
			rs = append(rs, MedicationRequest(o.ID, p.ID, d.name, d.code, d.dose, d.unit, d.route, "active", d.byReference, k == 2))
			p.Orders = append(p.Orders, o)
		}
		if i%5 == 0 {
			d := drugs[(i+1)%len(drugs)]
			rs = append(rs, MedicationRequest(fmt.Sprintf("mr-%s-stopped", id), p.ID, d.name, d.code, d.dose, d.unit, d.route, "stopped", false, false))
		}
		if i%3 == 0 {
			p.NoKnownAllergies = true
			rs = append(rs, AllergyIntolerance("al-"+id, p.ID, "No known allergy", "716186003"))
		} else {
			a := allergens[i%len(allergens)]
			p.Allergies = append(p.Allergies, a.name)
			rs = append(rs, AllergyIntolerance("al-"+id, p.ID, a.name, a.code))
		}
		kg := 50 + rng.IntN(50)
		p.WeightKg = fmt.Sprint(kg)
		rs = append(rs, Weight("wt-"+id+"-1", p.ID, kg+3, admitted.Add(time.Hour)), Weight("wt-"+id+"-2", p.ID, kg, admitted.Add(48*time.Hour)))
		c.Patients = append(c.Patients, p)
	}
	c.Others = 2 * others
	for start := 0; start < len(rs); start += 1000 {
		srv.Put(tb, rs[start:min(start+1000, len(rs))]...)
	}
	return c
}

// MedicationRequest is an order of dose unit of a drug twice a day (or
// every four hours when required, if prn), by dm+d code or by reference
// to Medication/med-CODE.
func MedicationRequest(id, patient, name, code string, dose int, unit, route, status string, byReference, prn bool) map[string]any {
	r := map[string]any{"resourceType": "MedicationRequest", "id": id, "status": status, "intent": "order",
		"subject": ref("Patient/" + patient), "authoredOn": time.Now().UTC().Add(-70 * time.Hour).Format(time.RFC3339)}
	if byReference {
		r["medicationReference"] = ref("Medication/med-" + code)
	} else {
		r["medicationCodeableConcept"] = map[string]any{"coding": []any{map[string]any{"system": "https://dmd.nhs.uk", "code": code, "display": name}}}
	}
	dq := map[string]any{"value": dose, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
	ds := map[string]any{"text": fmt.Sprintf("%d %s %s twice a day", dose, unit, route),
		"timing":      map[string]any{"code": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "code": "BID"}}}},
		"route":       map[string]any{"text": route},
		"doseAndRate": []any{map[string]any{"doseQuantity": dq}}}
	if prn {
		ds["text"] = fmt.Sprintf("%d %s %s every 4 hours when required", dose, unit, route)
		ds["timing"] = map[string]any{"repeat": map[string]any{"frequency": 1, "period": 4, "periodUnit": "h"}}
		ds["asNeededBoolean"] = true
	}
	r["dosageInstruction"] = []any{ds}
	return r
}

// AllergyIntolerance is an active, confirmed allergy to a SNOMED CT
// substance (or "no known allergy", 716186003).
func AllergyIntolerance(id, patient, substance, code string) map[string]any {
	return map[string]any{"resourceType": "AllergyIntolerance", "id": id, "patient": ref("Patient/" + patient),
		"clinicalStatus":     coding("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active"),
		"verificationStatus": coding("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed", "Confirmed"),
		"code":               coding("http://snomed.info/sct", code, substance),
		"reaction":           []any{map[string]any{"manifestation": []any{coding("http://snomed.info/sct", "271807003", "Rash")}, "severity": "moderate"}}}
}

// Weight is a final body weight in kg measured at at.
func Weight(id, patient string, kg int, at time.Time) map[string]any {
	return map[string]any{"resourceType": "Observation", "id": id, "status": "final",
		"category":          []any{coding("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs")},
		"code":              coding("http://loinc.org", "29463-7", "Body weight"),
		"subject":           ref("Patient/" + patient),
		"effectiveDateTime": at.UTC().Format(time.RFC3339),
		"valueQuantity":     map[string]any{"value": kg, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}
}

func ref(r string) map[string]any { return map[string]any{"reference": r} }

func coding(system, code, display string) map[string]any {
	return map[string]any{"coding": []any{map[string]any{"system": system, "code": code, "display": display}}}
}

// Put creates or replaces resources (each with its resourceType and id)
// in one batch, failing tb if any is refused.
func (s *Server) Put(tb testing.TB, resources ...map[string]any) {
	tb.Helper()
	entries := make([]any, len(resources))
	for i, r := range resources {
		entries[i] = map[string]any{"resource": r, "request": map[string]any{"method": "PUT", "url": fmt.Sprintf("%s/%s", r["resourceType"], r["id"])}}
	}
	s.batch(tb, entries)
}

// Delete deletes resources ("Type/id").
func (s *Server) Delete(tb testing.TB, refs ...string) {
	tb.Helper()
	entries := make([]any, len(refs))
	for i, r := range refs {
		entries[i] = map[string]any{"request": map[string]any{"method": "DELETE", "url": r}}
	}
	s.batch(tb, entries)
}

// Read returns a resource ("Type/id") as the server holds it.
func (s *Server) Read(tb testing.TB, ref string) map[string]any {
	tb.Helper()
	var r map[string]any
	s.get(tb, ref, &r)
	return r
}

func (s *Server) batch(tb testing.TB, entries []any) {
	tb.Helper()
	body, err := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "batch", "entry": entries})
	if err != nil {
		tb.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+"/", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("POST batch = %s %.500s", resp.Status, data)
	}
	var out struct {
		Entry []struct {
			Response struct {
				Status string `json:"status"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		tb.Fatalf("POST batch: %v", err)
	}
	for i, e := range out.Entry {
		if e.Response.Status != "" && e.Response.Status[0] != '2' {
			tb.Fatalf("POST batch: entry %d = %s: %.500s", i, e.Response.Status, data)
		}
	}
}
