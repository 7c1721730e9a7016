package app

import (
	"context"
	"encoding/json"
	"errors"
	"image/color"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

// fieldForm is a dialog of labelled fields in one column (it fits a phone)
// that shows each problem under the field it is about, in plain words,
// and keeps the dialog open until the record is saved: nothing typed is
// lost to a mistake. Soft problems (allowed, but worth a second look) are
// shown once; saving again goes ahead.
type fieldForm struct {
	ui     *UI
	box    *fyne.Container
	rows   []*formRow
	other  *widget.Label // problems about no shown field, and store errors
	save   *widget.Button
	scroll *container.Scroll // the fields, under the title
	d      dialog.Dialog
	warned string // the soft problems already shown, to save through them
	// extra, when build sets it, is recorded with build's record in one
	// transaction: both or neither (a dose and its CD register line).
	extra []store.Draft
}

// formRow is one labelled field and the problems under it.
type formRow struct {
	box    *fyne.Container
	msg    *widget.Label
	fields []string // payload fields whose problems show here
}

func newFieldForm(ui *UI) *fieldForm {
	return &fieldForm{ui: ui, box: container.NewVBox(), other: errorLabel()}
}

// add puts w in the form under label; problems about fields show under
// it. The returned row can be hidden when it does not apply.
func (f *fieldForm) add(label string, w fyne.CanvasObject, fields ...string) *formRow {
	l := widget.NewLabel(label)
	l.TextStyle = fyne.TextStyle{Bold: true}
	r := &formRow{msg: errorLabel(), fields: fields}
	r.box = container.NewVBox(l, w, r.msg)
	f.rows = append(f.rows, r)
	f.box.Add(r.box)
	return r
}

// entry adds a one-line entry with a placeholder.
func (f *fieldForm) entry(label, placeholder string, fields ...string) *widget.Entry {
	e := widget.NewEntry()
	e.SetPlaceHolder(placeholder)
	e.OnChanged = func(string) { f.ui.Touch() }
	f.add(label, e, fields...)
	return e
}

// setProblems shows ps under their fields (clearing the old ones).
func (f *fieldForm) setProblems(ps forms.Problems) {
	var rest []string
	for _, r := range f.rows {
		setMsg(r.msg, "")
	}
	for _, p := range ps {
		msg := sentence(p.Message)
		if p.Soft {
			msg = "Check: " + p.Message
		}
		i := slices.IndexFunc(f.rows, func(r *formRow) bool { return r.box.Visible() && slices.Contains(r.fields, p.Field) })
		if i < 0 {
			rest = append(rest, msg)
			continue
		}
		r := f.rows[i]
		if r.msg.Visible() {
			msg = r.msg.Text + "\n" + msg
		}
		setMsg(r.msg, msg)
	}
	text := ""
	for i, m := range rest {
		if i > 0 {
			text += "\n"
		}
		text += m
	}
	setMsg(f.other, text)
	f.fit()
	f.reveal()
}

// reveal scrolls the fields so the first field with a problem is in
// view with its problem: a wrong witness PIN is said under the PIN, where
// the witness is looking, not below the fold of a long form.
func (f *fieldForm) reveal() {
	if f.scroll == nil {
		return
	}
	for _, r := range f.rows {
		if !r.box.Visible() || !r.msg.Visible() {
			continue
		}
		f.scroll.Refresh() // lay the fields out with the problem shown
		f.box.Refresh()
		top := r.box.Position().Y
		bottom := top + r.box.Size().Height
		y := f.scroll.Offset.Y
		if view := f.scroll.Size().Height; bottom > y+view {
			y = bottom - view
		}
		y = min(y, top)
		f.scroll.ScrollToOffset(fyne.NewPos(0, y))
		return
	}
}

// showError shows a save's error: problems under their fields, anything
// else in plain words at the foot of the form.
func (f *fieldForm) showError(err error) {
	var ps forms.Problems
	if errors.As(err, &ps) && len(ps) > 0 {
		f.setProblems(ps)
		return
	}
	f.setProblems(nil)
	setMsg(f.other, ErrorText(err))
	f.fit()
}

// show opens the form. On save, build makes the record from what was
// typed, returning its Problems as the error: with hard ones the record
// is not saved; with only soft ones build returns the record too, saved
// when Save is tapped again after they are shown. before
// (may be nil) runs on the store goroutine first, e.g. to check a
// witness's PIN; then the record is appended and the dialog closes.
func (f *fieldForm) show(title, save string, build func() (store.Draft, error), before func(ctx context.Context) error) {
	f.save = widget.NewButtonWithIcon(save, theme.DocumentSaveIcon(), func() {
		f.ui.Touch()
		d, err := build()
		var ps forms.Problems
		if errors.As(err, &ps) {
			if ps.HasHard() {
				f.setProblems(ps)
				return
			}
			if soft := ps.Error(); soft != f.warned {
				f.warned = soft
				f.setProblems(ps)
				f.save.SetText(save + " anyway")
				return
			}
		} else if err != nil {
			f.showError(err)
			return
		}
		sess := f.ui.Session()
		f.ui.Run(func(ctx context.Context) error {
			if before != nil {
				if err := before(ctx); err != nil {
					return err
				}
			}
			_, err := f.ui.Store().AppendAll(ctx, sess, append([]store.Draft{d}, f.extra...))
			return err
		}, func(err error) {
			if err != nil {
				f.showError(err)
				return
			}
			f.d.Hide()
		})
	})
	f.save.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { f.d.Hide() })
	f.scroll = container.NewVScroll(container.NewBorder(nil, nil, nil, gutter(), f.box))
	body := container.NewBorder(nil, container.NewVBox(f.other, container.NewGridWithColumns(2, cancel, f.save)), nil, nil, f.scroll)
	f.d = dialog.NewCustomWithoutButtons(title, body, f.ui.win)
	f.fit()
	f.d.Show()
	f.ui.focusFirstField(f.box)
}

