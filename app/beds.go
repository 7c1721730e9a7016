package app

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
)

func init() {
	Register(Section{ID: "beds", Title: "Beds", Order: 20,
		Icon:  theme.DefaultTheme().Icon(theme.IconNameGrid),
		Roles: []lifeboat.Role{lifeboat.RoleWardStaff, lifeboat.RoleBedManager, lifeboat.RoleITAdmin, lifeboat.RoleBreakGlass},
		Make:  newBedsScreen})
}

// bedTileSize is one bed on the board: big enough to read across a bay
// and to hit with a gloved finger; the grid reflows to the width.
var bedTileSize = fyne.NewSize(184, 118)

// bedColours is how each state looks: a tinted tile and a solid chip,
// always with the state in words (never colour alone).
var bedColours = map[forms.BedState]struct{ tile, chip, text color.Color }{
	forms.BedAvailable: {color.NRGBA{0xE3, 0xF4, 0xEA, 0xFF}, nhsGreen, nhsWhite},
	forms.BedOccupied:  {color.NRGBA{0xE1, 0xEC, 0xF8, 0xFF}, nhsBlue, nhsWhite},
	forms.BedCleaning:  {color.NRGBA{0xFF, 0xF4, 0xD6, 0xFF}, nhsWarmYellow, nhsBlack},
	forms.BedClosed:    {color.NRGBA{0xE8, 0xED, 0xEE, 0xFF}, color.NRGBA{0x42, 0x54, 0x63, 0xFF}, nhsWhite},
	forms.BedIsolation: {color.NRGBA{0xEE, 0xE6, 0xF5, 0xFF}, nhsPurple, nhsWhite},
}

// bedsScreen is the Beds section: the ward's bed board, the site's
// capacity and the sitrep, with the bed conflicts on top.
type bedsScreen struct {
	ui   *UI
	ward string // ID of the ward shown

	wards    []forms.Ward
	board    forms.WardBoard
	patients map[string]store.PatientView
	clashes  []forms.BedConflict
	site     []forms.WardCapacity
	total    forms.WardSummary
	notHeld  bool // this device does not hold board's ward's beds and patients

	picker    *widget.Select
	summary   *widget.Label
	conflicts *fyne.Container
	grid      *fyne.Container
	unbedded  *fyne.Container
	capacity  *fyne.Container
	msg       *widget.Label
}

func newBedsScreen(ui *UI) fyne.CanvasObject {
	s := &bedsScreen{ui: ui, summary: wrapped(""), conflicts: container.NewVBox(), unbedded: container.NewVBox(),
		grid: container.NewGridWrap(bedTileSize), capacity: container.NewVBox(), msg: errorLabel()}
	s.picker = widget.NewSelect(nil, func(name string) {
		for _, w := range s.wards {
			if w.Name == name && w.ID != s.ward {
				s.ward = w.ID
				s.load()
			}
		}
	})
	s.picker.PlaceHolder = "Choose a ward"
	board := container.NewVBox(s.msg, s.picker, s.summary, s.conflicts, s.grid, s.unbedded)
	tabs := container.NewAppTabs(
		container.NewTabItem("Bed board", container.NewVScroll(container.NewPadded(board))),
		container.NewTabItem("Site capacity", container.NewVScroll(container.NewPadded(s.capacity))),
	)
	return NewScreen(tabs, s.load)
}

