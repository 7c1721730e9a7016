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

// readNDJSON is the raw text of an export --ndjson.
func readNDJSON(t *testing.T, out string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "bundles.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestExport_TrustSystems: `lifeboat export` writes the trust's identifier
// systems from --system-base, from --systems FILE, or from the data
// folder's fhir-systems.json; without any, today's lifeboat.example ones;
// a bad file is refused before anything is written.
func TestExport_TrustSystems(t *testing.T) {
	dir := mustDemo(t)
	export := func(args ...string) (string, error) {
		out := t.TempDir()
		_, err := run(t, dir, demoAdminIn, append([]string{"export", "--out", out, "--ndjson", "--user", "Ada Admin"}, args...)...)
		if err != nil {
			return "", err
		}
		return readNDJSON(t, out), nil
	}
	if got, err := export(); err != nil || !strings.Contains(got, reconcile.EventIDSystem) {
		t.Fatalf("export with no systems: %v; want %s", err, reconcile.EventIDSystem)
	}
	got, err := export("--system-base", "https://fhir.trust.nhs.uk/lifeboat")
	if err != nil || strings.Contains(got, "lifeboat.example") || !strings.Contains(got, `"system":"https://fhir.trust.nhs.uk/lifeboat/event-id"`) {
		t.Errorf("export --system-base: %v; lifeboat.example left: %v", err, strings.Contains(got, "lifeboat.example"))
	}
	file := filepath.Join(dir, SystemsFile)
	if err := os.WriteFile(file, []byte(`{"base":"https://fhir.trust.nhs.uk/lb","location":"https://fhir.trust.nhs.uk/Id/location"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err = export()
	if err != nil || strings.Contains(got, "lifeboat.example") || !strings.Contains(got, `"system":"https://fhir.trust.nhs.uk/Id/location"`) || !strings.Contains(got, `"system":"https://fhir.trust.nhs.uk/lb/patient-id"`) {
		t.Errorf("export with %s: %v", SystemsFile, err)
	}
	if err := os.WriteFile(file, []byte(`{"base":"https://fhir.trust.nhs.uk/lb","locaton":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := export(); err == nil || !strings.Contains(err.Error(), SystemsFile) || !strings.Contains(err.Error(), "unknown field") {
		t.Errorf("export with a bad %s: %v", SystemsFile, err)
	}
	if _, err := run(t, dir, demoAdminIn, "send", "--url", "https://fhir.invalid/R4", "--system-base", "fhir.trust.nhs.uk", "--user", "Ada Admin"); err == nil || !strings.Contains(err.Error(), "--system-base fhir.trust.nhs.uk") {
		t.Errorf("send --system-base without https: %v", err)
	}
}

// TestSend_WorkersFlag: `lifeboat send` refuses a --workers outside 1..32
// with a usage error before opening the store or calling out.
func TestSend_WorkersFlag(t *testing.T) {
	dir := mustDemo(t)
	for _, n := range []string{"0", "-1", "33"} {
		_, err := run(t, dir, demoAdminIn, "send", "--url", "https://fhir.invalid/R4", "--workers", n, "--user", "Ada Admin")
		if err == nil || !strings.Contains(err.Error(), "--workers "+n+": give how many transactions may be in flight at once, 1 to 32") {
			t.Errorf("send --workers %s: %v", n, err)
		}
	}
}
