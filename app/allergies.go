package app

import (
	"context"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/google/uuid"

	"lifeboat/forms"
	"lifeboat/store"
)

func init() {
	RegisterPatientTab(PatientTab{ID: "allergies", Title: "Allergies & weight", Short: "Allergies", Order: 15, Make: newAllergiesTab})
}

// allergyWeight is what the patient header shows under the identifiers.
type allergyWeight struct {
	list    forms.AllergyList
	weight  forms.Weight
	weighed bool
}

// loadAllergyWeight reads a patient's allergies and latest weight, for a
// header (PatientHeader.SetAllergies); call it inside UI.Run.
func loadAllergyWeight(ctx context.Context, st Store, patientID string) (aw allergyWeight, err error) {
	if aw.list, err = st.Allergies(ctx, patientID); err != nil {
		return aw, err
	}
	aw.weight, aw.weighed, err = st.LatestWeight(ctx, patientID)
	return aw, err
}

// allergyChip is the patient's allergies in one full-width line for a
// banner or dialog (the text is l.Summary(), wrapping on a phone): red
// with the substances when an allergy is active, amber when nothing is
// recorded (ask, never assume), green for no known allergies, grey when
// only past allergies are on record.
func allergyChip(l forms.AllergyList) fyne.CanvasObject {
	bg, fg := allergyChipColours(l)
	text := widget.NewRichText(&widget.TextSegment{Text: l.Summary(),
		Style: widget.RichTextStyle{ColorName: fg, TextStyle: fyne.TextStyle{Bold: true}}})
	text.Wrapping = fyne.TextWrapWord
	r := canvas.NewRectangle(bg)
	r.CornerRadius = 4
	if !l.Recorded() { // set apart from the amber downtime banner
		r.StrokeColor, r.StrokeWidth = nhsBlack, 2
	}
	return container.NewStack(r, text)
}

// allergyChipColours is the allergy chip's background and text colour.
func allergyChipColours(l forms.AllergyList) (bg color.Color, fg fyne.ThemeColorName) {
	switch {
	case len(l.Active()) > 0:
		return nhsRed, theme.ColorNameForegroundOnError
	case !l.Recorded():
		return nhsWarmYellow, theme.ColorNameForeground // black: white on warm yellow is 1.9:1
	case l.NoneKnown:
		return nhsGreen, theme.ColorNameForegroundOnSuccess
	}
	return nhsGrey4, theme.ColorNameForeground
}

// checkingChip holds the allergy chip's place, in grey, while a patient's
// allergies are read: never empty, so nobody reads "nothing" as "none".
func checkingChip() fyne.CanvasObject {
	text := widget.NewRichText(&widget.TextSegment{Text: "Allergies: checking…",
		Style: widget.RichTextStyle{ColorName: theme.ColorNameForeground, TextStyle: fyne.TextStyle{Bold: true}}})
	r := canvas.NewRectangle(nhsGrey4)
	r.CornerRadius = 4
	return container.NewStack(r, text)
}

// weightText is the latest weight as the header shows it.
func weightText(w forms.Weight, weighed bool) string {
	if !weighed {
		return "Weight NOT RECORDED"
	}
	how := "weighed"
	if w.Estimated {
		how = "ESTIMATED"
	}
	return "Weight " + w.Kg.String() + " kg, " + how + " " + w.MeasuredAt.Local().Format(DateTimeLayout)
}

// allergiesTab lists a patient's allergies (active first; inactive and
// resolved greyed with their status) and weight, and records them during
// downtime: add an allergy, "no known allergies" (only when none is
// active), change or mark one inactive or resolved (a new record of the
// same allergy that corrects the old), entered in error, and a weight.
type allergiesTab struct {
	ui      *UI
	id      string
	msg     *widget.Label
	actions *fyne.Container
	notice  *widget.Label
	list    *fyne.Container
	weight  *widget.Label
	aw      allergyWeight
	recs    []store.Record
}