// load reads the wards, the chosen ward's board, the patients in it, the
// site's bed conflicts and capacity.
func (s *bedsScreen) load() {
	var (
		wards    []forms.Ward
		board    forms.WardBoard
		pts      []store.PatientView
		clashes  []forms.BedConflict
		site     []forms.WardCapacity
		total    forms.WardSummary
		wardID   = s.ward
		siteWard = s.ui.Site().Ward
		notHeld  bool
	)
	s.ui.Run(func(ctx context.Context) (err error) {
		if wards, err = s.ui.Store().Wards(ctx); err != nil {
			return err
		}
		if len(wards) == 0 {
			return nil
		}
		if !slices.ContainsFunc(wards, func(w forms.Ward) bool { return w.ID == wardID }) {
			wardID = wards[0].ID
			for _, w := range wards {
				if w.Name == siteWard || w.ID == siteWard {
					wardID = w.ID
				}
			}
		}
		board, err = s.ui.Store().BedBoard(ctx, wardID)
		if notHeld = errors.Is(err, store.ErrWardNotHeld); notHeld {
			// Its layout only: the board is not drawn (see show).
			board = forms.WardBoard{Ward: wards[slices.IndexFunc(wards, func(w forms.Ward) bool { return w.ID == wardID })]}
		} else if err != nil {
			return err
		}
		if pts, err = s.ui.Store().Patients(ctx, ""); err != nil {
			return err
		}
		if clashes, err = s.ui.Store().BedConflicts(ctx); err != nil {
			return err
		}
		site, total, err = s.ui.Store().SiteCapacity(ctx)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(s.msg, ErrorText(err))
			return
		}
		setMsg(s.msg, "")
		s.wards, s.board, s.ward, s.clashes, s.site, s.total = wards, board, wardID, clashes, site, total
		s.notHeld = notHeld
		s.patients = map[string]store.PatientView{}
		for _, p := range pts {
			s.patients[p.ID] = p
		}
		s.show()
	})
}

func (s *bedsScreen) show() {
	if len(s.wards) == 0 {
		s.summary.SetText("No wards are set up yet. An IT admin defines the ward and its beds.")
		s.picker.Hide()
		return
	}
	var names []string
	for _, w := range s.wards {
		names = append(names, w.Name)
	}
	s.picker.SetOptions(names)
	s.picker.SetSelected(s.board.Ward.Name)
	if len(names) < 2 {
		s.picker.Hide()
	} else {
		s.picker.Show()
	}
	sum := s.board.Summary()
	if s.notHeld {
		s.summary.SetText(s.board.Ward.Name + ": this device does not hold the ward's beds and patients, so its bed board is not shown here. Its count, from the ward's own summary, is on the Site capacity tab.")
	} else {
		s.summary.SetText(fmt.Sprintf("%s: %d open beds, %d occupied, %d available, %d cleaning, %d isolation, %d closed (%.0f%% occupied)",
			s.board.Ward.Name, sum.Open, sum.Occupied, sum.Available, sum.Cleaning, sum.Isolation, sum.Closed, sum.OccupancyPct))
	}

	s.conflicts.Objects = nil
	for _, c := range s.clashes {
		s.conflicts.Add(s.conflictRow(c))
	}
	s.conflicts.Refresh()

	s.grid.Objects = nil
	for _, b := range s.board.Beds {
		s.grid.Add(s.tile(b))
	}
	s.grid.Refresh()

	s.unbedded.Objects = nil
	for _, p := range s.board.Unbedded {
		s.unbedded.Add(wrapped(fmt.Sprintf("%s is on this ward without a bed: open the patient to give them one.", s.name(p.PatientID))))
	}
	s.unbedded.Refresh()
	s.showCapacity()
}

// name is a patient's display name, or a plain placeholder.
func (s *bedsScreen) name(id string) string {
	if p, ok := s.patients[id]; ok {
		return forms.DisplayName(p.Patient)
	}
	return "A patient not yet synced to this device"
}

// tile draws one bed: its name, state in words and colour, and who is in
// it. Two patients in one bed is drawn as a conflict.
func (s *bedsScreen) tile(b forms.BedView) fyne.CanvasObject {
	col := bedColours[b.State]
	label := canvas.NewText(b.Bed.Label, nhsBlack)
	label.TextStyle = fyne.TextStyle{Bold: true}
	label.TextSize = 18
	state := string(b.State)
	chips := container.NewHBox(Chip(strings.ToUpper(state[:1])+state[1:], col.chip, col.text, true))
	if b.Bed.Escalation {
		chips.Add(Chip("Escalation", nhsWhite, nhsBlack, false))
	}
	items := []fyne.CanvasObject{label, chips}
	for _, id := range b.Patients {
		l := widget.NewLabel(s.name(id))
		l.Truncation = fyne.TextTruncateEllipsis
		l.TextStyle = fyne.TextStyle{Bold: true}
		items = append(items, container.New(&tightLayout{}, l))
	}
	if len(b.Patients) > 1 {
		items = append(items, container.NewHBox(Chip("CONFLICT: shared bed", nhsRed, nhsWhite, true)))
	}
	bed := b
	c := NewCard(container.NewVBox(items...), func() { s.bedDialog(bed) })
	c.SetBackground(col.tile)
	return c
}

