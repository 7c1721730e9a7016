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
	// none has been recorded or if Check is set.
	Latest   *forms.NEWS2
	LatestAt time.Time
	// Check is set when the newest standing set breaks a content rule (an
	// impossible reading another device recorded, store.ObsView.Problems):
	// its score would be wrong, so none is shown, and obs are due at once
	// (ObsDue is when that set was taken).
	Check   bool
	ObsDue  time.Time // zero when no observations are recorded: due now
	Overdue bool
	// Doses due now and overdue on today's MAR.
	DosesDue, DosesOverdue int
	// Conflicts are open dose and bed conflicts about the patient.
	Conflicts int
	// SharedNHS is set when another live record holds the patient's NHS
	// number (one person registered twice, as on both sides of a network
	// split): flagged until the records are merged.
	SharedNHS bool
	// Flags counts the patient's records that break a content rule and
	// still stand uncorrected (store.RecordReview): an impossible set, an
	// NHS number failing its check digit, recorded on another device.
	Flags int
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
	review, err := st.RecordReview(ctx)
	if err != nil {
		return nil, fmt.Errorf("load record flags: %w", err)
	}
	flags := map[string]int{}
	for _, f := range review {
		flags[f.Subject]++
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
		r.Flags = flags[r.Patient.ID]
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
		if len(o.Problems) > 0 {
			// The newest set cannot be scored as it stands; an older
			// score would hide that. Show CHECK; obs are due now.
			r.Check, r.LatestAt = true, o.PerformedAt
			r.ObsDue = o.PerformedAt
			r.Overdue = forms.Overdue(now, r.ObsDue)
			break
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

// wardView is how the ward list is sorted and filtered. The UI keeps it
// while the app runs, so coming back to the list finds it as it was left.
type wardView struct {
	sickest bool       // sickest first; false: bed order
	filter  wardFilter // which patients are listed
}

// wardFilter narrows the ward list to the patients needing one thing.
type wardFilter int

const (
	filterAll        wardFilter = iota
	filterObsOverdue            // obs overdue, never recorded, or to be checked
	filterDosesDue              // doses due or overdue now
	filterConflicts             // conflicts, a shared NHS number, flagged records
)

// wardFilters are the filter buttons, in the order shown, with the words
// the count line uses for them.
var wardFilters = []struct {
	f      wardFilter
	button string
	words  string
}{
	{filterObsOverdue, "Obs overdue", "obs overdue"},
	{filterDosesDue, "Doses due", "doses due"},
	{filterConflicts, "Conflicts", "conflicts or flags"},
}

// ObsNeeded reports whether the patient needs observations now: overdue,
// never recorded, or the newest set must be checked.
func (r WardRow) ObsNeeded() bool { return r.Latest == nil || r.Check || r.Overdue }

// Keep reports whether the row passes filter f.
func (r WardRow) keep(f wardFilter) bool {
	switch f {
	case filterObsOverdue:
		return r.ObsNeeded()
	case filterDosesDue:
		return r.DosesDue+r.DosesOverdue > 0
	case filterConflicts:
		return r.Conflicts > 0 || r.SharedNHS || r.Flags > 0
	}
	return true
}

// bandRank orders the NEWS2 bands by the urgency of their clinical
// response (RCP NEWS2): a 3 in one parameter (low-medium) calls for an
// urgent ward-based response, ahead of a low total without one.
var bandRank = map[forms.Band]int{
	forms.BandNone: 0, forms.BandLow: 1, forms.BandLowMedium: 2, forms.BandMedium: 3, forms.BandHigh: 4,
}

// sickestFirst orders rows (stably: ties keep their bed order) for the
// sickest-first view. A patient whose risk is not known (no obs, an
// incomplete set, a set to check) comes first: someone has to go and find
// out now, and a missing score must never look like a low one. Then the
// known scores by band, highest first, then by total; on a tie, overdue
// obs first.
func sickestFirst(rows []WardRow) {
	key := func(r WardRow) [4]int {
		overdue := 0
		if r.ObsNeeded() {
			overdue = 1
		}
		switch {
		case r.Check || r.Latest == nil:
			return [4]int{1, 0, 0, overdue}
		case !r.Latest.Complete:
			return [4]int{1, 0, r.Latest.Partial, overdue}
		}
		return [4]int{0, bandRank[r.Latest.Band], r.Latest.Total, overdue}
	}
	slices.SortStableFunc(rows, func(a, b WardRow) int {
		ka, kb := key(a), key(b)
		for i := range ka {
			if ka[i] != kb[i] {
				return kb[i] - ka[i] // higher first
			}
		}
		return 0
	})
}

// wardScreen is the ward list section: a compact table at desktop width,
// a card per patient on a phone.
type wardScreen struct {
	ui      *UI
	search  *widget.Entry
	list    *fyne.Container
	scroll  *container.Scroll
	count   *widget.Label
	msg     *widget.Label
	sickest *widget.Button
	filters map[wardFilter]*widget.Button
	rows    []WardRow // in bed order
	cols    *tableCols
	// shown is the search and view last listed: a new one starts the
	// list at its top; a live update keeps the scroll where it is.
	shown string
	// narrow is set at phone width: cards, and the header stacked.
	narrow  bool
	head    *fyne.Container
	actions *fyne.Container // above the list on a phone
	header  func(narrow bool) fyne.CanvasObject
}

// wardLayout is the ward screen's border layout, which also notices the
// window crossing NarrowWidth (a desktop window made narrow) and lays the
// screen out again for the new width, table or cards.
type wardLayout struct {
	border fyne.Layout
	s      *wardScreen
}

func (l *wardLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	s := l.s
	if narrow := s.ui.narrow(); narrow != s.narrow {
		s.narrow = narrow
		// Not while being laid out: on Fyne's goroutine, after.
		s.ui.do(func() {
			s.head.Objects = []fyne.CanvasObject{s.header(narrow)}
			s.head.Refresh()
			s.actions.Refresh()
			s.show()
		})
	}
	l.border.Layout(objs, size)
}

func (l *wardLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return l.border.MinSize(objs) }

func newWardScreen(ui *UI) fyne.CanvasObject {
	s := &wardScreen{ui: ui, list: container.NewVBox(), count: widget.NewLabel(""), msg: errorLabel(),
		filters: map[wardFilter]*widget.Button{}, cols: &tableCols{}}
	s.search = widget.NewEntry()
	s.search.SetPlaceHolder("Search name, NHS number or bed")
	s.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	s.search.OnChanged = func(string) { ui.Touch(); s.show() }
	// Bed order stays the default: it is the order of the ward itself,
	// the printed list and the handover, and rows do not move under a
	// finger when a set recorded elsewhere changes a score.
	s.sickest = widget.NewButton("Sickest first", func() {
		ui.Touch()
		ui.ward.sickest = !ui.ward.sickest
		s.show()
	})
	var view []fyne.CanvasObject
	view = append(view, s.sickest)
	for _, f := range wardFilters {
		b := widget.NewButton(f.button, func() {
			ui.Touch()
			if ui.ward.filter == f.f {
				ui.ward.filter = filterAll
			} else {
				ui.ward.filter = f.f
			}
			s.show()
		})
		s.filters[f.f] = b
		view = append(view, b)
	}
	// The ward's own forms (the incident log) are about no one patient, so
	// they are reached from the ward, not a patient's record.
	wardForms := widget.NewButtonWithIcon("Ward forms", theme.DocumentCreateIcon(), ui.showWardForms)
	print := widget.NewButtonWithIcon("Print", theme.DocumentPrintIcon(), func() { ui.showPrint(wardPrints, "") })
	// A patient arriving during downtime is registered from here: on a
	// phone a full-width button, easy to hit.
	arrival := widget.NewButtonWithIcon("New arrival", theme.ContentAddIcon(), ui.showArrival)
	arrival.Importance = widget.HighImportance
	s.actions = container.NewVBox()
	s.header = func(narrow bool) fyne.CanvasObject {
		if narrow {
			// A phone keeps the search, the views and the count in
			// place; the actions scroll away above the patients, so
			// the screen's height goes to them.
			s.actions.Objects = []fyne.CanvasObject{container.NewHBox(layout.NewSpacer(), wardForms, print), arrival}
			s.actions.Show()
			return container.NewVBox(s.search, container.NewGridWithColumns(2, view...), s.count, s.msg)
		}
		// A desktop has the width for one line of actions and one of
		// views, leaving the height for the patients.
		s.actions.Objects = nil
		s.actions.Hide()
		return container.NewVBox(
			container.NewBorder(nil, nil, nil, container.NewHBox(arrival, wardForms, print), s.search),
			container.NewBorder(nil, nil, s.count, nil, container.NewHBox(layout.NewSpacer(), container.NewHBox(view...))),
			s.msg)
	}
	s.narrow = ui.narrow()
	s.head = container.NewPadded(s.header(s.narrow))
	s.scroll = container.NewVScroll(container.NewPadded(container.NewVBox(s.actions, s.list)))
	content := container.New(&wardLayout{s: s, border: layout.NewBorderLayout(s.head, nil, nil, nil)}, s.head, s.scroll)
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

// show lists the rows matching the search and the view, sorted as the
// view says.
func (s *wardScreen) show() {
	v := s.ui.ward
	var rows []WardRow
	for _, r := range s.rows {
		if r.Matches(s.search.Text) && r.keep(v.filter) {
			rows = append(rows, r)
		}
	}
	if v.sickest {
		sickestFirst(rows)
	}
	s.showView(v)
	narrow := s.narrow
	var objs []fyne.CanvasObject
	if !narrow && len(rows) > 0 {
		objs = append(objs, s.tableHead())
	}
	for _, r := range rows {
		if narrow {
			objs = append(objs, s.rowCard(r))
		} else {
			objs = append(objs, s.tableRow(r))
		}
	}
	if !narrow {
		s.cols.fit()
	}
	order := "in bed order"
	if v.sickest {
		order = "sickest first"
	}
	switch {
	case len(s.rows) == 0:
		s.count.SetText("No patients on this ward yet.")
	case s.search.Text != "" || v.filter != filterAll:
		s.count.SetText(fmt.Sprintf("%d of %d patients match, %s", len(rows), len(s.rows), order))
	default:
		s.count.SetText(fmt.Sprintf("%d patients, %s", len(s.rows), order))
	}
	s.list.Layout = layout.NewVBoxLayout()
	if !narrow {
		// Rows close together: a desktop's table fits a whole ward.
		s.list.Layout = layout.NewCustomPaddedVBoxLayout(2)
	}
	s.list.Objects = objs
	s.list.Refresh()
	// A new search or view starts at the top of the list: the list may be
	// far shorter than the one scrolled down, which would leave the
	// matches above the top of the scroll, out of sight.
	if key := fmt.Sprintf("%q %v", s.search.Text, v); key != s.shown {
		s.shown = key
		s.scroll.ScrollToTop()
	}
	s.scroll.Refresh()
}

// showView marks the buttons of the view on show and counts the patients
// each filter would list.
func (s *wardScreen) showView(v wardView) {
	mark := func(b *widget.Button, on bool) {
		imp := widget.MediumImportance
		if on {
			imp = widget.HighImportance
		}
		if b.Importance != imp {
			b.Importance = imp
			b.Refresh()
		}
	}
	mark(s.sickest, v.sickest)
	for _, f := range wardFilters {
		n := 0
		for _, r := range s.rows {
			if r.keep(f.f) {
				n++
			}
		}
		b := s.filters[f.f]
		b.SetText(fmt.Sprintf("%s (%d)", f.button, n))
		mark(b, v.filter == f.f)
	}
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

	// The bed and name wrap under each other rather than widen a phone
	// ("Training bed 18 DRILL-NOVEMBER, Test" made the window 467 wide).
	line1 := container.NewBorder(nil, nil, nil, container.NewVBox(scoreChip(r)), newFlow(bed, name))
	chips := newFlow(s.obsChip(r))
	for _, c := range doseChips(r) {
		chips.Add(c)
	}
	for _, c := range flagChips(r) {
		chips.Add(c)
	}
	id := p.ID
	return NewCard(container.NewVBox(line1, ids, chips), func() { s.ui.ShowPatient(id) })
}

// scoreChip is the row's NEWS2, or CHECK when its newest set cannot be
// scored as it stands.
func scoreChip(r WardRow) fyne.CanvasObject {
	if r.Check {
		return Chip(news2CheckWords, nhsWarmYellow, nhsBlack, true)
	}
	return NEWS2Chip(r.Latest)
}

// news2CheckWords stand in the place of a NEWS2 score whose set holds an
// impossible reading.
const news2CheckWords = "NEWS2 CHECK"

// doseChips are the row's doses overdue and due now.
func doseChips(r WardRow) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	if n := r.DosesOverdue; n > 0 {
		out = append(out, Chip(plural(n, "dose")+" overdue", nhsRed, nhsWhite, true))
	}
	if n := r.DosesDue; n > 0 {
		out = append(out, Chip(plural(n, "dose")+" due", nhsWarmYellow, nhsBlack, false))
	}
	return out
}

// flagChips are the row's conflicts, shared NHS number and records to
// check.
func flagChips(r WardRow) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	if n := r.Conflicts; n > 0 {
		out = append(out, Chip("⚠ "+plural(n, "conflict"), nhsBlack, nhsWhite, true))
	}
	if r.SharedNHS {
		out = append(out, Chip(sharedNHSWords, nhsRed, nhsWhite, true))
	}
	if n := r.Flags; n > 0 {
		out = append(out, Chip("⚠ "+plural(n, "record")+" to check", nhsWarmYellow, nhsBlack, true))
	}
	return out
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
	case r.Check:
		return Chip("CHECK obs of "+r.LatestAt.Local().Format(TimeLayout), nhsRed, nhsWhite, true)
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
