package feed

import (
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/internal/fhirtest"
	"lifeboat/sync/reconcile"
)

var writeFHIRTestdata = flag.Bool("write-fhir-testdata", false, "save the test FHIR server's search answers in testdata/ for FuzzDecodeSearchPage")

// fhirPages are the real search answers FuzzDecodeSearchPage starts from:
// the test FHIR server's (Medplum's router) answers to the searches a
// pull makes, saved by TestFHIR_SaveMedplumPages.
var fhirPages = map[string]string{
	"fhir-page-encounters.json":   "Encounter?status=in-progress&class=IMP,ACUTE,NONAC&_include=Encounter:patient&_include=Encounter:location&_count=3",
	"fhir-page-orders.json":       "MedicationRequest?patient=Patient/pat-0001,Patient/pat-0002,Patient/pat-0003,Patient/pat-0004&status=active,on-hold&_include=MedicationRequest:medication&_count=20",
	"fhir-page-allergies.json":    "AllergyIntolerance?patient=Patient/pat-0001,Patient/pat-0002,Patient/pat-0003&_count=20",
	"fhir-page-weights.json":      "Observation?patient=Patient/pat-0001&code=" + weightSearch + "&_count=20",
	"fhir-page-locations.json":    "Location?partof=Location/ward-W01&_count=4",
	"fhir-page-empty.json":        "Encounter?_lastUpdated=gt2999-01-01T00:00:00.000Z&_count=20",
	"fhir-page-unauthorized.json": "",
}

// TestFHIR_SaveMedplumPages saves the test server's answers with
// -write-fhir-testdata (and checks they decode); without it, it checks
// the saved ones decode.
func TestFHIR_SaveMedplumPages(t *testing.T) {
	if *writeFHIRTestdata {
		srv := fhirtest.Start(t, "--token", "t")
		fhirtest.SeedCensus(t, srv, 8, 3)
		for name, search := range fhirPages {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/"+search, nil)
			if search != "" {
				req.Header.Set("Authorization", "Bearer t")
			} else {
				req.URL.Path = "/Encounter"
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err := os.WriteFile(filepath.Join("testdata", name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, search := range fhirPages {
		p, err := decodePage(mustReadTestdata(t, name))
		switch {
		case search == "" && !errors.Is(err, lifeboat.ErrInvalid):
			t.Errorf("%s decoded: %v", name, err)
		case search != "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case search != "" && len(p.res) == 0 && name != "fhir-page-empty.json":
			t.Errorf("%s holds no resources", name)
		}
	}
}

func mustReadTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzDecodeSearchPage: any answer decodes to a page or bad data
// (lifeboat.ErrInvalid), never a panic; every resource has a type and an
// id; and what a cache builds from it is a census or an ImportError.
func FuzzDecodeSearchPage(f *testing.F) {
	for name := range fhirPages {
		f.Add(mustReadTestdata(f, name))
	}
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Encounter","id":"e","status":"in-progress","class":[{"coding":[{"code":"IMP"}]}],"subject":{"reference":"https://x/Patient/p/_history/2"},"location":[{"location":{"reference":"Location/b"}}]}},{"resource":{"resourceType":"Location","id":"b","partOf":{"reference":"Location/b"}}}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"search":{"mode":"outcome"},"resource":{"resourceType":"OperationOutcome"}},{"resource":null},{"resource":{"resourceType":"Observation","id":"o","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"effectiveDateTime":"2026"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePage(b)
		if err != nil {
			if !errors.Is(err, lifeboat.ErrInvalid) {
				t.Fatalf("error %v is not bad data", err)
			}
			return
		}
		c := newCache([]string{"Location/ward-W01"})
		for _, r := range p.res {
			if r.typ == "" || r.id == "" || r.key() == "/" {
				t.Fatalf("resource with no type or id: %+v", r)
			}
			c.put(r)
		}
		c.missing()
		c.prune()
		c2 := newCache(nil)
		for _, r := range p.res {
			c2.put(r)
		}
		at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
		for _, c := range []*cache{c, c2} {
			_, err := reconcile.ParseCensusFHIRWith(c.bundle("https://pas.example/fhir", at), "fuzz", at, reconcile.CensusOptions{Ward: "W1"})
			var ie *reconcile.ImportError
			if err != nil && !errors.As(err, &ie) {
				t.Fatalf("census error %v is not an ImportError", err)
			}
		}
	})
}
