package paper

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"lifeboat/assets"
	"lifeboat/forms"
	"lifeboat/store"
)

// Header is what every page says about where, when and by whom it was
// printed.
type Header struct {
	SiteID string // goes in the QR code
	Site   string // the site's name
	WardID string
	Ward   string // the ward's name
	// PrintedAt is when the printout was made. Every time on the paper is
	// shown in its location, and MAR and obs status (due, overdue) is as
	// of this time.
	PrintedAt time.Time
	PrintedBy string // the signed-in person's name
	// Drill marks a training store: every page says so in large type.
	Drill bool
	// Names maps user IDs to names, for who recorded an observation set or
	// a dose; an unknown ID is printed as "?".
	Names map[string]string
}

// Patient is what one patient's documents are made from.
type Patient struct {
	store.PatientView
	// BedLabel is the bed as the ward calls it ("Bed 4"); empty prints the
	// bed ID, or nothing if the patient has no bed.
	BedLabel string
	// Scale is the patient's SpO2 scale (1 or 2) from the latest setting.
	Scale int
	// Obs is the patient's observation chart, oldest first, as
	// store.DB.Observations returns it.
	Obs []store.ObsView
	// MAR is the day's MAR, as of Header.PrintedAt.
	MAR forms.MAR
	// Allergies and the newest weight (HasWeight false: none recorded)
	// head the MAR; Stops says who stopped an order and why.
	Allergies forms.AllergyList
	Weight    forms.Weight
	HasWeight bool
	Stops     map[string]store.OrderStop
}

// Page describes one printed page: what its QR code says and, for a
// patient's document, whose it is.
type Page struct {
	Number  int
	Label   Label
	Payload string
	Patient *forms.Patient // nil on ward-level pages
}

// fontFamily is the printouts' typeface (assets.FontRegular and kin).
const fontFamily = "NotoSans"

// Page geometry, in millimetres.
const (
	margin   = 10.0
	qrSize   = 30.0
	topOfBox = 20.0
	boxH     = 16.0
	bodyTop  = topOfBox + boxH + 4
	footerH  = 12.0
)

// Book is one PDF of printouts. Add documents with its methods, then
// write it with Output. A Book is not safe for concurrent use.
type Book struct {
	h     Header
	pdf   *fpdf.Fpdf
	tr    func(string) string
	pages []Page
	qrs   map[string]string // payload -> registered image name
	err   error
}

// New starts an empty Book.
func New(h Header) *Book {
	if h.PrintedAt.IsZero() {
		h.PrintedAt = time.Now()
	}
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AliasNbPages("")
	pdf.SetCreator("Lifeboat", true)
	pdf.SetTitle(pdfText("Lifeboat printout, "+h.Ward), true)
	pdf.SetCreationDate(h.PrintedAt)
	pdf.SetModificationDate(h.PrintedAt)
	pdf.SetCatalogSort(true)
	// A Unicode font: names such as Łucja or Nguyễn print as written.
	pdf.AddUTF8FontFromBytes(fontFamily, "", assets.FontRegular)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", assets.FontBold)
	pdf.AddUTF8FontFromBytes(fontFamily, "I", assets.FontItalic)
	b := &Book{h: h, pdf: pdf, tr: func(s string) string { return s }, qrs: map[string]string{}}
	pdf.SetFooterFunc(b.footer)
	return b
}

// pdfText keeps metadata to plain ASCII-safe text.
func pdfText(s string) string { return strings.ToValidUTF8(s, "?") }

// Pages lists the pages added so far, in order.
func (b *Book) Pages() []Page { return b.pages }

// Output writes the PDF to w. A Book with no pages is an error: there is
// nothing to print.
func (b *Book) Output(w io.Writer) error {
	if b.err != nil {
		return b.err
	}
	if len(b.pages) == 0 {
		return fmt.Errorf("write printout: no pages")
	}
	if err := b.pdf.Output(w); err != nil {
		return fmt.Errorf("write printout: %w", err)
	}
	return nil
}

// rgb is a colour.
type rgb struct{ r, g, b int }

// Colours: NHS identity colours and the RCP NEWS2 chart's.
var (
	black      = rgb{0x21, 0x2B, 0x32}
	white      = rgb{0xFF, 0xFF, 0xFF}
	grey       = rgb{0x4C, 0x62, 0x72}
	lightGrey  = rgb{0xD8, 0xDD, 0xE0}
	paleGrey   = rgb{0xF0, 0xF4, 0xF5}
	nhsBlue    = rgb{0x00, 0x5E, 0xB8}
	nhsRed     = rgb{0xD5, 0x28, 0x1B}
	purple     = rgb{0x33, 0x00, 0x72}
	newsRed    = fromRGB(forms.ColourNEWSRed)
	newsOrange = fromRGB(forms.ColourNEWSOrange)
	newsYellow = fromRGB(forms.ColourNEWSYellow)
	newsGreen  = fromRGB(forms.ColourNEWSGreen)
	paleRed    = rgb{0xFB, 0xE4, 0xE2}
	paleYellow = rgb{0xFF, 0xF4, 0xD6}
)

