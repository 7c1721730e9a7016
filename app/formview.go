package app

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
)

// formRecord is one filled-in form as the app shows it: the record, its
// answers and the version of the form they were given on (nil when that
// version is not on this device).
type formRecord struct {
	rec store.Record
	sub forms.FormSubmission
	def *forms.Definition
}

// decodeFormRecords reads form.submitted records, newest first by when
// the form was done.
func decodeFormRecords(rs []store.Record, reg *forms.Registry) []formRecord {
	out := make([]formRecord, 0, len(rs))
	for _, r := range rs {
		fr := formRecord{rec: r}
		if err := json.Unmarshal(r.Payload, &fr.sub); err != nil {
			continue // the store checked it when it was recorded
		}
		if reg != nil {
			fr.def, _ = reg.Lookup(fr.sub.FormID, fr.sub.Version)
		}
		out = append(out, fr)
	}
	slices.SortStableFunc(out, func(a, b formRecord) int {
		if c := b.rec.PerformedAt.Compare(a.rec.PerformedAt); c != 0 {
			return c
		}
		return b.rec.RecordedAt.Compare(a.rec.RecordedAt)
	})
	return out
}

// title is the form's title, or what is known of it.
func (fr formRecord) title() string {
	if fr.def != nil {
		return fr.def.Title
	}
	return "Form " + fr.sub.FormID + " version " + strconv.Itoa(fr.sub.Version) + " (not on this device)"
}

// statusText says when a record no longer stands.
func statusText(status string) string {
	switch status {
	case store.StatusEnteredInError:
		return "ENTERED IN ERROR"
	case store.StatusAmended:
		return "AMENDED"
	}
	return ""
}

// summary is the form's computed results in one line, e.g. "Falls risk
// score: 4".
func (fr formRecord) summary() string {
	if fr.def == nil {
		return ""
	}
	out, _ := forms.Compute(fr.def, fr.sub.Values)
	var parts []string
	for _, f := range fr.def.Fields {
		if v, ok := out[f.ID]; ok {
			parts = append(parts, f.Label+": "+formatNumber(v)+unitSuffix(f.Unit))
		}
	}
	return strings.Join(parts, " · ")
}

// listSummary is the line under a filled-in form in a list: its scores,
// or for a form with none (the incident log) its first few answers to
// required choice questions, so a long list can be read without opening
// each one.
func (fr formRecord) listSummary() string {
	if s := fr.summary(); s != "" || fr.def == nil {
		return s
	}
	var parts []string
	for i := range fr.def.Fields {
		f := &fr.def.Fields[i]
		v, ok := fr.sub.Values[f.ID]
		if !ok || !f.Required || (f.Type != forms.FieldChoice && f.Type != forms.FieldMultiChoice) {
			continue
		}
		if parts = append(parts, answerText(f, v, nil)); len(parts) == maxListAnswers {
			break
		}
	}
	return strings.Join(parts, " · ")
}

// maxListAnswers bounds the answers listSummary shows.
const maxListAnswers = 3

