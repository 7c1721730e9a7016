package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lifeboat/forms"
	"lifeboat/store"
)

func patientCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "patient",
		Short: "Register patients who arrive during downtime",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(patientAddCmd(env))
	return c
}

func patientAddCmd(env *Env) *cobra.Command {
	var (
		who          personFlags
		p            forms.Patient
		ward, bed    string
		notDuplicate bool
	)
	c := &cobra.Command{
		Use:   "add",
		Short: "Register a new arrival and admit them to a ward",
		Long: `Register a patient who arrives during downtime and admit them to a ward (and
optionally a free bed), as the New arrival button on the ward list does.
Give the NHS number if it is known; without one the patient gets this
device's next temporary downtime ID (DT-<device>-<n>), printed for the
wristband and matched to their NHS number once the core system is back.

Before registering, the records already here are checked for the same
person (same NHS number or temporary ID, a similar name with the same date
of birth or with day and month swapped). Possible duplicates are listed
and the registration refused: open the existing record instead, or, once
you have checked that this is a different person, run again with
--not-duplicate. An NHS number another record already holds is always
refused.`,
		Example: `  lifeboat patient add --user "Nia Nurse" --surname Okonkwo --given Adaeze --dob 1990-05-06 --sex female --bed b3
  lifeboat patient add --user "Nia Nurse" --surname Smith --given Richard --dob 1957-03-04 --sex male --nhs "943 476 5919"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p.BirthDate = parseDOBFlag(p.BirthDate)
			p.Sex = strings.ToLower(strings.TrimSpace(p.Sex))
			switch p.Sex {
			case "female", "male", "other", "unknown":
			default:
				return fmt.Errorf("give --sex female, male, other or unknown")
			}
			db, s, done, err := who.open(ctx, cmd, env)
			if err != nil {
				return err
			}
			defer done()
			w, bedID, err := arrivalPlace(cmd, db, ward, bed)
			if err != nil {
				return err
			}
			a := store.Arrival{Patient: p, Ward: w.ID, Bed: bedID, Reason: "Arrived during downtime", NotDuplicate: notDuplicate}
			saved, err := db.RegisterArrival(ctx, s, a, time.Now())
			var dup *store.DuplicateError
			var ps forms.Problems
			switch {
			case errors.As(err, &dup):
				printCandidates(cmd.OutOrStdout(), dup)
				if dup.SameNHS != nil {
					return fmt.Errorf("not registered: NHS number %s is already %s's record (never two records with one NHS number): use that record",
						forms.FormatNHSNumber(dup.SameNHS.NHSNumber), forms.DisplayName(dup.SameNHS.Patient))
				}
				return fmt.Errorf("not registered: the patient may already have a record (listed above); use it, or check and run again with --not-duplicate")
			case errors.As(err, &ps):
				var msgs []string
				for _, p := range ps {
					msgs = append(msgs, p.Message)
				}
				return fmt.Errorf("not registered: %s", strings.Join(msgs, "; "))
			case err != nil:
				return plain(err)
			}
			where := w.Name
			if bedID != "" {
				if b, ok := w.Bed(bedID); ok {
					where = b.Label + ", " + w.Name
				}
			}
			if saved.TempID != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "Registered %s, born %s, with temporary ID %s (write it on the wristband), admitted to %s.\n",
					forms.DisplayName(saved), forms.FormatBirthDate(saved.BirthDate), saved.TempID, where)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "Registered %s, born %s, NHS %s, admitted to %s.\n",
					forms.DisplayName(saved), forms.FormatBirthDate(saved.BirthDate), forms.FormatNHSNumber(saved.NHSNumber), where)
			}
			return nil
		},
	}
	who.add(c)
	f := c.Flags()
	f.StringVar(&p.Surname, "surname", "", "surname")
	f.StringVar(&p.Given, "given", "", "first name")
	f.StringVar(&p.BirthDate, "dob", "", "date of birth, YYYY-MM-DD (or DD/MM/YYYY)")
	f.StringVar(&p.Sex, "sex", "", "female, male, other or unknown")
	f.StringVar(&p.NHSNumber, "nhs", "", "NHS number if known (else a temporary ID is given)")
	f.StringVar(&ward, "ward", "", "the ward to admit to, its ID or name (default: this device's ward)")
	f.StringVar(&bed, "bed", "", "a free bed on the ward, its ID or label (default: no bed yet)")
	f.BoolVar(&notDuplicate, "not-duplicate", false, "you have checked the possible duplicates listed and this is a different person")
	return c
}

// parseDOBFlag reads DD/MM/YYYY as YYYY-MM-DD; anything else is passed
// on as typed, for the patient checks to refuse in plain words.
func parseDOBFlag(s string) string {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("02/01/2006", s); err == nil {
		return t.Format("2006-01-02")
	}
	return s
}

// arrivalPlace finds the ward (by ID or name; default the device's ward)
// and, when bed is given, that bed, which must be free.
func arrivalPlace(cmd *cobra.Command, db *store.DB, ward, bed string) (forms.Ward, string, error) {
	ctx := cmd.Context()
	if ward == "" {
		site, err := db.Site(ctx)
		if err != nil {
			return forms.Ward{}, "", plain(err)
		}
		ward = site.Ward
	}
	wards, err := db.Wards(ctx)
	if err != nil {
		return forms.Ward{}, "", plain(err)
	}
	for _, w := range wards {
		if !strings.EqualFold(w.ID, ward) && !strings.EqualFold(w.Name, ward) {
			continue
		}
		if bed == "" {
			return w, "", nil
		}
		board, err := db.BedBoard(ctx, w.ID)
		if err != nil {
			return forms.Ward{}, "", plain(err)
		}
		for _, b := range board.Beds {
			if !strings.EqualFold(b.Bed.ID, bed) && !strings.EqualFold(b.Bed.Label, bed) {
				continue
			}
			if b.State != forms.BedAvailable || len(b.Patients) > 0 {
				return forms.Ward{}, "", fmt.Errorf("%s is not free (%s): choose a free bed, or leave --bed out", b.Bed.Label, b.State)
			}
			return w, b.Bed.ID, nil
		}
		return forms.Ward{}, "", fmt.Errorf("no bed %q on %s", bed, w.Name)
	}
	if len(wards) == 0 && bed == "" {
		return forms.Ward{ID: ward, Name: ward}, "", nil // no ward set up: admit by the device's ward name
	}
	return forms.Ward{}, "", fmt.Errorf("no ward %q on this device", ward)
}

// printCandidates lists the records the arrival may already have.
func printCandidates(out io.Writer, dup *store.DuplicateError) {
	fmt.Fprintln(out, "This patient may already have a record:")
	for _, c := range dup.Candidates {
		p := c.Patient
		id := "NHS " + forms.PatientIdentifier(p.Patient)
		if p.NHSNumber == "" {
			id = "temporary ID " + p.TempID
		}
		fmt.Fprintf(out, "  %s, born %s, %s (%s): %s\n", forms.DisplayName(p.Patient), forms.FormatBirthDate(p.BirthDate), id, p.Status, c.Reason)
	}
}
