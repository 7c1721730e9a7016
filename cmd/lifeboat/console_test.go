package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lifeboat/cmd/lifeboat/cli"
)

// On Windows main attaches the parent console for commands only: opening
// the app from a console must leave it alone, and everything that prints
// or prompts must get it.
func TestWantsConsole(t *testing.T) {
	for _, tc := range []struct {
		args string
		want bool
	}{
		{"", false},
		{"--data D:\\Lifeboat", false},
		{"--drill", false},
		{"--data=X --join 10.0.0.1:7946 --idle-lock 2m", false},
		{"--help", true},
		{"-h", true},
		{"--version", true},
		{"help", true},
		{"verify", true},
		{"--data X verify", true},
		{"invite --data X", true},
		{"serve --bind 0.0.0.0:7946", true},
		{"export --out x.json", true},
		{"scopes set --help", true},
		{"completion powershell", true},
		{"--bogus", true},     // its error must be read
		{"--idle-lock", true}, // flag without its value
		{"no-such-command", true},
	} {
		if got := wantsConsole(strings.Fields(tc.args)); got != tc.want {
			t.Errorf("wantsConsole(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

// Lifeboat.exe run with a command from a console takes no secrets typed
// there (the shell, which does not wait for a GUI program, would read
// them too): its prompt says to use lifeboat-cli.exe, and nothing is made.
func TestRun_NoConsoleInputPointsToTheConsoleExe(t *testing.T) {
	stdin = noConsoleInput{}
	defer func() { stdin = nil }()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--data", dir, "init", "--site", "S", "--ward", "W", "--admin", "A"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "run lifeboat-cli.exe instead") {
		t.Errorf("init = %d, stderr %q; want 1 and a pointer to lifeboat-cli.exe", code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(dir, cli.StoreFile)); err == nil {
		t.Error("init made a store")
	}
}
