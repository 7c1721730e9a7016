package paper

import (
	"fmt"
	"strconv"

	"lifeboat/forms"
	"lifeboat/store"
)

// Observation chart geometry: parameters down the side, one column per
// set, oldest on the left, as on the RCP's paper NEWS2 chart.
const (
	obsLabelW   = 46.0
	obsCols     = 12
	obsRowH     = 7.4
	obsMaxSets  = 48 // the newest sets printed; older ones are on earlier printouts
	scoreKeyRow = 4.4
)

// obsRow is one row of the chart.
type obsRow struct {
	label string
	param forms.NEWS2Param // -1: not a NEWS2 parameter
	value func(o forms.Observations) string
}

func intText(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}

func obsRows(scale int) []obsRow {
	return []obsRow{
		{"Respiration rate /min", forms.ParamRespRate, func(o forms.Observations) string { return intText(o.RespRate) }},
		{fmt.Sprintf("SpO2 %% (scale %d)", scale), forms.ParamSpO2, func(o forms.Observations) string { return intText(o.SpO2) }},
		{"Air or oxygen (L/min)", forms.ParamAirOxygen, func(o forms.Observations) string {
			switch {
			case o.OnOxygen == nil:
				return ""
			case !*o.OnOxygen:
				return "Air"
			case o.O2FlowLPM != nil:
				return "O2 " + strconv.FormatFloat(*o.O2FlowLPM, 'f', -1, 64) + " L"
			}
			return "O2"
		}},
		{"Systolic BP mmHg", forms.ParamSystolic, func(o forms.Observations) string { return intText(o.Systolic) }},
		{"Diastolic BP (not scored)", -1, func(o forms.Observations) string { return intText(o.Diastolic) }},
		{"Pulse /min", forms.ParamPulse, func(o forms.Observations) string { return intText(o.Pulse) }},
		{"Consciousness (ACVPU)", forms.ParamConsciousness, func(o forms.Observations) string { return o.Consciousness }},
		{"Temperature \u00b0C", forms.ParamTemperature, func(o forms.Observations) string {
			if o.TempC == nil {
				return ""
			}
			return strconv.FormatFloat(*o.TempC, 'f', 1, 64)
		}},
	}
}

// ObsChart adds p's observation chart: the newest sets (up to 48), twelve
// to a page, each reading coloured by its NEWS2 sub-score, the total in
// its band colour, when the next set is due and who recorded it. Columns
// left over on the last page are blank for sets written by hand; a set
// entered in error is struck through, never left out.
func (b *Book) ObsChart(p Patient) {
	sets := p.Obs
	earlier := 0
	if len(sets) > obsMaxSets {
		earlier = len(sets) - obsMaxSets
		sets = sets[earlier:]
	}
	for start := 0; start == 0 || start < len(sets); start += obsCols {
		page := sets[start:min(start+obsCols, len(sets))]
		note := fmt.Sprintf("Sets %d-%d of %d, oldest on the left.", earlier+start+1, earlier+start+len(page), earlier+len(sets))
		if len(sets) == 0 {
			note = "No observations recorded in Lifeboat yet."
		}
		if earlier > 0 {
			note += fmt.Sprintf(" %d earlier sets not printed.", earlier)
		}
		b.obsPage(DocObs, "Observation chart (NEWS2)", p, page, note)
	}
}

// BlankObs adds a blank observation chart for p, with twelve empty columns
// and the NEWS2 scoring key, to record sets by hand during a blackout.
func (b *Book) BlankObs(p Patient) {
	b.obsPage(DocBlankObs, "Observation chart (NEWS2) - blank, to fill in by hand", p, nil,
		"Write each set in a column, score each reading with the key below, add up the NEWS2 total and act on it.")
}

