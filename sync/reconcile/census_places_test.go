package reconcile

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
)

// location is a Location resource of the given physical type, with an
// optional parent.
func location(id, code, partOf string) string {
	s := `{"resourceType": "Location", "id": "` + id + `", "identifier": [{"value": "` + id + `"}]`
	if code != "" {
		s += `, "physicalType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "` + code + `"}]}`
	}
	if partOf != "" {
		s += `, "partOf": {"reference": "Location/` + partOf + `"}`
	}
	return s + `}`
}

// encounterAt is p1's in-progress Encounter at the given Locations.
func encounterAt(ids ...string) string {
	var ls []string
	for _, id := range ids {
		ls = append(ls, `{"location": {"reference": "Location/`+id+`"}}`)
	}
	return `{"resourceType": "Encounter", "id": "e1", "status": "in-progress", "subject": {"reference": "Patient/p1"}, "location": [` +
		strings.Join(ls, ",") + `]}`
}

// TestParseCensusFHIR_BedWard: the ward of a bed comes from the Encounter,
// else the bed's partOf chain (bed, room, ward), else the importer's ward
// (--ward, by default the device's); with none of these it is refused.
// Before #17 a bed with no partOf was refused even with a ward to hand, and
// a room above the bed was taken for the ward.
func TestParseCensusFHIR_BedWard(t *testing.T) {
	tests := []struct {
		name      string
		resources []string
		ward      string // CensusOptions.Ward
		wantWard  string
		wantBed   string
		onDefault int
		wantErr   string
	}{
		{"ward and bed on the encounter", []string{location("w7", "wa", ""), location("b4", "bd", ""), encounterAt("w7", "b4")}, "", "w7", "b4", 0, ""},
		{"bed part of a ward", []string{location("w7", "wa", ""), location("b4", "bd", "w7"), encounterAt("b4")}, "", "w7", "b4", 0, ""},
		{"bed in a room in a ward", []string{location("w9", "wa", ""), location("r3", "ro", "w9"), location("b2", "bd", "r3"), encounterAt("b2")}, "", "w9", "b2", 0, ""},
		{"bed in a room in a ward in a building", []string{location("bu1", "bu", ""), location("w9", "wa", "bu1"), location("r3", "ro", "w9"), location("b2", "bd", "r3"), encounterAt("b2")}, "x", "w9", "b2", 0, ""},
		{"bed part of an untyped ward", []string{location("w7", "", ""), location("b4", "bd", "w7"), encounterAt("b4")}, "", "w7", "b4", 0, ""},
		{"encounter's ward wins over the chain", []string{location("w9", "wa", ""), location("w7", "wa", ""), location("b4", "bd", "w9"), encounterAt("w7", "b4")}, "", "w7", "b4", 0, ""},
		{"room with a ward, no bed", []string{location("w9", "wa", ""), location("r3", "ro", "w9"), encounterAt("r3")}, "", "w9", "", 0, ""},
		{"bed only, importer's ward", []string{location("b1", "bd", ""), encounterAt("b1")}, "w7", "w7", "b1", 1, ""},
		{"bed in a room only, importer's ward", []string{location("r3", "ro", ""), location("b2", "bd", "r3"), encounterAt("b2")}, "w7", "w7", "b2", 1, ""},
		{"bed in a building only, importer's ward", []string{location("bu1", "bu", ""), location("b2", "bd", "bu1"), encounterAt("b2")}, "w7", "w7", "b2", 1, ""},
		{"partOf cycle, importer's ward", []string{location("r1", "ro", "r2"), location("r2", "ro", "r1"), location("b2", "bd", "r1"), encounterAt("b2")}, "w7", "w7", "b2", 1, ""},
		{"partOf not in the bundle, importer's ward", []string{location("b2", "bd", "nowhere"), encounterAt("b2")}, "w7", "w7", "b2", 1, ""},
		{"bed only, no ward to hand", []string{location("b1", "bd", ""), encounterAt("b1")}, "", "", "", 0, "(Encounter/e1) has bed b1 but no ward: give the ward with --ward"},
		{"two bed-only patients on the importer's ward, same bed", []string{location("b1", "bd", ""), encounterAt("b1"),
			`{"resourceType": "Patient", "id": "p2", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000026"}], "name": [{"family": "Smith", "given": ["Richard"]}], "birthDate": "1957-03-04"}`,
			strings.ReplaceAll(strings.ReplaceAll(encounterAt("b1"), "Patient/p1", "Patient/p2"), `"e1"`, `"e2"`)},
			"w7", "", "", 0, "entry 4: bed b1 on ward w7 is also given to entry 1: two patients in one bed"},
		{"born after the census", []string{`{"resourceType": "Patient", "id": "p2", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000026"}], "name": [{"family": "Smith", "given": ["Richard"]}], "birthDate": "2099-03-04"}`},
			"", "", "", 0, "(Patient/p2) birth_date 2099-03-04 is after the census date"},
		{"room only, no ward to hand", []string{location("r3", "ro", ""), encounterAt("r3")}, "", "", "", 0, "(Encounter/e1) has room r3 but no ward"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCensusFHIRWith(bundleWith(tt.resources...), "beds.json", time.Time{}, CensusOptions{Ward: tt.ward})
			if tt.wantErr != "" {
				var ie *ImportError
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseCensusFHIRWith = %v, want an *ImportError saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCensusFHIRWith = %v", err)
			}
			p := c.Patients[0]
			if p.Ward != tt.wantWard || p.Bed != tt.wantBed || c.OnDefaultWard != tt.onDefault {
				t.Errorf("ward, bed, on default ward = %q, %q, %d; want %q, %q, %d", p.Ward, p.Bed, c.OnDefaultWard, tt.wantWard, tt.wantBed, tt.onDefault)
			}
		})
	}
}

