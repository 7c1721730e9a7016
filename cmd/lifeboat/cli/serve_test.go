package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"lifeboat/forms"
	"lifeboat/store"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestServe_RunsUntilCancelledAndStatusReadsIt(t *testing.T) {
	dir := mustInit(t)
	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte("a long ward passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, dir, "", "status"); err == nil || !strings.Contains(err.Error(), "start `lifeboat serve` first") {
		t.Fatalf("status before serve = %q, %v; want the advice to start serve", out, err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	root := &cobra.Command{Use: "lifeboat", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(Commands(&Env{DataDir: func(*cobra.Command) (string, error) { return dir, nil }, Stdin: strings.NewReader(""), KDF: store.TestKDF})...)
	var out syncBuffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"serve", "--passphrase-file", pass, "--bind", "127.0.0.1:0", "--status-every", "50ms"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, StatusFile)); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no status file within 20s:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err := run(t, dir, "", "status")
	if err != nil || !strings.Contains(got, "Peers: 0") || !strings.Contains(got, "Synced 100%") || !strings.Contains(got, "Vector:") {
		t.Errorf("status = %q, %v; want no peers, fully synced, a vector", got, err)
	}
	js, err := run(t, dir, "", "status", "--json")
	var doc statusDoc
	if err != nil || json.Unmarshal([]byte(js), &doc) != nil || doc.Device == "" || doc.Vector[doc.Device] != 3 {
		t.Errorf("status --json = %q, %v; want this device at seq 3", js, err)
	}

	cancel() // as SIGTERM does through the root context
	select {
	case err := <-done:
		if err != nil || !strings.Contains(out.String(), "Stopped.") {
			t.Errorf("serve after cancel = %v, output %q; want a clean stop", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s of cancellation")
	}
}

func TestServe_BadBindIsExplained(t *testing.T) {
	dir := mustInit(t)
	if _, err := run(t, dir, "", "serve", "--bind", "nowhere"); err == nil || !strings.Contains(err.Error(), `--bind "nowhere"`) {
		t.Errorf("serve --bind nowhere = %v, want it named", err)
	}
}

// A ward's always-on PC running `lifeboat serve` records the ward's
// summary for the site's capacity view, with nobody signed in: the
// trigger the app also runs (store.RunWardSummaries).
func TestServe_RecordsWardSummaries(t *testing.T) {
	dir := mustDemo(t)
	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte(DemoPassphrase+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The summary is this device's next event: its seq in the status
	// file moves past the demo's.
	var seeded uint64
	{
		db := mustUnlocked(t, filepath.Join(dir, StoreFile), DemoPassphrase)
		evs, err := db.EventsAfter(t.Context(), nil, 1<<30)
		dev, derr := db.Device(t.Context())
		db.Close()
		if err != nil || derr != nil {
			t.Fatal(err, derr)
		}
		for _, e := range evs {
			if e.Device == dev {
				seeded = max(seeded, e.Seq)
			}
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	root := &cobra.Command{Use: "lifeboat", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(Commands(&Env{DataDir: func(*cobra.Command) (string, error) { return dir, nil }, Stdin: strings.NewReader(""), KDF: store.TestKDF})...)
	var out syncBuffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"serve", "--passphrase-file", pass, "--bind", "127.0.0.1:0", "--status-every", "50ms"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(dir, StatusFile))
		var doc statusDoc
		if err == nil && json.Unmarshal(b, &doc) == nil && doc.Vector[doc.Device] > seeded {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new event within 20s:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve = %v\n%s", err, out.String())
	}
	db := mustUnlocked(t, filepath.Join(dir, StoreFile), DemoPassphrase)
	defer db.Close()
	evs, err := db.Events(t.Context(), "ward:w7", forms.KindWardSummary)
	dev, _ := db.Device(t.Context())
	if err != nil || len(evs) != 1 || evs[0].Author != "device:"+dev {
		t.Fatalf("ward summaries after serve = %+v, %v; want one, by this device", evs, err)
	}
	cs, _, err := db.SiteCapacity(t.Context())
	if err != nil || len(cs) == 0 {
		t.Fatalf("SiteCapacity() = %+v, %v", cs, err)
	}
	got, _ := forms.WardSummaryOf(evs[0])
	for _, c := range cs {
		if c.Ward == "w7" && c.WardSummary != got.WardSummary {
			t.Errorf("summary %+v, live board %+v: want the same counts", got.WardSummary, c.WardSummary)
		}
	}
}
