package app

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

// obsChart is the Observations tab: trend plots over the table of sets.
type obsChart struct {
	ui    *UI
	id    string
	trend *fyne.Container
	list  *fyne.Container
	msg   *widget.Label
	users map[string]string
}

func newObsChart(ui *UI, patientID string) fyne.CanvasObject {
	c := &obsChart{ui: ui, id: patientID, trend: container.NewHBox(), list: container.NewVBox(), msg: errorLabel()}
	title := heading("Observation sets, newest first", theme.SizeNameSubHeadingText)
	hint := wrapped("Tap a set to see it or mark it entered in error.")
	hint2 := wrapped("Trends of the standing sets, oldest on the left. Scroll sideways for more.")
	body := container.NewVBox(c.msg, hint2, container.NewHScroll(c.trend), title, hint, c.list)
	return NewScreen(container.NewVScroll(container.NewPadded(body)), c.load)
}

func (c *obsChart) load() {
	var (
		obs   []store.ObsView
		scale int
		users []store.User
	)
	c.ui.Run(func(ctx context.Context) (err error) {
		if obs, err = c.ui.Store().Observations(ctx, c.id); err != nil {
			return err
		}
		if users, err = c.ui.Store().Users(ctx); err != nil {
			return err
		}
		scale, err = spo2Scale(ctx, c.ui.Store(), c.id)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(c.msg, ErrorText(err))
			return
		}
		c.users = map[string]string{}
		for _, u := range users {
			c.users[u.ID] = u.Name
		}
		c.show(obs, scale)
	})
}

func (c *obsChart) show(obs []store.ObsView, scale int) {
	var rows []fyne.CanvasObject
	var final []scoredObs
	for i := len(obs) - 1; i >= 0; i-- {
		o := obs[i]
		n := forms.ScoreNEWS2(o.Obs, scale)
		rows = append(rows, c.row(o, n))
		// A set with an impossible reading (from another device) is
		// listed, flagged, but not plotted: it would bend the trend.
		if o.Status == store.StatusFinal && len(o.Problems) == 0 {
			final = append([]scoredObs{{o, n}}, final...)
		}
	}
	if len(rows) == 0 {
		rows = append(rows, wrapped("No observations recorded yet."))
	}
	c.list.Objects = rows
	c.list.Refresh()
	c.trend.Objects = trendPlots(final)
	c.trend.Refresh()
}

// scoredObs is a standing set with its score.
type scoredObs struct {
	o store.ObsView
	n forms.NEWS2
}

// obsLines describes each reading of a set with its sub-score.
func obsLines(o forms.Observations, n forms.NEWS2) []string {
	sub := func(p forms.NEWS2Param) string {
		if s, ok := n.Score(p); ok {
			return fmt.Sprintf(" (%d)", s)
		}
		return ""
	}
	num := func(v *int, unit string) string {
		if v == nil {
			return "—"
		}
		return fmt.Sprintf("%d%s", *v, unit)
	}
	air := "air/O2 —"
	if o.OnOxygen != nil {
		air = "Air"
		if *o.OnOxygen {
			air = "Oxygen"
			if o.O2FlowLPM != nil {
				air += fmt.Sprintf(" %.1f L/min", *o.O2FlowLPM)
			}
		}
	}
	bp := num(o.Systolic, "")
	if o.Diastolic != nil {
		bp += "/" + num(o.Diastolic, "")
	}
	temp := "—"
	if o.TempC != nil {
		temp = fmt.Sprintf("%.1f °C", *o.TempC)
	}
	acvpu := o.Consciousness
	if acvpu == "" {
		acvpu = "—"
	}
	return []string{
		"Resp " + num(o.RespRate, "/min") + sub(forms.ParamRespRate),
		"SpO2 " + num(o.SpO2, "%") + sub(forms.ParamSpO2),
		air + sub(forms.ParamAirOxygen),
		"BP " + bp + " mmHg" + sub(forms.ParamSystolic),
		"Pulse " + num(o.Pulse, "/min") + sub(forms.ParamPulse),
		"ACVPU " + acvpu + sub(forms.ParamConsciousness),
		"Temp " + temp + sub(forms.ParamTemperature),
	}
}