// bedDialog offers what can be done with a bed: the state changes the
// rules allow from its state, and for an occupied bed moving the patient
// or opening their record.
func (s *bedsScreen) bedDialog(b forms.BedView) {
	s.ui.Touch()
	reason := widget.NewEntry()
	reason.SetPlaceHolder("Reason (needed for closed or isolation)")
	problem := errorLabel()
	var d dialog.Dialog
	var actions []fyne.CanvasObject
	for _, to := range forms.BedStates {
		// Occupied follows from placing a patient, never set by hand; a
		// bed with a patient in it changes only when they move or leave.
		if len(b.Patients) > 0 || to == forms.BedOccupied || forms.CanTransition(b.State, to) != nil {
			continue
		}
		target := to
		actions = append(actions, widget.NewButton("Mark "+string(target), func() {
			set := forms.BedStateSet{Ward: s.board.Ward.ID, Bed: b.Bed.ID, State: target, Reason: strings.TrimSpace(reason.Text)}
			if ps := set.Validate(); len(ps) > 0 {
				setMsg(problem, ErrorText(ps)) // next to the reason, in the dialog
				return
			}
			d.Hide()
			s.ui.appendDraft(store.Draft{Kind: forms.KindBedState, PerformedAt: s.ui.Now(), Payload: set})
		}))
	}
	for _, id := range b.Patients {
		pid := id
		actions = append(actions,
			widget.NewButtonWithIcon("Move "+s.name(pid), theme.MailForwardIcon(), func() { d.Hide(); s.moveDialog(pid, b.Bed.ID) }),
			widget.NewButtonWithIcon("Open "+s.name(pid), theme.AccountIcon(), func() { d.Hide(); s.ui.ShowPatient(pid) }))
	}
	body := []fyne.CanvasObject{wrapped(fmt.Sprintf("%s is %s.", b.Bed.Label, b.State))}
	if b.Note != "" {
		body = append(body, wrapped(b.Note))
	}
	if b.State != forms.BedOccupied {
		body = append(body, reason, problem)
	}
	body = append(body, actions...)
	d = dialog.NewCustom(b.Bed.Label+", "+s.board.Ward.Name, "Close", container.NewVBox(body...), s.ui.win)
	d.Resize(fyne.NewSize(min(s.ui.win.Canvas().Size().Width-24, 420), 0))
	d.Show()
	s.ui.focusFirstField(body...) // the reason, typed before the state is tapped
}

// moveDialog moves a patient (from a bed on the ward shown) to a free
// bed on any ward: a transfer event (see UI.moveDialog).
func (s *bedsScreen) moveDialog(patientID, fromBed string) {
	s.ui.moveDialog("Move "+s.name(patientID), patientID, s.board.Ward.ID, fromBed)
}

// moveDialog, titled title, moves a patient from fromWard and fromBed to
// a bed on any ward: a transfer event. It reads every ward's board first,
// so only beds that can take a patient are offered: available ones, and
// isolation beds marked as such (they are held for infection control, so
// using one asks why, and the reason goes with the move); or a ward with
// no bed yet. Closed beds, beds waiting to be cleaned and occupied beds
// are never offered. The bed board and the patient's Transfer both use it.
func (ui *UI) moveDialog(title, patientID, fromWard, fromBed string) {
	ui.bedDialog(forms.KindPatientTransferred, title, patientID, fromWard, fromBed)
}

// admitDialog admits a patient who is not on a ward (discharged, or
// never admitted) to a free bed on any ward, offered as moveDialog offers
// them: an admission event.
func (ui *UI) admitDialog(title, patientID string) {
	ui.bedDialog(forms.KindPatientAdmitted, title, patientID, "", "")
}

