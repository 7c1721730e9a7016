package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// NHS identity colours (https://service-manual.nhs.uk/design-system/styles/colour).
var (
	nhsBlue       = color.NRGBA{R: 0x00, G: 0x5E, B: 0xB8, A: 0xFF}
	nhsDarkBlue   = color.NRGBA{R: 0x00, G: 0x30, B: 0x87, A: 0xFF}
	nhsBlack      = color.NRGBA{R: 0x21, G: 0x2B, B: 0x32, A: 0xFF}
	nhsGrey1      = color.NRGBA{R: 0x4C, G: 0x62, B: 0x72, A: 0xFF}
	nhsGrey2      = color.NRGBA{R: 0x76, G: 0x86, B: 0x92, A: 0xFF}
	nhsGrey3      = color.NRGBA{R: 0xAE, G: 0xB7, B: 0xBD, A: 0xFF}
	nhsGrey4      = color.NRGBA{R: 0xD8, G: 0xDD, B: 0xE0, A: 0xFF}
	nhsGrey5      = color.NRGBA{R: 0xF0, G: 0xF4, B: 0xF5, A: 0xFF}
	nhsWhite      = color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}
	nhsRed        = color.NRGBA{R: 0xD5, G: 0x28, B: 0x1B, A: 0xFF}
	nhsGreen      = color.NRGBA{R: 0x00, G: 0x7F, B: 0x3B, A: 0xFF}
	nhsWarmYellow = color.NRGBA{R: 0xFF, G: 0xB8, B: 0x1C, A: 0xFF}
	nhsPurple     = color.NRGBA{R: 0x33, G: 0x00, B: 0x72, A: 0xFF}
)

// Colours the theme adds to the NHS palette, each chosen so that text on
// it or in it passes WCAG AA (TestTheme_Contrast).
var (
	// warnAmber is warning text ("unusual: check and confirm", 4.9:1 on
	// the background) and the warning button, with white text (5.4:1).
	// Fyne uses the one colour for both, and the NHS warm yellow was
	// 1.6:1 as text; it stays the background of the banner and of the
	// amber chips, with black text.
	warnAmber = color.NRGBA{R: 0x9A, G: 0x5B, B: 0x00, A: 0xFF}
	// disabledInk is the text of a disabled button or entry: lighter
	// than the text, still 4.9:1 on the background (NHS grey 2 was 3.4).
	disabledInk = color.NRGBA{R: 0x5C, G: 0x6B, B: 0x77, A: 0xFF}
	// focusShade is blended over a focused button, choice or menu item
	// (Fyne draws focus that way): dark blue at a third. An opaque
	// yellow turned a focused Save button into white on yellow, 1.2:1.
	focusShade = color.NRGBA{R: 0x00, G: 0x30, B: 0x87, A: 0x55}
	hoverShade = color.NRGBA{R: 0x00, G: 0x30, B: 0x87, A: 0x14}
	pressShade = color.NRGBA{R: 0x00, G: 0x30, B: 0x87, A: 0x33}
	selectTint = color.NRGBA{R: 0x00, G: 0x5E, B: 0xB8, A: 0x40}
)

// MinTouchTarget is the smallest height, in Fyne units, of anything a person
// taps. 44-48 is what platform guidelines ask for; gloved hands need the top
// of that range.
const MinTouchTarget float32 = 44

// Theme is Lifeboat's Fyne theme: NHS colours, bigger text and more padding
// than Fyne's default so buttons are at least MinTouchTarget high.
//
// It is always light, whatever the system asks for (the variant is
// ignored): a ward's devices should look the same as each other and as the
// screenshots and paper charts in the downtime pack, the NEWS2 band
// colours keep the meaning they have on the RCP chart only on a light
// background, and one set of colours is one set to check for contrast.
type Theme struct {
	base fyne.Theme
}

var _ fyne.Theme = (*Theme)(nil)

// NewTheme returns the Lifeboat theme. Fonts and icons are Fyne's defaults.
func NewTheme() *Theme { return &Theme{base: theme.DefaultTheme()} }

// Color implements fyne.Theme.
func (t *Theme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameHyperlink:
		return nhsBlue
	case theme.ColorNameForegroundOnPrimary, theme.ColorNameForegroundOnError, theme.ColorNameForegroundOnSuccess,
		theme.ColorNameForegroundOnWarning:
		return nhsWhite
	case theme.ColorNameBackground:
		return nhsGrey5
	case theme.ColorNameForeground:
		return nhsBlack
	case theme.ColorNameButton:
		return nhsGrey4
	case theme.ColorNameDisabledButton:
		return nhsGrey5
	case theme.ColorNameDisabled:
		return disabledInk
	case theme.ColorNamePlaceHolder:
		return nhsGrey1
	case theme.ColorNameInputBackground, theme.ColorNameMenuBackground, theme.ColorNameOverlayBackground:
		return nhsWhite
	case theme.ColorNameInputBorder:
		return nhsGrey1
	case theme.ColorNameHeaderBackground, theme.ColorNameSeparator:
		return nhsGrey4
	case theme.ColorNameScrollBar:
		return nhsGrey2
	case theme.ColorNameScrollBarBackground:
		return nhsGrey4
	case theme.ColorNameFocus:
		return focusShade
	case theme.ColorNameHover:
		return hoverShade
	case theme.ColorNamePressed:
		return pressShade
	case theme.ColorNameSelection:
		return selectTint
	case theme.ColorNameShadow:
		return color.NRGBA{A: 0x40}
	case theme.ColorNameError:
		return nhsRed
	case theme.ColorNameWarning:
		return warnAmber
	case theme.ColorNameSuccess:
		return nhsGreen
	}
	return t.base.Color(n, theme.VariantLight)
}

// Font implements fyne.Theme.
func (t *Theme) Font(s fyne.TextStyle) fyne.Resource { return t.base.Font(s) }

// Icon implements fyne.Theme.
func (t *Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base.Icon(n) }

// Size implements fyne.Theme. Sizes are in Fyne units (device-independent
// pixels).
func (t *Theme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 16
	case theme.SizeNameCaptionText:
		return 13.25
	case theme.SizeNameSubHeadingText:
		return 20
	case theme.SizeNameHeadingText:
		return 28
	case theme.SizeNamePadding:
		return 6
	case theme.SizeNameInnerPadding:
		// 13.25 makes an entry 48.3 high (a monospace one 45) and the
		// password eye inside it, the entry less its two borders, 44.3:
		// 12 left them at 45.8, 43 and 41.8. No more: 14 pushed ACVPU
		// below the fold of the observation form at 1280x800.
		return 13.25
	case theme.SizeNameLineSpacing:
		return 6
	case theme.SizeNameInlineIcon:
		return 24
	case theme.SizeNameInputBorder:
		return 2
	case theme.SizeNameInputRadius, theme.SizeNameSelectionRadius:
		return 6
	case theme.SizeNameScrollBar:
		return 16
	case theme.SizeNameScrollBarSmall:
		return 6
	}
	return t.base.Size(n)
}

// newProgressBar is Fyne's progress bar without the percentage on it:
// Fyne draws it in white across both the filled blue and the pale
// unfilled part, where white is 2.45:1. Say how far along in words
// beside the bar.
func newProgressBar() *widget.ProgressBar {
	b := widget.NewProgressBar()
	b.TextFormatter = func() string { return "" }
	return b
}
