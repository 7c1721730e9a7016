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