// TestParseCensusFHIR_IgnoredTypes: resource types a census does not read
// are counted, not decoded (before #17 their other field shapes failed with
// Go unmarshal errors and refused the census).
func TestParseCensusFHIR_IgnoredTypes(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		want     map[string]int
	}{
		{"administration with partOf list", `{"resourceType": "MedicationAdministration", "id": "a", "partOf": [{"reference": "Procedure/x"}], "dosage": {"dose": {"value": 1}}}`,
			map[string]int{"MedicationAdministration": 1}},
		{"questionnaire response with one identifier", `{"resourceType": "QuestionnaireResponse", "id": "q", "identifier": {"value": "q-1"}, "status": "completed"}`,
			map[string]int{"QuestionnaireResponse": 1}},
		{"unknown type", `{"resourceType": "Flag", "id": "f", "period": "whenever", "location": 7}`, map[string]int{"Flag": 1}},
		{"no resource type", `{"id": "x"}`, map[string]int{"(no resourceType)": 1}},
		{"observation with partOf list is read", `{"resourceType": "Observation", "id": "o", "status": "final", "partOf": [{"reference": "Procedure/x"}], "subject": {"reference": "Patient/p1"}, "code": {"text": "pulse"}}`,
			nil},
		{"statement with partOf list is read", `{"resourceType": "MedicationStatement", "id": "s", "status": "completed", "partOf": [{"reference": "Procedure/x"}], "subject": {"reference": "Patient/p1"}}`,
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCensusFHIR(bundleWith(tt.resource, tt.resource), "ignored.json", time.Time{})
			if err != nil {
				t.Fatalf("ParseCensusFHIR = %v", err)
			}
			want := map[string]int{}
			for k, v := range tt.want {
				want[k] = 2 * v
			}
			if len(c.Ignored) != len(want) || !maps.Equal(c.Ignored, want) {
				t.Errorf("Ignored = %v, want %v", c.Ignored, want)
			}
		})
	}
	if _, err := ParseCensusFHIR(bundleWith(`"not an object"`), "x.json", time.Time{}); err == nil || !strings.Contains(err.Error(), "entry 2: cannot read the resource") {
		t.Errorf("a resource that is not an object = %v, want refused by entry", err)
	}
}

// TestParseCensusFHIR_RealWorldShapes reads testdata/census-beds.json: a
// bed with no ward, a bed in a room in a ward, administrations, a
// questionnaire response and a Flag (ignored and counted), an order by
// medicationReference with free-text dosage (kept in its notes).
func TestParseCensusFHIR_RealWorldShapes(t *testing.T) {
	c, err := ParseCensusFHIRWith(mustRead(t, "census-beds.json"), "census-beds.json", time.Time{}, CensusOptions{Ward: "w7"})
	if err != nil {
		t.Fatalf("ParseCensusFHIRWith = %v", err)
	}
	if p := c.Patients[0]; p.Ward != "w7" || p.Bed != "b1" || len(p.Medicines) != 1 {
		t.Errorf("bed-only patient = %+v, want w7 b1 with one medicine", p)
	} else if m := p.Medicines[0]; m.Drug != "Paracetamol 500mg tablets" || m.DMDCode != "42109611000001109" || !strings.Contains(m.Notes, "after food") {
		t.Errorf("medicationReference order = %+v, want its Medication's drug and the dosage text in notes", m)
	}
	if p := c.Patients[1]; p.Ward != "w9" || p.Bed != "b2" {
		t.Errorf("bed in a room = %q %q, want w9 b2", p.Ward, p.Bed)
	}
	want := map[string]int{"MedicationAdministration": 2, "QuestionnaireResponse": 1, "Flag": 1}
	if !maps.Equal(c.Ignored, want) {
		t.Errorf("Ignored = %v, want %v", c.Ignored, want)
	}
}
