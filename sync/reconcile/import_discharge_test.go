package reconcile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// testNHS is the i-th valid test NHS number (999 range, modulus 11).
func testNHS(t *testing.T, i int) string {
	t.Helper()
	for n := 999000000 + i*10; ; n++ {
		s := fmt.Sprint(n)
		sum := 0
		for j, c := range s {
			sum += int(c-'0') * (10 - j)
		}
		if check := 11 - sum%11; check < 10 {
			if v, err := forms.ParseNHSNumber(s + fmt.Sprint(check)); err == nil {
				return v
			}
		} else if check == 11 {
			return s + "0"
		}
	}
}

// TestImport_CensusDischargesWhoLeft: a census that covers a ward (a feed
// pulling it, or the whole hospital) discharges, as of its time, each
// patient an earlier census put on that ward who is no longer in it. A
// ward it does not cover, a patient the ward itself moved on Lifeboat, and
// a hand import (covering nothing) discharge nobody. Before, the feed's
// census never discharged anyone: every patient the core system sent home
// stayed on the ward list, and would have greeted the ward at the outage.
func TestImport_CensusDischargesWhoLeft(t *testing.T) {
	ctx := t.Context()
	db, s := MustStore(t)
	app := StoreAppender(db, s)
	nhs := []string{testNHS(t, 1), testNHS(t, 2), testNHS(t, 3), testNHS(t, 4)}
	pt := func(i int, ward, bed string) CensusPatient {
		return CensusPatient{NHSNumber: nhs[i], Surname: fmt.Sprint("Patient", i), Given: "Test", BirthDate: "1950-01-01", Ward: ward, Bed: bed}
	}
	where := func() map[string]string {
		t.Helper()
		ps, err := db.Patients(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, p := range ps {
			m[p.NHSNumber] = p.Ward + "/" + p.Bed
		}
		return m
	}
	idOf := func(n string) string {
		ps, _ := db.Patients(ctx, "")
		for _, p := range ps {
			if p.NHSNumber == n {
				return p.ID
			}
		}
		t.Fatalf("no patient %s", n)
		return ""
	}
	at := asOf
	imp := func(c Census) ImportCounts {
		t.Helper()
		at = at.Add(10 * time.Minute)
		c.Source, c.AsOf = "feed", at
		res, err := Import(ctx, db, app, c)
		if err != nil {
			t.Fatal(err)
		}
		return res.Counts
	}

	imp(Census{CoversAll: true, Patients: []CensusPatient{pt(0, "w7", "b1"), pt(1, "w7", "b2"), pt(2, "w8", "b1"), pt(3, "w7", "b3")}})
	// The ward moves patient 3 on Lifeboat: that placement is the ward's.
	if err := app.AppendAll(ctx, []Draft{{Kind: forms.KindPatientTransferred, Subject: idOf(nhs[3]), PerformedAt: at.Add(time.Minute),
		Payload: forms.Transfer{PatientID: idOf(nhs[3]), FromWard: "w7", FromBed: "b3", Ward: "w7", Bed: "b4"}}}); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name           string
		census         Census
		wantDischarges int
		want           map[int]string // patient -> ward/bed ("/" once discharged)
	}{
		{"ward 7 only: patient 1 left; ward 8 not covered; patient 3 placed by the ward",
			Census{Covers: []string{"W7"}, Patients: []CensusPatient{pt(0, "w7", "b1")}}, 1,
			map[int]string{0: "w7/b1", 1: "/", 2: "w8/b1", 3: "w7/b4"}},
		{"the same again: nobody left twice",
			Census{Covers: []string{"w7"}, Patients: []CensusPatient{pt(0, "w7", "b1")}}, 0,
			map[int]string{0: "w7/b1", 1: "/", 2: "w8/b1", 3: "w7/b4"}},
		{"a hand import covering nothing",
			Census{Patients: []CensusPatient{pt(0, "w7", "b1")}}, 0,
			map[int]string{0: "w7/b1", 1: "/", 2: "w8/b1", 3: "w7/b4"}},
		{"the whole hospital: patient 2 left ward 8",
			Census{CoversAll: true, Patients: []CensusPatient{pt(0, "w7", "b1")}}, 1,
			map[int]string{0: "w7/b1", 1: "/", 2: "/", 3: "w7/b4"}},
		{"patient 1 back: admitted again",
			Census{CoversAll: true, Patients: []CensusPatient{pt(0, "w7", "b1"), pt(1, "w8", "b2")}}, 0,
			map[int]string{0: "w7/b1", 1: "w8/b2", 2: "/", 3: "w7/b4"}},
	}
	for _, st := range steps {
		n := imp(st.census)
		if n.Discharges != st.wantDischarges {
			t.Errorf("%s: discharges = %d, want %d", st.name, n.Discharges, st.wantDischarges)
		}
		got := where()
		for i, w := range st.want {
			if got[nhs[i]] != w {
				t.Errorf("%s: patient %d at %q, want %q", st.name, i, got[nhs[i]], w)
			}
		}
	}
}

// TestImport_CensusThatWouldEmptyTheWardsRefused: a census covering the
// wards that would send home more than half of the patients an earlier
// census put there (and more than MaxQuietDischarges) is refused whole
// and changes nothing: a core system answering with nobody, or a page of
// its answer, while it restores must not empty the wards. At the limit
// it is imported.
func TestImport_CensusThatWouldEmptyTheWardsRefused(t *testing.T) {
	tests := []struct {
		name    string
		placed  int // patients on the ward by the first census
		kept    int // of them in the second
		refused bool
	}{
		{"nobody left of 12", 12, 0, true},
		{"7 of 12 leave", 12, 5, true},
		{"6 of 12 leave: half", 12, 6, false},
		{"5 of 6 leave: the quiet limit", 6, 1, false},
		{"6 of 6 leave", 6, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			db, s := MustStore(t)
			app := StoreAppender(db, s)
			var ps []CensusPatient
			for i := range tt.placed {
				ps = append(ps, CensusPatient{NHSNumber: testNHS(t, i+1), Surname: fmt.Sprint("Patient", i), Given: "Test", BirthDate: "1950-01-01", Ward: "w7", Bed: fmt.Sprint("b", i)})
			}
			if _, err := Import(ctx, db, app, Census{Source: "feed", AsOf: asOf, CoversAll: true, Patients: ps}); err != nil {
				t.Fatal(err)
			}
			res, err := Import(ctx, db, app, Census{Source: "feed", AsOf: asOf.Add(time.Hour), CoversAll: true, Patients: ps[:tt.kept]})
			onWard := 0
			all, _ := db.Patients(ctx, "")
			for _, p := range all {
				if p.Ward != "" {
					onWard++
				}
			}
			if tt.refused {
				if !errors.Is(err, lifeboat.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("would send home %d of the %d patients", tt.placed-tt.kept, tt.placed)) {
					t.Fatalf("import = %v, want refused naming the counts", err)
				}
				if onWard != tt.placed {
					t.Errorf("%d on the ward after a refused census, want all %d", onWard, tt.placed)
				}
				return
			}
			if err != nil || res.Counts.Discharges != tt.placed-tt.kept || onWard != tt.kept {
				t.Errorf("import = %+v, %v; %d on the ward, want %d discharged and %d left", res.Counts, err, onWard, tt.placed-tt.kept, tt.kept)
			}
		})
	}
}