func (b *Book) obsPage(doc, title string, p Patient, sets []store.ObsView, note string) {
	scale := p.Scale
	if scale != 2 {
		scale = 1
	}
	_, y := b.startPage("L", doc, title, &p)
	b.font("", 8)
	b.ink(grey)
	b.text(margin, y-1, 230, 5, note, "L")
	b.ink(black)
	y += 4
	colW := (277 - obsLabelW) / obsCols
	rows := obsRows(scale)
	type line struct {
		label string
		bold  bool
	}
	labels := []line{{"Date", true}, {"Time", true}}
	for _, r := range rows {
		labels = append(labels, line{r.label, false})
	}
	labels = append(labels, line{"NEWS2 total", true}, line{"Next obs due", false}, line{"Recorded by", false})
	for i, l := range labels {
		bg := paleGrey
		if i < 2 {
			bg = lightGrey
		}
		b.box(margin, y+float64(i)*obsRowH, obsLabelW, obsRowH, &bg)
		if l.bold {
			b.font("B", 8.5)
		} else {
			b.font("", 8.5)
		}
		b.text(margin+1, y+float64(i)*obsRowH, obsLabelW-1, obsRowH, l.label, "L")
	}
	for c := range obsCols {
		x := margin + obsLabelW + float64(c)*colW
		if c >= len(sets) {
			for i := range labels {
				bg := white
				if i < 2 {
					bg = paleGrey
				}
				b.box(x, y+float64(i)*obsRowH, colW, obsRowH, &bg)
			}
			continue
		}
		b.obsColumn(x, y, colW, sets[c], scale, rows)
	}
	// A heavier rule under the time and above the total, as on paper charts.
	b.pdf.SetLineWidth(0.5)
	b.pdf.Line(margin, y+2*obsRowH, margin+277, y+2*obsRowH)
	b.pdf.Line(margin, y+float64(2+len(rows))*obsRowH, margin+277, y+float64(2+len(rows))*obsRowH)
	b.pdf.Rect(margin, y, 277, float64(len(labels))*obsRowH, "D")
	b.pdf.SetLineWidth(0.2)
	b.scoreKey(y+float64(len(labels))*obsRowH+4, scale)
}

// obsColumn draws one recorded set.
func (b *Book) obsColumn(x, y, w float64, o store.ObsView, scale int, rows []obsRow) {
	n := forms.ScoreNEWS2(o.Obs, scale)
	standing := o.Status == store.StatusFinal
	at := b.local(o.PerformedAt)
	cell := func(i int, s string, bg, fg rgb, bold bool) {
		b.box(x, y+float64(i)*obsRowH, w, obsRowH, &bg)
		if bold {
			b.font("B", 9)
		} else {
			b.font("", 9)
		}
		b.ink(fg)
		b.text(x+0.3, y+float64(i)*obsRowH, w-0.6, obsRowH, s, "C")
		b.ink(black)
	}
	cell(0, at.Format("02-Jan"), paleGrey, black, true)
	cell(1, at.Format("15:04"), paleGrey, black, true)
	for i, r := range rows {
		bg, fg := white, black
		if s, ok := n.Score(r.param); ok && r.param >= 0 && standing {
			bg, fg = scoreColours(s)
		}
		if !standing {
			fg = grey
		}
		cell(2+i, r.value(o.Obs), bg, fg, false)
	}
	i := 2 + len(rows)
	switch {
	case !standing:
		cell(i, "-", white, grey, true)
		cell(i+1, "", white, grey, false)
	default:
		bg, fg := bandColours(n.Band)
		total := strconv.Itoa(n.Total)
		if !n.Complete {
			total = ">=" + strconv.Itoa(n.Partial) + " inc."
		}
		cell(i, total, bg, fg, true)
		cell(i+1, b.local(forms.NextObsDue(o.PerformedAt, n)).Format("15:04"), white, black, false)
	}
	who := initials(b.name(o.Author))
	if o.Status == store.StatusEnteredInError {
		who = "IN ERROR"
	} else if o.Status == store.StatusAmended {
		who = "amended"
	}
	cell(i+2, who, white, black, false)
	if !standing {
		// Struck through: still shown, so the paper matches the record.
		b.draw(grey)
		b.pdf.SetLineWidth(0.4)
		b.pdf.Line(x+1, y+2*obsRowH+1, x+w-1, y+float64(i+2)*obsRowH-1)
		b.pdf.SetLineWidth(0.2)
		b.draw(black)
	}
}

