package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lifeboat"
	"lifeboat/sync/reconcile"
)

func sendCmd(env *Env) *cobra.Command {
	var (
		who       personFlags
		base      string
		tokenFile string
		size      int
		ward      string
		unmatched bool
		workers   int
		sys       systemsFlags
	)
	c := &cobra.Command{
		Use:   "send",
		Short: "Send downtime records to the core system's FHIR R4 server",
		Long: `Export the downtime records not yet accepted (see lifeboat export) and post
them to a FHIR R4 base URL as transaction Bundles, retrying with backoff.
Each record's outcome is recorded as a back-entry status that syncs to the
ward: sent (before each Bundle goes: sent, no answer yet), then accepted,
or rejected with the server's reason. A server that refuses
us rather than the records (401 credentials, 403 forbidden, 404 no FHIR
endpoint at --url) stops the send with the records left pending. Sending again sends
only what is left, and the server creates nothing twice. The records of
patients still known only by a temporary downtime ID are held back and
listed (match them to their NHS number on the Reconcile screen first, or
send them anyway with --include-unmatched). Up to --workers transactions
are in flight at once, each a different patient's: one patient's records
always go in order, one transaction after another. The bearer token
is read from --token-file or $LIFEBOAT_FHIR_TOKEN, never from the command
line (it would show in the process list).`,
		Example: `  LIFEBOAT_FHIR_TOKEN=... lifeboat send --url https://fhir.trust.nhs.uk/R4 --user "Ada Admin"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := url.Parse(base)
			if base == "" || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
				return fmt.Errorf("give the FHIR server's base URL with --url https://...")
			}
			if u.Scheme == "http" && !isLoopback(u.Hostname()) {
				return fmt.Errorf("--url %s: patient data goes only over https (http is allowed to this machine only, for testing)", base)
			}
			if err := bundleSizeFlag(cmd, size); err != nil {
				return err
			}
			if reconcile.CheckWorkers(workers) != nil {
				return fmt.Errorf("--workers %d: give how many transactions may be in flight at once, 1 to %d (usage: %s)", workers, reconcile.MaxWorkers, cmd.UseLine())
			}
			systems, err := sys.systems(cmd, env)
			if err != nil {
				return err
			}
			token := os.Getenv("LIFEBOAT_FHIR_TOKEN")
			if tokenFile != "" {
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return fmt.Errorf("read token: %w", err)
				}
				token = strings.TrimSpace(string(b))
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
			x, err := reconcile.ExportFHIR(events, reconcile.ExportOptions{BundleSize: size, Ward: ward, Systems: systems,
				Skip: reconcile.Done(reconcile.Worklist(events)), HoldUnmatched: !unmatched})
			if err != nil {
				return plain(err)
			}
			printHeld(cmd.OutOrStdout(), x.Held)
			if len(x.Bundles) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "Nothing to send: every downtime record is already in the core system.")
				return nil
			}
			if err := db.RecordExport(ctx, s, fmt.Sprintf("FHIR send of %d events to %s", len(x.Events), u.Redacted())); err != nil {
				return plain(err)
			}
			client := &reconcile.Client{BaseURL: strings.TrimRight(base, "/"), Token: token, Workers: workers}
			rep, err := reconcile.Send(ctx, client, x, reconcile.StoreAppender(db, s), s.User.Name, time.Now, func(i, n int) {
				fmt.Fprintf(cmd.ErrOrStderr(), "\rsent %d/%d bundles", i, n)
			})
			fmt.Fprintln(cmd.ErrOrStderr())
			fmt.Fprintf(cmd.OutOrStdout(), "Sent %d bundles: %d records accepted, %d rejected (see lifeboat worklist --status rejected).\n",
				rep.Bundles, rep.Accepted, rep.Rejected)
			if rep.Unanswered > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%d records sent with no answer yet (lifeboat worklist --status sent): the next send resolves them; the server writes nothing twice.\n", rep.Unanswered)
			}
			if errors.Is(err, lifeboat.ErrPermission) || errors.Is(err, lifeboat.ErrNotFound) {
				// The server refused us, not the records: they stay pending.
				return fmt.Errorf("%w (no record was marked rejected: what is left stays pending; send again once this is put right)", err)
			}
			if err != nil {
				return fmt.Errorf("%w (what was sent before this is recorded; run send again to carry on)", err)
			}
			return nil
		},
	}
	who.add(c)
	c.Flags().StringVar(&base, "url", "", "the FHIR R4 server's base URL")
	c.Flags().StringVar(&tokenFile, "token-file", "", "read the bearer token from this file (else $LIFEBOAT_FHIR_TOKEN)")
	c.Flags().IntVar(&size, "bundle-size", reconcile.DefaultBundleSize, bundleSizeUsage)
	c.Flags().StringVar(&ward, "ward", "", "only patients last on this ward (its ID)")
	c.Flags().IntVar(&workers, "workers", reconcile.DefaultWorkers, fmt.Sprintf("transactions in flight at once, each a different patient's, 1 to %d (1 sends one at a time); one patient's records always go in order", reconcile.MaxWorkers))
	sys.add(c)
	c.Flags().BoolVar(&unmatched, "include-unmatched", false, "also send the records of patients with no NHS number yet (under their temporary ID)")
	return c
}

// printHeld lists the records held back, one line per patient.
func printHeld(out io.Writer, held []reconcile.Held) {
	if len(held) == 0 {
		return
	}
	n, order := map[string]int{}, []string{}
	label := map[string]string{}
	for _, h := range held {
		if n[h.PatientID] == 0 {
			order = append(order, h.PatientID)
		}
		n[h.PatientID]++
		label[h.PatientID] = h.Patient
	}
	fmt.Fprintf(out, "Held back %d records of %d patients: %s:\n", len(held), len(order), reconcile.HeldReason)
	for _, id := range order {
		fmt.Fprintf(out, "  %s: %d records\n", label[id], n[id])
	}
}

// SystemsFile is the trust's identifier systems file in the data folder,
// read by send and export when --systems and --system-base are not given.
const SystemsFile = "fhir-systems.json"

// systemsFlags are --system-base and --systems (send and export).
type systemsFlags struct{ base, file string }

func (f *systemsFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.base, "system-base", "", "the trust's base URL for Lifeboat's identifier systems (<base>/event-id, ...; default "+reconcile.DefaultSystemBase+", or the data folder's "+SystemsFile+")")
	c.Flags().StringVar(&f.file, "systems", "", "a JSON file of identifier systems ({\"base\": URL, \"location\": URL, ...}; default the data folder's "+SystemsFile+" if there is one)")
}

// systems are the identifier systems to send under: --system-base,
// --systems FILE, the data folder's fhir-systems.json, or the defaults.
func (f *systemsFlags) systems(cmd *cobra.Command, env *Env) (reconcile.Systems, error) {
	if f.base != "" && f.file != "" {
		return reconcile.Systems{}, fmt.Errorf("give --system-base or --systems, not both")
	}
	if f.base != "" {
		s := reconcile.SystemsUnder(f.base)
		if err := s.Check(); err != nil {
			return s, fmt.Errorf("--system-base %s: give the trust's base URL, https://...: %w", f.base, err)
		}
		return s, nil
	}
	file := f.file
	if file == "" {
		dir, err := env.DataDir(cmd)
		if err != nil {
			return reconcile.Systems{}, err
		}
		return DataFolderSystems(dir)
	}
	return readSystems(file)
}

// DataFolderSystems are the identifier systems of the data folder's
// fhir-systems.json, or the defaults when there is none (the app reads
// them so, as send and export do).
func DataFolderSystems(dir string) (reconcile.Systems, error) {
	file := filepath.Join(dir, SystemsFile)
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return reconcile.DefaultSystems, nil
	}
	return readSystems(file)
}

func readSystems(file string) (reconcile.Systems, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return reconcile.Systems{}, fmt.Errorf("read systems: %w", err)
	}
	s, err := reconcile.ParseSystems(b)
	if err != nil {
		return s, fmt.Errorf("%s: %w", file, err)
	}
	return s, nil
}

// bundleSizeUsage is the help of --bundle-size (send and export).
var bundleSizeUsage = fmt.Sprintf("most entries per Bundle, 1 to %d (some servers cap conditional transactions at 8); a record is never split, so one needing more travels alone", reconcile.MaxBundleSize)

// bundleSizeFlag refuses a --bundle-size outside 1..MaxBundleSize; before,
// 0 and negative sizes silently became the default.
func bundleSizeFlag(cmd *cobra.Command, size int) error {
	if reconcile.CheckBundleSize(size) != nil {
		return fmt.Errorf("--bundle-size %d: give the most entries per Bundle, 1 to %d (usage: %s)", size, reconcile.MaxBundleSize, cmd.UseLine())
	}
	return nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
