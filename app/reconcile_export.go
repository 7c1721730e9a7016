package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/sync/reconcile"
)

// Export formats, as offered.
const (
	formatFiles  = "A file per bundle"
	formatNDJSON = "One NDJSON file"
)

// exportTab writes the downtime records as FHIR transaction Bundles to a
// folder for an integration engine, or sends them to the core system's
// FHIR server; either way a progress bar and then a summary.
type exportTab struct {
	ui      *UI
	content fyne.CanvasObject

	folder *widget.Entry
	ward   *widget.Select
	wards  []forms.Ward
	format *widget.RadioGroup
	size   *widget.Entry
	all    *widget.Check
	// unmatched also sends the records of patients still on a temporary
	// ID; by default they are held back until matched (Temp IDs tab).
	unmatched *widget.Check
	baseURL   *widget.Entry
	token     *widget.Entry
	browse    *widget.Button
	write     *widget.Button
	send      *widget.Button
	running   bool

	// Each action shows its progress and outcome under its own button,
	// where the person who tapped it is looking; out is the one in use.
	writeOut, sendOut, out *outcome
}

// outcome is a progress bar, a problem in red, a summary and the records
// that could not be mapped.
type outcome struct {
	bar     *widget.ProgressBar
	msg     *widget.Label
	result  *widget.Label
	skipped *fyne.Container
	box     *fyne.Container
}

func newOutcome() *outcome {
	o := &outcome{bar: newProgressBar(), msg: errorLabel(), result: wrapped(""), skipped: container.NewVBox()}
	o.bar.Hide()
	o.result.Hide()
	o.box = container.NewVBox(o.bar, o.msg, o.result, o.skipped)
	return o
}

// clear hides what the last action showed.
func (o *outcome) clear() {
	setMsg(o.msg, "")
	o.result.Hide()
	o.skipped.RemoveAll()
	o.bar.Hide()
}

func newExportTab(ui *UI) *exportTab {
	t := &exportTab{ui: ui, folder: widget.NewEntry(), size: widget.NewEntry(), baseURL: widget.NewEntry(),
		token: widget.NewPasswordEntry(), writeOut: newOutcome(), sendOut: newOutcome()}
	t.out = t.writeOut
	t.folder.SetPlaceHolder("Folder to write the bundles to")
	t.ward = widget.NewSelect([]string{allWards}, nil)
	t.ward.PlaceHolder = "Ward"
	t.ward.SetSelectedIndex(0)
	t.format = widget.NewRadioGroup([]string{formatFiles, formatNDJSON}, nil)
	t.format.SetSelected(formatFiles)
	t.format.Required = true
	t.size.SetPlaceHolder(fmt.Sprintf("Entries per bundle (%d)", reconcile.DefaultBundleSize))
	t.size.SetText(strconv.Itoa(reconcile.DefaultBundleSize))
	t.all = widget.NewCheck("Include records done", nil)
	// A check's text does not wrap: kept short so that it fits a phone.
	t.unmatched = widget.NewCheck("Also send patients with no NHS number", nil)
	t.baseURL.SetPlaceHolder("FHIR server base URL, https://…")
	t.token.SetPlaceHolder("Access token, if the server needs one")
	for _, e := range []*widget.Entry{t.folder, t.size, t.baseURL, t.token} {
		e.OnChanged = func(string) { ui.Touch() }
	}
	t.browse = widget.NewButtonWithIcon("Choose folder", theme.FolderOpenIcon(), t.choose)
	t.write = widget.NewButtonWithIcon("Export to folder", theme.DocumentSaveIcon(), t.startExport)
	t.send = widget.NewButtonWithIcon("Send to core system", theme.UploadIcon(), t.startSend)
	t.send.Importance = widget.HighImportance
	bold := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	body := container.NewVBox(
		heading("Export and send", theme.SizeNameSubHeadingText),
		wrapped("Every downtime record that goes back to the core systems, as FHIR R4 transaction bundles. "+
			"Sending or loading the same records twice creates nothing new."),
		bold("Ward"),
		wrapped("Only the records of patients last on one ward, or every ward."),
		t.ward,
		bold("Bundle size"),
		t.size,
		wrapped("Records accepted, entered by hand or verified are left out of a file export unless you tick this:"),
		t.all,
		widget.NewSeparator(),
		heading("Write files for the integration engine", theme.SizeNameText),
		container.NewBorder(nil, nil, nil, t.browse, t.folder),
		t.format,
		newFlow(t.write),
		t.writeOut.box,
		widget.NewSeparator(),
		heading("Send to the core system's FHIR server", theme.SizeNameText),
		wrapped("Each record's outcome is recorded on the worklist: accepted, or rejected with the server's reason."),
		t.baseURL,
		t.token,
		wrapped("The records of patients still on a temporary downtime ID are held back until they are matched to an NHS number on the Temp IDs tab, unless you tick this to send them under their temporary ID:"),
		t.unmatched,
		newFlow(t.send),
		t.sendOut.box,
	)
	t.content = container.NewVScroll(container.NewPadded(body))
	return t
}

