package app

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

func init() {
	Register(Section{ID: "ward", Title: "Ward list", Icon: theme.DefaultTheme().Icon(theme.IconNameList), Order: 10, Make: newWardScreen})
}

// TimeLayout is how a time of day is shown: 24-hour, as on NHS charts.
const TimeLayout = "15:04"

// WardRow is one patient on the ward list, as loaded from the store: who
// and where they are, their latest NEWS2 and what is due.
type WardRow struct {
	Patient store.PatientView
	BedName string // the ward's name for the bed, e.g. "Bed 4"
	// Latest is the score of the newest standing observation set; nil if
	// none has been recorded.
	Latest   *forms.NEWS2
	LatestAt time.Time
	ObsDue   time.Time // zero when no observations are recorded: due now
	Overdue  bool
	// Doses due now and overdue on today's MAR.
	DosesDue, DosesOverdue int
	// Conflicts are open dose and bed conflicts about the patient.
	Conflicts int
	// SharedNHS is set when another live record holds the patient's NHS
	// number (one person registered twice, as on both sides of a network
	// split): flagged until the records are merged.
	SharedNHS bool
}

// LoadWard reads the ward list for ward (an ID or name; empty: every
// admitted patient) as it stands at now. It belongs in UI.Run's work.
func LoadWard(ctx context.Context, st Store, ward string, now time.Time) ([]WardRow, error) {
	rows, err := wardPatients(ctx, st, ward)
	if err != nil {
		return nil, err
	}
	bedClash, err := st.BedConflicts(ctx)
	if err != nil {
		return nil, fmt.Errorf("load bed conflicts: %w", err)
	}
	shared, err := sharedNHS(ctx, st)
	if err != nil {
		return nil, err
	}
	clashes := map[string]int{}
	for _, c := range bedClash {
		if c.PatientID != "" {
			clashes[c.PatientID]++
		}
		for _, p := range c.Placements {
			if c.PatientID == "" {
				clashes[p.PatientID]++
			}
		}
	}
	for i := range rows {
		r := &rows[i]
		r.Conflicts = clashes[r.Patient.ID]
		r.SharedNHS = shared[r.Patient.ID]
		if err := loadObsSummary(ctx, st, r, now); err != nil {
			return nil, err
		}
		mar, err := st.MAR(ctx, r.Patient.ID, now, now)
		if err != nil {
			return nil, fmt.Errorf("load MAR: %w", err)
		}
		for _, row := range mar.Rows {
			for _, c := range row.Cells {
				switch c.Status {
				case forms.StatusDue:
					r.DosesDue++
				case forms.StatusOverdue:
					r.DosesOverdue++
				case forms.StatusConflict:
					r.Conflicts++
				}
			}
		}
		doses, err := st.DoseConflicts(ctx, r.Patient.ID)
		if err != nil {
			return nil, fmt.Errorf("load dose conflicts: %w", err)
		}
		r.Conflicts += len(doses)
	}
	return rows, nil
}

// wardPatients lists the patients admitted to ward (an ID or name; empty:
// every admitted patient) in board order, Bed 1, Bed 2, ... Bed 10, then
// patients with no bed, with only Patient and BedName filled in. It
// belongs in UI.Run's work.
func wardPatients(ctx context.Context, st Store, ward string) ([]WardRow, error) {
	wards, err := st.Wards(ctx)
	if err != nil {
		return nil, fmt.Errorf("load wards: %w", err)
	}
	wardID, beds, order := ward, map[string]string{}, map[string]int{}
	for _, w := range wards {
		if w.ID == ward || w.Name == ward {
			wardID = w.ID
		}
		for i, b := range w.Beds {
			beds[w.ID+"/"+b.ID] = b.Label
			order[w.ID+"/"+b.ID] = i + 1
		}
	}
	pts, err := st.Patients(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("load patients: %w", err)
	}
	var rows []WardRow
	for _, p := range pts {
		if p.Status != store.PatientAdmitted || (wardID != "" && p.Ward != wardID) {
			continue
		}
		r := WardRow{Patient: p, BedName: beds[p.Ward+"/"+p.Bed]}
		if r.BedName == "" {
			r.BedName = p.Bed
		}
		rows = append(rows, r)
	}
	bedOrder := func(r WardRow) int {
		if i, ok := order[r.Patient.Ward+"/"+r.Patient.Bed]; ok {
			return i
		}
		return len(order) + 1
	}
	slices.SortStableFunc(rows, func(a, b WardRow) int { return bedOrder(a) - bedOrder(b) })
	return rows, nil
}

