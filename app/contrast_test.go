package app

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"lifeboat/forms"
)

// WCAG 2.2 AA: normal text needs 4.5:1 against its background, large text
// (at least 24 px, or 18.66 px bold) 3:1.
const (
	minContrast      = 4.5
	minContrastLarge = 3.0
)

// linear is one sRGB channel (0-1) made linear, as WCAG 2.2 defines
// relative luminance (the 0.04045 cutoff of the sRGB standard; WCAG's
// 0.03928 gives the same result for every 8-bit value).
func linear(c float64) float64 {
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

// luminance is c's WCAG relative luminance, 0 for black to 1 for white. c
// must be opaque: blend a translucent colour over what it is drawn on
// first.
func luminance(c color.Color) float64 {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return 0.2126*linear(float64(n.R)/255) + 0.7152*linear(float64(n.G)/255) + 0.0722*linear(float64(n.B)/255)
}

// contrast is the WCAG contrast ratio of two opaque colours, 1 to 21.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// over is over drawn on the opaque colour under, as Fyne draws a
// translucent fill (and as its button blends focus and hover over the
// button's colour).
func over(under, over color.Color) color.Color {
	ur, ug, ub, _ := under.RGBA()
	or, og, ob, oa := over.RGBA() // premultiplied
	k := 1 - float64(oa)/0xFFFF
	mix := func(o, u uint32) uint8 { return uint8(math.Round((float64(o) + float64(u)*k) / 0x101)) }
	return color.NRGBA{R: mix(or, ur), G: mix(og, ug), B: mix(ob, ub), A: 0xFF}
}

func opaque(c color.Color) bool {
	_, _, _, a := c.RGBA()
	return a == 0xFFFF
}

func TestContrast_Ratio(t *testing.T) {
	black, white := color.NRGBA{A: 0xFF}, color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}
	grey := func(v uint8) color.NRGBA { return color.NRGBA{R: v, G: v, B: v, A: 0xFF} }
	for _, c := range []struct {
		a, b color.Color
		want float64
	}{
		{black, white, 21},
		{white, black, 21},
		{white, white, 1},
		{black, black, 1},
		{grey(0x76), white, 4.54}, // the lightest grey passing AA on white
		{grey(0x77), white, 4.48}, // just fails
		{grey(0x80), black, 5.32},
		{color.NRGBA{R: 0xFF, A: 0xFF}, white, 4.00},
		{color.NRGBA{B: 0xFF, A: 0xFF}, white, 8.59},
		{color.NRGBA{G: 0xFF, A: 0xFF}, black, 15.30},
		{color.NRGBA{R: 0x00, G: 0x5E, B: 0xB8, A: 0xFF}, white, 6.38}, // NHS blue
		{grey(0x03), black, 1.02},                                      // below the linear cutoff
	} {
		if got := contrast(c.a, c.b); math.Abs(got-c.want) > 0.005 {
			t.Errorf("contrast(%v, %v) = %.3f, want %.2f", c.a, c.b, got, c.want)
		}
	}
	// Half-transparent black over white is mid grey; opaque over anything
	// is itself.
	if got := over(white, color.NRGBA{A: 0x80}); got != grey(0x7F) {
		t.Errorf("over(white, black 50%%) = %v, want %v", got, grey(0x7F))
	}
	if got := over(white, nhsBlue); got != nhsBlue {
		t.Errorf("over(white, NHS blue) = %v, want %v", got, nhsBlue)
	}
}

// pair is text of colour fg drawn on bg.
type pair struct {
	name   string
	fg, bg color.Color
	large  bool // at least 24 px, or 18.66 px bold: 3:1 is enough
}

