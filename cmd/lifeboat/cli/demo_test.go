package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/reconcile"
)

// seeded opens a store seeded by seed, unlocked, with its site, wards and
// patients.
func seeded(t *testing.T, seed func(context.Context, string, store.KDFParams, time.Time) error) (store.SiteInfo, []forms.Ward, []store.PatientView) {
	t.Helper()
	path := filepath.Join(t.TempDir(), StoreFile)
	if err := seed(t.Context(), path, store.TestKDF, time.Now()); err != nil {
		t.Fatal(err)
	}
	db := mustUnlocked(t, path, DemoPassphrase)
	defer db.Close()
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

// `lifeboat demo` imports its ward's census the real way (reconcile.Import
// as the IT admin), so the banner shows "Patient data as of" 06:00 on the
// day the downtime began, not "no snapshot imported". The census matches
// what the demo recorded: its only record is the census.imported, with
// nothing marked as snapshot, so what goes back to the core system is as
// before. The drill ward gets its own census the same way. Fails on the
// code before this change: the demo held no census.imported.
func TestDemo_ImportsItsCensus(t *testing.T) {
	for _, drill := range []bool{false, true} {
		dir := t.TempDir()
		root := &cobra.Command{Use: "lifeboat", SilenceUsage: true, SilenceErrors: true}
		env := &Env{DataDir: func(*cobra.Command) (string, error) { return dir, nil }, Stdin: strings.NewReader(""), KDF: store.TestKDF,
			Drill: func(*cobra.Command) bool { return drill }}
		root.AddCommand(Commands(env)...)
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs([]string{"demo"})
		before := time.Now()
		if err := root.ExecuteContext(t.Context()); err != nil {
			t.Fatalf("drill %v: demo = %q, %v", drill, out.String(), err)
		}
		db, err := store.Open(t.Context(), filepath.Join(dir, StoreFile), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Unlock(t.Context(), DemoPassphrase); err != nil {
			t.Fatal(err)
		}
		evs, err := db.EventsAfter(t.Context(), nil, 1<<30)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		var census []reconcile.CensusImported
		for _, e := range evs {
			if e.Kind != reconcile.KindCensusImported {
				continue
			}
			var c reconcile.CensusImported
			if err := json.Unmarshal(e.Payload, &c); err != nil {
				t.Fatal(err)
			}
			census = append(census, c)
		}
		if len(census) != 1 {
			t.Fatalf("drill %v: %d census imports, want 1", drill, len(census))
		}
		c := census[0]
		start := before.Add(-24 * time.Hour).Truncate(time.Hour)
		if want := demoCensusAsOf(start); !c.AsOf.Equal(want) || c.AsOf.Hour() != 6 || c.AsOf.After(start) {
			t.Errorf("drill %v: census as of %v, want 06:00 before the downtime began (%v)", drill, c.AsOf, want)
		}
		if c.Counts.Patients != 18 || c.Counts.NewPatients != 0 || c.Counts.Admissions != 0 || c.Counts.Medicines != 0 || c.Events != 0 {
			t.Errorf("drill %v: census counts %+v, events %d; want 18 patients already on record and nothing changed", drill, c.Counts, c.Events)
		}
		if n := len(reconcile.Snapshot(evs)); n != 0 {
			t.Errorf("drill %v: %d events marked as census snapshot, want none (the demo's records export as before)", drill, n)
		}
	}
}

func TestDemoCensusAsOf(t *testing.T) {
	for _, c := range []struct{ start, want string }{
		{"2026-11-21T09:00:00Z", "2026-11-21T06:00:00Z"},
		{"2026-11-21T06:00:00Z", "2026-11-21T06:00:00Z"},
		{"2026-11-21T05:00:00Z", "2026-11-20T06:00:00Z"},
		{"2026-11-21T23:00:00Z", "2026-11-21T06:00:00Z"},
	} {
		start, _ := time.Parse(time.RFC3339, c.start)
		if got := demoCensusAsOf(start).Format(time.RFC3339); got != c.want {
			t.Errorf("demoCensusAsOf(%s) = %s, want %s", c.start, got, c.want)
		}
	}
}