func newAllergiesTab(ui *UI, patientID string) fyne.CanvasObject {
	a := &allergiesTab{ui: ui, id: patientID, msg: errorLabel(), actions: newFlow(),
		notice: wrapped(""), list: container.NewVBox(), weight: wrapped("")}
	a.notice.TextStyle = fyne.TextStyle{Bold: true}
	a.notice.Importance = widget.DangerImportance
	a.notice.Hide()
	body := container.NewVBox(a.msg, a.actions, a.notice,
		heading("Allergies", theme.SizeNameSubHeadingText), a.list,
		heading("Weight", theme.SizeNameSubHeadingText), a.weight)
	return NewScreen(container.NewVScroll(container.NewPadded(body)), a.load)
}

func (a *allergiesTab) load() {
	var (
		aw   allergyWeight
		recs []store.Record
	)
	a.ui.Run(func(ctx context.Context) (err error) {
		if aw.list, recs, err = a.ui.Store().AllergyRecords(ctx, a.id); err != nil {
			return err
		}
		aw.weight, aw.weighed, err = a.ui.Store().LatestWeight(ctx, a.id)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(a.msg, ErrorText(err))
			return
		}
		setMsg(a.msg, "")
		a.aw, a.recs = aw, recs
		a.show()
	})
}

func (a *allergiesTab) show() {
	l := a.aw.list
	add := widget.NewButtonWithIcon("Add allergy", theme.ContentAddIcon(), func() { a.edit(nil, store.Record{}) })
	add.Importance = widget.HighImportance
	a.actions.Objects = []fyne.CanvasObject{add}
	if len(l.Active()) == 0 && !l.NoneKnown {
		a.actions.Add(widget.NewButtonWithIcon("No known allergies", theme.ConfirmIcon(), a.noneKnown))
	}
	a.actions.Add(widget.NewButtonWithIcon("Record weight", theme.DocumentCreateIcon(), a.recordWeight))
	a.actions.Refresh()

	if l.NoneKnownDisputed {
		a.notice.SetText("\"No known allergies\" was recorded after an allergy below that is still active, perhaps on a device " +
			"that had not heard of it. The allergy stands: check with the patient, then change the allergy if it is wrong.")
		a.notice.Show()
	} else {
		a.notice.Hide()
	}

	a.list.Objects = nil
	switch {
	case len(l.Allergies) > 0:
	case l.NoneKnown:
		a.list.Add(wrapped("The patient has no known allergies."))
	default:
		a.list.Add(wrapped("Nothing is recorded. Ask the patient (or their family, or the GP record) before giving any medicine, then add each allergy or tap \"No known allergies\"."))
	}
	for i, x := range l.Allergies {
		a.list.Add(a.allergyCard(x, a.recs[i]))
	}
	a.list.Refresh()
	a.weight.SetText(weightText(a.aw.weight, a.aw.weighed))
}

// allergyCard is one allergy with what can be done to it; one that is not
// active is greyed, its status in a chip.
func (a *allergiesTab) allergyCard(x forms.Allergy, rec store.Record) fyne.CanvasObject {
	name := widget.NewLabel(x.Substance)
	name.TextStyle = fyne.TextStyle{Bold: true}
	name.Wrapping = fyne.TextWrapWord
	var top fyne.CanvasObject = name
	if x.Status != forms.AllergyActive {
		top = container.NewBorder(nil, nil, container.NewCenter(Chip(strings.ToUpper(x.Status), nhsGrey1, nhsWhite, true)), nil, name)
	}
	var lines []string
	if x.Reaction != "" {
		lines = append(lines, "Reaction: "+x.Reaction)
	}
	if x.Severity != "" {
		lines = append(lines, "Severity: "+x.Severity)
	} else {
		lines = append(lines, "Severity not known")
	}
	lines = []string{strings.Join(lines, " · ")}
	if x.Note != "" {
		lines = append(lines, "Note: "+x.Note)
	}
	from := "Recorded "
	if x.Source == forms.SourceSnapshot {
		from = "From the hospital record, "
	}
	lines = append(lines, from+rec.PerformedAt.Local().Format(DateTimeLayout))
	detail := wrapped(strings.Join(lines, "\n"))
	change := widget.NewButtonWithIcon("Change", theme.DocumentCreateIcon(), func() { a.edit(&x, rec) })
	wrong := widget.NewButtonWithIcon("Entered in error", theme.CancelIcon(), func() { a.enteredInError(x, rec) })
	c := NewCard(container.NewVBox(top, detail, newFlow(change, wrong)), nil)
	if x.Status != forms.AllergyActive {
		name.Importance = widget.LowImportance
		detail.Importance = widget.LowImportance
		c.SetBackground(nhsGrey5)
	}
	return c
}

