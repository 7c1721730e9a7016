package app

import (
	"image/color"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// BannerTitle is the banner's headline.
const BannerTitle = "DOWNTIME MODE"

// DrillTitle replaces BannerTitle on a training store: nobody may mistake
// a drill for a real downtime, or record a real patient in one.
const DrillTitle = "DRILL: TRAINING DATA ONLY"

// NarrowWidth is the width, in Fyne units, below which the banner is a
// phone's: one compact line (the title and the ward) that opens on a tap
// into the title and ward, then the status items.
const NarrowWidth float32 = 600

// The banner's colours are fixed, not themed: it is a safety signal and must
// look the same on every device. Black on NHS warm yellow is about 9:1.
var (
	bannerBackground = nhsWarmYellow
	bannerText       = nhsBlack
	badgeBackground  = nhsBlack
	badgeText        = nhsWhite

	// A drill is purple with white text, unlike any live screen.
	drillBackground = nhsPurple
	drillText       = nhsWhite
	drillBadge      = nhsWhite
	drillBadgeText  = nhsPurple

	// The core system's state is a strip across the foot of the banner:
	// prominent, not alarming (an outage is what downtime mode is for).
	// White on NHS dark blue while it is down, on NHS green when it
	// answers again: the chip pairs TestAppColours_Contrast checks.
	feedDownBackground = nhsDarkBlue
	feedUpBackground   = nhsGreen
	feedText           = nhsWhite
)

// Banner is the strip at the top of every screen: "DOWNTIME MODE", the ward,
// who is signed in, sync and how old the patient data is. It is one line on
// a desktop. Below NarrowWidth (a phone) it is one compact line, the title
// in its badge and the ward (cut to fit), so the screen keeps its height;
// a tap opens it to show everything, stacked: the title and ward first,
// then the status items, wrapping between items (never inside one), and
// a second tap closes it. The title and colours never change with the
// width: downtime and a drill are as plain on a phone.
type Banner struct {
	widget.BaseWidget

	status Status
	open   bool // on a phone: tapped open to show the status items

	bg, badge                     *canvas.Rectangle
	title, ward, user, sync, asOf *canvas.Text
	more                          *canvas.Text // on a phone: the sign that a tap opens or closes it

	// The core system's state (Status.Feed): a strip below the rest, or
	// on a phone's closed banner a chip in the ward's place.
	feedBg                        *canvas.Rectangle
	feedTop                       float32 // where the strip starts (0: none)
	feed, feedAge, feedNote       *canvas.Text
	checklist, reconcile, dismiss *widget.Button

	// OnChecklist, OnReconcile and OnDismiss are what the strip's
	// buttons do: open the downtime checklist, open reconciliation (IT
	// admins), hide the "answering again" notice on this device. A
	// button whose function is nil is not shown, nor any button while
	// nobody is signed in.
	OnChecklist, OnReconcile, OnDismiss func()
}

var _ fyne.Tappable = (*Banner)(nil)

// NewBanner returns a banner showing s.
func NewBanner(s Status) *Banner {
	text := func(size float32, bold bool, c color.Color) *canvas.Text {
		t := canvas.NewText("", c)
		t.TextSize = size
		t.TextStyle = fyne.TextStyle{Bold: bold}
		return t
	}
	b := &Banner{
		bg:    canvas.NewRectangle(bannerBackground),
		badge: canvas.NewRectangle(badgeBackground),
		title: text(20, true, badgeText),
		ward:  text(20, true, bannerText),
		user:  text(16, false, bannerText),
		sync:  text(16, false, bannerText),
		asOf:  text(16, false, bannerText),
		more:  text(16, true, bannerText),

		feedBg:   canvas.NewRectangle(feedDownBackground),
		feed:     text(16, true, feedText),
		feedAge:  text(16, true, feedText),
		feedNote: text(16, false, feedText),
	}
	b.checklist = widget.NewButton("Downtime checklist", func() { call(b.OnChecklist) })
	b.reconcile = widget.NewButton("Start reconciliation", func() { call(b.OnReconcile) })
	b.dismiss = widget.NewButton("Dismiss", func() { call(b.OnDismiss) })
	b.badge.CornerRadius = 4
	b.ExtendBaseWidget(b)
	b.set(s)
	return b
}

// Update shows s. Call it on Fyne's goroutine.
func (b *Banner) Update(s Status) {
	b.set(s)
	b.Refresh()
}

// Status returns what the banner shows.
func (b *Banner) Status() Status { return b.status }

func (b *Banner) set(s Status) {
	b.status = s
	bg, fg, badge, badgeFg, title := bannerBackground, bannerText, badgeBackground, badgeText, BannerTitle
	if s.Drill {
		bg, fg, badge, badgeFg, title = drillBackground, drillText, drillBadge, drillBadgeText, DrillTitle
	}
	b.bg.FillColor, b.badge.FillColor = bg, badge
	b.title.Color, b.title.Text = badgeFg, title
	for _, t := range []*canvas.Text{b.ward, b.user, b.sync, b.asOf, b.more} {
		t.Color = fg
	}
	b.ward.Text = s.WardText()
	b.user.Text = s.UserText()
	b.sync.Text = s.SyncText()
	b.asOf.Text = s.DataAsOfText()
	b.feedBg.FillColor = feedDownBackground
	if s.Feed == FeedUp {
		b.feedBg.FillColor = feedUpBackground
	}
	b.feed.Text, b.feedNote.Text = s.FeedText(), s.FeedNote()
	b.feedAge.Text = ""
}

func call(f func()) {
	if f != nil {
		f()
	}
}

// feedButtons are the strip's buttons for the status shown.
func (b *Banner) feedButtons() []*widget.Button {
	s := b.status
	if s.User == "" {
		return nil
	}
	var out []*widget.Button
	switch s.Feed {
	case FeedDown:
		if b.OnChecklist != nil {
			out = append(out, b.checklist)
		}
	case FeedUp:
		if s.ITAdmin && b.OnReconcile != nil {
			out = append(out, b.reconcile)
		}
		if b.OnDismiss != nil {
			out = append(out, b.dismiss)
		}
	}
	return out
}

// CreateRenderer implements fyne.Widget.
func (b *Banner) CreateRenderer() fyne.WidgetRenderer {
	return &bannerRenderer{b: b}
}

// HeightFor returns the banner's height when it is width units wide.
func (b *Banner) HeightFor(width float32) float32 {
	return b.arrange(width, false)
}

// Tapped implements fyne.Tappable: on a phone a tap opens the banner to
// show who is signed in, sync and the data's age, and a second closes it.
// On a desktop everything is always shown and a tap does nothing.
func (b *Banner) Tapped(*fyne.PointEvent) {
	if b.Size().Width >= NarrowWidth {
		return
	}
	b.SetOpen(!b.open)
}

// SetOpen opens (or closes) the banner on a phone; the window's content
// is laid out again for its new height.
func (b *Banner) SetOpen(open bool) {
	b.open = open
	b.Refresh()
	if app := fyne.CurrentApp(); app != nil {
		if c := app.Driver().CanvasForObject(b); c != nil && c.Content() != nil {
			c.Content().Refresh()
		}
	}
}

// Open reports whether the banner is tapped open on a phone.
func (b *Banner) Open() bool { return b.open }

// Gaps in Fyne units. Fixed rather than themed so the banner's layout does
// not change under a different theme.
const (
	bannerMargin  = 12 // left, right, top and bottom
	bannerGap     = 24 // between items on a line
	bannerLineGap = 6  // between lines
	badgePadX     = 10
	badgePadY     = 4

	// A phone's compact line: still at least MinTouchTarget high, as it
	// is tapped to open.
	compactMarginY = 6
	compactGap     = 12
	compactTitle   = 18 // text sizes on the compact line
	compactWard    = 16
	compactFeed    = 14 // the core system's chip in the ward's place
	compactChipPad = 6
	minWardWidth   = 48 // narrower than this, the ward waits for the tap
)

// arrange computes where every item goes for the given width and returns
// the banner's height. It moves the items only when place is true, so
// HeightFor and MinSize share the layout rule with Layout.
func (b *Banner) arrange(width float32, place bool) float32 {
	narrow := width < NarrowWidth
	if narrow && !b.open {
		return b.arrangeCompact(width, place)
	}
	b.title.TextSize, b.ward.TextSize = 20, 20
	if place {
		b.ward.Text = b.status.WardText()
		b.more.Text = "▴"
		for _, t := range []*canvas.Text{b.user, b.sync, b.asOf} {
			t.Show()
		}
		b.more.Hidden = !narrow
	}
	ts := b.title.MinSize()
	badge := fyne.NewSize(ts.Width+2*badgePadX, ts.Height+2*badgePadY)
	lineH := badge.Height
	statuses := []*canvas.Text{b.user, b.sync, b.asOf}

	put := func(o fyne.CanvasObject, pos fyne.Position, size fyne.Size) {
		if place {
			o.Move(pos)
			o.Resize(size)
		}
	}
	centre := func(t *canvas.Text, x, lineTop float32) {
		s := t.MinSize()
		put(t, fyne.NewPos(x, lineTop+(lineH-s.Height)/2), s)
	}

	// Line 1: the badge, then the ward if it fits beside it (on a phone,
	// left of the sign that a tap closes the banner).
	top := float32(bannerMargin)
	right := width - bannerMargin
	if narrow {
		ms := b.more.MinSize()
		put(b.more, fyne.NewPos(right-ms.Width, top+(lineH-ms.Height)/2), ms)
		right -= ms.Width + compactGap
	}
	put(b.badge, fyne.NewPos(bannerMargin, top), badge)
	put(b.title, fyne.NewPos(bannerMargin+badgePadX, top+badgePadY), ts)
	x := bannerMargin + badge.Width + bannerGap
	if wardW := b.ward.MinSize().Width; x+wardW > right {
		top += lineH + bannerLineGap
		x = bannerMargin
	}
	centre(b.ward, x, top)
	x += b.ward.MinSize().Width

	// The status items follow on line 1 (right-aligned) when the banner
	// is wide and they fit, else they flow onto the lines below.
	var total float32
	for i, t := range statuses {
		if i > 0 {
			total += bannerGap
		}
		total += t.MinSize().Width
	}
	if width >= NarrowWidth && x+bannerGap+total <= right {
		sx := right - total
		for _, t := range statuses {
			centre(t, sx, top)
			sx += t.MinSize().Width + bannerGap
		}
	} else {
		top += lineH + bannerLineGap
		x = bannerMargin
		right = width - bannerMargin
		for _, t := range statuses {
			w := t.MinSize().Width
			if x > bannerMargin && x+w > right {
				top += lineH + bannerLineGap
				x = bannerMargin
			}
			centre(t, x, top)
			x += w + bannerGap
		}
	}
	h := top + lineH + bannerMargin
	put(b.bg, fyne.NewPos(0, 0), fyne.NewSize(width, h))
	return b.arrangeFeed(width, h, place)
}

// arrangeFeed lays out the core system's strip from top down, across the
// whole width: the words, then the buttons, wrapping between items
// (never inside one; text too long for a line is cut to fit). It returns
// the banner's height with the strip, top when there is none.
func (b *Banner) arrangeFeed(width, top float32, place bool) float32 {
	b.feedTop = 0
	if b.status.Feed == FeedNone {
		if place {
			for _, o := range []fyne.CanvasObject{b.feedBg, b.feed, b.feedAge, b.feedNote, b.checklist, b.reconcile, b.dismiss} {
				o.Hide()
			}
		}
		return top
	}
	b.feedTop = top
	b.feedBg.CornerRadius = 0
	b.feed.TextSize, b.feedAge.TextSize, b.feedNote.TextSize = 16, 16, 16
	right := width - bannerMargin
	room := right - bannerMargin
	// The words and the outage's length on one line when they fit,
	// else on two.
	head, age := b.status.feedParts()
	b.feed.Text, b.feedAge.Text = b.status.FeedText(), ""
	if fyne.MeasureText(b.feed.Text, b.feed.TextSize, b.feed.TextStyle).Width > room {
		b.feed.Text, b.feedAge.Text = head, age
	}
	b.feed.Text = fitText(b.feed.Text, b.feed.TextSize, b.feed.TextStyle, room)
	b.feedNote.Text = fitText(b.status.FeedNote(), b.feedNote.TextSize, b.feedNote.TextStyle, room)
	items := []fyne.CanvasObject{b.feed}
	for _, t := range []*canvas.Text{b.feedAge, b.feedNote} {
		if t.Text != "" {
			items = append(items, t)
		}
	}
	buttons := b.feedButtons()
	lineH := b.feed.MinSize().Height
	for _, btn := range buttons {
		items = append(items, btn)
		lineH = max(lineH, btn.MinSize().Height)
	}
	if place {
		b.feedBg.Show()
		b.feed.Show()
		b.feedAge.Hidden = b.feedAge.Text == ""
		b.feedNote.Hidden = b.feedNote.Text == ""
		for _, btn := range []*widget.Button{b.checklist, b.reconcile, b.dismiss} {
			btn.Hidden = !slices.Contains(buttons, btn)
		}
	}
	y := top + bannerLineGap
	x := float32(bannerMargin)
	for _, o := range items {
		s := o.MinSize()
		if x > bannerMargin && x+s.Width > right {
			y += lineH + bannerLineGap
			x = bannerMargin
		}
		if place {
			o.Move(fyne.NewPos(x, y+(lineH-s.Height)/2))
			o.Resize(s)
		}
		x += s.Width + bannerGap
	}
	h := y + lineH + bannerLineGap
	if place {
		b.feedBg.Move(fyne.NewPos(0, top))
		b.feedBg.Resize(fyne.NewSize(width, h-top))
	}
	return h
}

// arrangeCompact is a phone's closed banner: one line, the badge, the
// ward cut to the room left (or left out when there is next to none:
// a drill's longer title comes first), and the sign that a tap opens it.
func (b *Banner) arrangeCompact(width float32, place bool) float32 {
	b.title.TextSize, b.ward.TextSize = compactTitle, compactWard
	ts := b.title.MinSize()
	badge := fyne.NewSize(ts.Width+2*badgePadX, ts.Height+2*badgePadY)
	lineH := max(badge.Height, MinTouchTarget-2*compactMarginY)
	h := lineH + 2*compactMarginY
	if !place {
		return h
	}
	top := float32(compactMarginY)
	put := func(o fyne.CanvasObject, x float32) {
		s := o.MinSize()
		o.Move(fyne.NewPos(x, top+(lineH-s.Height)/2))
		o.Resize(s)
	}
	for _, t := range []*canvas.Text{b.user, b.sync, b.asOf} {
		t.Hide()
	}
	b.more.Text = "▾"
	b.more.Show()
	ms := b.more.MinSize()
	right := width - bannerMargin - ms.Width
	put(b.more, right)
	b.badge.Move(fyne.NewPos(bannerMargin, top+(lineH-badge.Height)/2))
	b.badge.Resize(badge)
	put(b.title, bannerMargin+badgePadX)
	x := bannerMargin + badge.Width + compactGap
	room := right - compactGap - x
	b.ward.Text = ""
	for _, o := range []fyne.CanvasObject{b.feedAge, b.feedNote, b.checklist, b.reconcile, b.dismiss} {
		o.Hide()
	}
	b.feedBg.Hide()
	b.feed.Hide()
	b.feedTop = 0
	if shorts := b.status.feedShorts(); len(shorts) > 0 && room >= minWardWidth {
		// The core system's state takes the ward's place, on its chip,
		// said as fully as fits: the ward shows on a tap.
		b.feed.TextSize = compactFeed
		b.feed.Text = ""
		for _, t := range shorts {
			if fyne.MeasureText(t, b.feed.TextSize, b.feed.TextStyle).Width <= room-2*compactChipPad {
				b.feed.Text = t
				break
			}
		}
		if b.feed.Text == "" {
			b.feed.Text = fitText(shorts[len(shorts)-1], b.feed.TextSize, b.feed.TextStyle, room-2*compactChipPad)
		}
		b.feed.Show()
		b.feedBg.Show()
		b.feedBg.CornerRadius = 4
		fs := b.feed.MinSize()
		chip := fyne.NewSize(fs.Width+2*compactChipPad, fs.Height+2*badgePadY)
		b.feedBg.Move(fyne.NewPos(x, top+(lineH-chip.Height)/2))
		b.feedBg.Resize(chip)
		put(b.feed, x+compactChipPad)
	} else if room >= minWardWidth {
		b.ward.Text = fitText(b.status.WardText(), b.ward.TextSize, b.ward.TextStyle, room)
	}
	put(b.ward, x)
	b.bg.Move(fyne.NewPos(0, 0))
	b.bg.Resize(fyne.NewSize(width, h))
	return h
}

// fitText is s, cut with an ellipsis if need be to fit in width when
// drawn at size in style.
func fitText(s string, size float32, style fyne.TextStyle, width float32) string {
	if fyne.MeasureText(s, size, style).Width <= width {
		return s
	}
	r := []rune(s)
	for n := len(r) - 1; n > 0; n-- {
		t := strings.TrimRight(string(r[:n]), " -·,") + "…"
		if fyne.MeasureText(t, size, style).Width <= width {
			return t
		}
	}
	return ""
}

type bannerRenderer struct {
	b *Banner
}

func (r *bannerRenderer) Layout(size fyne.Size) {
	r.b.arrange(size.Width, true)
	if r.b.feedTop > 0 { // the strip fills whatever height the parent gave
		r.b.feedBg.Resize(fyne.NewSize(size.Width, size.Height-r.b.feedTop))
		return
	}
	r.b.bg.Resize(size) // fill whatever height the parent gave
}

// MinSize is as wide as the widest single item and as high as the banner
// needs at its current width (two lines before it has been laid out).
func (r *bannerRenderer) MinSize() fyne.Size {
	b := r.b
	w := b.title.MinSize().Width + 2*badgePadX
	for _, t := range []*canvas.Text{b.ward, b.user, b.sync, b.asOf} {
		w = max(w, t.MinSize().Width)
	}
	w += 2 * bannerMargin
	width := b.Size().Width
	if width < w {
		width = w
	}
	return fyne.NewSize(w, b.arrange(width, false))
}

func (r *bannerRenderer) Refresh() {
	for _, o := range r.Objects() {
		o.Refresh()
	}
	r.Layout(r.b.Size())
}

func (r *bannerRenderer) Objects() []fyne.CanvasObject {
	b := r.b
	return []fyne.CanvasObject{b.bg, b.badge, b.title, b.ward, b.user, b.sync, b.asOf, b.more,
		b.feedBg, b.feed, b.feedAge, b.feedNote, b.checklist, b.reconcile, b.dismiss}
}

func (r *bannerRenderer) Destroy() {}
