package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lifeboat/sync/reconcile"
)

// TestSendAndExport_BundleSizeFlag: `lifeboat send` and `lifeboat export`
// refuse a --bundle-size outside 1..500 with a usage error before opening
// the store or calling out (before, 0 and negative sizes silently became
// 8); `export --bundle-size 1` writes one record per Bundle.
func TestSendAndExport_BundleSizeFlag(t *testing.T) {
	dir := mustDemo(t)
	for _, n := range []string{"0", "-3", "501"} {
		_, err := run(t, dir, demoAdminIn, "send", "--url", "https://fhir.invalid/R4", "--bundle-size", n, "--user", "Ada Admin")
		if err == nil || !strings.Contains(err.Error(), "--bundle-size "+n+": give the most entries per Bundle, 1 to 500") {
			t.Errorf("send --bundle-size %s: %v", n, err)
		}
		_, err = run(t, dir, demoAdminIn, "export", "--out", t.TempDir(), "--bundle-size", n, "--user", "Ada Admin")
		if err == nil || !strings.Contains(err.Error(), "--bundle-size "+n+": give the most entries per Bundle, 1 to 500") {
			t.Errorf("export --bundle-size %s: %v", n, err)
		}
	}
	out := t.TempDir()
	if msg, err := run(t, dir, demoAdminIn, "export", "--out", out, "--ndjson", "--bundle-size", "1", "--user", "Ada Admin"); err != nil {
		t.Fatalf("export --bundle-size 1 = %q, %v", msg, err)
	}
	f, err := os.Open(filepath.Join(out, "bundles.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	bundles, small := 0, 0
	for sc.Scan() {
		var b reconcile.Bundle
		if err := json.Unmarshal(sc.Bytes(), &b); err != nil {
			t.Fatal(err)
		}
		bundles++
		// One record each: the Patient leads; one resource of the record
		// itself unless it needs several (an observation set, a stay).
		if len(b.Entry) <= 2 {
			small++
		}
	}
	if bundles == 0 || small == 0 {
		t.Errorf("export --bundle-size 1 wrote %d bundles, %d of at most 2 entries", bundles, small)
	}
}
