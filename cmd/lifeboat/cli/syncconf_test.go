package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The sync file sets the store's clock bound; a bad one is explained and
// stops the store opening rather than falling back silently.
func TestStoreOptions_MaxClockAheadFromSyncFile(t *testing.T) {
	dir := t.TempDir()
	if o, err := StoreOptions(dir); err != nil || o.MaxClockAhead != 0 {
		t.Fatalf("no sync file: StoreOptions() = %+v, %v; want the store's default", o, err)
	}
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, SyncFile), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"join":["10.0.0.2:7946"],"max_clock_ahead":"10m"}`)
	if o, err := StoreOptions(dir); err != nil || o.MaxClockAhead != 10*time.Minute {
		t.Errorf("StoreOptions() = %+v, %v; want a 10 min bound", o, err)
	}
	for _, bad := range []string{"soon", "-5m", "0s"} {
		write(`{"join":[],"max_clock_ahead":"` + bad + `"}`)
		if _, err := StoreOptions(dir); err == nil || !strings.Contains(err.Error(), "max_clock_ahead") {
			t.Errorf("max_clock_ahead %q: StoreOptions() = %v; want it explained", bad, err)
		}
	}
}

// The peers the Windows installer was given (JOIN) are joined with those
// lifeboat enrol saved, after them, each once.
func TestWithMachineJoin(t *testing.T) {
	tests := []struct{ file, machine, want []string }{
		{nil, nil, nil},
		{[]string{"10.0.0.2:7946"}, nil, []string{"10.0.0.2:7946"}},
		{nil, []string{"10.0.0.9:7946"}, []string{"10.0.0.9:7946"}},
		{[]string{"10.0.0.2:7946", "10.0.0.9:7946"}, []string{"10.0.0.9:7946", "relay:7946"}, []string{"10.0.0.2:7946", "10.0.0.9:7946", "relay:7946"}},
	}
	for _, tt := range tests {
		if got := withMachineJoin(slices.Clone(tt.file), tt.machine); !slices.Equal(got, tt.want) {
			t.Errorf("withMachineJoin(%v, %v) = %v, want %v", tt.file, tt.machine, got, tt.want)
		}
	}
}
