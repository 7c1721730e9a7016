package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
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
	nhsFocus      = color.NRGBA{R: 0xFF, G: 0xEB, B: 0x3B, A: 0xFF}
)

// MinTouchTarget is the smallest height, in Fyne units, of anything a person
// taps. 44-48 is what platform guidelines ask for; gloved hands need the top
// of that range.
const MinTouchTarget float32 = 44

// Theme is Lifeboat's Fyne theme: NHS colours, bigger text and more padding
// than Fyne's default so buttons are at least MinTouchTarget high.
//
// It is always light, whatever the system asks for: a ward's devices should
// look the same as each other and as the screenshots in the downtime pack,
// and the NHS palette is designed for a light background.
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
	case theme.ColorNameForegroundOnPrimary, theme.ColorNameForegroundOnError, theme.ColorNameForegroundOnSuccess:
		return nhsWhite
	case theme.ColorNameForegroundOnWarning:
		return nhsBlack
	case theme.ColorNameBackground:
		return nhsGrey5
	case theme.ColorNameForeground:
		return nhsBlack
	case theme.ColorNameButton:
		return nhsGrey4
	case theme.ColorNameDisabledButton:
		return nhsGrey5
	case theme.ColorNameDisabled:
		return nhsGrey2
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
		return nhsFocus
	case theme.ColorNameHover:
		return color.NRGBA{R: 0x00, G: 0x30, B: 0x87, A: 0x14}
	case theme.ColorNamePressed:
		return color.NRGBA{R: 0x00, G: 0x30, B: 0x87, A: 0x33}
	case theme.ColorNameSelection:
		return color.NRGBA{R: 0x00, G: 0x5E, B: 0xB8, A: 0x40}
	case theme.ColorNameShadow:
		return color.NRGBA{A: 0x40}
	case theme.ColorNameError:
		return nhsRed
	case theme.ColorNameWarning:
		return nhsWarmYellow
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
		return 13
	case theme.SizeNameSubHeadingText:
		return 20
	case theme.SizeNameHeadingText:
		return 28
	case theme.SizeNamePadding:
		return 6
	case theme.SizeNameInnerPadding:
		// 14 makes an entry 50 high (a monospace one 47) and the
		// password eye inside it 46: 12 left them at 46, 43 and 42.
		return 14
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
