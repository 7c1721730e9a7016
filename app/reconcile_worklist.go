package app

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"io"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/sync/reconcile"
	"lifeboat/sync/reconcile/paper"
)

// maxWorklistShown is how many worklist records are drawn at once; the
// filters narrow a long list.
const maxWorklistShown = 100

// Filter choices meaning "no filter".
const (
	allStatuses = "All statuses"
	allWards    = "All wards"
	noWard      = "No ward"
)

// statusWords is each back-entry status in plain words, with its chip
// colours (always words too, never colour alone).
var statusWords = map[reconcile.Status]struct {
	text     string
	bg, fg   color.Color
	lastWord string
}{
	reconcile.StatusPending:  {"Pending", nhsWarmYellow, nhsBlack, "pending"},
	reconcile.StatusSent:     {"Sent, no answer", nhsGrey1, nhsWhite, "sent"},
	reconcile.StatusAccepted: {"Accepted", nhsGreen, nhsWhite, "accepted"},
	reconcile.StatusRejected: {"Rejected", nhsRed, nhsWhite, "rejected"},
	reconcile.StatusByHand:   {"Entered by hand", nhsBlue, nhsWhite, "entered by hand"},
	reconcile.StatusVerified: {"Verified", nhsDarkBlue, nhsWhite, "verified"},
}

// kindWords names an event kind as the worklist shows it: its label in
// forms' kind registry, or the kind itself if this version does not know it.
func kindWords(kind string) string {
	if k, ok := forms.Spec(kind); ok {
		return k.Label
	}
	return kind
}

// worklistTab is the back-entry worklist: every downtime record with its
// status, counts per status, filters by status and ward, and the hand
// entries and second-person checks recorded as events.
type worklistTab struct {
	ui      *UI
	content fyne.CanvasObject

	items     []reconcile.Item
	inWard    []reconcile.Item  // items in the chosen ward, as shown
	wardNames map[string]string // ward ID -> name

	status *widget.Select
	ward   *widget.Select
	counts *fyne.Container
	left   *widget.Label
	list   *fyne.Container
	more   *widget.Label
	msg    *widget.Label
	merges *fyne.Container // records sharing an NHS number, to merge
}

func newWorklistTab(ui *UI) *worklistTab {
	t := &worklistTab{ui: ui, counts: newFlow(), left: wrapped(""), list: container.NewVBox(), more: wrapped(""), msg: errorLabel(), merges: container.NewVBox()}
	t.merges.Hide()
	opts := []string{allStatuses}
	for _, s := range reconcile.Statuses {
		opts = append(opts, statusWords[s].text)
	}
	t.status = widget.NewSelect(opts, func(string) { t.show() })
	t.status.PlaceHolder = "Status"
	t.status.SetSelectedIndex(0)
	t.ward = widget.NewSelect([]string{allWards}, func(string) { t.show() })
	t.ward.PlaceHolder = "Ward"
	t.ward.SetSelectedIndex(0)
	t.more.Hide()
	filters := container.NewGridWithColumns(2, t.status, t.ward)
	print := widget.NewButtonWithIcon("Print what is left (PDF)", theme.DocumentPrintIcon(), t.print)
	body := container.NewVBox(
		heading("Back-entry worklist", theme.SizeNameSubHeadingText),
		wrapped("Every downtime record that goes back to the core systems. Tap one to record that it was entered by hand, or that a second person checked it."),
		t.msg, t.merges, t.counts, t.left, newFlow(print), filters, t.list, t.more,
	)
	t.content = container.NewVScroll(container.NewPadded(body))
	return t
}

// load reads the log and the wards, and builds the worklist.
func (t *worklistTab) load() {
	var (
		items  []reconcile.Item
		wards  []forms.Ward
		shared []reconcile.SharedRecords
	)
	t.ui.Run(func(ctx context.Context) error {
		events, err := wholeLog(ctx, t.ui)
		if err != nil {
			return err
		}
		items = reconcile.Worklist(events)
		rs, err := reconStore(t.ui)
		if err != nil {
			return err
		}
		if shared, err = reconcile.SharedNHS(ctx, rs); err != nil {
			return err
		}
		wards, err = t.ui.Store().Wards(ctx)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(t.msg, reconcileText(err))
			return
		}
		setMsg(t.msg, "")
		t.showMerges(shared)
		t.items = items
		t.wardNames = map[string]string{}
		for _, w := range wards {
			t.wardNames[w.ID] = w.Name
		}
		t.setWards()
		t.show()
	})
}

// wardName is a ward's name, its ID if unknown, or noWard.
func (t *worklistTab) wardName(id string) string {
	if id == "" {
		return noWard
	}
	if n, ok := t.wardNames[id]; ok {
		return n
	}
	return id
}

