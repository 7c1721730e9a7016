package lifeboat_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// productPath lists the packages whose tests drive Lifeboat as its users
// do: the screens (Fyne's test driver on a real store), the commands, and
// the sync engine with real nodes on loopback. A hazard control counts
// when one of these reaches it; a test of a pure rule shows the rule is
// right, not that anyone is protected by it.
var productPath = []string{"app/", "cmd/", "sync/mesh/"}

var (
	testName   = regexp.MustCompile("`((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]+)`")
	testFunc   = regexp.MustCompile(`^func ((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]+)\(`)
	hazardHead = regexp.MustCompile(`^## (HAZ-\d\d) `)
	control    = regexp.MustCompile(`^  (\d+)\. `)
	fieldLine  = regexp.MustCompile(`^- \*\*(Status|Owner|Review)\*\*: (.+)$`)
)

// testsInModule maps every test, fuzz and benchmark function in the
// module to the directory (slash-separated, relative, with a trailing
// slash) of its file.
func testsInModule(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if m := testFunc.FindStringSubmatch(sc.Text()); m != nil {
				out[m[1]] = filepath.ToSlash(filepath.Dir(path)) + "/"
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHazardLog_NamesRealTestsOnTheProductPath holds the hazard log to its
// own rules: every test it names exists; every hazard has a status, an
// owner and a review date; and every numbered control names at least one
// test that drives the product (productPath), unless it is a procedure
// (training, policy) marked "Procedure:".
func TestHazardLog_NamesRealTestsOnTheProductPath(t *testing.T) {
	tests := testsInModule(t)
	f, err := os.Open("docs/safety/hazard-log.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	type ctl struct {
		hazard, num string
		text        strings.Builder
	}
	var (
		controls []*ctl
		cur      *ctl
		hazard   string
		fields   = map[string]map[string]string{}
		hazards  []string
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		for _, m := range testName.FindAllStringSubmatch(line, -1) {
			if _, ok := tests[m[1]]; !ok {
				t.Errorf("%s: the log names %s, which no test file defines", hazard, m[1])
			}
		}
		switch {
		case hazardHead.MatchString(line):
			hazard = hazardHead.FindStringSubmatch(line)[1]
			hazards = append(hazards, hazard)
			fields[hazard] = map[string]string{}
			cur = nil
		case hazard == "":
		case fieldLine.MatchString(line):
			m := fieldLine.FindStringSubmatch(line)
			fields[hazard][m[1]] = m[2]
			cur = nil
		case control.MatchString(line):
			cur = &ctl{hazard: hazard, num: control.FindStringSubmatch(line)[1]}
			cur.text.WriteString(line)
			controls = append(controls, cur)
		case strings.HasPrefix(line, "     ") && cur != nil:
			cur.text.WriteString(" " + strings.TrimSpace(line))
		default:
			cur = nil
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(hazards) < 21 {
		t.Fatalf("the log holds %d hazards; want at least 21", len(hazards))
	}
	for _, h := range hazards {
		fs := fields[h]
		switch strings.Fields(fs["Status"] + " -")[0] {
		case "Open", "Closed", "Monitoring":
		default:
			t.Errorf("%s: status %q; want Open, Closed or Monitoring (and why)", h, fs["Status"])
		}
		if fs["Owner"] == "" {
			t.Errorf("%s: no owner", h)
		}
		if _, err := time.Parse("2006-01-02", fs["Review"]); err != nil {
			t.Errorf("%s: review date %q is not YYYY-MM-DD", h, fs["Review"])
		}
	}
	for _, c := range controls {
		text := c.text.String()
		if strings.Contains(text, "Procedure:") {
			continue
		}
		product := false
		for _, m := range testName.FindAllStringSubmatch(text, -1) {
			for _, p := range productPath {
				if strings.HasPrefix(tests[m[1]], p) {
					product = true
				}
			}
		}
		if !product {
			t.Errorf("%s control %s names no test on the product path (%s): %.80s…", c.hazard, c.num, strings.Join(productPath, ", "), text)
		}
	}
}
