package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"lifeboat/store"
	"lifeboat/sync/reconcile"
)

func importCmd(env *Env) *cobra.Command {
	var (
		who    personFlags
		asOf   string
		source string
		ward   string
	)
	c := &cobra.Command{
		Use:   "import FILE",
		Short: "Import a census from the core systems (CSV or FHIR R4 Bundle)",
		Long: `Import the patients, beds, medicine orders, allergies and weights the core
systems held before downtime: a CSV file (columns in docs/census-csv.md) or
a FHIR R4 Bundle of Patient, Encounter, Location, MedicationRequest/
MedicationStatement (with Medication), AllergyIntolerance and body-weight
Observation (.json). Every row is checked first; if any is wrong, each
problem is listed with its line (or entry) number and nothing is imported.
Records left out on purpose (a cancelled order, an allergy entered in error)
and limits kept only as text are listed after the summary. Importing a newer
census updates patients without duplicating anyone; an older one is refused.
The census time (--as-of) is shown to staff as "patient data as of".
A FHIR bed named with no ward (no ward Location on the Encounter, none up
its partOf chain) goes on --ward, by default this device's ward; resource
types a census does not read are counted and ignored. A big census prints
its progress on stderr.`,
		Example: `  lifeboat import census.csv --as-of "2026-11-20 06:00" --user "Ada Admin"
  lifeboat import pas-extract.json --user "Ada Admin"   # as-of from the Bundle
  lifeboat import beds-only.json --ward w7 --user "Ada Admin"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := args[0]
			var at time.Time
			if asOf != "" {
				t, err := parseAsOf(asOf)
				if err != nil {
					return err
				}
				at = t
			}
			data, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("read census: %w", err)
			}
			if source == "" {
				source = filepath.Base(file)
			}
			if !isJSON(file, data) && at.IsZero() {
				return fmt.Errorf("give the census time with --as-of \"YYYY-MM-DD HH:MM\" (when the core system's data was taken)")
			}
			ctx := cmd.Context()
			db, s, done, err := who.open(ctx, cmd, env)
			if err != nil {
				return err
			}
			defer done()
			opts := reconcile.CensusOptions{}
			var wardKnown bool
			if opts.Ward, wardKnown, err = importWard(cmd, db, ward); err != nil {
				return err
			}
			var census reconcile.Census
			if isJSON(file, data) {
				census, err = reconcile.ParseCensusFHIRWith(data, source, at, opts)
			} else {
				opts.Progress = rowProgress(cmd.ErrOrStderr(), time.Now)
				census, err = reconcile.ParseCensusCSVWith(bytes.NewReader(data), source, at, opts)
			}
			if err != nil {
				return importProblems(err)
			}
			if !wardKnown {
				// The census's own patients were placed before the
				// default: a ward only the defaulted beds name is wrong.
				if err := checkImportWard(ctx, db, opts.Ward, census); err != nil {
					return err
				}
			}
			app := reconcile.StoreAppender(db, s)
			if len(data) >= bigCensusBytes {
				app = writeProgress(cmd.ErrOrStderr(), app, time.Second)
			}
			res, err := reconcile.Import(ctx, db, app, census)
			if err != nil {
				return importProblems(err)
			}
			n := res.Counts
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Imported %s (data as of %s): %d patients (%d new, %d updated), %d admissions, %d transfers, %d medicines added, %d stopped; %d allergies, %d no known allergies, %d weights; %d events recorded.\n",
				source, census.AsOf.Local().Format("02-Jan-2006 15:04"), n.Patients, n.NewPatients, n.UpdatedPatients, n.Admissions, n.Transfers, n.Medicines, n.StoppedMedicines,
				n.Allergies, n.NoKnownAllergies, n.Weights, res.Events)
			printCensusNotes(w, census, n, "ward "+opts.Ward)
			return nil
		},
	}
	who.add(c)
	c.Flags().StringVar(&asOf, "as-of", "", `when the core system's data was taken, "YYYY-MM-DD HH:MM" local time (required for CSV)`)
	c.Flags().StringVar(&ward, "ward", "", "ward (ID or name) for a bed the census names with no ward: this site's or one the census names (default: this device's ward)")
	c.Flags().StringVar(&source, "source", "", "name of the source shown with the import (default: the file name)")
	return c
}

// printCensusNotes says what an import did beyond its counts: the
// patients discharged (no longer in a census that covers their ward), the
// beds put on ward (a census naming a bed with no ward), the resource
// types ignored, and each record left out or kept only as text.
func printCensusNotes(w io.Writer, c reconcile.Census, n reconcile.ImportCounts, ward string) {
	if n.Discharges > 0 {
		fmt.Fprintf(w, "%d discharged: on a ward this census covers, and no longer in it.\n", n.Discharges)
	}
	switch {
	case c.OnDefaultWard == 1:
		fmt.Fprintf(w, "1 patient whose bed the census named with no ward was put on %s.\n", ward)
	case c.OnDefaultWard > 1:
		fmt.Fprintf(w, "%d patients whose beds the census named with no ward were put on %s.\n", c.OnDefaultWard, ward)
	}
	if len(c.Ignored) > 0 {
		types := slices.Sorted(maps.Keys(c.Ignored))
		parts := make([]string, len(types))
		for i, t := range types {
			parts[i] = fmt.Sprintf("%d %s", c.Ignored[t], t)
		}
		fmt.Fprintf(w, "Ignored (not part of a census): %s.\n", strings.Join(parts, ", "))
	}
	if len(c.Notes) > 0 {
		fmt.Fprintf(w, "%d records not imported and %d kept only as text; chart any that matter by hand:\n", c.LeftOut, len(c.Notes)-c.LeftOut)
		for _, r := range c.Notes {
			fmt.Fprintf(w, "  %s\n", r)
		}
	}
}

// importWard is the ward ID a bed with no ward goes on: the --ward flag,
// else this device's own ward, matched to a known ward's ID or name.
// known is false for a --ward the site does not know: checkImportWard
// then accepts it only if the census itself names that ward.
func importWard(cmd *cobra.Command, db *store.DB, flag string) (ward string, known bool, err error) {
	ctx := cmd.Context()
	ward = strings.TrimSpace(flag)
	site, err := db.Site(ctx)
	if err != nil {
		return "", false, plain(err)
	}
	if ward == "" || strings.EqualFold(ward, site.Ward) {
		return matchWard(ctx, db, site.Ward), true, nil
	}
	wards, err := db.Wards(ctx)
	if err != nil {
		return "", false, plain(err)
	}
	for _, w := range wards {
		if strings.EqualFold(w.ID, ward) || strings.EqualFold(w.Name, ward) {
			return w.ID, true, nil
		}
	}
	return ward, false, nil
}

// matchWard is the known ward's ID for an ID or name, else ward as given
// (a device's own ward from before wards were recorded).
func matchWard(ctx context.Context, db *store.DB, ward string) string {
	wards, err := db.Wards(ctx)
	if err != nil {
		return ward
	}
	for _, w := range wards {
		if strings.EqualFold(w.ID, ward) || strings.EqualFold(w.Name, ward) {
			return w.ID
		}
	}
	return ward
}

// checkImportWard refuses a --ward that neither the site nor the census
// knows: a mistyped ward would put patients on a ward nobody looks at.
func checkImportWard(ctx context.Context, db *store.DB, ward string, c reconcile.Census) error {
	if c.OnDefaultWard == 0 {
		return nil
	}
	// The beds put on the default ward carry it too: the census names
	// the ward itself when more patients are on it than were put there.
	on := 0
	for _, p := range c.Patients {
		if strings.EqualFold(p.Ward, ward) {
			on++
		}
	}
	if on > c.OnDefaultWard {
		return nil
	}
	var names []string
	if site, err := db.Site(ctx); err == nil && site.Ward != "" {
		names = append(names, site.Ward)
	}
	if wards, err := db.Wards(ctx); err == nil {
		for _, w := range wards {
			if !slices.Contains(names, w.ID) {
				names = append(names, w.ID)
			}
		}
	}
	for _, p := range c.Patients {
		if p.Ward != "" && p.Ward != ward && !slices.Contains(names, p.Ward) {
			names = append(names, p.Ward)
		}
	}
	slices.Sort(names)
	return fmt.Errorf("--ward %s: no ward of that ID or name on this site or in the census (known: %s); nothing was imported", ward, strings.Join(names, ", "))
}

// bigCensusBytes is the size from which lifeboat import says, on stderr,
// how far it has got: about 5k rows of a CSV.
const bigCensusBytes = 256 << 10

// progressRows is how many rows lifeboat import reads between progress
// lines (or a second, whichever comes first).
const progressRows = 5000

// rowProgress prints "Read N of M rows" to w every progressRows rows or
// every second, for a census of more than progressRows rows.
func rowProgress(w io.Writer, now func() time.Time) func(read, total int) {
	lastRows, lastAt := 0, now()
	return func(read, total int) {
		if total <= progressRows {
			return
		}
		if t := now(); read == total || read-lastRows >= progressRows || t.Sub(lastAt) >= time.Second {
			fmt.Fprintf(w, "Read %d of %d rows\n", read, total)
			lastRows, lastAt = read, t
		}
	}
}

// writeProgress wraps app to say on w how many records it writes, and
// every tick while it writes, since the write is one transaction (all or
// nothing) that cannot report rows as it goes.
func writeProgress(w io.Writer, app reconcile.Appender, tick time.Duration) reconcile.Appender {
	return reconcile.AppenderFunc(func(ctx context.Context, ds []reconcile.Draft) error {
		start := time.Now()
		fmt.Fprintf(w, "Writing %d records in one transaction (all or nothing)...\n", len(ds))
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(tick)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					fmt.Fprintf(w, "Still writing %d records (%s)\n", len(ds), time.Since(start).Round(time.Second))
				}
			}
		}()
		err := app.AppendAll(ctx, ds)
		close(done)
		wg.Wait()
		if err == nil {
			fmt.Fprintf(w, "Wrote %d records in %s\n", len(ds), time.Since(start).Round(100*time.Millisecond))
		}
		return err
	})
}

// parseAsOf reads a census time: "YYYY-MM-DD HH:MM" local, or RFC 3339.
func parseAsOf(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), time.Local); err == nil {
			if t.After(time.Now().Add(5 * time.Minute)) {
				return time.Time{}, fmt.Errorf("--as-of %q is in the future", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--as-of %q: write it as YYYY-MM-DD HH:MM", s)
}

// isJSON says whether a census file is a FHIR Bundle.
func isJSON(name string, data []byte) bool {
	if strings.EqualFold(filepath.Ext(name), ".json") {
		return true
	}
	t := strings.TrimSpace(string(data[:min(len(data), 64)]))
	return strings.HasPrefix(t, "{")
}

// importProblems lists every row problem, one per line.
func importProblems(err error) error {
	var ie *reconcile.ImportError
	if errors.As(err, &ie) {
		return fmt.Errorf("%s", ie.Error())
	}
	return plain(err)
}