func checkPairs(t *testing.T, pairs []pair) {
	t.Helper()
	for _, p := range pairs {
		if !opaque(p.fg) || !opaque(p.bg) {
			t.Errorf("%s: %v on %v is not opaque; blend it over what is beneath first", p.name, p.fg, p.bg)
			continue
		}
		want := minContrast
		if p.large {
			want = minContrastLarge
		}
		if got := contrast(p.fg, p.bg); got < want {
			t.Errorf("%s: %v on %v is %.2f:1, want at least %.1f:1", p.name, p.fg, p.bg, got, want)
		}
	}
}

// TestTheme_Contrast checks every text colour of the theme against every
// background the theme draws it on, in both variants. The theme is
// always light (see Theme), so the dark variant must give the same
// colours: a device set to dark mode shows the light theme, not Fyne's
// dark text on a light background or the reverse.
func TestTheme_Contrast(t *testing.T) {
	th := NewTheme()
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		t.Run(map[fyne.ThemeVariant]string{theme.VariantLight: "light", theme.VariantDark: "dark"}[v], func(t *testing.T) {
			c := func(n fyne.ThemeColorName) color.Color { return th.Color(n, v) }
			bg := c(theme.ColorNameBackground)
			var pairs []pair
			add := func(name string, fg, bg color.Color) { pairs = append(pairs, pair{name: name, fg: fg, bg: bg}) }

			// Labels of each importance (and links, and disabled text) on
			// the screen and on cards, dialogs and inputs (white).
			for _, s := range []struct {
				name string
				c    color.Color
			}{
				{"Background", bg},
				{"InputBackground", c(theme.ColorNameInputBackground)},
				{"OverlayBackground", c(theme.ColorNameOverlayBackground)},
				{"MenuBackground", c(theme.ColorNameMenuBackground)},
			} {
				for _, fg := range []fyne.ThemeColorName{theme.ColorNameForeground, theme.ColorNamePrimary, theme.ColorNameHyperlink,
					theme.ColorNameError, theme.ColorNameWarning, theme.ColorNameSuccess, theme.ColorNameDisabled} {
					add(string(fg)+" on "+s.name, c(fg), s.c)
				}
			}
			// Text on what Fyne draws beneath it in a state: a table
			// header, a hovered row or tab, selected text in an entry, a
			// focused choice, the chosen option of a form.
			for _, s := range []struct {
				name string
				c    color.Color
			}{
				{"HeaderBackground", c(theme.ColorNameHeaderBackground)},
				{"Hover over Background", over(bg, c(theme.ColorNameHover))},
				{"Hover over InputBackground", over(c(theme.ColorNameInputBackground), c(theme.ColorNameHover))},
				{"Selection over InputBackground", over(c(theme.ColorNameInputBackground), c(theme.ColorNameSelection))},
				{"Focus over Background (a focused choice)", over(bg, c(theme.ColorNameFocus))},
				{"formSelected", formSelected},
			} {
				add("foreground on "+s.name, c(theme.ColorNameForeground), s.c)
			}
			add("PlaceHolder on InputBackground", c(theme.ColorNamePlaceHolder), c(theme.ColorNameInputBackground))
			add("Disabled on DisabledButton", c(theme.ColorNameDisabled), c(theme.ColorNameDisabledButton))

			// Buttons of each importance, plain, hovered and focused
			// (Fyne blends Hover and Focus over the button's colour).
			buttons := []struct {
				name   string
				fg, bg fyne.ThemeColorName
			}{
				{"medium button", theme.ColorNameForeground, theme.ColorNameButton},
				{"low button", theme.ColorNameForeground, theme.ColorNameBackground},
				{"high button", theme.ColorNameForegroundOnPrimary, theme.ColorNamePrimary},
				{"danger button", theme.ColorNameForegroundOnError, theme.ColorNameError},
				{"warning button", theme.ColorNameForegroundOnWarning, theme.ColorNameWarning},
				{"success button", theme.ColorNameForegroundOnSuccess, theme.ColorNameSuccess},
			}
			for _, b := range buttons {
				base := c(b.bg)
				add(b.name, c(b.fg), base)
				add(b.name+" hovered", c(b.fg), over(base, c(theme.ColorNameHover)))
				add(b.name+" focused", c(b.fg), over(base, c(theme.ColorNameFocus)))
				add(b.name+" pressed", c(b.fg), over(base, c(theme.ColorNamePressed)))
			}
			add("low button focused", c(theme.ColorNameForeground), over(c(theme.ColorNameButton), c(theme.ColorNameFocus)))
			add("disabled button", c(theme.ColorNameDisabled), c(theme.ColorNameDisabledButton))
			add("menu item focused", c(theme.ColorNameForeground), over(c(theme.ColorNameMenuBackground), c(theme.ColorNameFocus)))
			checkPairs(t, pairs)

			// Always light: the dark variant is the light one.
			for _, n := range themeColourNames {
				if l, d := th.Color(n, theme.VariantLight), th.Color(n, theme.VariantDark); l != d {
					t.Errorf("Color(%s) = %v in the dark variant, want the light %v", n, d, l)
				}
			}
		})
	}
}

