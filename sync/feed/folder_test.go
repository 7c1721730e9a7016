package feed

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lifeboat/store/storetest"
	"lifeboat/sync/reconcile"
)

func mustFolder(t *testing.T) (*Folder, *storetest.Clock, string) {
	t.Helper()
	dir := t.TempDir()
	clk := storetest.NewClock(storetest.T0)
	f := NewFolder(FolderConfig{Path: dir}, reconcile.CensusOptions{Ward: "w7"})
	f.now = clk.Now
	return f, clk, dir
}

// TestFolder_HalfWrittenFileSkipped: a file modified just now is left
// until a later look sees it unchanged (or it settles), and the older
// complete file is taken meanwhile.
func TestFolder_HalfWrittenFileSkipped(t *testing.T) {
	f, clk, dir := mustFolder(t)
	ctx := t.Context()
	dropFile(t, dir, "census-old.csv", censusCSV(1), clk.Now().Add(-time.Hour))
	dropFile(t, dir, "census-new.csv", censusCSV(2)[:60], clk.Now()) // being written
	c, err := f.Pull(ctx)
	if err != nil || c.Source != "census-old.csv" {
		t.Fatalf("first look = %q, %v; want the older complete file", c.Source, err)
	}
	// Still being written at the next look: it grew.
	clk.Advance(time.Second)
	dropFile(t, dir, "census-new.csv", censusCSV(2), clk.Now())
	if _, err := f.Pull(ctx); !errors.Is(err, ErrNoChange) {
		t.Fatalf("look while it grows = %v, want nothing new", err)
	}
	// Unchanged since the previous look: complete.
	clk.Advance(time.Second)
	c, err = f.Pull(ctx)
	if err != nil || c.Source != "census-new.csv" || len(c.Patients) != 2 {
		t.Fatalf("look once it stopped changing = %q (%d patients), %v; want census-new.csv with 2", c.Source, len(c.Patients), err)
	}
	if !c.AsOf.Equal(storetest.T0.Add(time.Second)) {
		t.Errorf("AsOf = %s, want the file's modification time", c.AsOf)
	}
	// A file older than Settle is complete at the first look.
	g, clk2, dir2 := mustFolder(t)
	dropFile(t, dir2, "census.csv", censusCSV(1), clk2.Now().Add(-Settle))
	if c, err := g.Pull(ctx); err != nil || c.Source != "census.csv" {
		t.Errorf("settled file at the first look = %q, %v", c.Source, err)
	}
}

// TestFolder_SameFileNotTwice: a file imported is not imported again,
// nor a copy of it under another name; a changed file is.
func TestFolder_SameFileNotTwice(t *testing.T) {
	f, clk, dir := mustFolder(t)
	ctx := t.Context()
	dropFile(t, dir, "census.csv", censusCSV(2), clk.Now().Add(-time.Minute))
	if _, err := f.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		clk.Advance(time.Minute)
		if _, err := f.Pull(ctx); !errors.Is(err, ErrNoChange) {
			t.Fatalf("look %d = %v, want nothing new", i, err)
		}
	}
	dropFile(t, dir, "census-copy.csv", censusCSV(2), clk.Now().Add(-time.Minute))
	if _, err := f.Pull(ctx); !errors.Is(err, ErrNoChange) {
		t.Errorf("a copy under another name = %v, want nothing new", err)
	}
	dropFile(t, dir, "census.csv", censusCSV(3), clk.Now().Add(-time.Second*30))
	if c, err := f.Pull(ctx); err != nil || len(c.Patients) != 3 {
		t.Errorf("the file changed = %d patients, %v; want it read", len(c.Patients), err)
	}
}

// TestFolder_BadFileReportedOnce: a file the census checks refuse is
// returned with its problems once, then not read again until it changes.
func TestFolder_BadFileReportedOnce(t *testing.T) {
	f, clk, dir := mustFolder(t)
	ctx := t.Context()
	bad := "nhs_number,surname,given,birth_date,ward,bed\n123,Smith,Ann,1948-02-11,w7,b1\n"
	dropFile(t, dir, "census.csv", bad, clk.Now().Add(-time.Minute))
	_, err := f.Pull(ctx)
	var ie *reconcile.ImportError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad file = %v, want its problems by line", err)
	}
	for range 3 {
		clk.Advance(time.Minute)
		if _, err := f.Pull(ctx); !errors.Is(err, ErrNoChange) {
			t.Fatalf("look after the bad file = %v, want it not read again", err)
		}
	}
	dropFile(t, dir, "census.csv", censusCSV(1), clk.Now().Add(-time.Minute)) // fixed
	if c, err := f.Pull(ctx); err != nil || len(c.Patients) != 1 {
		t.Errorf("the fixed file = %v, %v", c.Patients, err)
	}
}