// load offers the wards this device knows.
func (t *exportTab) load() {
	var wards []forms.Ward
	t.ui.Run(func(ctx context.Context) (err error) {
		wards, err = t.ui.Store().Wards(ctx)
		return err
	}, func(err error) {
		if err != nil {
			return // the ward choice stays "All wards"
		}
		t.wards = wards
		opts := []string{allWards}
		for _, w := range wards {
			opts = append(opts, w.Name)
		}
		t.ward.Options = opts
		if !slices.Contains(opts, t.ward.Selected) {
			t.ward.Selected = allWards
		}
		t.ward.Refresh()
	})
}

// choose opens Fyne's folder dialog.
func (t *exportTab) choose() {
	t.ui.Touch()
	dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
		if err == nil && u != nil {
			t.folder.SetText(u.Path())
		}
	}, t.ui.win)
}

// options reads the bundle size and the "also done" box.
func (t *exportTab) options() (reconcile.ExportOptions, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(t.size.Text))
	if strings.TrimSpace(t.size.Text) == "" {
		n, err = reconcile.DefaultBundleSize, nil
	}
	if err != nil || reconcile.CheckBundleSize(n) != nil {
		setMsg(t.out.msg, fmt.Sprintf("Bundle size: type a whole number from 1 to %d (most servers take 8).", reconcile.MaxBundleSize))
		return reconcile.ExportOptions{}, false
	}
	opt := reconcile.ExportOptions{BundleSize: n}
	if t.ui.systems != nil {
		sys, err := t.ui.systems()
		if err != nil {
			setMsg(t.out.msg, MsgFHIRSystems)
			return reconcile.ExportOptions{}, false
		}
		opt.Systems = sys
	}
	for _, w := range t.wards {
		if w.Name == t.ward.Selected {
			opt.Ward = w.ID
		}
	}
	return opt, true
}

// plan reads the whole log and maps it to Bundles, skipping what is done
// unless all.
func (t *exportTab) plan(ctx context.Context, opt reconcile.ExportOptions, all bool) (*reconcile.Export, error) {
	events, err := wholeLog(ctx, t.ui)
	if err != nil {
		return nil, err
	}
	if !all {
		opt.Skip = reconcile.Done(reconcile.Worklist(events))
	}
	return reconcile.ExportFHIR(events, opt)
}

// startExport writes the Bundles to the folder on Run's goroutine.
func (t *exportTab) startExport() {
	if t.running {
		return
	}
	t.use(t.writeOut)
	dir := strings.TrimSpace(t.folder.Text)
	if dir == "" {
		setMsg(t.out.msg, "Choose the folder to write the bundles to first.")
		return
	}
	opt, ok := t.options()
	if !ok {
		return
	}
	all, ndjson, sess := t.all.Checked, t.format.Selected == formatNDJSON, t.ui.Session()
	t.begin()
	var (
		x     *reconcile.Export
		files int
	)
	t.ui.Run(func(ctx context.Context) (err error) {
		if x, err = t.plan(ctx, opt, all); err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return errWriteFolder
		}
		files, err = reconcile.WriteBundles(dir, x.Bundles, ndjson, t.progress)
		if err != nil {
			return errWriteFolder
		}
		return t.ui.Store().RecordExport(ctx, sess, fmt.Sprintf("FHIR export of %d events to %s", len(x.Events), dir))
	}, func(err error) {
		t.end()
		if err != nil {
			t.fail(err)
			return
		}
		t.summary(fmt.Sprintf("Exported %s in %s to %s in %s.", plural(len(x.Events), "record"), plural(len(x.Bundles), "bundle"),
			plural(files, "file"), dir), x)
	})
}

var errWriteFolder = errors.New("write export folder")