// row is one set on the chart; amended and entered-in-error sets are
// struck through, never hidden.
func (c *obsChart) row(o store.ObsView, n forms.NEWS2) fyne.CanvasObject {
	struck := o.Status != store.StatusFinal
	ink := color.Color(nhsBlack)
	if struck {
		ink = nhsGrey1
	}
	when := canvas.NewText(o.PerformedAt.Local().Format(DateTimeLayout), ink)
	when.TextStyle = fyne.TextStyle{Bold: true}
	when.TextSize = 17
	head := container.NewHBox(strike(when, struck), NEWS2Chip(&n))
	switch o.Status {
	case store.StatusEnteredInError:
		head.Add(Chip("ENTERED IN ERROR", nhsGrey1, nhsWhite, true))
	case store.StatusAmended:
		head.Add(Chip("AMENDED", nhsGrey1, nhsWhite, true))
	}
	if !struck && len(o.Problems) > 0 {
		head.Add(Chip("CHECK: NOT POSSIBLE", nhsWarmYellow, nhsBlack, true))
	}
	lines := container.NewVBox(head)
	if !struck && len(o.Problems) > 0 {
		lines.Add(wrapped(problemWords(o.Problems) + " Recorded on another device: check it, then amend it or mark it entered in error."))
	}
	readings := newFlow()
	for i, l := range obsLines(o.Obs, n) {
		if i > 0 {
			l = "· " + l
		}
		t := canvas.NewText(l, ink)
		t.TextSize = 15
		readings.Add(strike(t, struck))
	}
	lines.Add(readings)
	by := canvas.NewText("By "+c.userName(o.Author), nhsGrey1)
	by.TextSize = 13
	lines.Add(by)
	card := NewCard(lines, func() { c.details(o, n) })
	if struck {
		card.SetBackground(nhsGrey5)
	}
	return card
}

// problemWords joins problems' messages as sentences.
func problemWords(ps forms.Problems) string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = strings.TrimSuffix(p.Message, ".") + "."
	}
	return strings.Join(msgs, " ")
}

func (c *obsChart) userName(id string) string {
	if n, ok := c.users[id]; ok {
		return n
	}
	return "another device's user"
}

// details shows one set and offers "Entered in error".
func (c *obsChart) details(o store.ObsView, n forms.NEWS2) {
	c.ui.Touch()
	text := strings.Join(obsLines(o.Obs, n), "\n")
	if n.Complete {
		text = fmt.Sprintf("NEWS2 %d, %s.\n%s", n.Total, BandText(n), text)
	}
	text += "\nBy " + c.userName(o.Author) + ", saved " + o.RecordedAt.Local().Format(DateTimeLayout) + "."
	if o.Obs.Note != "" {
		text += "\nNote: " + o.Obs.Note
	}
	body := wrapped(text)
	if o.Status != store.StatusFinal {
		dialog.ShowCustom("Observations "+o.PerformedAt.Local().Format(DateTimeLayout), "Close", body, c.ui.win)
		return
	}
	var d *dialog.CustomDialog
	eie := widget.NewButton("Entered in error…", func() {
		d.Hide()
		c.enterInError(o)
	})
	eie.Importance = widget.DangerImportance
	d = dialog.NewCustom("Observations "+o.PerformedAt.Local().Format(DateTimeLayout), "Close", container.NewVBox(body, eie), c.ui.win)
	d.Show()
}

// enterInError cancels a set with a reason. The set stays on the chart,
// struck through.
func (c *obsChart) enterInError(o store.ObsView) {
	// Wrapping, so the dialog fits a phone's width.
	reason := widget.NewMultiLineEntry()
	reason.Wrapping = noteWrap
	reason.SetMinRowsVisible(2)
	reason.SetPlaceHolder("Why is it wrong? e.g. wrong patient")
	c.ui.formDialog("Mark as entered in error", "Mark in error", []*widget.FormItem{
		{Text: "Reason", Widget: reason},
	}, func() error {
		why := strings.TrimSpace(reason.Text)
		if why == "" {
			return forms.Problems{{Field: "reason", Message: "Say why the observations are wrong."}}
		}
		sess, now := c.ui.Session(), c.ui.Now()
		c.ui.Run(func(ctx context.Context) error {
			_, err := c.ui.Store().EnterInError(ctx, sess, o.EventID, why, now)
			return err
		}, c.ui.ShowError)
		return nil
	})
}

// strike draws a line through t when on is true.
func strike(t *canvas.Text, on bool) fyne.CanvasObject {
	if !on {
		return t
	}
	l := canvas.NewLine(t.Color)
	l.StrokeWidth = 2
	return container.New(strikeLayout{}, t, l)
}

type strikeLayout struct{}

func (strikeLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Resize(size)
	objs[1].Move(fyne.NewPos(0, size.Height/2))
	objs[1].Resize(fyne.NewSize(size.Width, 0))
}