// setWards offers the wards the worklist's records come from.
func (t *worklistTab) setWards() {
	opts := []string{allWards}
	for _, it := range t.items {
		if n := t.wardName(it.Ward); !slices.Contains(opts, n) {
			opts = append(opts, n)
		}
	}
	slices.Sort(opts[1:])
	t.ward.Options = opts
	if !slices.Contains(opts, t.ward.Selected) {
		t.ward.Selected = allWards
	}
	t.ward.Refresh()
}

// show draws the counts and the records the filters let through.
func (t *worklistTab) show() {
	if t.wardNames == nil {
		return // not loaded yet
	}
	var inWard []reconcile.Item
	for _, it := range t.items {
		if t.ward.Selected == allWards || t.wardName(it.Ward) == t.ward.Selected {
			inWard = append(inWard, it)
		}
	}
	t.inWard = inWard
	count := map[reconcile.Status]int{}
	left := 0
	for _, it := range inWard {
		count[it.Status]++
		if !it.Status.Done() {
			left++
		}
	}
	t.counts.RemoveAll()
	for _, s := range reconcile.Statuses {
		w := statusWords[s]
		t.counts.Add(Chip(fmt.Sprintf("%s: %d", w.text, count[s]), w.bg, w.fg, count[s] > 0))
	}
	if len(inWard) == 0 {
		t.left.SetText("There are no downtime records to put back into the core systems.")
	} else {
		t.left.SetText(fmt.Sprintf("%d of %s left to put into the core systems.", left, plural(len(inWard), "record")))
	}

	t.list.RemoveAll()
	shown, total := 0, 0
	for _, it := range inWard {
		if t.status.Selected != allStatuses && statusWords[it.Status].text != t.status.Selected {
			continue
		}
		total++
		if shown < maxWorklistShown {
			t.list.Add(t.itemCard(it))
			shown++
		}
	}
	switch {
	case total == 0 && len(inWard) > 0:
		t.more.SetText("No records with this status.")
		t.more.Show()
	case total > shown:
		t.more.SetText(fmt.Sprintf("Showing the first %d of %d. Choose a status or ward to see the rest.", shown, total))
		t.more.Show()
	default:
		t.more.Hide()
	}
}

// itemCard is one record: who it is about, what and when, its status.
func (t *worklistTab) itemCard(it reconcile.Item) fyne.CanvasObject {
	who := it.Patient
	if who == "" {
		who = t.wardName(it.Ward)
		if it.Ward == "" {
			who = "Not about a patient"
		}
	}
	name := widget.NewLabel(who)
	name.TextStyle = fyne.TextStyle{Bold: true}
	name.Wrapping = fyne.TextWrapWord
	what := wrapped(fmt.Sprintf("%s · %s · %s", kindWords(it.Kind), it.PerformedAt.Local().Format(DateTimeLayout), t.wardName(it.Ward)))
	w := statusWords[it.Status]
	chip := container.NewVBox(Chip(w.text, w.bg, w.fg, true))
	rows := []fyne.CanvasObject{container.NewBorder(nil, nil, nil, chip, name), what}
	if it.Detail != "" {
		rows = append(rows, wrapped(it.Detail))
	}
	if it.Reason != "" {
		r := wrapped("Server's reason: " + it.Reason)
		if it.Status == reconcile.StatusRejected {
			r.Importance = widget.DangerImportance
		}
		rows = append(rows, r)
	}
	if it.By != "" && it.Status != reconcile.StatusPending {
		rows = append(rows, wrapped(fmt.Sprintf("%s by %s, %s", w.text, it.By, it.StatusAt.Local().Format(DateTimeLayout))))
	}
	item := it
	return NewCard(container.NewVBox(rows...), func() { t.actions(item) })
}