// themeColourNames are every colour name Fyne asks a theme for.
var themeColourNames = []fyne.ThemeColorName{
	theme.ColorNameBackground, theme.ColorNameButton, theme.ColorNameDisabled, theme.ColorNameDisabledButton,
	theme.ColorNameError, theme.ColorNameFocus, theme.ColorNameForeground, theme.ColorNameForegroundOnError,
	theme.ColorNameForegroundOnPrimary, theme.ColorNameForegroundOnSuccess, theme.ColorNameForegroundOnWarning,
	theme.ColorNameHeaderBackground, theme.ColorNameHover, theme.ColorNameHyperlink, theme.ColorNameInputBackground,
	theme.ColorNameInputBorder, theme.ColorNameMenuBackground, theme.ColorNameOverlayBackground, theme.ColorNamePlaceHolder,
	theme.ColorNamePressed, theme.ColorNamePrimary, theme.ColorNameScrollBar, theme.ColorNameScrollBarBackground,
	theme.ColorNameSelection, theme.ColorNameSeparator, theme.ColorNameShadow, theme.ColorNameSuccess, theme.ColorNameWarning,
}

// TestAppColours_Contrast checks every text colour the app draws itself
// (chips, badges, the banner, tiles, chart text) against the colour
// beneath it. Chips name palette colours at each call site: chipPairs
// lists every pair in use; TestContrast_Screens checks what the screens
// really draw.
func TestAppColours_Contrast(t *testing.T) {
	var pairs []pair
	add := func(name string, fg, bg color.Color) { pairs = append(pairs, pair{name: name, fg: fg, bg: bg}) }
	for _, b := range []forms.Band{forms.BandNone, forms.BandLow, forms.BandLowMedium, forms.BandMedium, forms.BandHigh, forms.BandIncomplete} {
		bg, fg := BandColours(b)
		add("NEWS2 badge "+string(b), fg, bg)
	}
	for _, p := range chipPairs {
		add("chip "+p.name, p.fg, p.bg)
	}
	th := NewTheme()
	for _, l := range []forms.AllergyList{{}, {NoneKnown: true}, {Allergies: []forms.Allergy{{Substance: "penicillin", Status: forms.AllergyActive}}},
		{Allergies: []forms.Allergy{{Substance: "penicillin", Status: forms.AllergyResolved}}}} {
		bg, fg := allergyChipColours(l)
		add("allergy chip "+l.Summary(), th.Color(fg, theme.VariantLight), bg)
	}
	for s, c := range bedColours {
		add("bed state chip "+string(s), c.text, c.chip)
		add("bed label on the "+string(s)+" tile", nhsBlack, c.tile)
		add("bed tile text on the "+string(s)+" tile", th.Color(theme.ColorNameForeground, theme.VariantLight), c.tile)
	}
	for s, c := range stockColours {
		add("stock chip "+c.words, c.text, c.chip)
		add("stock tile text "+fmt.Sprint(s), th.Color(theme.ColorNameForeground, theme.VariantLight), c.tile)
	}
	for _, c := range healthChips {
		add("device check chip "+c.text, c.fg, c.bg)
	}
	for _, c := range statusWords {
		add("worklist chip "+c.text, c.fg, c.bg)
	}
	add("banner title", badgeText, badgeBackground)
	add("banner text", bannerText, bannerBackground)
	add("drill banner title", drillBadgeText, drillBadge)
	add("drill banner text", drillText, drillBackground)
	add("core system down strip", feedText, feedDownBackground)
	add("core system answering again strip", feedText, feedUpBackground)
	for _, bg := range []struct {
		name string
		c    color.Color
	}{{"card", nhsWhite}, {"screen", nhsGrey5}, {"struck card", nhsGrey5}, {"chosen option", formSelected}} {
		add("ward list bed on a "+bg.name, nhsDarkBlue, bg.c)
		add("secondary text (NHS grey 1) on a "+bg.name, nhsGrey1, bg.c)
		add("text (NHS black) on a "+bg.name, nhsBlack, bg.c)
	}
	add("struck order", medStruckInk, nhsWhite)
	for name, bg := range map[string]color.Color{"red": medPaleRed, "amber": medPaleAmber, "grey": medPaleGrey} {
		add("medicines flag on pale "+name, th.Color(theme.ColorNameForeground, theme.VariantLight), bg)
	}
	add("CD register line needing a person", th.Color(theme.ColorNameForeground, theme.VariantLight), cdProblemTile)
	checkPairs(t, pairs)
}