// TestFolder_SkipsDotfilesTempNamesAndOtherTypes: only *.csv and *.json
// extracts are read.
func TestFolder_SkipsDotfilesTempNamesAndOtherTypes(t *testing.T) {
	f, clk, dir := mustFolder(t)
	old := clk.Now().Add(-time.Hour)
	for _, name := range []string{".census.csv", "~census.csv", "census.csv~", "census.csv.tmp", "census.csv.part", "census.json.partial",
		"census.csv.filepart", "census.csv.crdownload", ".census.csv.swp", "census.txt", "README"} {
		dropFile(t, dir, name, "not a census", old)
	}
	if err := os.Mkdir(filepath.Join(dir, "archive.csv"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Pull(t.Context()); !errors.Is(err, ErrNoChange) {
		t.Errorf("Pull = %v, want every file skipped", err)
	}
}

// TestFolder_MissingShareIsUnreachable: a folder that cannot be read is
// the core system's share down (ErrUnreachable), in plain words.
func TestFolder_MissingShareIsUnreachable(t *testing.T) {
	f := NewFolder(FolderConfig{Path: filepath.Join(t.TempDir(), "gone")}, reconcile.CensusOptions{})
	_, err := f.Pull(t.Context())
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("Pull = %v, want ErrUnreachable saying why", err)
	}
}

// TestFolder_FHIRBundleAndNameTimes: a Bundle's time is its own; a CSV's
// is the one its name carries, else its modification time; a time in the
// future is refused.
func TestFolder_FHIRBundleAndNameTimes(t *testing.T) {
	f, clk, dir := mustFolder(t)
	ctx := t.Context()
	bundle, err := os.ReadFile(filepath.Join("..", "reconcile", "testdata", "census-bundle.json"))
	if err != nil {
		t.Fatal(err)
	}
	dropFile(t, dir, "extract.json", string(bundle), clk.Now().Add(-time.Minute))
	c, err := f.Pull(ctx)
	want, _ := reconcile.ParseCensusFHIR(bundle, "x", time.Time{})
	if err != nil || c.AsOf.IsZero() || !c.AsOf.Equal(want.AsOf) {
		t.Fatalf("Bundle = as of %s, %v; want the Bundle's time %s", c.AsOf, err, want.AsOf)
	}

	dropFile(t, dir, "census-20261122T0700Z.csv", censusCSV(1), clk.Now().Add(-time.Second*10))
	if c, err := f.Pull(ctx); err != nil || !c.AsOf.Equal(time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("CSV with a time in its name = as of %s, %v", c.AsOf, err)
	}
	dropFile(t, dir, "census-20261123T0700Z.csv", censusCSV(2), clk.Now().Add(-time.Second*5))
	if _, err := f.Pull(ctx); err == nil || !strings.Contains(err.Error(), "in the future") {
		t.Errorf("CSV named for tomorrow = %v, want refused", err)
	}
}

func TestNameTime(t *testing.T) {
	tests := []struct {
		name string
		want time.Time
		ok   bool
	}{
		{"census-20261120T0600.csv", time.Date(2026, 11, 20, 6, 0, 0, 0, time.Local), true},
		{"census-20261120-0600.csv", time.Date(2026, 11, 20, 6, 0, 0, 0, time.Local), true},
		{"census-20261120T060030Z.csv", time.Date(2026, 11, 20, 6, 0, 30, 0, time.UTC), true},
		{"census_20261120T0600Z.csv", time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC), true},
		{"census-20261320T0600.csv", time.Time{}, false}, // month 13
		{"census-20261120T2561.csv", time.Time{}, false},
		{"census.csv", time.Time{}, false},
		{"census-2026-11-20.csv", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := NameTime(tt.name)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("NameTime(%q) = %s, %v; want %s, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzNameTime: a file name from the share never panics the reader, and
// the time it reads comes from the name's time alone (the rest of the
// name does not change it).
func FuzzNameTime(f *testing.F) {
	for _, s := range []string{"census-20261120T0600.csv", "census-20261120-060030Z.csv", "x20261399T9999", "census.csv", "00000000T0000Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got, ok := NameTime(name)
		if !ok {
			return
		}
		m := nameTime.FindString(name)
		if again, ok := NameTime("extract-" + m + ".csv"); !ok || !again.Equal(got) {
			t.Fatalf("NameTime(%q) = %s, but its time %q alone reads %s, %v", name, got, m, again, ok)
		}
	})
}