// scoreKey draws the RCP NEWS2 scoring table at y with the clinical
// response beside it, so a set written by hand can be scored on the page.
func (b *Book) scoreKey(y float64, scale int) {
	const labelW, colW = 40.0, 21.0
	scores := []int{3, 2, 1, 0, 1, 2, 3}
	b.font("B", 8)
	b.text(margin, y, labelW, scoreKeyRow, "NEWS2 scoring key", "L")
	x := margin + labelW
	for _, s := range scores {
		bg, fg := scoreColours(s)
		b.box(x, y, colW, scoreKeyRow, &bg)
		b.ink(fg)
		b.text(x, y, colW, scoreKeyRow, strconv.Itoa(s), "C")
		x += colW
	}
	b.ink(black)
	spo2 := []string{"<=91", "92-93", "94-95", ">=96", "", "", ""}
	spo2Label := "SpO2 scale 1 %"
	if scale == 2 {
		spo2 = []string{"<=83", "84-85", "86-87", "88-92 or >=93 air", "93-94 on O2", "95-96 on O2", ">=97 on O2"}
		spo2Label = "SpO2 scale 2 %"
	}
	key := []struct {
		label string
		cells []string
	}{
		{"Respiration rate /min", []string{"<=8", "", "9-11", "12-20", "", "21-24", ">=25"}},
		{spo2Label, spo2},
		{"Air or oxygen", []string{"", "Oxygen", "", "Air", "", "", ""}},
		{"Systolic BP mmHg", []string{"<=90", "91-100", "101-110", "111-219", "", "", ">=220"}},
		{"Pulse /min", []string{"<=40", "", "41-50", "51-90", "91-110", "111-130", ">=131"}},
		{"Consciousness", []string{"", "", "", "Alert", "", "", "C, V, P or U"}},
		{"Temperature \u00b0C", []string{"<=35.0", "", "35.1-36.0", "36.1-38.0", "38.1-39.0", ">=39.1", ""}},
	}
	for r, k := range key {
		yy := y + float64(r+1)*scoreKeyRow
		b.font("", 7.5)
		b.box(margin, yy, labelW, scoreKeyRow, &paleGrey)
		b.text(margin+1, yy, labelW-1, scoreKeyRow, k.label, "L")
		x := margin + labelW
		for i, s := range k.cells {
			bg := white
			if s != "" {
				bg, _ = scoreColours(scores[i])
			}
			fg := black
			if s != "" && scores[i] == 3 {
				fg = white
			}
			b.box(x, yy, colW, scoreKeyRow, &bg)
			b.ink(fg)
			b.text(x, yy, colW, scoreKeyRow, s, "C")
			x += colW
		}
		b.ink(black)
	}
	// The response to each band, beside the key.
	rx := margin + labelW + 7*colW + 4
	rw := 277 + margin - rx
	b.font("B", 8)
	b.text(rx, y, rw, scoreKeyRow, "Response to the total", "L")
	resp := []struct {
		band forms.Band
		text string
	}{
		{forms.BandNone, "0: routine, obs at least every 12 hours"},
		{forms.BandLow, "1-4: registered nurse assesses; obs every 4-6 hours"},
		{forms.BandLowMedium, "a 3 in one parameter: urgent ward response; obs hourly"},
		{forms.BandMedium, "5-6: urgent response, tell the medical team; obs hourly"},
		{forms.BandHigh, "7 or more: emergency response; continuous monitoring"},
	}
	for i, r := range resp {
		yy := y + float64(i+1)*scoreKeyRow*1.4
		bg, fg := bandColours(r.band)
		b.box(rx, yy+0.5, 5, scoreKeyRow*1.4-1, &bg)
		_ = fg
		b.font("", 7.5)
		b.text(rx+6, yy, rw-6, scoreKeyRow*1.4, r.text, "L")
	}
}
