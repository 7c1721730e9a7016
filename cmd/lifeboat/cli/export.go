package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"lifeboat/sync/reconcile"
)

func exportCmd(env *Env) *cobra.Command {
	var (
		who    personFlags
		out    string
		ndjson bool
		size   int
		sys    systemsFlags
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
			if err := bundleSizeFlag(cmd, size); err != nil {
				return err
			}
			systems, err := sys.systems(cmd, env)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			db, s, done, err := who.open(ctx, cmd, env)
			if err != nil {
				return err
			}
			defer done()
			events, err := wholeLog(ctx, db)
			if err != nil {
				return err
			}
			opt := reconcile.ExportOptions{BundleSize: size, Ward: ward, Systems: systems}
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
			files, err := reconcile.WriteBundles(out, x.Bundles, ndjson, func(i, n int) {
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
	c.Flags().IntVar(&size, "bundle-size", reconcile.DefaultBundleSize, bundleSizeUsage)
	sys.add(c)
	c.Flags().StringVar(&ward, "ward", "", "only patients last on this ward (its ID)")
	c.Flags().BoolVar(&all, "all", false, "also export records the core system already has")
	return c
}
