package lifeboat_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// paperShots are the screenshots that are not screens: pages of the
// printed charts, rendered from the PDF with pdftoppm (see
// sync/reconcile/paper/papertest).
var paperShots = map[string]bool{"print_obs.png": true, "print_ward.png": true}

var shotRef = regexp.MustCompile(`\(((?:docs/)?screenshots/[^)\s]+\.png)\)`)

// TestScreenshots_AreTheGoldens: every screenshot in the docs is a copy
// of the golden image of the same name (app/testdata, refreshed by the
// screen tests' -update; `make screenshots` copies them), so a picture
// in the user guide cannot fall behind the screen it shows; and every
// image the README and docs show exists.
func TestScreenshots_AreTheGoldens(t *testing.T) {
	shots, err := filepath.Glob(filepath.Join("docs", "screenshots", "*.png"))
	if err != nil || len(shots) == 0 {
		t.Fatalf("no screenshots in docs/screenshots (%v)", err)
	}
	for _, shot := range shots {
		name := filepath.Base(shot)
		if paperShots[name] {
			continue
		}
		want, err := os.ReadFile(filepath.Join("app", "testdata", name))
		if err != nil {
			t.Errorf("%s: no golden of that name in app/testdata: name it after the golden it shows", shot)
			continue
		}
		got, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from app/testdata/%s: run make screenshots", shot, name)
		}
	}
	docs, _ := filepath.Glob(filepath.Join("docs", "*.md"))
	for _, doc := range append(docs, "README.md") {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range shotRef.FindAllStringSubmatch(string(text), -1) {
			path := m[1]
			if !strings.HasPrefix(path, "docs/") {
				path = filepath.Join(filepath.Dir(doc), path)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s shows %s, which does not exist", doc, m[1])
			}
		}
	}
}