// fit sizes the dialog to its fields, up to the window: a long form
// scrolls inside it on a phone.
func (f *fieldForm) fit() {
	if f.d == nil {
		return
	}
	win := f.ui.win.Canvas().Size()
	w := min(win.Width-24, 560)
	h := min(win.Height-48, f.box.MinSize().Height+f.other.MinSize().Height+150)
	f.d.Resize(fyne.NewSize(w, h))
}

// sentence starts a problem's words with a capital letter.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// gutter keeps a scrolling form's fields clear of its scroll bar.
func gutter() fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(theme.Padding()*3, 0))
	return r
}

// tight drops a label's inner padding, so the lines of a card sit
// together as the lines of a paper register do.
func tight(objs ...fyne.CanvasObject) []fyne.CanvasObject {
	out := make([]fyne.CanvasObject, len(objs))
	for i, o := range objs {
		out[i] = container.New(&tightLayout{}, o)
	}
	return out
}

// decodeRecord decodes a record's payload into v.
func decodeRecord(r store.Record, v any) error {
	return json.Unmarshal(r.Payload, v)
}

// quantityProblem parses text into q, or says how to type it.
func quantityProblem(text, field string, q *forms.Quantity) forms.Problems {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil // the record's own rules say it is needed
	}
	v, err := forms.ParseQuantity(text)
	if err != nil {
		return forms.Problems{{Field: field, Message: "Type a number, for example 2.5 (with a 0 before a point: 0.5)."}}
	}
	*q = v
	return nil
}

// appendNew adds the problems of more about fields ps does not already
// have a problem for (one problem per field is enough to act on).
func appendNew(ps, more forms.Problems) forms.Problems {
	for _, p := range more {
		if !slices.ContainsFunc(ps, func(x forms.Problem) bool { return x.Field == p.Field && p.Field != "" }) {
			ps = append(ps, p)
		}
	}
	return ps
}