// bedDialog is moveDialog and admitDialog: kind is the event it records.
func (ui *UI) bedDialog(kind, title, patientID, fromWard, fromBed string) {
	ui.Touch()
	var boards []forms.WardBoard
	ui.Run(func(ctx context.Context) error {
		wards, err := ui.Store().Wards(ctx)
		if err != nil {
			return err
		}
		for _, w := range wards {
			b, err := ui.Store().BedBoard(ctx, w.ID)
			if errors.Is(err, store.ErrWardNotHeld) {
				continue // its free beds cannot be known here: none offered
			}
			if err != nil {
				return err
			}
			boards = append(boards, b)
		}
		return nil
	}, func(err error) {
		if err != nil {
			ui.ShowError(err)
			return
		}
		ui.showMove(kind, title, patientID, fromWard, fromBed, moveChoices(boards))
	})
}

// bedChoice is one bed a patient can be moved to, as the move dialog
// offers it.
type bedChoice struct {
	ward, bed string
	label     string // ward, bed and, for an isolation bed, the word
	isolation bool
}

// moveChoices lists the beds on boards that can take a patient: empty
// and available, or empty and held for isolation (marked in the label);
// after each ward's beds, the ward itself with no bed yet.
func moveChoices(boards []forms.WardBoard) []bedChoice {
	var out []bedChoice
	for _, b := range boards {
		for _, v := range b.Beds {
			if len(v.Patients) > 0 || (v.State != forms.BedAvailable && v.State != forms.BedIsolation) {
				continue
			}
			c := bedChoice{ward: b.Ward.ID, bed: v.Bed.ID, label: b.Ward.Name + ", " + v.Bed.Label, isolation: v.State == forms.BedIsolation}
			if c.isolation {
				c.label += " (isolation)"
			}
			out = append(out, c)
		}
		out = append(out, bedChoice{ward: b.Ward.ID, label: b.Ward.Name + ", no bed yet"})
	}
	return out
}

// showMove is the move dialog over choices. The bed chosen is shown in
// full under the list (a list cuts a long ward name short on a phone);
// an isolation bed says so and asks for the reason before it is used.
func (ui *UI) showMove(kind, title, patientID, fromWard, fromBed string, choices []bedChoice) {
	f := newFieldForm(ui)
	var labels []string
	for _, c := range choices {
		labels = append(labels, c.label)
	}
	f.box.Add(wrapped("Free beds on every ward. Closed beds and beds waiting to be cleaned are not offered."))
	chosen := wrapped("")
	chosen.TextStyle = fyne.TextStyle{Bold: true}
	chosen.Hide()
	warn := wrapped("This bed is held for isolation (infection control). Move the patient here only if they need it, and say why.")
	warn.Importance = widget.DangerImportance
	reason := widget.NewEntry()
	reason.SetPlaceHolder("Why this patient needs the isolation bed")
	reason.OnChanged = func(string) { ui.Touch() }
	var reasonRow *formRow
	to := widget.NewSelect(labels, func(l string) {
		ui.Touch()
		chosen.SetText("To: " + l)
		chosen.Show()
		i := slices.Index(labels, l)
		if i >= 0 && choices[i].isolation {
			reasonRow.box.Show()
		} else {
			reasonRow.box.Hide()
		}
		f.fit()
	})
	to.PlaceHolder = "Choose a free bed"
	f.add("To", container.NewVBox(to, chosen), "bed")
	reasonRow = f.add("Reason for the isolation bed", container.NewVBox(warn, reason), "reason")
	reasonRow.box.Hide()
	at := f.entry("When", "DD-Mmm-YYYY HH:MM", "performed_at")
	at.SetText(ui.Now().Local().Format(DateTimeLayout))
	if len(choices) == 0 {
		setMsg(f.other, "There is no free bed on any ward this device knows of.")
	}
	build := func() (store.Draft, error) {
		i := slices.Index(labels, to.Selected)
		if i < 0 {
			return store.Draft{}, forms.Problems{{Field: "bed", Message: "Choose the bed to move the patient to."}}
		}
		c := choices[i]
		var ps forms.Problems
		why := ""
		if c.isolation {
			if why = strings.TrimSpace(reason.Text); why == "" {
				ps = append(ps, forms.Problem{Field: "reason", Message: "Say why this patient needs the isolation bed, or choose another bed."})
			}
		}
		var payload any = forms.Transfer{PatientID: patientID, FromWard: fromWard, FromBed: fromBed, Ward: c.ward, Bed: c.bed, Reason: why}
		if kind == forms.KindPatientAdmitted {
			payload = forms.Admission{PatientID: patientID, Ward: c.ward, Bed: c.bed, IsolationReason: why}
		}
		when, err := parseWhen(at.Text, ui.Now())
		if err != nil {
			var wp forms.Problems
			if errors.As(err, &wp) {
				ps = append(ps, wp...)
			} else {
				return store.Draft{}, err
			}
		}
		if len(ps) > 0 {
			return store.Draft{}, ps
		}
		return store.Draft{Kind: kind, Subject: patientID, PerformedAt: when, Payload: payload}, nil
	}
	button := "Move"
	if kind == forms.KindPatientAdmitted {
		button = "Admit"
	}
	f.show(title, button, build, nil)
}

