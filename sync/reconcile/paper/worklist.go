package paper

import (
	"fmt"
	"slices"
	"strings"

	"lifeboat/forms"
	"lifeboat/sync/reconcile"
)

// worklistRows is how many not-done records the report lists before it
// says how many more there are (the CSV has them all).
const worklistRows = 400

// statusWords are the back-entry statuses as the report heads them.
var statusWords = map[reconcile.Status]string{
	reconcile.StatusPending: "Pending", reconcile.StatusSent: "Sent", reconcile.StatusAccepted: "Accepted",
	reconcile.StatusRejected: "Rejected", reconcile.StatusByHand: "By hand", reconcile.StatusVerified: "Verified",
}

// Worklist adds the back-entry report: a row per ward (by "ward") or per
// patient (by "patient") with a count per status and what is left, then
// each record not yet done (accepted, entered by hand or verified), with
// the server's reason for a rejection. The header names the ward printed
// for; items may span wards.
func (b *Book) Worklist(items []reconcile.Item, by string) {
	const rowH = 6.5
	var y, pageH float64
	newPage := func(title string) {
		_, y = b.startPage("L", DocWorklist, title, nil)
		_, pageH = b.pdf.GetPageSize()
	}
	newPage("Back-entry worklist: what is left")

	// The summary per group.
	type group struct {
		label string
		n     map[reconcile.Status]int
	}
	var groups []*group
	idx := map[string]*group{}
	left := 0
	for _, it := range items {
		key, label := it.Ward, it.Ward
		if by == "patient" {
			key, label = it.PatientID, it.Patient
		}
		if label == "" {
			label = "(no patient: beds and ward records)"
		}
		g := idx[key]
		if g == nil {
			g = &group{label: label, n: map[reconcile.Status]int{}}
			idx[key] = g
			groups = append(groups, g)
		}
		g.n[it.Status]++
		if !it.Status.Done() {
			left++
		}
	}
	slices.SortFunc(groups, func(a, c *group) int { return strings.Compare(a.label, c.label) })
	b.font("", 9)
	b.ink(grey)
	b.text(margin, y-1, 270, 5, fmt.Sprintf("%d records, %d left to put into the core systems. Done means accepted by the server, entered by hand or verified.", len(items), left), "L")
	cols := []column{{strings.ToUpper(by[:1]) + by[1:], 125}}
	for _, s := range reconcile.Statuses {
		cols = append(cols, column{statusWords[s], 22})
	}
	cols = append(cols, column{"Left", 20})
	head := func() { y = b.tableHead(margin, y+4, cols, 7) }
	head()
	for i, g := range groups {
		if y+rowH > bottom(pageH) {
			newPage("Back-entry worklist (continued)")
			head()
		}
		b.stripe(i, y, rowH)
		x := margin
		b.font("", 8.5)
		b.text(x+0.5, y, cols[0].width-1, rowH, b.fit(g.label, cols[0].width-1), "L")
		x += cols[0].width
		n := 0
		for j, s := range reconcile.Statuses {
			b.text(x, y, cols[j+1].width-1, rowH, fmt.Sprint(g.n[s]), "R")
			x += cols[j+1].width
			if !s.Done() {
				n += g.n[s]
			}
		}
		b.font("B", 8.5)
		b.text(x, y, cols[len(cols)-1].width-1, rowH, fmt.Sprint(n), "R")
		y += rowH
	}

	// Each record not done.
	rest := slices.DeleteFunc(slices.Clone(items), func(it reconcile.Item) bool { return it.Status.Done() })
	if len(rest) == 0 {
		return
	}
	detail := []column{{"Patient", 70}, {"Record", 40}, {"Done at", 28}, {"Ward", 30}, {"Status", 24}, {"Reason", 85}}
	newPage("Back-entry worklist: records left")
	y = b.tableHead(margin, y+2, detail, 7)
	for i, it := range rest {
		if i == worklistRows {
			b.font("I", 8.5)
			b.text(margin, y+1, 270, rowH, fmt.Sprintf("And %d more: see lifeboat worklist (CSV) for every record.", len(rest)-worklistRows), "L")
			return
		}
		if y+rowH > bottom(pageH) {
			newPage("Back-entry worklist: records left (continued)")
			y = b.tableHead(margin, y+2, detail, 7)
		}
		b.stripe(i, y, rowH)
		b.font("", 8)
		vals := []string{it.Patient, kindLabel(it.Kind), b.when(it.PerformedAt), it.Ward, statusWords[it.Status], it.Reason}
		x := margin
		for j, v := range vals {
			b.text(x+0.5, y, detail[j].width-1, rowH, b.fit(v, detail[j].width-1), "L")
			x += detail[j].width
		}
		y += rowH
	}
}

// stripe shades every other table row from y.
func (b *Book) stripe(i int, y, h float64) {
	if i%2 == 1 {
		b.fill(paleGrey)
		b.pdf.Rect(margin, y, 277, h, "F")
	}
	b.draw(lightGrey)
	b.pdf.Line(margin, y+h, margin+277, y+h)
	b.draw(black)
}

// kindLabel is a record's kind in words, as the app's worklist names it
// (its label in forms' kind registry), or the kind itself if unknown.
func kindLabel(kind string) string {
	if k, ok := forms.Spec(kind); ok {
		return k.Label
	}
	return kind
}