var (
	severityLabels = []string{"Not known", "Mild", "Moderate", "Severe"}
	severityValues = []string{"", forms.SeverityMild, forms.SeverityModerate, forms.SeveritySevere}
	statusLabels   = []string{"Active", "Inactive", "Resolved"}
	statusValues   = []string{forms.AllergyActive, forms.AllergyInactive, forms.AllergyResolved}
)

// edit adds an allergy (old nil) or changes one: the new record has the
// same ID and corrects the standing record rec.
func (a *allergiesTab) edit(old *forms.Allergy, rec store.Record) {
	a.ui.Touch()
	substance := widget.NewEntry()
	substance.SetPlaceHolder("e.g. Penicillin, latex, peanuts")
	reaction := widget.NewEntry()
	reaction.SetPlaceHolder("e.g. rash, anaphylaxis")
	note := widget.NewEntry()
	note.SetPlaceHolder("e.g. told by daughter")
	severity := widget.NewRadioGroup(severityLabels, nil)
	severity.Horizontal = !a.ui.narrow()
	severity.Required = true
	severity.SetSelected(severityLabels[0])
	status := widget.NewRadioGroup(statusLabels, nil)
	status.Horizontal = !a.ui.narrow()
	status.Required = true
	status.SetSelected(statusLabels[0])
	x := forms.Allergy{ID: uuid.Must(uuid.NewV7()).String(), PatientID: a.id, Source: forms.SourceEntered}
	title, save := "Add allergy", "Save allergy"
	if old != nil {
		x = *old
		title, save = "Change allergy", "Save change"
		substance.SetText(x.Substance)
		reaction.SetText(x.Reaction)
		note.SetText(x.Note)
		for i, v := range severityValues {
			if v == x.Severity {
				severity.SetSelected(severityLabels[i])
			}
		}
		for i, v := range statusValues {
			if v == x.Status {
				status.SetSelected(statusLabels[i])
			}
		}
	}
	items := []*widget.FormItem{
		{Text: "Allergic to", Widget: substance},
		{Text: "Reaction", Widget: reaction},
		{Text: "Severity", Widget: severity},
	}
	if old != nil {
		items = append(items, &widget.FormItem{Text: "Status", Widget: status})
	}
	items = append(items, &widget.FormItem{Text: "Note", Widget: note})
	a.ui.formDialog(title, save, items, func() error {
		x.Substance = strings.TrimSpace(substance.Text)
		x.Reaction = strings.TrimSpace(reaction.Text)
		x.Note = strings.TrimSpace(note.Text)
		for i, l := range severityLabels {
			if severity.Selected == l {
				x.Severity = severityValues[i]
			}
		}
		x.Status = forms.AllergyActive
		for i, l := range statusLabels {
			if status.Selected == l {
				x.Status = statusValues[i]
			}
		}
		if ps := x.Validate(); len(ps) > 0 {
			return ps
		}
		a.ui.appendDraft(store.Draft{Kind: forms.KindAllergyRecorded, Subject: a.id, PerformedAt: a.ui.Now(), Corrects: rec.EventID, Payload: x})
		return nil
	})
}

// noneKnown records that the patient was asked and has no known
// allergies.
func (a *allergiesTab) noneKnown() {
	a.ui.Touch()
	note := widget.NewEntry()
	note.SetPlaceHolder("e.g. asked the patient")
	a.ui.formDialog("No known allergies", "Save", []*widget.FormItem{
		{Text: "", Widget: wrapped("Record that the patient (or someone who knows) was asked and has no known allergies.")},
		{Text: "Note", Widget: note},
	}, func() error {
		n := forms.NoKnownAllergies{PatientID: a.id, Note: strings.TrimSpace(note.Text)}
		if ps := n.Validate(); len(ps) > 0 {
			return ps
		}
		a.ui.appendDraft(store.Draft{Kind: forms.KindAllergyNoneKnown, Subject: a.id, PerformedAt: a.ui.Now(), Payload: n})
		return nil
	})
}

