package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
)

func TestDataDirFlag_Drill(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	if err := root.ParseFlags([]string{"--data", dir, "--drill"}); err != nil {
		t.Fatal(err)
	}
	got, err := dataDirFlag(root)
	if want := filepath.Join(dir, drillDir); err != nil || got != want {
		t.Errorf("dataDirFlag(--drill) = %q, %v, want %q", got, err, want)
	}
}

// `lifeboat --drill demo` makes the training store in the drill folder,
// marked as a drill, and leaves the live data folder without a store.
func TestDemo_Drill(t *testing.T) {
	dir := t.TempDir()
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"--data", dir, "--drill", "demo"}, &out, &errs); code != 0 {
		t.Fatalf("demo --drill exit %d: %s", code, errs.String())
	}
	for _, c := range []struct {
		path  string
		drill bool
	}{{filepath.Join(dir, drillDir, cli.StoreFile), true}} {
		db, err := store.Open(context.Background(), c.path, store.Options{})
		if err != nil {
			t.Fatalf("open %s: %v", c.path, err)
		}
		site, err := db.Site(context.Background())
		db.Close()
		if err != nil || site.Drill != c.drill {
			t.Errorf("%s: Site().Drill = %v, %v; want %v", c.path, site.Drill, err, c.drill)
		}
	}
	if _, err := store.Open(context.Background(), filepath.Join(dir, cli.StoreFile), store.Options{}); err == nil {
		t.Error("demo --drill also made a store in the live data folder")
	}
	if !bytes.Contains(out.Bytes(), []byte("Drill (training) ward created")) {
		t.Errorf("output %q does not say a drill ward was made", out.String())
	}
}
