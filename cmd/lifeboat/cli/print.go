package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lifeboat/sync/reconcile/paper"
)

// printDocs are the documents `lifeboat print` makes, in help order.
var printDocs = paper.Docs

// perPatient reports whether doc is printed per patient (and so takes
// --patient).
func perPatient(doc string) bool { return paper.PerPatient(doc) }

func printCmd(env *Env) *cobra.Command {
	var (
		who     personFlags
		out     string
		patient string
		ward    string
	)
	c := &cobra.Command{
		Use:   "print ward|patient|mar|obs|beds|blank-obs|blank-mar",
		Short: "Print the ward list, MARs, observation charts, the bed board or blank forms as a PDF",
		Long: `Write a PDF to print for paper fallback, when the ward may lose its
devices too (a total blackout):

  ward       the ward list: bed, the four core identifiers, latest NEWS2
             in its band colour, when obs are next due
  patient    each patient's MAR and observation chart
  mar        each patient's MAR for today: the dose grid with outcomes
  obs        each patient's observation chart with NEWS2 colours
  beds       the bed board
  blank-obs  a blank observation chart for each patient, to fill in by hand
  blank-mar  a blank MAR for each patient (their medicines, empty boxes)

Patient documents are printed for every patient on the ward, in bed
order, or for one patient with --patient (their ID, NHS number or
temporary ID). Every page carries the patient's surname, first name, date
of birth and NHS number, and a QR code naming the site, patient, document
and time printed, so paper written on during the outage can be matched
back afterwards. The ward is the one this device is set up for, or
--ward. Printing is recorded in the audit log as yours.`,
		Example: `  lifeboat print ward --out ward7.pdf --user "Nia Nurse"
  lifeboat print patient --patient "999 000 0037" --out okafor.pdf --user "Nia Nurse"
  lifeboat print blank-obs --out blank-obs.pdf --user "Nia Nurse"
  lifeboat print beds --ward w7 --out beds.pdf --user "Bea Beds"`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(printDocs, args[0]) {
				return fmt.Errorf("say what to print: one of %s", strings.Join(printDocs, ", "))
			}
			return nil
		},
		ValidArgs: printDocs,
		RunE: func(cmd *cobra.Command, args []string) error {
			doc := args[0]
			if out == "" {
				return fmt.Errorf("say where to write the PDF with --out FILE.pdf")
			}
			if patient != "" && !perPatient(doc) {
				return fmt.Errorf("--patient is for the patient, mar, obs, blank-obs and blank-mar printouts, not %s", doc)
			}
			if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
				return fmt.Errorf("cannot write %s: no folder %s", out, filepath.Dir(out))
			}
			ctx := cmd.Context()
			db, s, done, err := who.open(ctx, cmd, env)
			if err != nil {
				return err
			}
			defer done()
			now := time.Now()
			job, err := paper.Gather(ctx, db, ward, patient, now)
			if err != nil {
				return plain(err)
			}
			job.Header.PrintedBy = s.User.Name
			book := paper.New(job.Header)
			job.Render(book, doc)
			var buf bytes.Buffer
			if err := book.Output(&buf); err != nil {
				return err
			}
			for _, p := range job.Patients {
				if perPatient(doc) {
					if err := db.RecordView(ctx, s, p.ID); err != nil {
						return plain(err)
					}
				}
			}
			what := fmt.Sprintf("printed %s for %d patients of ward %s (%s) to %s", doc, len(job.Patients), job.Header.WardID, plural(len(book.Pages()), "page"), out)
			if err := db.RecordExport(ctx, s, what); err != nil {
				return plain(err)
			}
			if err := writeFileAtomic(out, buf.Bytes()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s: %s (%s, %s). Print it now, while the printer has power.\n",
				out, plural(len(book.Pages()), "page"), doc, job.Header.Ward)
			return nil
		},
	}
	who.add(c)
	c.Flags().StringVar(&out, "out", "", "PDF file to write")
	c.Flags().StringVar(&patient, "patient", "", "only this patient: their ID, NHS number or temporary ID")
	c.Flags().StringVar(&ward, "ward", "", "the ward (its ID or name); default this device's ward")
	return c
}

// writeFileAtomic writes b to path whole or not at all: into a file
// beside it, synced, then renamed over it.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".print-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// plural is n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
