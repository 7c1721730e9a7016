package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lifeboat/forms"
	"lifeboat/store"
)

// seeded opens a store seeded by seed, unlocked, with its site, wards and
// patients.
func seeded(t *testing.T, seed func(context.Context, string, store.KDFParams, time.Time) error) (store.SiteInfo, []forms.Ward, []store.PatientView) {
	t.Helper()
	path := filepath.Join(t.TempDir(), StoreFile)
	if err := seed(t.Context(), path, store.TestKDF, time.Now()); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(t.Context(), DemoPassphrase); err != nil {
		t.Fatal(err)
	}
	site, err := db.Site(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wards, err := db.Wards(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ps, err := db.Patients(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	return site, wards, ps
}

// The drill ward is its own ward, not the demo's with a purple banner: its
// name says DRILL, and its patients (names, NHS numbers, beds) are none of
// the demo's, with NHS numbers still in the 999 test range. Fails on the
// code before this change: the drill store held "Ward 7 - Acute Medicine"
// with the demo's 18 patients.
func TestSeedDrill_OwnWardAndPatients(t *testing.T) {
	demoSite, _, demo := seeded(t, SeedDemo)
	site, wards, drill := seeded(t, SeedDrill)
	if !site.Drill || site.Ward != DrillWard || site.Ward == demoSite.Ward || !strings.Contains(site.Ward, "DRILL") {
		t.Errorf("drill site = %+v; want a drill named %q, not the demo's %q", site, DrillWard, demoSite.Ward)
	}
	if len(wards) != 1 || wards[0].Name != DrillWard || !strings.HasPrefix(wards[0].Beds[0].Label, "Training bed") {
		t.Errorf("drill wards = %+v; want %q with training beds", wards, DrillWard)
	}
	if len(drill) != len(demo) || len(drill) == 0 {
		t.Fatalf("drill has %d patients, demo %d: want as many, at least one", len(drill), len(demo))
	}
	names, nhs := map[string]bool{}, map[string]bool{}
	for _, p := range demo {
		names[p.Surname+", "+p.Given] = true
		nhs[p.NHSNumber] = true
	}
	for _, p := range drill {
		if names[p.Surname+", "+p.Given] || nhs[p.NHSNumber] {
			t.Errorf("drill patient %s, %s (%s) is also on the demo ward", p.Surname, p.Given, p.NHSNumber)
		}
		if !strings.HasPrefix(p.Surname, "DRILL-") || !forms.IsTestNHSNumber(p.NHSNumber) {
			t.Errorf("drill patient %s, %s (%s): want DRILL-… and a valid NHS number in the 999 test range", p.Surname, p.Given, p.NHSNumber)
		}
		if p.Ward != "drill" || p.Bed == "" {
			t.Errorf("drill patient %s in ward %q bed %q; want a bed on the drill ward", p.Surname, p.Ward, p.Bed)
		}
	}
}
