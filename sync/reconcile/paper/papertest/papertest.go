// Package papertest checks printouts the way a person scanning them
// would: every page is rendered to PNG with poppler's pdftoppm, its text
// read with pdftotext, and its QR code decoded from the picture.
package papertest

import (
	"fmt"
	"image"
	"image/draw"
	_ "image/png" // pdftoppm writes PNG
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"lifeboat/forms"
	"lifeboat/sync/reconcile/paper"
)

// MustHaveTools skips the test when poppler's tools are missing (CI
// installs them with scripts/deps.sh).
func MustHaveTools(tb testing.TB) {
	tb.Helper()
	for _, tool := range []string{"pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Skipf("%s not installed (poppler-utils, see scripts/deps.sh): cannot check printed pages", tool)
		}
	}
}

// Rendered is one checked page: its PNG file, its text and what its QR
// code says.
type Rendered struct {
	PNG   string
	Text  string
	QR    string
	Label paper.Label
}

// Check renders pdf at 100 dpi and checks every page against pages (from
// Book.Pages): a patient's page shows their four core identifiers, a ward
// page says when it was printed, and each page's QR code decodes to its
// payload. It returns the rendered pages.
func Check(tb testing.TB, pdf []byte, pages []paper.Page) []Rendered {
	tb.Helper()
	out := CheckFile(tb, pdf)
	if len(out) != len(pages) {
		tb.Fatalf("PDF has %d pages, Book.Pages lists %d", len(out), len(pages))
	}
	for i, pg := range pages {
		for _, want := range Identifiers(pg) {
			if !strings.Contains(out[i].Text, want) {
				tb.Errorf("page %d (%s): text does not show %q:\n%s", i+1, pg.Label.Doc, want, out[i].Text)
			}
		}
		if out[i].QR != pg.Payload {
			tb.Errorf("page %d QR code = %q, want %q", i+1, out[i].QR, pg.Payload)
		}
	}
	return out
}

// CheckFile renders pdf at 100 dpi (200 dpi for a page whose code does not
// read at 100) and checks that every page's QR code decodes to a Lifeboat
// label, as when the paper comes back after an
// outage and nothing else is known about it.
func CheckFile(tb testing.TB, pdf []byte) []Rendered {
	tb.Helper()
	MustHaveTools(tb)
	dir := tb.TempDir()
	file := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "100", "-png", file, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		tb.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	sort.Slice(pngs, func(i, j int) bool { return pageNumber(pngs[i]) < pageNumber(pngs[j]) })
	if len(pngs) == 0 {
		tb.Fatal("pdftoppm made no pages")
	}
	out := make([]Rendered, len(pngs))
	for i, png := range pngs {
		n := strconv.Itoa(i + 1)
		b, err := exec.Command("pdftotext", "-enc", "UTF-8", "-layout", "-f", n, "-l", n, file, "-").Output()
		if err != nil {
			tb.Fatalf("pdftotext page %d: %v", i+1, err)
		}
		out[i] = Rendered{PNG: png, Text: string(b)}
		qr, err := DecodeQR(png)
		if err != nil {
			// At 100 dpi a module of the code is under 3 pixels and the
			// decoder misjudges its size on some pages (the pattern
			// depends on the site ID); a phone held over the paper sees
			// far more. Look again at 200 dpi before calling it unreadable.
			near := filepath.Join(dir, "near-"+n)
			if out, err := exec.Command("pdftoppm", "-r", "200", "-png", "-singlefile", "-f", n, "-l", n, file, near).CombinedOutput(); err != nil {
				tb.Fatalf("pdftoppm page %d at 200 dpi: %v\n%s", i+1, err, out)
			}
			qr, err = DecodeQR(near + ".png")
		}
		if err != nil {
			tb.Errorf("page %d: QR code: %v", i+1, err)
			continue
		}
		out[i].QR = qr
		if out[i].Label, err = paper.ParsePayload(qr); err != nil {
			tb.Errorf("page %d: QR code %q: %v", i+1, qr, err)
		}
	}
	return out
}

// Identifiers is what a page must show: a patient's surname in capitals,
// first name, date of birth as DD-Mmm-YYYY and NHS number as 3-3-4 (or
// temporary ID); on a ward page, "Printed at".
func Identifiers(pg paper.Page) []string {
	if pg.Patient == nil {
		return []string{"Printed at"}
	}
	return PatientIdentifiers(*pg.Patient)
}

// PatientIdentifiers are the four core identifiers as printed.
func PatientIdentifiers(p forms.Patient) []string {
	return []string{strings.ToUpper(p.Surname), p.Given, forms.FormatBirthDate(p.BirthDate), forms.PatientIdentifier(p)}
}

func pageNumber(path string) int {
	s := strings.TrimSuffix(filepath.Base(path), ".png")
	n, _ := strconv.Atoi(s[strings.LastIndex(s, "-")+1:])
	return n
}

// DecodeQR reads the QR code in a PNG: first from the whole page, then,
// as a phone framing the code would, from its top right corner.
func DecodeQR(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return "", fmt.Errorf("decode %s: %w", path, err)
	}
	text, err := decode(img)
	if err == nil {
		return text, nil
	}
	r := img.Bounds()
	corner := image.Rect(r.Max.X-r.Dx()/4, r.Min.Y, r.Max.X, r.Min.Y+r.Dy()/4)
	crop := image.NewRGBA(corner)
	draw.Draw(crop, corner, img, corner.Min, draw.Src)
	if text, err2 := decode(crop); err2 == nil {
		return text, nil
	}
	return "", err
}

func decode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
