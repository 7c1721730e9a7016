package forms

// RGB is a colour as 8-bit red, green and blue.
type RGB struct{ R, G, B uint8 }

// The NEWS2 colours, shared by the app's screens and the paper charts so
// that a band looks the same on both (NHS identity palette).
var (
	ColourInk        = RGB{0x21, 0x2B, 0x32} // NHS black
	ColourPaper      = RGB{0xFF, 0xFF, 0xFF}
	ColourIncomplete = RGB{0xD8, 0xDD, 0xE0} // NHS grey 4
	ColourNEWSRed    = RGB{0xD5, 0x28, 0x1B} // NHS red
	ColourNEWSOrange = RGB{0xED, 0x8B, 0x00}
	ColourNEWSYellow = RGB{0xFF, 0xEB, 0x3B}
	ColourNEWSGreen  = RGB{0xE3, 0xF2, 0xE6}
)

// BandColours is how a NEWS2 total in band b is shown: a green tint for
// no risk, yellow for low, orange for a single 3 or medium, red for high,
// grey when the set is incomplete.
func BandColours(b Band) (bg, fg RGB) {
	switch b {
	case BandNone:
		return ColourNEWSGreen, ColourInk
	case BandLow:
		return ColourNEWSYellow, ColourInk
	case BandLowMedium, BandMedium:
		return ColourNEWSOrange, ColourInk
	case BandHigh:
		return ColourNEWSRed, ColourPaper
	}
	return ColourIncomplete, ColourInk
}
