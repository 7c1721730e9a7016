package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/reconcile"
)

// The demo ward's secrets. They are printed and documented: a demo store
// holds made-up patients only (NHS numbers from the 999 test range).
const (
	DemoPassphrase = "lifeboat demo ward"
	DemoAdminPIN   = "2580"
	// DemoAdminPassphrase opens Ada Admin's personal key, which adding
	// people and enrolling or revoking devices need.
	DemoAdminPassphrase = "ada's admin passphrase"
	DemoNursePIN        = "1357"
	demoPharmPIN        = "2468"
	demoBedsPIN         = "3691"
	demoGlassPIN        = "7391"
	demoWard            = "w7"
)

func demoCmd(env *Env) *cobra.Command {
	var (
		ifMissing bool
		extra     int
	)
	c := &cobra.Command{
		Use:   "demo",
		Short: "Create a demo ward to try Lifeboat (made-up patients only)",
		Long: `Create a store in the data folder holding a demo ward: 24 beds, 18 made-up
patients (NHS numbers from the 999 test range) with a day of observations,
medicines given, handover, a controlled-drugs register, pharmacy stock and
events from two other devices, as if a ward had been in downtime since
yesterday. The passphrase and PINs are printed. With --drill it makes the
training store for a downtime drill instead (see lifeboat --help).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			release, err := env.lock(cmd)
			if err != nil {
				return err
			}
			defer release()
			dir, path, err := env.storePath(cmd)
			if err != nil {
				return err
			}
			if _, err := os.Stat(path); err == nil {
				if ifMissing {
					fmt.Fprintf(cmd.OutOrStdout(), "Demo ward already in %s\n", dir)
					return nil
				}
				return fmt.Errorf("%s already holds a store: choose an empty --data folder", dir)
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("make data folder: %w", err)
			}
			if extra < 0 {
				return fmt.Errorf("--events %d: give a number of events, 0 or more", extra)
			}
			seed, what := func(ctx context.Context, path string, kdf store.KDFParams, now time.Time) error {
				return SeedDemoLoad(ctx, path, kdf, now, extra)
			}, "Demo ward"
			if env.drill(cmd) {
				seed, what = SeedDrill, "Drill (training) ward"
			}
			if err := seed(cmd.Context(), path, env.KDF, time.Now()); err != nil {
				os.Remove(path)
				return fmt.Errorf("make demo ward: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), what+` created in %s
  ward passphrase: %s
  PINs: Ada Admin (IT admin) %s, Nia Nurse (ward staff) %s, Phil Pharmacist %s, Bea Beds (bed manager) %s, Break-glass %s
  Ada Admin's own admin passphrase (to add people, enrol or revoke devices): %s
`, dir, DemoPassphrase, DemoAdminPIN, DemoNursePIN, demoPharmPIN, demoBedsPIN, demoGlassPIN, DemoAdminPassphrase)
			return nil
		},
	}
	c.Flags().BoolVar(&ifMissing, "if-missing", false, "do nothing if the data folder already holds a store")
	c.Flags().IntVar(&extra, "events", 0, "add about this many events from 30 other wards of the site (to try Lifeboat with a big store)")
	return c
}

type demoPatient struct {
	surname, given, dob, sex string
	bed                      string
	sick                     int // 0 well, 1 unwell, 2 deteriorating
}

var demoPatients = []demoPatient{
	{"Okafor", "Grace", "1948-02-11", "female", "b1", 0}, {"Smith", "Richard", "1957-03-04", "male", "b2", 1},
	{"Nowak", "Piotr", "1939-12-25", "male", "b3", 2}, {"Begum", "Rukhsana", "1962-07-30", "female", "b4", 0},
	{"Jones", "Eleri", "1990-01-02", "female", "b5", 0}, {"MacLeod", "Hamish", "1944-05-17", "male", "b6", 1},
	{"Adeyemi", "Tunde", "1971-09-09", "male", "b7", 0}, {"O'Brien", "Siobhan", "1983-11-21", "female", "b8", 0},
	{"Patel", "Arjun", "1955-04-14", "male", "b9", 0}, {"Kowalczyk", "Anna", "1936-08-03", "female", "b10", 1},
	{"Hughes", "Gareth", "1968-06-27", "male", "b11", 2}, {"Said", "Amina", "2001-10-10", "female", "b12", 0},
	{"Thompson", "Margaret", "1931-03-19", "female", "b13", 1}, {"Evans", "Dylan", "1999-12-01", "male", "b14", 0},
	{"Lindqvist", "Sofia", "1976-02-29", "female", "b15", 0}, {"Mensah", "Kwame", "1950-07-07", "male", "b16", 0},
	{"Fraser", "Isla", "1987-05-05", "female", "b18", 0}, {"Wright", "Albert", "1928-09-30", "male", "e1", 1},
}

// wardSpec is what sets a seeded ward apart: its names, its made-up
// patients and its beds. The demo and the drill ward share the day of
// care (patient k of each list gets the same observations and orders)
// and nothing else, so a drill can never be mistaken for the live ward.
type wardSpec struct {
	site, wardID, ward string
	patients           []demoPatient
	nhsBase            int    // demoNHS(nhsBase+k) is patient k's NHS number
	bedLabel           string // "Bed" or "Training bed": bed i is "<bedLabel> i"
	devices            [2]string
	resus              string // the resuscitation trolley's stock location
}

// demoSpec is the demo ward.
var demoSpec = wardSpec{site: "St Elsewhere General (demo)", wardID: demoWard, ward: "Ward 7 - Acute Medicine",
	patients: demoPatients, bedLabel: "Bed", devices: [2]string{"Ward 7 laptop 2", "Ward 7 phone"}, resus: "Ward 7 resus trolley"}

// DrillWard is the drill (training) ward's name: it says DRILL wherever
// the ward is named (the banner, sign-in, the ward list, print-outs).
const DrillWard = "DRILL — Training Ward"

// drillSpec is the drill ward: its own name and obviously made-up
// patients ("DRILL-ALPHA, Test"), beds and NHS numbers (999 test range,
// apart from the demo's).
var drillSpec = wardSpec{site: "St Elsewhere General (TRAINING DRILL)", wardID: "drill", ward: DrillWard,
	patients: drillPatients(), nhsBase: 500, bedLabel: "Training bed",
	devices: [2]string{"Drill laptop", "Drill phone"}, resus: "Drill resus trolley"}

// drillNames are the drill patients' surnames after "DRILL-": the NATO
// alphabet, so nobody takes one for a real patient.
var drillNames = []string{"ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT", "GOLF", "HOTEL", "INDIA",
	"JULIET", "KILO", "LIMA", "MIKE", "NOVEMBER", "OSCAR", "PAPA", "QUEBEC", "ROMEO"}

// drillPatients is the drill ward's list: as sick as the demo's patient
// for patient, in the same beds, but named DRILL-<letter>, "Test", and
// born on other days.
func drillPatients() []demoPatient {
	out := make([]demoPatient, len(demoPatients))
	for k, p := range demoPatients {
		dob, _ := time.Parse(time.DateOnly, p.dob)
		out[k] = demoPatient{surname: "DRILL-" + drillNames[k%len(drillNames)], given: "Test", dob: dob.AddDate(0, 1, 3).Format(time.DateOnly),
			sex: p.sex, bed: p.bed, sick: p.sick}
	}
	return out
}

// demoMorphine is the ward's oral morphine register product, named on
// the Oramorph orders so a dose given from the MAR writes its register line.
var demoMorphine = forms.CDProduct{Drug: "Oramorph (morphine sulfate)", Form: "oral solution", Strength: "10 mg/5 ml"}

// demoNHS returns the k'th valid NHS number in the 999 test range.
func demoNHS(k int) string {
	for n := 999000000 + k*37; ; n++ {
		first9 := strconv.Itoa(n)
		if d, ok := forms.NHSCheckDigit(first9); ok {
			return first9 + strconv.Itoa(d)
		}
	}
}

// demoPeer is another ward device: a real store of the site (in a
// folder thrown away once the demo is made), enrolled here for the ward,
// given the site's log, recording as the nurse signed in on it. Its
// records reach the demo device as a peer's do, sealed under the ward's
// key like every ward record.
type demoPeer struct {
	db     *store.DB
	s      *store.Session
	drafts []store.Draft
}

func newDemoPeer(ctx context.Context, db *store.DB, admin *store.Session, dir, name string, ward lifeboat.Scope, nurse string) (*demoPeer, error) {
	peer, err := store.Create(ctx, filepath.Join(dir, "peer.lifeboat"), DemoPassphrase, store.TestKDF, store.Options{NoBackup: true})
	if err != nil {
		return nil, fmt.Errorf("demo device %s: %w", name, err)
	}
	pub, err := peer.DevicePublicKey(ctx)
	if err != nil {
		peer.Close()
		return nil, fmt.Errorf("demo device %s: %w", name, err)
	}
	adm, err := db.Admit(ctx, admin, pub, name, ward)
	if err == nil {
		err = peer.JoinSite(ctx, adm.SiteJoin)
	}
	// Twice: its own enrolment first names its scopes, then the ward comes.
	for i := 0; err == nil && i < 2; i++ {
		err = demoSync(ctx, db, peer)
	}
	p := &demoPeer{db: peer}
	if err == nil {
		p.s, err = peer.SignIn(ctx, nurse, DemoNursePIN, "")
	}
	if err != nil {
		peer.Close()
		return nil, fmt.Errorf("demo device %s: %w", name, err)
	}
	return p, nil
}

// record adds a draft the peer records at the end (see flush).
func (p *demoPeer) record(kind, subject string, at time.Time, payload any) {
	p.drafts = append(p.drafts, store.Draft{Kind: kind, Subject: subject, PerformedAt: at, Payload: payload})
}

// flush records the peer's drafts on it and brings them to db, as a sync
// would.
func (p *demoPeer) flush(ctx context.Context, db *store.DB) error {
	if _, err := p.db.AppendAll(ctx, p.s, p.drafts); err != nil {
		return fmt.Errorf("demo device: %w", err)
	}
	return demoSync(ctx, p.db, db)
}

// demoSync gives to what from holds that to lacks.
func demoSync(ctx context.Context, from, to *store.DB) error {
	have, err := to.VersionVector(ctx)
	if err != nil {
		return err
	}
	evs, err := from.EventsAfter(ctx, have, 1<<30)
	if err != nil {
		return err
	}
	sub, err := from.SubscriptionOf(ctx, mustDevice(ctx, to))
	if err != nil {
		return err
	}
	evs = slices.DeleteFunc(evs, func(e lifeboat.Event) bool { return !sub.Holds(lifeboat.ScopeOf(e.Device)) })
	res, err := to.ApplyRemote(ctx, evs)
	if err != nil {
		return err
	}
	if len(res.Refused) > 0 || len(res.Held) > 0 {
		return fmt.Errorf("demo records refused or held: %+v %+v", res.Refused, res.Held)
	}
	return nil
}

func mustDevice(ctx context.Context, db *store.DB) string {
	d, _ := db.Device(ctx)
	return d
}

func ip(v int) *int         { return &v }
func fp(v float64) *float64 { return &v }
func bp(v bool) *bool       { return &v }

// demoObs gives plausible vital signs for a patient h hours before now:
// deteriorating patients get worse towards now.
func demoObs(pid string, sick, i, n int) forms.Observations {
	worse := 0
	if sick == 2 {
		worse = i * 3 / n // 0 .. 2 over the day
	}
	o := forms.Observations{PatientID: pid, RespRate: ip(15 + sick + worse*3 + i%2), SpO2: ip(97 - sick - worse*2), SpO2Scale: 1,
		OnOxygen: bp(worse >= 2), Systolic: ip(128 - sick*8 - worse*12 + i%3), Diastolic: ip(76 - sick*3), Pulse: ip(72 + sick*10 + worse*15 + i%4),
		Consciousness: "A", TempC: fp(36.6 + float64(sick)*0.5 + float64(worse)*0.6)}
	if worse >= 2 {
		o.O2FlowLPM, o.O2Device = fp(2), "nasal cannula"
	}
	return o
}

// SeedDemo creates a demo store at path as it would look at now.
func SeedDemo(ctx context.Context, path string, kdf store.KDFParams, now time.Time) error {
	return seedDemo(ctx, path, kdf, now, demoSpec, false, 0)
}

// SeedDemoLoad is SeedDemo plus about extra events from a whole site (see
// addLoad), for measuring the app with a big store.
func SeedDemoLoad(ctx context.Context, path string, kdf store.KDFParams, now time.Time, extra int) error {
	return seedDemo(ctx, path, kdf, now, demoSpec, false, extra)
}

// SeedDrill creates a training store for a downtime drill at path: a
// ward named DrillWard with its own made-up patients (drillSpec), in a
// store marked as a drill, which the app shows in purple and
// reconciliation refuses to export. Staff and PINs are the demo's.
func SeedDrill(ctx context.Context, path string, kdf store.KDFParams, now time.Time) error {
	return seedDemo(ctx, path, kdf, now, drillSpec, true, 0)
}

func seedDemo(ctx context.Context, path string, kdf store.KDFParams, now time.Time, spec wardSpec, drill bool, extra int) error {
	db, admin, err := store.Init(ctx, path, store.Setup{SiteName: spec.site, Ward: spec.ward,
		Passphrase: DemoPassphrase, AdminName: "Ada Admin", AdminPIN: DemoAdminPIN, BreakGlassPIN: demoGlassPIN, KDF: kdf, Drill: drill,
		AdminPassphrase: DemoAdminPassphrase, AdminKDF: kdf}, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	nurse, err := db.NewUser(ctx, admin, "Nia Nurse", lifeboat.RoleWardStaff, DemoNursePIN)
	if err != nil {
		return err
	}
	for _, u := range []struct {
		name string
		role lifeboat.Role
		pin  string
	}{{"Phil Pharmacist", lifeboat.RolePharmacist, demoPharmPIN}, {"Bea Beds", lifeboat.RoleBedManager, demoBedsPIN}} {
		if _, err := db.NewUser(ctx, admin, u.name, u.role, u.pin); err != nil {
			return err
		}
	}
	var pharmacist string
	if us, err := db.Users(ctx); err == nil {
		for _, u := range us {
			if u.Role == lifeboat.RolePharmacist {
				pharmacist = u.ID
			}
		}
	}
	ps, err := db.SignIn(ctx, pharmacist, demoPharmPIN, "")
	if err != nil {
		return err
	}
	ns, err := db.SignIn(ctx, nurse.ID, DemoNursePIN, "")
	if err != nil {
		return err
	}
	start := now.Add(-24 * time.Hour).Truncate(time.Hour)
	var drafts []store.Draft
	add := func(kind, subject string, at time.Time, payload any) {
		drafts = append(drafts, store.Draft{Kind: kind, Subject: subject, PerformedAt: at, Payload: payload})
	}

	w := forms.Ward{ID: spec.wardID, Name: spec.ward}
	for i := 1; i <= 22; i++ {
		w.Beds = append(w.Beds, forms.BedDef{ID: fmt.Sprintf("b%d", i), Label: fmt.Sprintf("%s %d", spec.bedLabel, i)})
	}
	w.Beds = append(w.Beds, forms.BedDef{ID: "e1", Label: "Trolley 1", Escalation: true}, forms.BedDef{ID: "e2", Label: "Trolley 2", Escalation: true})
	// The ward comes with the census, which an IT admin imports.
	if _, err := db.Append(ctx, admin, store.Draft{Kind: forms.KindWardDefined, PerformedAt: start, Payload: w}); err != nil {
		return err
	}
	add(forms.KindBedState, "", start, forms.BedStateSet{Ward: spec.wardID, Bed: "e1", State: forms.BedAvailable, Reason: "escalation opened overnight"})
	add(forms.KindBedState, "", start, forms.BedStateSet{Ward: spec.wardID, Bed: "b20", State: forms.BedClosed, Reason: "broken bed rail"})
	add(forms.KindBedState, "", start, forms.BedStateSet{Ward: spec.wardID, Bed: "b21", State: forms.BedIsolation, Reason: "held for C. difficile side room"})

	ids := make([]string, len(spec.patients))
	orders := map[string][]forms.MedicationOrder{}
	census := map[string]demoCensus{} // by patient: what the core system held
	for k, p := range spec.patients {
		id := uuid.Must(uuid.NewV7()).String()
		ids[k] = id
		admitted := start.Add(time.Duration(k%5) * 20 * time.Minute)
		add(forms.KindPatientRegistered, id, admitted, forms.Patient{ID: id, NHSNumber: demoNHS(spec.nhsBase + k), Surname: p.surname, Given: p.given, BirthDate: p.dob, Sex: p.sex})
		add(forms.KindPatientAdmitted, id, admitted, forms.Admission{PatientID: id, Ward: spec.wardID, Bed: p.bed, Reason: "Acute medical take"})
		meds := []forms.MedicationOrder{{ID: uuid.Must(uuid.NewV7()).String(), PatientID: id, Drug: "Paracetamol 500 mg tablets", Dose: forms.MustQuantity("1"),
			DoseUnit: "g", Route: "oral", Frequency: "QDS", Start: start, Source: forms.SourceSnapshot}}
		switch k % 3 {
		case 0:
			meds = append(meds, forms.MedicationOrder{ID: uuid.Must(uuid.NewV7()).String(), PatientID: id, Drug: "Enoxaparin", DMDCode: "",
				Dose: forms.MustQuantity("40"), DoseUnit: "mg", Route: "SC", Frequency: "OD", Start: start, Source: forms.SourceSnapshot})
		case 1:
			meds = append(meds, forms.MedicationOrder{ID: uuid.Must(uuid.NewV7()).String(), PatientID: id, Drug: "Amoxicillin 500 mg capsules",
				Dose: forms.MustQuantity("500"), DoseUnit: "mg", Route: "oral", Frequency: "TDS", Start: start, Source: forms.SourceSnapshot})
		default:
			meds = append(meds, forms.MedicationOrder{ID: uuid.Must(uuid.NewV7()).String(), PatientID: id, Drug: "Oramorph 10 mg/5 ml oral solution",
				Dose: forms.MustQuantity("2.5"), DoseUnit: "mg", Route: "oral", PRN: true, MinIntervalHours: forms.MustQuantity("4"),
				MaxDailyDose: forms.MustQuantity("15"), MaxDailyDoseUnit: "mg", Controlled: true, CDProduct: &demoMorphine, Start: start, Source: forms.SourceSnapshot})
		}
		switch k {
		case 0:
			// A second paracetamol order (when required, with its limits),
			// started after the morning dose.
			meds = append(meds, forms.MedicationOrder{ID: uuid.Must(uuid.NewV7()).String(), PatientID: id, Drug: "Paracetamol 500 mg tablets",
				Dose: forms.MustQuantity("1"), DoseUnit: "g", Route: "oral", PRN: true, MinIntervalHours: forms.MustQuantity("4"),
				MaxDailyDose: forms.MustQuantity("4"), MaxDailyDoseUnit: "g", Start: now.Add(-2 * time.Hour), Source: forms.SourceEntered})
		case 2:
			// An order stopped overnight (below).
			meds = append(meds, forms.MedicationOrder{ID: uuid.Must(uuid.NewV7()).String(), PatientID: id, Drug: "Ibuprofen 400 mg tablets",
				Dose: forms.MustQuantity("400"), DoseUnit: "mg", Route: "oral", PRN: true, MinIntervalHours: forms.MustQuantity("8"),
				MaxDailyDose: forms.MustQuantity("1200"), MaxDailyDoseUnit: "mg", Start: start, Source: forms.SourceSnapshot})
		}
		for _, o := range meds {
			add(forms.KindMedOrdered, id, admitted, o)
		}
		orders[id] = meds
		if k == 2 {
			add(forms.KindMedStopped, id, now.Add(-4*time.Hour), forms.MedicationStop{OrderID: meds[len(meds)-1].ID, PatientID: id,
				Reason: "acute kidney injury: no NSAIDs"})
		}
		if k == 0 {
			add(forms.KindAllergyRecorded, id, admitted, forms.Allergy{ID: uuid.Must(uuid.NewV7()).String(), PatientID: id, Substance: "Penicillin",
				Reaction: "anaphylaxis", Severity: forms.SeveritySevere, Status: forms.AllergyActive, Source: forms.SourceSnapshot})
			add(forms.KindWeightRecorded, id, admitted, forms.Weight{PatientID: id, Kg: forms.MustQuantity("61.4")})
			census[id] = demoCensus{allergy: &reconcile.CensusAllergy{Substance: "Penicillin", Reaction: "anaphylaxis",
				Severity: forms.SeveritySevere, Status: forms.AllergyActive},
				weight: &reconcile.CensusWeight{Kg: forms.MustQuantity("61.4"), MeasuredAt: admitted}}
		}
	}
	if _, err := db.AppendAll(ctx, ns, drafts); err != nil {
		return err
	}
	if err := importDemoCensus(ctx, db, admin, spec, start, ids, orders, census); err != nil {
		return err
	}

	// This device records most of the day's care; two other ward devices
	// (a second laptop and a phone) recorded some too, arriving by sync.
	peerDir, err := os.MkdirTemp("", "lifeboat-demo-peers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(peerDir)
	peers := make([]*demoPeer, 2)
	for i := range peers {
		dir := filepath.Join(peerDir, strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		if peers[i], err = newDemoPeer(ctx, db, admin, dir, spec.devices[i], lifeboat.WardScope(spec.wardID), nurse.ID); err != nil {
			return err
		}
		defer peers[i].db.Close()
	}
	drafts = drafts[:0]
	for k, p := range spec.patients {
		id := ids[k]
		n := 6
		last := 0 // hours before now of the newest set
		if k == 6 {
			last = 13 // overdue: a 12-hourly patient last seen 13 hours ago
		}
		for i := 0; i < n; i++ {
			at := now.Add(-time.Duration(last)*time.Hour - time.Duration(n-1-i)*4*time.Hour - time.Duration(k)*time.Minute)
			o := demoObs(id, p.sick, i, n)
			if i%3 == 1 {
				peers[k%2].record(forms.KindObsRecorded, id, at, o)
			} else {
				add(forms.KindObsRecorded, id, at, o)
			}
		}
		for _, o := range orders[id] {
			// Today's doses so far; in the small hours, before the first
			// round, yesterday's instead (at 00:40 today's alone would
			// leave the chart, and the export, without a dose given).
			slots := forms.DueSlots(o, now, now.Location())
			if len(slots) == 0 || slots[0].Time.After(now.Add(-30*time.Minute)) {
				slots = forms.DueSlots(o, now.AddDate(0, 0, -1), now.Location())
			}
			for _, slot := range slots {
				if slot.Time.After(now.Add(-30*time.Minute)) || slot.Time.Before(now.Add(-24*time.Hour)) {
					continue
				}
				a := forms.Administration{OrderID: o.ID, PatientID: id, Slot: forms.SlotTime(slot.Time), Outcome: forms.OutcomeGiven, Dose: o.Dose}
				if k == 4 && o.Frequency == "QDS" {
					a.Outcome, a.ReasonCode, a.Dose = forms.OutcomeOmitted, forms.ReasonNilByMouth, 0
				}
				add(forms.KindMedAdministered, id, slot.Time.Add(10*time.Minute), a)
			}
		}
	}
	add(forms.KindHandoverNote, ids[2], now.Add(-2*time.Hour), forms.HandoverNote{ID: uuid.Must(uuid.NewV7()).String(), PatientID: ids[2], Ward: spec.wardID,
		Text: "NEWS2 rising since midnight. Medical registrar aware; sepsis screen done, blood cultures sent."})
	add(forms.KindHandoverTask, ids[2], now.Add(-2*time.Hour), forms.HandoverTask{ID: uuid.Must(uuid.NewV7()).String(), PatientID: ids[2], Ward: spec.wardID,
		Title: "Chase lactate result", Due: now.Add(-30 * time.Minute), Urgent: true})
	add(forms.KindHandoverTask, ids[9], now.Add(-3*time.Hour), forms.HandoverTask{ID: uuid.Must(uuid.NewV7()).String(), PatientID: ids[9], Ward: spec.wardID,
		Title: "Repeat potassium at 18:00", Due: now.Add(6 * time.Hour)})
	peers[1].record(forms.KindHandoverNote, ids[10], now.Add(-90*time.Minute), forms.HandoverNote{ID: uuid.Must(uuid.NewV7()).String(),
		PatientID: ids[10], Ward: spec.wardID, Text: "Family visiting at 14:00, wish to speak to the consultant."})
	morphine := demoMorphine
	add(forms.KindCDEntry, "", start, forms.CDEntry{ID: uuid.Must(uuid.NewV7()).String(), CDProduct: morphine, Location: spec.wardID,
		Type: forms.CDReceipt, Quantity: forms.MustQuantity("300"), From: "Pharmacy"})
	add(forms.KindCDEntry, "", now.Add(-5*time.Hour), forms.CDEntry{ID: uuid.Must(uuid.NewV7()).String(), CDProduct: morphine, Location: spec.wardID,
		Type: forms.CDAdministration, Quantity: forms.MustQuantity("1.25"), PatientID: ids[2], Witness: "Sam Staff Nurse"})
	if _, err := db.AppendAll(ctx, ns, drafts); err != nil {
		return err
	}
	// The pharmacy's own records, by the pharmacist.
	drafts = drafts[:0]
	oxycodone := forms.CDProduct{Drug: "Oxycodone hydrochloride", Form: "capsules", Strength: "5 mg"}
	add(forms.KindCDEntry, "", start.Add(2*time.Hour), forms.CDEntry{ID: uuid.Must(uuid.NewV7()).String(), CDProduct: oxycodone, Location: "Pharmacy CD vault",
		Type: forms.CDReceipt, Quantity: forms.MustQuantity("56"), From: "Alliance Healthcare", Witness: "Priya Patel"})
	add(forms.KindCDEntry, "", now.Add(-3*time.Hour), forms.CDEntry{ID: uuid.Must(uuid.NewV7()).String(), CDProduct: oxycodone, Location: "Pharmacy CD vault",
		Type: forms.CDDestruction, Quantity: forms.MustQuantity("2"), Witness: "Priya Patel", Reason: "damaged blister"})
	add(forms.KindPharmacySupply, "", now.Add(-4*time.Hour), forms.PharmacySupply{ID: uuid.Must(uuid.NewV7()).String(), PatientID: ids[5],
		Drug: "Apixaban 5 mg tablets", Quantity: forms.MustQuantity("28"), Unit: "tablets", Ward: spec.ward,
		SuppliedBy: "Phil Pharmacist", CheckedBy: "Priya Patel"})
	for _, s := range []forms.StockLevel{
		{Item: "Insulin aspart 100 units/ml cartridge", Location: "Pharmacy", Quantity: forms.MustQuantity("3"), Unit: "cartridges", Minimum: forms.MustQuantity("10")},
		{Item: "Enoxaparin 40 mg syringe", Location: "Pharmacy", Quantity: forms.MustQuantity("120"), Unit: "syringes", Minimum: forms.MustQuantity("50")},
		{Item: "Adrenaline 1 mg/ml ampoule", Location: spec.resus, Quantity: forms.MustQuantity("10"), Unit: "ampoules", Minimum: forms.MustQuantity("10")},
	} {
		add(forms.KindStockLevel, "", start.Add(time.Hour), s)
	}
	for _, task := range []string{"declare-downtime", "switch-to-paper"} {
		add(forms.KindPharmacyTaskDone, "", start.Add(time.Hour), forms.PharmacyTaskDone{PlanID: "pharmacy-continuity", TaskID: task})
	}
	if _, err := db.AppendAll(ctx, ps, drafts); err != nil {
		return err
	}
	for _, p := range peers {
		if err := p.flush(ctx, db); err != nil {
			return err
		}
	}
	if extra > 0 {
		return addLoad(ctx, db, admin, ns, extra, now)
	}
	return nil
}

// demoCensus is what the core system held of a demo patient beyond their
// details, bed and snapshot orders.
type demoCensus struct {
	allergy *reconcile.CensusAllergy
	weight  *reconcile.CensusWeight
}

// demoCensusAsOf is when the demo ward's census was taken: 06:00 on the
// day the downtime began (start), or the day before when it began before
// 06:00. It is the last census before the outage, so "Patient data as of"
// shows it, and a census imported later in the demo is not older.
func demoCensusAsOf(start time.Time) time.Time {
	y, m, d := start.Date()
	at := time.Date(y, m, d, 6, 0, 0, 0, start.Location())
	if at.After(start) {
		at = at.AddDate(0, 0, -1)
	}
	return at
}

// importDemoCensus imports the demo ward's census as an IT admin would:
// the core system's copy of the patients already on the ward (details,
// beds, snapshot orders, the allergy and weight it held), through
// reconcile.Import. The census matches the record, so the import records
// only its census.imported: the banner shows "Patient data as of", and
// nothing the demo recorded changes meaning (exported, worklist). Any
// other change is refused: the demo and its census would disagree.
func importDemoCensus(ctx context.Context, db *store.DB, admin *store.Session, spec wardSpec, start time.Time, ids []string,
	orders map[string][]forms.MedicationOrder, extra map[string]demoCensus) error {
	c := reconcile.Census{Source: "Core system census (demo)", AsOf: demoCensusAsOf(start)}
	for k, p := range spec.patients {
		id := ids[k]
		cp := reconcile.CensusPatient{Line: k + 1, NHSNumber: demoNHS(spec.nhsBase + k), Surname: p.surname, Given: p.given,
			BirthDate: p.dob, Sex: p.sex, Ward: spec.wardID, Bed: p.bed}
		for _, o := range orders[id] {
			if o.Source != forms.SourceSnapshot {
				continue
			}
			cp.Medicines = append(cp.Medicines, reconcile.CensusMedicine{Drug: o.Drug, DMDCode: o.DMDCode, Dose: o.Dose,
				DoseUnit: o.DoseUnit, Route: o.Route, Frequency: o.Frequency, Times: o.Times, PRN: o.PRN,
				MinIntervalHours: o.MinIntervalHours, MaxDailyDose: o.MaxDailyDose, MaxDailyDoseUnit: o.MaxDailyDoseUnit,
				Controlled: o.Controlled, Start: o.Start, Notes: o.Notes})
		}
		if x, ok := extra[id]; ok {
			if x.allergy != nil {
				cp.Allergies = append(cp.Allergies, *x.allergy)
			}
			if x.weight != nil {
				cp.Weights = append(cp.Weights, *x.weight)
			}
		}
		c.Patients = append(c.Patients, cp)
	}
	res, err := reconcile.Import(ctx, db, reconcile.StoreAppender(db, admin), c)
	if err != nil {
		return fmt.Errorf("import the demo census: %w", err)
	}
	if res.Events != 1 { // the census.imported alone
		return fmt.Errorf("import the demo census: it changed %d records: the demo ward and its census disagree", res.Events-1)
	}
	return nil
}
