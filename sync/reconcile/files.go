package reconcile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// WriteBundles writes bs into dir for an integration engine: a file per
// Bundle (bundle-00001.json, ...) or, with ndjson, one bundles.ndjson with a
// Bundle per line. Each file is written whole or not at all (beside, synced,
// renamed). It returns how many files it wrote; progress is called after
// each Bundle. Each Bundle carries its Provenance (Bundle.Whole).
func WriteBundles(dir string, bs []Bundle, ndjson bool, progress func(i, n int)) (int, error) {
	write := func(name string, fill func(f *os.File) error) error {
		tmp, err := os.CreateTemp(dir, ".export-*")
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		defer os.Remove(tmp.Name())
		if err := fill(tmp); err != nil {
			tmp.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		return os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if ndjson {
		err := write("bundles.ndjson", func(f *os.File) error {
			enc := json.NewEncoder(f)
			for i, b := range bs {
				if err := enc.Encode(b.Whole()); err != nil {
					return err
				}
				progress(i+1, len(bs))
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		return 1, nil
	}
	for i, b := range bs {
		name := fmt.Sprintf("bundle-%05d.json", i+1)
		if err := write(name, func(f *os.File) error {
			enc := json.NewEncoder(f)
			enc.SetIndent("", " ")
			return enc.Encode(b.Whole())
		}); err != nil {
			return i, err
		}
		progress(i+1, len(bs))
	}
	return len(bs), nil
}
