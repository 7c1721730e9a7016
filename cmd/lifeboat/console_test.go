package main

import (
	"strings"
	"testing"
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