func (strikeLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

// trendCell is the size of one trend plot.
var trendCell = fyne.NewSize(320, 130)

// trendPlots draws NEWS2 total, resp rate, SpO2, pulse, systolic and
// temperature over the standing sets (oldest first).
func trendPlots(sets []scoredObs) []fyne.CanvasObject {
	if len(sets) == 0 {
		return nil
	}
	type series struct {
		title string
		get   func(scoredObs) (float64, bool)
		col   color.Color
		dec   int
		// lo and hi are the plot's fixed range, widened only by readings
		// outside it: a fixed scale keeps 15 -> 16 breaths from looking
		// like a swing.
		lo, hi float64
	}
	i := func(p func(forms.Observations) *int) func(scoredObs) (float64, bool) {
		return func(s scoredObs) (float64, bool) {
			if v := p(s.o.Obs); v != nil {
				return float64(*v), true
			}
			return 0, false
		}
	}
	all := []series{
		{"NEWS2 total", func(s scoredObs) (float64, bool) { return float64(s.n.Total), s.n.Complete }, nhsRed, 0, 0, 20},
		{"Resp rate /min", i(func(o forms.Observations) *int { return o.RespRate }), nhsBlue, 0, 0, 40},
		{"SpO2 %", i(func(o forms.Observations) *int { return o.SpO2 }), nhsDarkBlue, 0, 80, 100},
		{"Pulse /min", i(func(o forms.Observations) *int { return o.Pulse }), nhsGreen, 0, 30, 170},
		{"Systolic mmHg", i(func(o forms.Observations) *int { return o.Systolic }), nhsBlack, 0, 60, 230},
		{"Temp °C", func(s scoredObs) (float64, bool) {
			if s.o.Obs.TempC != nil {
				return *s.o.Obs.TempC, true
			}
			return 0, false
		}, newsOrange, 1, 34, 41},
	}
	start, end := sets[0].o.PerformedAt, sets[len(sets)-1].o.PerformedAt
	var out []fyne.CanvasObject
	for _, s := range all {
		var pts []trendPoint
		for _, set := range sets {
			if v, ok := s.get(set); ok {
				pts = append(pts, trendPoint{set.o.PerformedAt, v})
			}
		}
		out = append(out, newTrendPlot(s.title, pts, start, end, s.col, s.dec, s.lo, s.hi))
	}
	return out
}

type trendPoint struct {
	at time.Time
	v  float64
}

// newTrendPlot is a small line plot with its title and latest value.
func newTrendPlot(title string, pts []trendPoint, start, end time.Time, col color.Color, dec int, lo, hi float64) fyne.CanvasObject {
	bg := canvas.NewRectangle(nhsWhite)
	bg.StrokeColor = nhsGrey4
	bg.StrokeWidth = 1
	bg.CornerRadius = 6
	label := canvas.NewText(title, nhsGrey1)
	label.TextSize = 13
	latest := canvas.NewText("—", nhsBlack)
	latest.TextStyle = fyne.TextStyle{Bold: true}
	latest.TextSize = 16
	if len(pts) > 0 {
		latest.Text = fmt.Sprintf("%.*f", dec, pts[len(pts)-1].v)
	}
	objs := []fyne.CanvasObject{bg, label, latest}
	for range max(len(pts)-1, 0) {
		l := canvas.NewLine(col)
		l.StrokeWidth = 2
		objs = append(objs, l)
	}
	for range pts {
		objs = append(objs, canvas.NewCircle(col))
	}
	return container.New(&trendLayout{pts: pts, start: start, end: end, lo: lo, hi: hi}, objs...)
}

// trendLayout places a plot's lines and dots for its size.
type trendLayout struct {
	pts        []trendPoint
	start, end time.Time
	lo, hi     float64
}

func (l *trendLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Resize(size)
	objs[1].Move(fyne.NewPos(10, 6))
	objs[1].Resize(objs[1].MinSize())
	lm := objs[2].MinSize()
	objs[2].Move(fyne.NewPos(size.Width-lm.Width-10, 4))
	objs[2].Resize(lm)
	n := len(l.pts)
	if n == 0 {
		return
	}
	lo, hi := l.lo, l.hi
	for _, p := range l.pts {
		lo, hi = min(lo, p.v), max(hi, p.v)
	}
	if hi-lo < 1 {
		lo, hi = lo-1, hi+1
	}
	left, right, top, bottom := float32(14), size.Width-14, float32(32), size.Height-12
	span := l.end.Sub(l.start)
	pos := func(p trendPoint) fyne.Position {
		x := (left + right) / 2
		if span > 0 {
			x = left + (right-left)*float32(p.at.Sub(l.start))/float32(span)
		}
		y := bottom - (bottom-top)*float32((p.v-lo)/(hi-lo))
		return fyne.NewPos(x, y)
	}
	lines := objs[3 : 3+max(n-1, 0)]
	dots := objs[3+max(n-1, 0):]
	for i := range lines {
		ln := lines[i].(*canvas.Line)
		ln.Position1, ln.Position2 = pos(l.pts[i]), pos(l.pts[i+1])
	}
	for i, d := range dots {
		p := pos(l.pts[i])
		d.Move(p.SubtractXY(3, 3))
		d.Resize(fyne.NewSize(6, 6))
	}
}

func (l *trendLayout) MinSize([]fyne.CanvasObject) fyne.Size { return trendCell }
