package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"lifeboat"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/sync/feed"
)

// newFeedUI is the demo ward at size with its feed.json in a temp data
// folder, signed in as the IT admin on the "Core system feed" tab.
func newFeedUI(t *testing.T, size fyne.Size, pull func(context.Context, feed.Config) (string, error)) (*UI, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), feed.ConfigFile)
	ui, _, _ := newTestUIWith(t, size, Options{FeedConfig: path, PullFeed: pull})
	openAdmin(t, ui, "Core system feed")
	return ui, path
}

// TestAdminFeed_SaveAndRefuse: the IT admin sets the feed up on the
// Admin screen. A setting feed.ParseConfig refuses (plain http to another
// machine, a pull every 10 seconds, a time that is not one) is refused in
// plain words and nothing is written; a good one is written to feed.json
// in the data folder, atomically (no temporary file left), reads back with
// feed.LoadConfig, and is shown when the tab is opened again.
func TestAdminFeed_SaveAndRefuse(t *testing.T) {
	ui, path := newFeedUI(t, desktop, nil)
	mustShow(t, ui, "No feed is set up", "Newest census: data as of 21-Nov-2026 06:00", "The feed has recorded no outage.")
	tap(t, ui, "Pull now")
	mustShow(t, ui, "Save the feed setting first")
	tap(t, ui, "Save feed setting")
	mustShow(t, ui, "Not saved: choose where the census comes from.")
	choose(t, ui, "Where the census comes from").SetSelected(feedFromFHIR)
	settle(ui)
	for _, c := range []struct{ base, every, want string }{
		{"http://pas.example.nhs.uk/fhir", "5m", "Not saved: fhir base http://pas.example.nhs.uk/fhir: patient data only over https"},
		{"https://pas.example.nhs.uk/fhir", "10s", "Not saved: every 10s: pull between every 30s and every 1h0m0s"},
		{"https://pas.example.nhs.uk/fhir", "often", `Not saved: Pull every "often" is not a time like 5m or 90s.`},
		{"", "5m", "Not saved: type the core system's FHIR server address"},
	} {
		entry(t, ui, "https://pas.example").SetText(c.base)
		entry(t, ui, "How often").SetText(c.every)
		tap(t, ui, "Save feed setting")
		mustShow(t, ui, c.want)
		if _, err := os.Stat(path); err == nil {
			t.Fatalf("base %q every %q: feed.json written, want it refused", c.base, c.every)
		}
	}

	entry(t, ui, "https://pas.example").SetText("https://pas.example.nhs.uk/fhir")
	entry(t, ui, "How often").SetText("2m")
	entry(t, ui, "Outage after").SetText("15m")
	entry(t, ui, "Token file").SetText("pas-token")
	tap(t, ui, "Save feed setting")
	mustShow(t, ui, "Saved.")
	cfg, err := feed.LoadConfig(path)
	if err != nil {
		t.Fatalf("LoadConfig of the saved feed.json: %v", err)
	}
	if cfg.FHIR == nil || cfg.FHIR.Base != "https://pas.example.nhs.uk/fhir" || cfg.Every.Duration != 2*time.Minute ||
		cfg.OutageAfter.Duration != 15*time.Minute || cfg.FHIR.TokenFile != filepath.Join(filepath.Dir(path), "pas-token") {
		t.Errorf("saved config = %+v %+v", cfg, cfg.FHIR)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".feed-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// Opened again, the tab shows the file.
	ui.ShowSection("ward")
	openAdminAgain(t, ui)
	mustShow(t, ui, "The feed setting, from feed.json in the data folder")
	if got := entry(t, ui, "https://pas.example").Text; got != "https://pas.example.nhs.uk/fhir" {
		t.Errorf("base shown = %q", got)
	}
	if got := entry(t, ui, "How often").Text; got != "2m" {
		t.Errorf("every shown = %q, want 2m", got)
	}
	if got := entry(t, ui, "Token file").Text; got != "pas-token" {
		t.Errorf("token file shown = %q, want the path as written", got)
	}
}

// openAdminAgain opens the admin screen's feed tab for whoever is signed in.
func openAdminAgain(t *testing.T, ui *UI) {
	t.Helper()
	ui.ShowSection("admin")
	settle(ui)
	showTab(t, ui, "Core system feed")
}

// An existing feed.json with OAuth2 is shown by its paths and client,
// never the secret in its file, and saving keeps what the form does not
// edit (OAuth2, the wards to pull). A folder feed is shown as one.
func TestAdminFeed_ShowsPathsNeverSecrets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, feed.ConfigFile)
	if err := os.WriteFile(filepath.Join(dir, "client-secret"), []byte("s3cret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(`{"fhir": {"base": "https://pas.example.nhs.uk/fhir", "wards": ["Location/ward-7"],
  "oauth2": {"token_url": "https://pas.example.nhs.uk/token", "client_id": "lifeboat-w7", "client_secret_file": "client-secret"}},
  "every": "5m"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ui, _, _ := newTestUIWith(t, desktop, Options{FeedConfig: path})
	openAdmin(t, ui, "Core system feed")
	mustShow(t, ui, "client lifeboat-w7, secret in client-secret")
	if shows(ui, "s3cret") {
		t.Fatal("the client secret is on screen")
	}
	entry(t, ui, "How often").SetText("10m")
	tap(t, ui, "Save feed setting")
	cfg, err := feed.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FHIR.OAuth2 == nil || cfg.FHIR.OAuth2.ClientID != "lifeboat-w7" || len(cfg.FHIR.Wards) != 1 || cfg.Every.Duration != 10*time.Minute {
		t.Errorf("saved config lost what the form does not edit: %+v %+v", cfg, cfg.FHIR)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "s3cret") {
		t.Error("feed.json holds the secret")
	}

	if err := os.WriteFile(path, []byte(`{"folder": {"path": "/mnt/pas"}, "every": "1m", "outage_after": "3m"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	openAdminAgain(t, ui)
	if got := entry(t, ui, "Folder the core system").Text; got != "/mnt/pas" {
		t.Errorf("folder shown = %q", got)
	}
	if got := entry(t, ui, "Outage after").Text; got != "3m" {
		t.Errorf("outage after shown = %q", got)
	}
}

// A feed.json the checks refuse is shown with what is wrong, so the admin
// can correct it.
func TestAdminFeed_BadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), feed.ConfigFile)
	if err := os.WriteFile(path, []byte(`{"fhir": {"base": "https://pas.example.nhs.uk/fhir", "token": "abc"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ui, _, _ := newTestUIWith(t, desktop, Options{FeedConfig: path})
	openAdmin(t, ui, "Core system feed")
	mustShow(t, ui, "has a problem: unknown field \"token\"")
	if shows(ui, "abc") {
		t.Error("the pasted token is on screen")
	}
}

// TestAdminFeed_PullNow: with Options.PullFeed, "Pull now" pulls once with
// the saved setting and shows the summary, or why it failed in plain
// words (credentials refused; the rest by kind, never the raw error).
func TestAdminFeed_PullNow(t *testing.T) {
	var got []feed.Config
	fail := error(nil)
	pull := func(_ context.Context, cfg feed.Config) (string, error) {
		got = append(got, cfg)
		if fail != nil {
			return "", fail
		}
		return "312 patients, data as of 22-Nov-2026 08:55", nil
	}
	ui, path := newFeedUI(t, desktop, pull)
	tap(t, ui, "Pull now")
	mustShow(t, ui, "Save the feed setting first")
	if len(got) != 0 {
		t.Fatal("pulled with no saved setting")
	}
	if err := os.WriteFile(path, []byte(`{"fhir": {"base": "https://pas.example.nhs.uk/fhir"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tap(t, ui, "Pull now")
	mustShow(t, ui, "Pulled: 312 patients, data as of 22-Nov-2026 08:55")
	if len(got) != 1 || got[0].FHIR == nil || got[0].FHIR.Base != "https://pas.example.nhs.uk/fhir" || got[0].Every.Duration != feed.DefaultEvery {
		t.Errorf("PullFeed got %+v, want the saved setting, checked", got)
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("pull https://pas.example.nhs.uk/fhir/Patient?x=KEY: HTTP 401: %w", lifeboat.ErrPermission), "refused the feed's credentials"},
		{fmt.Errorf("dial tcp 10.0.0.1:443: connection refused"), "could not be reached"},
		{Plain("the server sent HTML, not FHIR."), "The pull did not work: the server sent HTML, not FHIR."},
	} {
		fail = c.err
		tap(t, ui, "Pull now")
		mustShow(t, ui, c.want)
		if shows(ui, "KEY") || shows(ui, "10.0.0.1") {
			t.Errorf("raw error on screen: %q", texts(ui))
		}
	}
}

// TestAdminFeed_State: the tab shows the feed's state from the log: the
// newest census (as of, source) and the newest feed.status.
func TestAdminFeed_State(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), feed.ConfigFile)
			if err := os.WriteFile(path, []byte(`{"fhir": {"base": "https://pas.example.nhs.uk/fhir", "token_file": "pas-token", "ca_file": "trust-ca.pem"}, "every": "5m", "outage_after": "15m"}`), 0o600); err != nil {
				t.Fatal(err)
			}
			ui, db, _ := newTestUIWith(t, size, Options{FeedConfig: path, PullFeed: func(context.Context, feed.Config) (string, error) { return "", nil }})
			openAdmin(t, ui, "Core system feed")
			recordFeedStatus(t, ui, db, false, demoNow.Add(-2*time.Hour))
			mustShow(t, ui, "Newest census: data as of 21-Nov-2026 06:00, from Core system census (demo) (18 patients).",
				"Core system unreachable since 07:00 (2 h). Last failure: connection refused.")
			golden(t, ui, "admin_feed_"+sizeSuffix(size))
		})
	}
}

// Only IT admins have the feed setting: the Admin screen is theirs alone.
func TestAdminFeed_NotForOthers(t *testing.T) {
	for _, who := range []struct{ name, pin string }{{"Nia Nurse", cli.DemoNursePIN}, {"Phil Pharmacist", "2468"}, {"Bea Beds", "3691"}} {
		ui, _, _ := newTestUIWith(t, desktop, Options{FeedConfig: filepath.Join(t.TempDir(), feed.ConfigFile)})
		signInAs(t, ui, who.name, who.pin)
		ui.ShowSection("admin")
		settle(ui)
		if shows(ui, "Core system feed") || shows(ui, "The feed keeps the census current") {
			t.Errorf("%s sees the feed setting", who.name)
		}
	}
}
