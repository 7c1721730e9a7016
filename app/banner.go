package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// BannerTitle is the banner's headline.
const BannerTitle = "DOWNTIME MODE"

// DrillTitle replaces BannerTitle on a training store: nobody may mistake
// a drill for a real downtime, or record a real patient in one.
const DrillTitle = "DRILL: TRAINING DATA ONLY"

// NarrowWidth is the width, in Fyne units, below which the banner stacks
// into two lines: the title and ward, then the status items.
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
)

// Banner is the strip at the top of every screen: "DOWNTIME MODE", the ward,
// who is signed in, sync and how old the patient data is. It is one line on
// a desktop; below NarrowWidth it stacks: the title and ward first, then the
// status items, wrapping between items (never inside one) on a narrow phone.
type Banner struct {
	widget.BaseWidget

	status Status

	bg, badge                     *canvas.Rectangle
	title, ward, user, sync, asOf *canvas.Text
}

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
	}
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
	for _, t := range []*canvas.Text{b.ward, b.user, b.sync, b.asOf} {
		t.Color = fg
	}
	b.ward.Text = s.WardText()
	b.user.Text = s.UserText()
	b.sync.Text = s.SyncText()
	b.asOf.Text = s.DataAsOfText()
}

// CreateRenderer implements fyne.Widget.
func (b *Banner) CreateRenderer() fyne.WidgetRenderer {
	return &bannerRenderer{b: b}
}

// HeightFor returns the banner's height when it is width units wide.
func (b *Banner) HeightFor(width float32) float32 {
	return b.arrange(width, false)
}

// Gaps in Fyne units. Fixed rather than themed so the banner's layout does
// not change under a different theme.
const (
	bannerMargin  = 12 // left, right, top and bottom
	bannerGap     = 24 // between items on a line
	bannerLineGap = 6  // between lines
	badgePadX     = 10
	badgePadY     = 4
)

// arrange computes where every item goes for the given width and returns
// the banner's height. It moves the items only when place is true, so
// HeightFor and MinSize share the layout rule with Layout.
func (b *Banner) arrange(width float32, place bool) float32 {
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

	// Line 1: the badge, then the ward if it fits beside it.
	top := float32(bannerMargin)
	right := width - bannerMargin
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
	return h
}

type bannerRenderer struct {
	b *Banner
}

func (r *bannerRenderer) Layout(size fyne.Size) {
	r.b.arrange(size.Width, true)
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
	return []fyne.CanvasObject{b.bg, b.badge, b.title, b.ward, b.user, b.sync, b.asOf}
}

func (r *bannerRenderer) Destroy() {}