// chipPairs are the colour pairs the screens' chips use (Chip(text, bg,
// fg, bold) at each call site).
var chipPairs = []pair{
	{name: "alert (red)", fg: nhsWhite, bg: nhsRed},
	{name: "caution (warm yellow)", fg: nhsBlack, bg: nhsWarmYellow},
	{name: "done (green)", fg: nhsWhite, bg: nhsGreen},
	{name: "this device, you (blue)", fg: nhsWhite, bg: nhsBlue},
	{name: "verified (dark blue)", fg: nhsWhite, bg: nhsDarkBlue},
	{name: "role, stopped (grey 4)", fg: nhsBlack, bg: nhsGrey4},
	{name: "plain (white)", fg: nhsBlack, bg: nhsWhite},
	{name: "entered in error, amended, sent (grey 1)", fg: nhsWhite, bg: nhsGrey1},
	{name: "conflicts (black)", fg: nhsWhite, bg: nhsBlack},
	{name: "dose later (grey 5)", fg: nhsGrey1, bg: nhsGrey5},
}

// shownText is a piece of text on screen with the colour it is drawn in
// and the colour beneath its middle.
type shownText struct {
	text   string
	fg, bg color.Color
	large  bool
}

// textsOnScreen returns every visible canvas.Text on w, dialogs and pop-ups
// included, with the colour beneath it: the theme's background with each
// rectangle drawn before the text under its middle blended on top, as
// the canvas paints them. A rectangle counts only where its scroll shows
// it.
func textsOnScreen(w fyne.Window) []shownText {
	type rect struct {
		pos  fyne.Position
		size fyne.Size
	}
	in := func(p fyne.Position, r rect) bool {
		return p.X >= r.pos.X && p.X <= r.pos.X+r.size.Width && p.Y >= r.pos.Y && p.Y <= r.pos.Y+r.size.Height
	}
	// clip is the part of a scroll's content in view.
	clip := func(a, b rect) rect {
		x0, y0 := max(a.pos.X, b.pos.X), max(a.pos.Y, b.pos.Y)
		x1, y1 := min(a.pos.X+a.size.Width, b.pos.X+b.size.Width), min(a.pos.Y+a.size.Height, b.pos.Y+b.size.Height)
		return rect{fyne.NewPos(x0, y0), fyne.NewSize(max(x1-x0, 0), max(y1-y0, 0))}
	}
	type fill struct {
		r, clip rect
		c       color.Color
	}
	th := fyne.CurrentApp().Settings().Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	var fills []fill
	var out []shownText
	var walk func(o fyne.CanvasObject, off fyne.Position, view rect)
	walk = func(o fyne.CanvasObject, off fyne.Position, view rect) {
		if o == nil || !o.Visible() {
			return
		}
		pos := off.Add(o.Position())
		switch x := o.(type) {
		case *canvas.Rectangle:
			if x.FillColor != nil {
				if _, _, _, a := x.FillColor.RGBA(); a > 0 {
					fills = append(fills, fill{rect{pos, x.Size()}, view, x.FillColor})
				}
			}
		case *canvas.Text:
			if strings.TrimSpace(x.Text) == "" || x.Color == nil || x.Size().IsZero() {
				return
			}
			size := x.TextSize
			if size == 0 {
				size = th.Size(theme.SizeNameText)
			}
			tw := min(fyne.MeasureText(x.Text, size, x.TextStyle).Width, x.Size().Width)
			mid := fyne.NewPos(pos.X+tw/2, pos.Y+x.Size().Height/2)
			switch x.Alignment {
			case fyne.TextAlignCenter:
				mid.X = pos.X + x.Size().Width/2
			case fyne.TextAlignTrailing:
				mid.X = pos.X + x.Size().Width - tw/2
			}
			// Text scrolled out of view is checked where it would be
			// once scrolled in: over what its own scroll draws at its
			// place, and over what lies behind the scroll at the
			// nearest point in view.
			near := fyne.NewPos(min(max(mid.X, view.pos.X), view.pos.X+view.size.Width),
				min(max(mid.Y, view.pos.Y), view.pos.Y+view.size.Height))
			bg := th.Color(theme.ColorNameBackground, v)
			for _, f := range fills {
				if f.clip == view && in(mid, f.r) || f.clip != view && in(near, f.r) && in(near, f.clip) {
					bg = over(bg, f.c)
				}
			}
			out = append(out, shownText{text: x.Text, fg: over(bg, x.Color), bg: bg,
				large: size >= 24 || x.TextStyle.Bold && size >= 18.66})
		case fyne.Widget:
			if _, ok := x.(*container.Scroll); ok {
				view = clip(view, rect{pos, x.Size()})
			}
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c, pos, view)
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c, pos, view)
			}
		}
	}
	all := rect{size: w.Canvas().Size()}
	walk(w.Canvas().Content(), fyne.Position{}, all)
	for _, o := range w.Canvas().Overlays().List() {
		walk(o, fyne.Position{}, all)
	}
	return out
}

// TestContrast_Screens walks every screen, at phone and desktop size, and
// checks each piece of text against what is drawn beneath it: what the
// tables above list is what the screens really draw.
func TestContrast_Screens(t *testing.T) {
	for _, size := range []fyne.Size{phone, desktop} {
		t.Run(sizeName(size), func(t *testing.T) {
			seen := map[string]bool{}
			var low []string
			n := 0
			tourScreens(t, size, func(t *testing.T, w fyne.Window, screen string) {
				for _, s := range textsOnScreen(w) {
					n++
					want := minContrast
					if s.large {
						want = minContrastLarge
					}
					if r := contrast(s.fg, s.bg); r < want {
						key := fmt.Sprint(s.text, s.fg, s.bg)
						if !seen[key] {
							seen[key] = true
							low = append(low, fmt.Sprintf("%s: %q %v on %v is %.2f:1", screen, s.text, s.fg, s.bg, r))
						}
					}
				}
			})
			if n < 1000 {
				t.Errorf("%d texts checked; the walk is lost", n)
			}
			if len(low) > 0 {
				t.Errorf("%d texts below %.1f:1 (3:1 large):\n%s", len(low), minContrast, strings.Join(low, "\n"))
			}
		})
	}
}
