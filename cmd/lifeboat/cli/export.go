package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"lifeboat/sync/reconcile"
)

func exportCmd(env *Env) *cobra.Command {
	var (
		who    personFlags
		out    string
		ndjson bool
		size   int
		ward   string
		all    bool
	)
	c := &cobra.Command{
		Use:   "export",
		Short: "Write downtime records as FHIR R4 transaction Bundles for an integration engine",
		Long: `Map every downtime record that goes back to the core systems to FHIR R4
(UK Core style) transaction Bundles and write them to a folder: one Bundle
per file, or one NDJSON file with a Bundle per line. Resource ids are
deterministic and creates are conditional, so loading the same export twice
creates nothing new. Records already accepted, entered by hand or verified
are left out unless --all. The export is recorded in the audit log.`,
		Example: `  lifeboat export --out /media/usb/ward7 --user "Ada Admin"
  lifeboat export --out . --ndjson --bundle-size 8 --user "Ada Admin"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("say where to write with --out FOLDER")
			}
			ctx := cmd.Context()
			release, err := env.lock(cmd)
			if err != nil {
				return err
			}
			defer release()
			db, s, done, err := who.open(ctx, cmd, env)
			if err != nil {
				return err
			}
			defer done()
			events, err := wholeLog(ctx, db)
			if err != nil {
				return err
			}
			opt := reconcile.ExportOptions{BundleSize: size, Ward: ward}
			if !all {
				opt.Skip = reconcile.Done(reconcile.Worklist(events))
			}
			x, err := reconcile.ExportFHIR(events, opt)
			if err != nil {
				return plain(err)
			}
			if err := os.MkdirAll(out, 0o700); err != nil {
				return fmt.Errorf("make %s: %w", out, err)
			}
			files, err := writeBundles(out, x.Bundles, ndjson, func(i, n int) {
				if i%100 == 0 || i == n {
					fmt.Fprintf(cmd.ErrOrStderr(), "\rwrote %d/%d bundles", i, n)
				}
			})
			fmt.Fprintln(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := db.RecordExport(ctx, s, fmt.Sprintf("FHIR export of %d events to %s", len(x.Events), out)); err != nil {
				return plain(err)
			}
			for _, sk := range x.Skipped {
				fmt.Fprintf(cmd.ErrOrStderr(), "not exported: event %s: %s\n", sk.EventID, sk.Reason)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Exported %d events in %d bundles to %d files in %s; %d could not be mapped.\n",
				len(x.Events), len(x.Bundles), files, out, len(x.Skipped))
			return nil
		},
	}
	who.add(c)
	c.Flags().StringVar(&out, "out", "", "folder to write the Bundles to")
	c.Flags().BoolVar(&ndjson, "ndjson", false, "write one NDJSON file (a Bundle per line) instead of a file per Bundle")
	c.Flags().IntVar(&size, "bundle-size", 0, fmt.Sprintf("most entries per Bundle (some servers cap conditional transactions; default %d)", reconcile.DefaultBundleSize))
	c.Flags().StringVar(&ward, "ward", "", "only patients last on this ward (its ID)")
	c.Flags().BoolVar(&all, "all", false, "also export records the core system already has")
	return c
}

// writeBundles writes bs into dir, each file whole or not at all (written
// beside and renamed), and returns how many files it wrote.
func writeBundles(dir string, bs []reconcile.Bundle, ndjson bool, progress func(i, n int)) (int, error) {
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
				if err := enc.Encode(b); err != nil {
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
			return enc.Encode(b)
		}); err != nil {
			return i, err
		}
		progress(i+1, len(bs))
	}
	return len(bs), nil
}