// scoreColours is how a parameter scoring s looks on the RCP chart: 3
// red, 2 orange, 1 yellow, 0 white.
func scoreColours(s int) (bg, fg rgb) {
	switch s {
	case 3:
		return newsRed, white
	case 2:
		return newsOrange, black
	case 1:
		return newsYellow, black
	}
	return white, black
}

// bandColours is how a NEWS2 total looks (forms.BandColours: the same as
// on screen).
func bandColours(b forms.Band) (bg, fg rgb) {
	c, t := forms.BandColours(b)
	return fromRGB(c), fromRGB(t)
}

func fromRGB(c forms.RGB) rgb { return rgb{int(c.R), int(c.G), int(c.B)} }

// bandWords is a band in plain words, short enough for a table cell.
func bandWords(b forms.Band) string {
	switch b {
	case forms.BandNone:
		return "no risk"
	case forms.BandLow:
		return "low"
	case forms.BandLowMedium:
		return "low (a 3)"
	case forms.BandMedium:
		return "MEDIUM"
	case forms.BandHigh:
		return "HIGH"
	}
	return "incomplete"
}

func (b *Book) fill(c rgb) { b.pdf.SetFillColor(c.r, c.g, c.b) }
func (b *Book) ink(c rgb)  { b.pdf.SetTextColor(c.r, c.g, c.b) }
func (b *Book) draw(c rgb) { b.pdf.SetDrawColor(c.r, c.g, c.b) }
func (b *Book) font(style string, size float64) {
	b.pdf.SetFont(fontFamily, style, size)
}

// text writes s in a cell of w x h at x, y: align is "L", "C" or "R"
// (with "M" for middle added by text). Text too wide is cut with "...".
func (b *Book) text(x, y, w, h float64, s, align string) {
	b.pdf.SetXY(x, y)
	b.pdf.CellFormat(w, h, b.fit(s, w-1.5), "", 0, align+"M", false, 0, "")
}

// box draws a w x h rectangle at x, y, filled with bg (nil: no fill).
func (b *Book) box(x, y, w, h float64, bg *rgb) {
	style := "D"
	if bg != nil {
		b.fill(*bg)
		style = "FD"
	}
	b.pdf.Rect(x, y, w, h, style)
}

// fit returns s, translated for the PDF's font, cut to fit width w.
func (b *Book) fit(s string, w float64) string {
	t := b.tr(s)
	if b.pdf.GetStringWidth(t) <= w {
		return t
	}
	r := []rune(s)
	for len(r) > 0 {
		r = r[:len(r)-1]
		t = b.tr(strings.TrimSpace(string(r)) + "...")
		if b.pdf.GetStringWidth(t) <= w {
			return t
		}
	}
	return ""
}

// local is t in the printout's time zone.
func (b *Book) local(t time.Time) time.Time { return t.In(b.h.PrintedAt.Location()) }

// when is a date and time as printed: 20-Nov-2026 09:30.
func (b *Book) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return b.local(t).Format("02-Jan-2006 15:04")
}

// name is a user's name, or "?" if unknown.
func (b *Book) name(id string) string {
	if n, ok := b.h.Names[id]; ok && n != "" {
		return n
	}
	if id == "" {
		return ""
	}
	return "?"
}

// initials shortens a name to what fits in a chart cell: "Nia Nurse"
// becomes "N. Nurse".
func initials(name string) string {
	f := strings.Fields(name)
	if len(f) < 2 {
		return name
	}
	return string([]rune(f[0])[:1]) + ". " + strings.Join(f[1:], " ")
}

// field is one labelled value in a page's identity box.
type field struct {
	label, value string
	width        float64 // share of the box
}

// identifier is the patient's NHS number in 3-3-4 form and its label, or
// the temporary downtime ID when there is none.
func identifier(p forms.Patient) (label, value string) {
	if p.NHSNumber == "" {
		return "Temporary ID (no NHS number yet)", p.TempID
	}
	return "NHS number", forms.PatientIdentifier(p)
}