// loadObsSummary fills in the latest NEWS2 and when obs are next due.
func loadObsSummary(ctx context.Context, st Store, r *WardRow, now time.Time) error {
	obs, err := st.Observations(ctx, r.Patient.ID)
	if err != nil {
		return fmt.Errorf("load observations: %w", err)
	}
	scale, err := spo2Scale(ctx, st, r.Patient.ID)
	if err != nil {
		return err
	}
	for i := len(obs) - 1; i >= 0; i-- {
		o := obs[i]
		if o.Status != store.StatusFinal {
			continue
		}
		n := forms.ScoreNEWS2(o.Obs, scale)
		r.Latest, r.LatestAt = &n, o.PerformedAt
		r.ObsDue = forms.NextObsDue(o.PerformedAt, n)
		r.Overdue = forms.Overdue(now, r.ObsDue)
		break
	}
	return nil
}

// spo2Scale is the patient's SpO2 scale (forms.CurrentSpO2Scale).
func spo2Scale(ctx context.Context, st Store, patientID string) (int, error) {
	evs, err := st.Events(ctx, patientID, forms.KindNEWS2Scale)
	if err != nil {
		return 0, fmt.Errorf("load SpO2 scale: %w", err)
	}
	return forms.CurrentSpO2Scale(evs), nil
}

// Matches reports whether the row matches a search: part of the name, the
// NHS number or temporary ID (spaces and dashes ignored), or the bed.
func (r WardRow) Matches(q string) bool {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return true
	}
	p := r.Patient
	name := strings.ToLower(p.Surname + " " + p.Given + " " + p.Given + " " + p.Surname + " " + forms.DisplayName(p.Patient))
	if strings.Contains(name, q) {
		return true
	}
	// A short number is a bed, not part of an NHS number.
	digits := strings.NewReplacer(" ", "", "-", "").Replace(q)
	if len(digits) >= 4 && (strings.Contains(p.NHSNumber, digits) || strings.Contains(strings.ToLower(p.TempID), digits)) {
		return true
	}
	// A record merged into this one is found by its own temporary ID.
	for _, m := range p.Merged {
		if len(digits) >= 4 && strings.Contains(strings.ToLower(m.TempID), digits) {
			return true
		}
	}
	bed := strings.ToLower(r.BedName)
	return bed == q || strings.TrimPrefix(bed, "bed ") == strings.TrimPrefix(q, "bed ") || strings.ToLower(p.Bed) == q
}

// wardScreen is the ward list section.
type wardScreen struct {
	ui     *UI
	search *widget.Entry
	list   *fyne.Container
	count  *widget.Label
	msg    *widget.Label
	rows   []WardRow
}

func newWardScreen(ui *UI) fyne.CanvasObject {
	s := &wardScreen{ui: ui, list: container.NewVBox(), count: widget.NewLabel(""), msg: errorLabel()}
	s.search = widget.NewEntry()
	s.search.SetPlaceHolder("Search name, NHS number or bed")
	s.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	s.search.OnChanged = func(string) { ui.Touch(); s.show() }
	// The ward's own forms (the incident log) are about no one patient, so
	// they are reached from the ward, not a patient's record.
	wardForms := widget.NewButtonWithIcon("Ward forms", theme.DocumentCreateIcon(), ui.showWardForms)
	print := widget.NewButtonWithIcon("Print", theme.DocumentPrintIcon(), func() { ui.showPrint(wardPrints, "") })
	// A patient arriving during downtime is registered from here: a
	// full-width button, easy to hit on a phone.
	arrival := widget.NewButtonWithIcon("New arrival", theme.ContentAddIcon(), ui.showArrival)
	arrival.Importance = widget.HighImportance
	top := container.NewVBox(s.search, container.NewHBox(s.count, layout.NewSpacer(), wardForms, print), arrival, s.msg)
	content := container.NewBorder(container.NewPadded(top), nil, nil, nil,
		container.NewVScroll(container.NewPadded(s.list)))
	return NewScreen(content, s.load)
}

func (s *wardScreen) load() {
	var rows []WardRow
	now := s.ui.Now()
	ward := s.ui.Site().Ward
	s.ui.Run(func(ctx context.Context) (err error) {
		rows, err = LoadWard(ctx, s.ui.Store(), ward, now)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(s.msg, ErrorText(err))
			return
		}
		setMsg(s.msg, "")
		s.rows = rows
		s.show()
		s.ui.log.Debug("ward list ready", "patients", len(rows))
	})
}

// show lists the rows matching the search.
func (s *wardScreen) show() {
	var objs []fyne.CanvasObject
	for _, r := range s.rows {
		if r.Matches(s.search.Text) {
			objs = append(objs, s.rowCard(r))
		}
	}
	switch {
	case len(s.rows) == 0:
		s.count.SetText("No patients on this ward yet.")
	case s.search.Text != "":
		s.count.SetText(fmt.Sprintf("%d of %d patients match", len(objs), len(s.rows)))
	default:
		s.count.SetText(fmt.Sprintf("%d patients", len(s.rows)))
	}
	s.list.Objects = objs
	s.list.Refresh()
}