// actions offers what can be recorded about one record: entered by hand
// when it is not in the core system yet, verified when someone else
// entered it by hand. Verification must be by a second person, as the
// Synnovis back-entry showed: one person re-keying alone makes errors
// nobody sees.
func (t *worklistTab) actions(it reconcile.Item) {
	t.ui.Touch()
	sess := t.ui.Session()
	me := sess.User.Name
	// The same person, told apart by user ID (two staff may share a name).
	enteredByMe := it.ByUser == sess.User.ID
	var d dialog.Dialog
	body := []fyne.CanvasObject{
		wrapped(fmt.Sprintf("%s, %s. Status: %s.", kindWords(it.Kind), it.PerformedAt.Local().Format(DateTimeLayout), statusWords[it.Status].lastWord)),
	}
	if !it.Status.Done() {
		body = append(body, widget.NewButton("Mark entered by hand", func() {
			d.Hide()
			t.record(reconcile.StatusChange{EventID: it.EventID, Status: reconcile.StatusByHand, By: me})
		}))
	}
	switch {
	case it.Status == reconcile.StatusByHand && enteredByMe:
		body = append(body, wrapped("You entered this one by hand: a second person must check it in the core system and mark it verified."))
	case it.Status == reconcile.StatusByHand:
		b := widget.NewButton("Mark verified", func() {
			d.Hide()
			t.record(reconcile.StatusChange{EventID: it.EventID, Status: reconcile.StatusVerified, By: me})
		})
		b.Importance = widget.HighImportance
		body = append(body, wrapped(fmt.Sprintf("Entered by hand by %s. Check it in the core system, then:", it.By)), b)
	case it.Status.Done():
		body = append(body, wrapped("Nothing is left to do for this record."))
	}
	title := it.Patient
	if title == "" {
		title = kindWords(it.Kind)
	}
	d = dialog.NewCustom(title, "Close", container.NewVBox(body...), t.ui.win)
	d.Resize(fyne.NewSize(min(t.ui.win.Canvas().Size().Width-24, 460), 0))
	d.Show()
}

// record appends one status change; the screen reloads with it, as after
// every change to the store.
func (t *worklistTab) record(c reconcile.StatusChange) {
	sess := t.ui.Session()
	t.ui.Run(func(ctx context.Context) error {
		return reconcile.StoreAppender(t.ui.Store(), sess).AppendAll(ctx, []reconcile.Draft{reconcile.StatusDraft(c, t.ui.Now())})
	}, func(err error) {
		showReconError(t.ui, err)
	})
}

// print saves the report of what is left in the chosen ward (per
// patient, then each record not done) as a PDF, and audits it.
func (t *worklistTab) print() {
	t.ui.Touch()
	items, sess, now, site := t.inWard, t.ui.Session(), t.ui.Now(), t.ui.Site()
	book := paper.New(paper.Header{SiteID: site.SiteID, Site: site.SiteName, WardID: site.Ward, Ward: site.Ward,
		PrintedAt: now, PrintedBy: sess.User.Name, Drill: site.Drill})
	book.Worklist(items, "patient")
	var buf bytes.Buffer
	if err := book.Output(&buf); err != nil {
		t.ui.ShowError(err)
		return
	}
	saveFile(t.ui, "worklist-"+now.Local().Format("2006-01-02-1504")+".pdf", func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }, func(err error) {
		if err != nil {
			t.ui.log.Warn("save worklist", "kind", errorKind(err))
			t.ui.ShowError(Plain("The PDF could not be saved there. Choose another folder and try again."))
			return
		}
		t.ui.Run(func(ctx context.Context) error {
			return t.ui.Store().RecordExport(ctx, sess, fmt.Sprintf("printed the back-entry worklist (%d records)", len(items)))
		}, func(err error) {
			if err != nil {
				t.ui.ShowError(err)
			}
		})
	})
}

// showMerges lists the NHS numbers held by more than one live record (one
// person registered twice, most often on both sides of a network split),
// each a task: check they are one person, then merge.
func (t *worklistTab) showMerges(shared []reconcile.SharedRecords) {
	t.merges.RemoveAll()
	if len(shared) == 0 {
		t.merges.Hide() // takes no room, so the worklist sits where it did
		return
	}
	t.merges.Show()
	title := heading(fmt.Sprintf("Records to merge: %s", plural(len(shared), "NHS number")), theme.SizeNameText)
	title.Importance = widget.DangerImportance
	t.merges.Add(title)
	t.merges.Add(wrapped("Each of these NHS numbers is on more than one record here, so the patient's care is split between them. Check they are one person, then merge: everything recorded on either shows on the first record, nothing is deleted and both stay findable."))
	for _, g := range shared {
		rows := []fyne.CanvasObject{wrapped(fmt.Sprintf("NHS %s is held by %d records:", forms.FormatNHSNumber(g.NHSNumber), len(g.Others)+1)),
			wrapped("• " + forms.DisplayName(g.Survivor) + ", born " + forms.FormatBirthDate(g.Survivor.BirthDate) + " (registered first: kept)")}
		for _, o := range g.Others {
			rows = append(rows, wrapped("• "+forms.DisplayName(o)+", born "+forms.FormatBirthDate(o.BirthDate)))
		}
		for _, o := range g.Others {
			g, o := g, o
			rows = append(rows, newFlow(widget.NewButtonWithIcon("Merge "+forms.DisplayName(o)+" into the first record", theme.ContentPasteIcon(), func() {
				t.ui.showMerge(g, o)
			})))
		}
		t.merges.Add(NewCard(container.NewVBox(rows...), nil))
	}
	t.merges.Refresh()
}