// startPage adds a page for doc in the given orientation ("L" or "P") and
// draws its header: the title, the identity box (the patient's four core
// identifiers, or the ward and time printed), and the QR code. It returns
// the page width and where the body starts.
func (b *Book) startPage(orient, doc, title string, p *Patient) (pageW, y float64) {
	pdf := b.pdf
	pdf.AddPageFormat(orient, pdf.GetPageSizeStr("A4"))
	w, _ := pdf.GetPageSize()
	lab := Label{Site: b.h.SiteID, Subject: "ward:" + b.h.WardID, Doc: doc, PrintedAt: b.h.PrintedAt.UTC().Truncate(time.Second)}
	pg := Page{Number: pdf.PageNo(), Label: lab}
	if p != nil {
		lab.Subject = p.ID
		pg.Label, pg.Patient = lab, &p.Patient
	}
	pg.Payload = lab.Payload()
	b.pages = append(b.pages, pg)
	b.qr(pg.Payload, w-margin-qrSize+2, 4, qrSize)

	pdf.SetLineWidth(0.2)
	b.draw(black)
	b.ink(black)
	b.font("B", 15)
	b.text(margin, 5, w-2*margin-qrSize, 8, title, "L")
	b.font("", 8.5)
	b.ink(grey)
	sub := b.h.Site + "  |  " + b.h.Ward + "  |  Printed " + b.when(b.h.PrintedAt) + " by " + b.h.PrintedBy
	b.text(margin, 12.5, w-2*margin-qrSize, 5, sub, "L")
	if b.h.Drill {
		b.font("B", 9)
		b.ink(purple)
		b.text(margin, 0.5, w-2*margin-qrSize, 5, "TRAINING DRILL - NOT A REAL PATIENT RECORD", "L")
	}

	var fs []field
	if p != nil {
		idLabel, id := identifier(p.Patient)
		bed := p.BedLabel
		if bed == "" {
			bed = p.Bed
		}
		fs = []field{
			{"Surname", strings.ToUpper(strings.TrimSpace(p.Surname)), 0.27},
			{"First name", strings.TrimSpace(p.Given), 0.2},
			{"Date of birth", forms.FormatBirthDate(p.BirthDate), 0.17},
			{idLabel, id, 0.22},
			{"Bed", bed, 0.14},
		}
	} else {
		fs = []field{
			{"Ward", b.h.Ward, 0.31},
			{"Printed at", b.when(b.h.PrintedAt), 0.2},
			{"Printed by", b.h.PrintedBy, 0.17},
			{"Site", b.h.Site, 0.32},
		}
	}
	boxW := w - 2*margin - qrSize - 2
	pdf.SetLineWidth(0.6)
	b.box(margin, topOfBox, boxW, boxH, nil)
	pdf.SetLineWidth(0.2)
	x := margin
	for i, f := range fs {
		fw := boxW * f.width
		if i > 0 {
			pdf.Line(x, topOfBox, x, topOfBox+boxH)
		}
		b.font("", 7)
		b.ink(grey)
		b.text(x+1.5, topOfBox+1, fw-2, 4, f.label, "L")
		b.font("B", 13)
		b.ink(black)
		b.text(x+1.5, topOfBox+6, fw-2, 8, f.value, "L")
		x += fw
	}
	return w, bodyTop
}

// qr draws a QR code of text with its top left at x, y.
func (b *Book) qr(text string, x, y, size float64) {
	name, ok := b.qrs[text]
	if !ok {
		png, err := qrcode.Encode(text, qrcode.Medium, 512)
		if err != nil {
			b.err = fmt.Errorf("make QR code: %w", err)
			return
		}
		name = fmt.Sprintf("qr%d", len(b.qrs))
		b.pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
		b.qrs[text] = name
	}
	b.pdf.ImageOptions(name, x, y, size, size, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
}

// footer is on every page: what the paper is, how to use it, and the page
// number.
func (b *Book) footer() {
	w, h := b.pdf.GetPageSize()
	y := h - footerH + 3
	b.draw(lightGrey)
	b.pdf.Line(margin, y-1, w-margin, y-1)
	b.draw(black)
	b.font("", 6.5)
	b.ink(grey)
	b.text(margin, y, w-2*margin-30, 4, "Lifeboat downtime printout. Check the patient's identity against their wristband before use. "+
		"Write on this paper during the outage and enter it into Lifeboat or the core system afterwards: the QR code matches it back.", "L")
	b.font("B", 8)
	b.ink(black)
	b.text(w-margin-30, y, 30, 4, fmt.Sprintf("Page %d of {nb}", b.pdf.PageNo()), "R")
	if b.h.Drill {
		b.font("B", 8)
		b.ink(purple)
		b.text(margin, y+4, w-2*margin, 4, "TRAINING DRILL - NOT A REAL PATIENT RECORD", "C")
	}
	b.ink(black)
}

// bottom is the lowest y the body may use on a page of height h.
func bottom(h float64) float64 { return h - footerH - 1 }

// toUpper is a surname as printed: trimmed, in capitals.
func toUpper(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }
