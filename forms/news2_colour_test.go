package forms

import "testing"

func TestBandColours(t *testing.T) {
	for _, c := range []struct {
		band   Band
		bg, fg RGB
	}{
		{BandNone, ColourNEWSGreen, ColourInk},
		{BandLow, ColourNEWSYellow, ColourInk},
		{BandLowMedium, ColourNEWSOrange, ColourInk},
		{BandMedium, ColourNEWSOrange, ColourInk},
		{BandHigh, ColourNEWSRed, ColourPaper},
		{BandIncomplete, ColourIncomplete, ColourInk},
		{Band(""), ColourIncomplete, ColourInk},
	} {
		if bg, fg := BandColours(c.band); bg != c.bg || fg != c.fg {
			t.Errorf("BandColours(%q) = %v on %v, want %v on %v", c.band, fg, bg, c.fg, c.bg)
		}
	}
}