// conflictRow is one bed conflict in red, with the way to resolve it: put
// the patient in the right place (a move made having seen both, which
// replaces them).
func (s *bedsScreen) conflictRow(c forms.BedConflict) fyne.CanvasObject {
	var text string
	var buttons []fyne.CanvasObject
	place := func(p forms.Placement) string {
		if p.Ward == "" {
			return "discharged"
		}
		return bedName(s.wards, p.Ward, p.Bed)
	}
	switch c.Kind {
	case forms.ConflictPatientTwoPlaces:
		var where []string
		for _, p := range c.Placements {
			where = append(where, place(p))
			pl := p
			if pl.Ward == "" {
				continue
			}
			buttons = append(buttons, widget.NewButton("Keep in "+place(pl), func() {
				s.ui.appendDraft(store.Draft{Kind: forms.KindPatientTransferred, Subject: pl.PatientID, PerformedAt: s.ui.Now(),
					Payload: forms.Transfer{PatientID: pl.PatientID, Ward: pl.Ward, Bed: pl.Bed}})
			}))
		}
		text = fmt.Sprintf("%s is recorded in %d places (%s): devices moved them while apart.", s.name(c.PatientID), len(c.Placements), strings.Join(where, "; "))
	default:
		var who []string
		for _, p := range c.Placements {
			who = append(who, s.name(p.PatientID))
			pl := p
			buttons = append(buttons, widget.NewButton("Move "+s.name(pl.PatientID), func() { s.moveDialog(pl.PatientID, pl.Bed) }))
		}
		text = fmt.Sprintf("%s holds %d patients (%s): move the one who is not there.", bedName(s.wards, c.Ward, c.Bed), len(c.Placements), strings.Join(who, ", "))
	}
	l := wrapped("Conflict: " + text)
	l.Importance = widget.DangerImportance
	return container.NewVBox(l, newFlow(buttons...))
}

