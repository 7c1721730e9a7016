package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/reconcile/paper"
)

// printDocs are the documents `lifeboat print` makes, in help order.
var printDocs = []string{paper.DocWard, "patient", paper.DocMAR, paper.DocObs, paper.DocBeds, paper.DocBlankObs, paper.DocBlankMAR}

// perPatient reports whether doc is printed per patient (and so takes
// --patient).
func perPatient(doc string) bool { return doc != paper.DocWard && doc != paper.DocBeds }

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
			now := time.Now()
			job, err := gatherPrint(ctx, db, ward, patient, now)
			if err != nil {
				return err
			}
			job.Header.PrintedBy = s.User.Name
			book := paper.New(job.Header)
			render(book, doc, job)
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

// render adds doc to book.
func render(book *paper.Book, doc string, job printJob) {
	switch doc {
	case paper.DocWard:
		book.WardList(job.Patients)
	case paper.DocBeds:
		book.BedBoard(job.Board, job.ByID)
	}
	if !perPatient(doc) {
		return
	}
	for _, p := range job.Patients {
		switch doc {
		case "patient":
			book.MAR(p)
			book.ObsChart(p)
		case paper.DocMAR:
			book.MAR(p)
		case paper.DocObs:
			book.ObsChart(p)
		case paper.DocBlankObs:
			book.BlankObs(p)
		case paper.DocBlankMAR:
			book.BlankMAR(p)
		}
	}
}

// printJob is what a printout is made from.
type printJob struct {
	Header   paper.Header
	Board    forms.WardBoard
	Patients []paper.Patient // in bed order
	ByID     map[string]store.PatientView
}

// gatherPrint reads what a printout needs from the store: the ward (by
// ID or name, else the device's own), its bed board, and its admitted
// patients in bed order with their charts, or the one patient named by
// ID, NHS number or temporary ID.
func gatherPrint(ctx context.Context, db *store.DB, wardArg, patientArg string, now time.Time) (printJob, error) {
	var job printJob
	site, err := db.Site(ctx)
	if err != nil {
		return job, plain(err)
	}
	wards, err := db.Wards(ctx)
	if err != nil {
		return job, plain(err)
	}
	all, err := db.Patients(ctx, "")
	if err != nil {
		return job, plain(err)
	}
	job.ByID = map[string]store.PatientView{}
	for _, p := range all {
		job.ByID[p.ID] = p
	}
	var chosen []store.PatientView
	if patientArg != "" {
		p, ok := findPatient(all, patientArg)
		if !ok {
			return job, fmt.Errorf("no patient with ID, NHS number or temporary ID %q on this device", patientArg)
		}
		chosen = []store.PatientView{p}
		if wardArg == "" && p.Ward != "" {
			wardArg = p.Ward
		}
	}
	w, err := pickWard(wards, wardArg, site.Ward)
	if err != nil {
		return job, err
	}
	if job.Board, err = db.BedBoard(ctx, w.ID); err != nil {
		return job, plain(err)
	}
	bedAt := map[string]int{}
	labels := map[string]string{}
	for i, b := range w.Beds {
		bedAt[b.ID], labels[b.ID] = i, b.Label
	}
	if patientArg == "" {
		for _, p := range all {
			if p.Status == store.PatientAdmitted && p.Ward == w.ID {
				chosen = append(chosen, p)
			}
		}
		order := func(p store.PatientView) int {
			if i, ok := bedAt[p.Bed]; ok {
				return i
			}
			return len(bedAt)
		}
		slices.SortStableFunc(chosen, func(a, b store.PatientView) int { return order(a) - order(b) })
	}
	users, err := db.Users(ctx)
	if err != nil {
		return job, plain(err)
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = u.Name
	}
	job.Header = paper.Header{SiteID: site.SiteID, Site: site.SiteName, WardID: w.ID, Ward: w.Name, PrintedAt: now, Drill: site.Drill, Names: names}
	for _, v := range chosen {
		p := paper.Patient{PatientView: v, Scale: 1}
		if v.Ward == w.ID {
			p.BedLabel = labels[v.Bed]
		}
		if p.Obs, err = db.Observations(ctx, v.ID); err != nil {
			return job, plain(err)
		}
		if p.Scale, err = spo2Scale(ctx, db, v.ID); err != nil {
			return job, err
		}
		if p.MAR, err = db.MAR(ctx, v.ID, now, now); err != nil {
			return job, plain(err)
		}
		job.Patients = append(job.Patients, p)
	}
	return job, nil
}

// findPatient finds a patient by internal ID, NHS number (spaces and
// dashes allowed) or temporary ID.
func findPatient(all []store.PatientView, q string) (store.PatientView, bool) {
	q = strings.TrimSpace(q)
	nhs, nhsErr := forms.ParseNHSNumber(q)
	for _, p := range all {
		if p.ID == q || (nhsErr == nil && p.NHSNumber == nhs) || (p.TempID != "" && strings.EqualFold(p.TempID, q)) {
			return p, true
		}
	}
	return store.PatientView{}, false
}

// pickWard finds the ward named by arg (ID or name), else the one named
// as this device's ward, else the only ward.
func pickWard(wards []forms.Ward, arg, deviceWard string) (forms.Ward, error) {
	names := make([]string, len(wards))
	for i, w := range wards {
		names[i] = fmt.Sprintf("%s (%s)", w.ID, w.Name)
	}
	find := func(s string) (forms.Ward, bool) {
		for _, w := range wards {
			if strings.EqualFold(w.ID, s) || strings.EqualFold(w.Name, s) {
				return w, true
			}
		}
		return forms.Ward{}, false
	}
	if arg != "" {
		if w, ok := find(arg); ok {
			return w, nil
		}
		if len(wards) == 0 {
			return forms.Ward{}, fmt.Errorf("no ward %q: no wards are set up on this device yet", arg)
		}
		return forms.Ward{}, fmt.Errorf("no ward %q: choose one of %s", arg, strings.Join(names, ", "))
	}
	if w, ok := find(deviceWard); ok {
		return w, nil
	}
	switch len(wards) {
	case 0:
		return forms.Ward{}, fmt.Errorf("no wards are set up on this device yet: nothing to print")
	case 1:
		return wards[0], nil
	}
	return forms.Ward{}, fmt.Errorf("say which ward with --ward: one of %s", strings.Join(names, ", "))
}

// spo2Scale is the patient's SpO2 scale from the newest setting (1 if
// none): scale 2 is set by a clinician, never guessed.
func spo2Scale(ctx context.Context, db *store.DB, patientID string) (int, error) {
	evs, err := db.Events(ctx, patientID, forms.KindNEWS2Scale)
	if err != nil {
		return 0, plain(err)
	}
	scale := 1
	for _, e := range evs {
		var s forms.SpO2ScaleSetting
		if json.Unmarshal(e.Payload, &s) == nil && (s.Scale == 1 || s.Scale == 2) {
			scale = s.Scale
		}
	}
	return scale, nil
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