// rowCard draws one patient: bed, name, date of birth and NHS number; then
// NEWS2, observations due, doses and conflicts.
func (s *wardScreen) rowCard(r WardRow) fyne.CanvasObject {
	p := r.Patient
	bed := canvas.NewText(r.BedName, nhsDarkBlue)
	bed.TextStyle = fyne.TextStyle{Bold: true}
	bed.TextSize = 18
	name := canvas.NewText(forms.DisplayName(p.Patient), nhsBlack)
	name.TextStyle = fyne.TextStyle{Bold: true}
	name.TextSize = 18
	ids := canvas.NewText(identityLine(p.Patient), nhsGrey1)
	ids.TextSize = 15

	line1 := container.NewBorder(nil, nil, container.NewHBox(bed, name), NEWS2Chip(r.Latest))
	chips := container.NewHBox(s.obsChip(r))
	if n := r.DosesOverdue; n > 0 {
		chips.Add(Chip(plural(n, "dose")+" overdue", nhsRed, nhsWhite, true))
	}
	if n := r.DosesDue; n > 0 {
		chips.Add(Chip(plural(n, "dose")+" due", nhsWarmYellow, nhsBlack, false))
	}
	if n := r.Conflicts; n > 0 {
		chips.Add(Chip("⚠ "+plural(n, "conflict"), nhsBlack, nhsWhite, true))
	}
	if r.SharedNHS {
		chips.Add(Chip(sharedNHSWords, nhsRed, nhsWhite, true))
	}
	id := p.ID
	return NewCard(container.NewVBox(line1, ids, chips), func() { s.ui.ShowPatient(id) })
}

// sharedNHSWords flag a record whose NHS number another record holds.
const sharedNHSWords = "⚠ Same NHS number as another record"

// sharedNHS returns the IDs of live records whose NHS number another live
// record holds (forms.SharedNHSNumbers).
func sharedNHS(ctx context.Context, st Store) (map[string]bool, error) {
	pts, err := st.Patients(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("load patients: %w", err)
	}
	var live []forms.Patient
	for _, p := range pts {
		if p.Live() {
			live = append(live, p.Patient)
		}
	}
	out := map[string]bool{}
	for _, g := range forms.SharedNHSNumbers(live) {
		for _, p := range g {
			out[p.ID] = true
		}
	}
	return out, nil
}

// obsChip says when obs are next due, or that they are overdue.
func (s *wardScreen) obsChip(r WardRow) fyne.CanvasObject {
	switch {
	case r.Latest == nil:
		return Chip("No obs recorded", nhsRed, nhsWhite, true)
	case r.Overdue:
		return Chip("OBS OVERDUE since "+r.ObsDue.Local().Format(TimeLayout), nhsRed, nhsWhite, true)
	}
	return Chip("Obs due "+r.ObsDue.Local().Format(TimeLayout), nhsWhite, nhsBlack, false)
}

// identityLine is a patient's date of birth and NHS number (or temporary
// ID) in NHS display form.
func identityLine(p forms.Patient) string {
	id := "NHS " + forms.PatientIdentifier(p)
	if p.NHSNumber == "" {
		id = "Temp ID " + forms.PatientIdentifier(p)
	}
	return "Born " + forms.FormatBirthDate(p.BirthDate) + "   " + id
}

// plural is "1 dose", "2 doses".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// NEWS2 colours (see forms.BandColours).
var newsOrange = nrgba(forms.ColourNEWSOrange)

// BandColours returns the background and text colours for a NEWS2 band
// (forms.BandColours: the same on paper).
func BandColours(b forms.Band) (bg, fg color.Color) {
	c, t := forms.BandColours(b)
	return nrgba(c), nrgba(t)
}

func nrgba(c forms.RGB) color.NRGBA { return color.NRGBA{R: c.R, G: c.G, B: c.B, A: 0xFF} }

// BandText is a band in plain words.
func BandText(n forms.NEWS2) string {
	switch n.Band {
	case forms.BandNone:
		return "no risk"
	case forms.BandLow:
		return "low risk"
	case forms.BandLowMedium:
		return "low risk, a 3 in one parameter"
	case forms.BandMedium:
		return "medium risk"
	case forms.BandHigh:
		return "high risk"
	}
	return "incomplete"
}

// NEWS2Chip shows a NEWS2 total in its band colour ("NEWS2 —" with no
// observations, "NEWS2 ≥3?" for an incomplete set).
func NEWS2Chip(n *forms.NEWS2) fyne.CanvasObject {
	if n == nil {
		return Chip("NEWS2 —", nhsGrey4, nhsBlack, true)
	}
	bg, fg := BandColours(n.Band)
	if !n.Complete {
		return Chip(fmt.Sprintf("NEWS2 %d+ incomplete", n.Partial), bg, fg, true)
	}
	return Chip(fmt.Sprintf("NEWS2 %d", n.Total), bg, fg, true)
}