// answerText is an answer as people read it.
func answerText(f *forms.Field, v any, users map[string]string) string {
	switch f.Type {
	case forms.FieldChoice:
		s, _ := v.(string)
		for _, c := range f.Choices {
			if c.Value == s {
				return c.Label
			}
		}
		return s
	case forms.FieldMultiChoice:
		var labels []string
		list, _ := v.([]any)
		for _, x := range list {
			s, _ := x.(string)
			label := s
			for _, c := range f.Choices {
				if c.Value == s {
					label = c.Label
				}
			}
			labels = append(labels, label)
		}
		return strings.Join(labels, "; ")
	case forms.FieldYesNo:
		switch x := v.(type) {
		case bool:
			if x {
				return "Yes"
			}
			return "No"
		case string:
			return strings.ToUpper(x[:min(1, len(x))]) + x[min(1, len(x)):]
		}
	case forms.FieldDateTime:
		if s, ok := v.(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				return t.Local().Format(DateTimeLayout)
			}
			return s
		}
	case forms.FieldDate:
		if s, ok := v.(string); ok {
			if t, err := time.Parse("2006-01-02", s); err == nil {
				return t.Format(DateLayout)
			}
			return s
		}
	case forms.FieldNumber, forms.FieldInteger:
		if x, ok := v.(float64); ok {
			return formatNumber(x) + unitSuffix(f.Unit)
		}
	case forms.FieldPerson:
		if s, ok := v.(string); ok {
			if n, ok := users[s]; ok {
				return n
			}
			return "another device's user"
		}
	case forms.FieldPatient:
		return "This patient"
	case forms.FieldNHSNumber:
		if s, ok := v.(string); ok {
			if d, err := forms.ParseNHSNumber(s); err == nil {
				return forms.FormatNHSNumber(d)
			}
			return s
		}
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// formView shows one filled-in form, read only: who did it and when, each
// question answered, and the scores worked out from the answers on the
// version of the form they were given on. A form that should not have
// been filled in is marked entered in error, with the reason: it stays
// on record, marked.
type formView struct {
	ui       *UI
	fr       formRecord
	header   *PatientHeader
	users    map[string]string
	patients map[string]string // a ward form's patient answers: ID -> wardPatientLabel
	reason   string            // why it was entered in error, once loaded
	body     *fyne.Container
	msg      *widget.Label
}

func (ui *UI) showFormView(fr formRecord, users map[string]string) {
	v := &formView{ui: ui, fr: fr, users: users, header: NewPatientHeader(), body: container.NewVBox(), msg: errorLabel()}
	if v.wardForm() {
		v.header.Hide() // about the ward: the patient involved is an answer
	}
	v.show()
	scroll := container.NewVScroll(container.New(&columnLayout{max: formColumnMax}, container.NewVBox(v.msg, v.body)))
	ui.Push(fr.title(), NewScreen(container.NewBorder(container.NewPadded(v.header), nil, nil, nil, scroll), v.load))
}

// wardForm reports whether the form is about the ward, not one patient.
func (v *formView) wardForm() bool { return v.fr.sub.PatientID == "" }

// load reads the record again (it may have been entered in error since),
// why it was entered in error, and the patient: the one the form is about
// for the header, or those a ward form names.
func (v *formView) load() {
	var (
		p        store.PatientView
		wards    []forms.Ward
		rs       []store.Record
		reason   string
		patients = map[string]string{}
		aw       allergyWeight
	)
	fr := v.fr
	v.ui.Run(func(ctx context.Context) (err error) {
		if rs, err = v.ui.Store().Records(ctx, forms.KindFormSubmitted, fr.rec.Subject); err != nil {
			return err
		}
		for _, r := range rs {
			if r.EventID == fr.rec.EventID {
				fr.rec = r
			}
		}
		if fr.rec.Status == store.StatusEnteredInError && fr.rec.CorrectedBy != "" {
			e, err := v.ui.Store().Event(ctx, fr.rec.CorrectedBy)
			if err != nil {
				return err
			}
			var why lifeboat.EnteredInError
			if json.Unmarshal(e.Payload, &why) == nil {
				reason = why.Reason
			}
		}
		if wards, err = v.ui.Store().Wards(ctx); err != nil {
			return err
		}
		if !v.wardForm() {
			if p, err = v.ui.Store().Patient(ctx, fr.rec.Subject); err != nil {
				return err
			}
			aw, err = loadAllergyWeight(ctx, v.ui.Store(), fr.rec.Subject)
			return err
		}
		for _, id := range v.patientAnswers() {
			pv, err := v.ui.Store().Patient(ctx, id)
			if errors.Is(err, lifeboat.ErrNotFound) {
				continue // recorded on a device whose patients are not here yet
			}
			if err != nil {
				return err
			}
			patients[id] = wardPatientLabel(pv.Patient, "")
		}
		return nil
	}, func(err error) {
		if err != nil {
			setMsg(v.msg, ErrorText(err))
			return
		}
		setMsg(v.msg, "")
		v.fr, v.reason, v.patients = fr, reason, patients
		if !v.wardForm() {
			v.header.Set(p, bedName(wards, p.Ward, p.Bed), nil)
			v.header.SetAllergies(aw.list, aw.weight, aw.weighed)
			v.header.news.Hide()
		}
		v.show()
	})
}

// patientAnswers lists the patient IDs a ward form's answers name.
func (v *formView) patientAnswers() []string {
	var ids []string
	if v.fr.def == nil {
		return nil
	}
	for _, f := range v.fr.def.Fields {
		if id, ok := v.fr.sub.Values[f.ID].(string); ok && f.Type == forms.FieldPatient && id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// answer is the answer to f as people read it: on a ward form the
// patient question names the patient.
func (v *formView) answer(f *forms.Field, val any) string {
	if f.Type != forms.FieldPatient || !v.wardForm() {
		return answerText(f, val, v.users)
	}
	id, _ := val.(string)
	if l, ok := v.patients[id]; ok {
		return l
	}
	return "A patient not on this device yet"
}

func (v *formView) show() {
	fr := v.fr
	b := v.body
	b.Objects = nil
	b.Add(heading(fr.title(), theme.SizeNameSubHeadingText))
	if s := statusText(fr.rec.Status); s != "" {
		b.Add(container.NewHBox(Chip(s, nhsRed, nhsWhite, true)))
	}
	if fr.rec.Status == store.StatusEnteredInError && v.reason != "" {
		b.Add(wrapped("Reason: " + v.reason))
	}
	by := v.users[fr.rec.Author]
	if by == "" {
		by = "another device's user"
	}
	b.Add(wrapped("Done " + fr.rec.PerformedAt.Local().Format(DateTimeLayout) + " by " + by +
		". Saved " + fr.rec.RecordedAt.Local().Format(DateTimeLayout) + "."))
	if sum := fr.summary(); sum != "" {
		// The scores first: they are what the next person acts on.
		l := wrapped(sum)
		l.TextStyle = fyne.TextStyle{Bold: true}
		b.Add(l)
	}
	if fr.def == nil {
		b.Add(wrapped("This version of the form is not on this device, so the answers are shown as they were stored."))
		for _, k := range slices.Sorted(maps.Keys(fr.sub.Values)) {
			b.Add(answerCard(k, answerText(&forms.Field{Type: forms.FieldText}, fr.sub.Values[k], v.users)))
		}
	} else {
		out, _ := forms.Compute(fr.def, fr.sub.Values)
		vis := fr.def.Visible(fr.sub.Values)
		for i := range fr.def.Fields {
			f := &fr.def.Fields[i]
			if !vis[f.ID] {
				continue
			}
			if f.Type == forms.FieldComputed {
				if x, ok := out[f.ID]; ok {
					b.Add(answerCard(f.Label, formatNumber(x)+unitSuffix(f.Unit)))
				}
				continue
			}
			val, ok := fr.sub.Values[f.ID]
			text := "Not answered"
			if ok {
				text = v.answer(f, val)
			}
			b.Add(answerCard(f.Label, text))
		}
	}
	if fr.rec.Final() {
		eie := widget.NewButtonWithIcon("Entered in error…", theme.CancelIcon(), v.enterInError)
		eie.Importance = widget.DangerImportance
		// Room below: it is the last thing on a long form.
		b.Add(container.New(layout.NewCustomPaddedLayout(theme.Padding(), theme.Padding()*4, 0, 0), container.NewHBox(eie)))
	}
	b.Refresh()
}

// enterInError marks the form entered in error with a reason, asked for
// first. It stays on record, marked, with the reason.
func (v *formView) enterInError() {
	v.ui.Touch()
	// Wrapping, so the dialog fits a phone's width.
	reason := widget.NewMultiLineEntry()
	reason.Wrapping = noteWrap
	reason.SetMinRowsVisible(2)
	reason.SetPlaceHolder("Why is it wrong? e.g. wrong patient, or entered twice")
	v.ui.formDialog("Mark as entered in error", "Mark in error", []*widget.FormItem{
		{Text: "Reason", Widget: reason},
	}, func() error {
		why := strings.TrimSpace(reason.Text)
		if why == "" {
			return forms.Problems{{Field: "reason", Message: "Say why the form is wrong."}}
		}
		sess, id, now := v.ui.Session(), v.fr.rec.EventID, v.ui.Now()
		v.ui.Run(func(ctx context.Context) error {
			_, err := v.ui.Store().EnterInError(ctx, sess, id, why, now)
			return err
		}, v.ui.ShowError)
		return nil
	})
}

// answerCard is one question and its answer.
func answerCard(question, answer string) fyne.CanvasObject {
	q := wrapped(question)
	q.Importance = widget.LowImportance
	a := wrapped(answer)
	a.TextStyle = fyne.TextStyle{Bold: true}
	return container.NewVBox(q, a, widget.NewSeparator())
}