// startSend posts the Bundles to the FHIR server on Run's goroutine.
func (t *exportTab) startSend() {
	if t.running {
		return
	}
	t.use(t.sendOut)
	base := strings.TrimRight(strings.TrimSpace(t.baseURL.Text), "/")
	u, err := url.Parse(base)
	if base == "" || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		setMsg(t.out.msg, "Type the FHIR server's base URL, starting https://.")
		return
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		setMsg(t.out.msg, "Patient data goes only over https. Type the server's https:// address.")
		return
	}
	opt, ok := t.options()
	if !ok {
		return
	}
	opt.HoldUnmatched = !t.unmatched.Checked
	sess, token := t.ui.Session(), strings.TrimSpace(t.token.Text)
	t.begin()
	var (
		x   *reconcile.Export
		rep reconcile.SendReport
	)
	t.ui.Run(func(ctx context.Context) (err error) {
		if x, err = t.plan(ctx, opt, false); err != nil || len(x.Bundles) == 0 {
			return err
		}
		if err := t.ui.Store().RecordExport(ctx, sess, fmt.Sprintf("FHIR send of %d events to %s", len(x.Events), u.Redacted())); err != nil {
			return err
		}
		client := &reconcile.Client{BaseURL: base, Token: token}
		rep, err = reconcile.Send(ctx, client, x, reconcile.StoreAppender(t.ui.Store(), sess), sess.User.Name, t.ui.Now, t.progress)
		return err
	}, func(err error) {
		t.end()
		if x != nil && len(x.Bundles) == 0 && err == nil {
			t.summary("Nothing to send: every downtime record is already in the core system.", x)
			return
		}
		sent := fmt.Sprintf("Sent %s: %s accepted, %s rejected.", plural(rep.Bundles, "bundle"),
			plural(rep.Accepted, "record"), plural(rep.Rejected, "record"))
		if rep.Rejected > 0 {
			sent += " See the rejected ones, with the server's reasons, on the Worklist."
		}
		if err != nil {
			if errors.Is(err, lifeboat.ErrTransient) {
				setMsg(t.out.msg, MsgSendFailed)
			} else {
				t.fail(err)
			}
			if rep.Bundles > 0 {
				t.summary(sent, nil)
			}
			return
		}
		t.summary(sent, x)
	})
}

// progress moves the bar after each Bundle; called off Fyne's goroutine.
// It moves in hundredths, so a big export does not flood Fyne's queue.
func (t *exportTab) progress(done, total int) {
	if step := max(total/100, 1); done%step != 0 && done != total {
		return
	}
	t.ui.do(func() {
		// A long send is activity: the idle lock must not lock the store
		// under it half-way.
		t.ui.Touch()
		t.out.bar.Max = float64(max(total, 1))
		t.out.bar.SetValue(float64(done))
	})
}

// use clears both outcomes and makes o the one shown.
func (t *exportTab) use(o *outcome) {
	t.writeOut.clear()
	t.sendOut.clear()
	t.out = o
}

func (t *exportTab) begin() {
	t.running = true
	t.out.bar.Max = 1
	t.out.bar.SetValue(0)
	t.out.bar.Show()
	t.write.Disable()
	t.send.Disable()
	t.browse.Disable()
}

func (t *exportTab) end() {
	t.running = false
	t.out.bar.Hide()
	t.write.Enable()
	t.send.Enable()
	t.browse.Enable()
}

func (t *exportTab) fail(err error) {
	if errors.Is(err, errWriteFolder) {
		setMsg(t.out.msg, MsgWriteFolder)
		return
	}
	setMsg(t.out.msg, reconcileText(err))
}

// summary shows what was done and lists the records that could not be
// mapped (by event ID and reason; never patient details).
func (t *exportTab) summary(text string, x *reconcile.Export) {
	if x != nil && len(x.Held) > 0 {
		pts := map[string]bool{}
		for _, h := range x.Held {
			pts[h.PatientID] = true
		}
		text += fmt.Sprintf(" Held back %s of %s with no NHS number yet: match them on the Temp IDs tab, or tick \"Also send patients with no NHS number yet\".",
			plural(len(x.Held), "record"), plural(len(pts), "patient"))
	}
	t.out.result.SetText(text)
	t.out.result.Show()
	t.out.skipped.RemoveAll()
	if x == nil || len(x.Skipped) == 0 {
		return
	}
	t.out.skipped.Add(wrapped(fmt.Sprintf("%s could not be put into FHIR; enter them by hand:", plural(len(x.Skipped), "record"))))
	for i, sk := range x.Skipped {
		if i == maxRowErrors {
			t.out.skipped.Add(wrapped(fmt.Sprintf("… and %d more.", len(x.Skipped)-maxRowErrors)))
			break
		}
		t.out.skipped.Add(wrapped(fmt.Sprintf("Record %s: %s", sk.EventID, sk.Reason)))
	}
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