// enteredInError cancels an allergy record that should never have been
// made (wrong patient, entered twice); it stays on record, marked.
func (a *allergiesTab) enteredInError(x forms.Allergy, rec store.Record) {
	a.ui.Touch()
	reason := widget.NewMultiLineEntry()
	reason.Wrapping = noteWrap
	reason.SetMinRowsVisible(2)
	reason.SetPlaceHolder("Why is it wrong? e.g. wrong patient, or entered twice")
	a.ui.formDialog("Mark "+x.Substance+" as entered in error", "Mark in error", []*widget.FormItem{
		{Text: "Reason", Widget: reason},
	}, func() error {
		why := strings.TrimSpace(reason.Text)
		if why == "" {
			return forms.Problems{{Field: "reason", Message: "Say why the allergy is wrong. If the patient is no longer allergic, use Change and mark it resolved instead."}}
		}
		sess, now := a.ui.Session(), a.ui.Now()
		a.ui.Run(func(ctx context.Context) error {
			_, err := a.ui.Store().EnterInError(ctx, sess, rec.EventID, why, now)
			return err
		}, func(err error) {
			if err != nil {
				a.ui.ShowError(err)
			}
		})
		return nil
	})
}

// recordWeight records a weight in kg, when it was measured and whether
// it was estimated. An impossible weight is refused in the dialog; an
// unusual one is said there and saved when Save is tapped again.
func (a *allergiesTab) recordWeight() {
	a.ui.Touch()
	kg := widget.NewEntry()
	kg.SetPlaceHolder("kg, e.g. 72.5")
	at := widget.NewEntry()
	at.SetPlaceHolder("DD-Mmm-YYYY HH:MM")
	at.SetText(a.ui.Now().Local().Format(DateTimeLayout))
	estimated := widget.NewCheck("Estimated (not weighed)", nil)
	var confirmed forms.Quantity // an unusual weight the person was told about
	a.ui.formDialog("Record weight", "Save weight", []*widget.FormItem{
		{Text: "Weight", Widget: kg, HintText: "In kilograms"},
		{Text: "Measured", Widget: at, HintText: "When it was weighed or estimated"},
		{Text: "", Widget: estimated},
	}, func() error {
		q, err := forms.ParseQuantity(strings.TrimSpace(kg.Text))
		if err != nil {
			return forms.Problems{{Field: "kg", Message: "Type the weight in kg as a number, for example 72.5."}}
		}
		now := a.ui.Now()
		when, err := parseWhen(at.Text, now)
		if err != nil {
			return err
		}
		w := forms.Weight{PatientID: a.id, Kg: q, MeasuredAt: when, Estimated: estimated.Checked}
		ps := w.ValidateAt(now.Add(store.MaxFutureSkew))
		if hard := ps.Hard(); len(hard) > 0 {
			return plainProblems(hard)
		}
		// Unusual: said in the dialog, saved when Save is tapped again
		// with the same weight.
		if soft := ps.Soft(); len(soft) > 0 && confirmed != q {
			confirmed = q
			return Plain(plainProblems(soft).Error() + " If it is right, tap Save weight again.")
		}
		a.ui.appendDraft(store.Draft{Kind: forms.KindWeightRecorded, Subject: a.id, PerformedAt: when, Payload: w})
		return nil
	})
}

// plainProblems starts each message with a capital, as the dialogs show
// whole sentences.
func plainProblems(ps forms.Problems) forms.Problems {
	out := make(forms.Problems, len(ps))
	for i, p := range ps {
		if p.Message != "" {
			p.Message = strings.ToUpper(p.Message[:1]) + p.Message[1:] + "."
		}
		out[i] = p
	}
	return out
}