// showCapacity fills the site capacity tab: every ward synced to this
// device, then the site total. A ward this device does not hold the
// records of shows its ward's last summary with the time it was counted,
// so nobody takes an hour-old count for the beds free now.
func (s *bedsScreen) showCapacity() {
	s.capacity.Objects = nil
	s.capacity.Add(heading("Site capacity", theme.SizeNameSubHeadingText))
	s.capacity.Add(wrapped("Every ward this device has heard of over the ward network, as of its last sync."))
	now := s.ui.Now()
	row := func(w forms.WardCapacity, bold bool) fyne.CanvasObject {
		counts := fmt.Sprintf("%d open · %d occupied · %d available · %d cleaning · %d isolation · %d closed · %.0f%% occupied",
			w.Open, w.Occupied, w.Available, w.Cleaning, w.Isolation, w.Closed, w.OccupancyPct)
		if w.NoSummary {
			counts = "No count from this ward yet: its devices send one when its beds change."
		}
		l := widget.NewLabel(counts)
		l.Wrapping = fyne.TextWrapWord
		name := widget.NewLabel(w.Name)
		name.TextStyle = fyne.TextStyle{Bold: true}
		box := container.NewVBox(name, l)
		if w.FromSummary {
			asOf := wrapped(capacityAsOfText(w.AsOf, now))
			if now.Sub(w.AsOf) >= store.SummaryOverdue {
				asOf.Importance = widget.DangerImportance
			}
			box.Add(asOf)
		}
		c := NewCard(box, nil)
		if bold {
			c.SetBackground(bedColours[forms.BedOccupied].tile)
		}
		return c
	}
	for _, w := range s.site {
		s.capacity.Add(row(w, false))
	}
	t := s.total
	t.Name = "Whole site"
	s.capacity.Add(row(forms.WardCapacity{WardSummary: t}, true))
	sitrep := widget.NewButtonWithIcon("Save today's sitrep (CSV)", theme.DocumentSaveIcon(), s.saveSitrep)
	s.capacity.Add(newFlow(sitrep))
	s.capacity.Add(wrapped("The sitrep has one row per ward and the site total (core beds, escalation beds open, closed, open, occupied, available, cleaning, isolation, occupancy), for the bed bureau or the site's command cell."))
	s.capacity.Refresh()
}

// capacityAsOfText says where a ward's counts on the capacity tab come
// from when this device does not hold the ward's records: the ward's own
// summary, counted at asOf. The ward's devices send it at least every
// store.SummaryRefresh, so one older than store.SummaryOverdue means
// they have not been heard from, and the bed manager should ring.
func capacityAsOfText(asOf, now time.Time) string {
	text := fmt.Sprintf("From the ward's summary, %s (%s ago)", sinceText(asOf, now), lengthText(now.Sub(asOf)))
	if now.Sub(asOf) >= store.SummaryOverdue {
		text += ". Nothing heard from the ward's devices since: ring the ward for its beds."
	}
	return text
}

// saveFile asks where to save name and writes it with write; tests
// replace it (Fyne's file dialog cannot be driven by the test driver).
var saveFile = func(ui *UI, name string, write func(io.Writer) error, done func(error)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			done(err)
			return
		}
		err = write(w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		done(err)
	}, ui.win)
	d.SetFileName(name)
	d.Show()
}

// saveSitrep writes today's sitrep as CSV where the person chooses, and
// records the export (it is site data, no patients).
func (s *bedsScreen) saveSitrep() {
	s.ui.Touch()
	var rep forms.SitrepReport
	now, sess := s.ui.Now(), s.ui.Session()
	s.ui.Run(func(ctx context.Context) (err error) {
		rep, err = s.ui.Store().Sitrep(ctx, now)
		return err
	}, func(err error) {
		if err != nil {
			s.ui.ShowError(err)
			return
		}
		saveFile(s.ui, "sitrep-"+now.Local().Format("2006-01-02")+".csv", rep.WriteCSV, func(err error) {
			if err != nil {
				s.ui.log.Warn("save sitrep", "kind", errorKind(err))
				s.ui.ShowError(Plain("The sitrep could not be saved there. Choose another folder and try again."))
				return
			}
			s.ui.Run(func(ctx context.Context) error {
				return s.ui.Store().RecordExport(ctx, sess, "sitrep "+now.Local().Format("2006-01-02"))
			}, func(err error) {
				if err != nil {
					s.ui.ShowError(err)
				}
			})
		})
	})
}

// tightLayout gives a label its text height without the inner padding,
// so a bed tile fits its bed, state and patient.
type tightLayout struct{}

func (tightLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	p := theme.InnerPadding()
	for _, o := range objs {
		o.Move(fyne.NewPos(-p, -p))
		o.Resize(fyne.NewSize(size.Width+2*p, size.Height+2*p))
	}
}

func (tightLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	p := theme.InnerPadding()
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize().SubtractWidthHeight(2*p, 2*p))
	}
	return m
}
