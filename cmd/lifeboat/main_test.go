package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"

	"lifeboat/app"
	"lifeboat/assets"
)

func TestRun_BadCommandLine(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"--data"}, {"no-such-command"}, {"--idle-lock", "soon"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), args, &out, &errOut)
			if code != 2 {
				t.Errorf("run(%q) = %d, want 2", args, code)
			}
			if !strings.Contains(errOut.String(), "lifeboat: ") || !strings.Contains(errOut.String(), "--help") {
				t.Errorf("run(%q) stderr = %q, want a lifeboat: error and a pointer to --help", args, errOut.String())
			}
		})
	}
}

func TestRun_IdleLockOutOfRange(t *testing.T) {
	// The flag may shorten the ward's 5-minute idle lock, never lengthen
	// it or make it lock while someone reads; refused before any window
	// or store opens.
	for _, v := range []string{"9s", "5m1s", "0", "-1m", "1h"} {
		t.Run(v, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"--data", t.TempDir(), "--idle-lock", v}, &out, &errOut)
			if code != 2 || !strings.Contains(errOut.String(), "--idle-lock") || !strings.Contains(errOut.String(), "5m0s") {
				t.Errorf("run(--idle-lock %s) = %d, stderr %q; want 2 and an error naming --idle-lock and its limit", v, code, errOut.String())
			}
		})
	}
}

func TestIdleLockFlag(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want time.Duration
	}{{"", app.DefaultIdleLock}, {"10s", 10 * time.Second}, {"90s", 90 * time.Second}, {"5m", 5 * time.Minute}} {
		root := newRoot()
		args := []string{}
		if tc.arg != "" {
			args = []string{"--idle-lock", tc.arg}
		}
		if err := root.ParseFlags(args); err != nil {
			t.Fatal(err)
		}
		if got, err := idleLockFlag(root); err != nil || got != tc.want {
			t.Errorf("idleLockFlag(%q) = %v, %v; want %v", tc.arg, got, err, tc.want)
		}
	}
}

func TestRun_Help(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &errOut); code != 0 {
		t.Fatalf("run(--help) = %d, want 0 (stderr %q)", code, errOut.String())
	}
	for _, want := range []string{"Lifeboat keeps", "--data"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("run(--help) output = %q, want it to mention %q", out.String(), want)
		}
	}
}

func TestDataDirFlag(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	if err := root.ParseFlags([]string{"--data", dir}); err != nil {
		t.Fatal(err)
	}
	got, err := dataDirFlag(root)
	if err != nil || got != dir {
		t.Errorf("dataDirFlag() = %q, %v, want %q", got, err, dir)
	}
}

func TestSetupWindow(t *testing.T) {
	a := test.NewTempApp(t)
	w, sh := setupWindow(a, app.Status{Ward: "Ward 7B"})
	defer w.Close()
	if got := w.Title(); got != "Lifeboat" {
		t.Errorf("window title = %q, want %q", got, "Lifeboat")
	}
	if got, want := w.Canvas().Size(), fyne.NewSize(1280, 800); got != want {
		t.Errorf("window size = %v, want %v", got, want)
	}
	// The test app ignores SetIcon; check what setupWindow hands it.
	if !bytes.Equal(icon.Content(), assets.Icon) {
		t.Error("icon resource is not assets.Icon")
	}
	if _, ok := a.Settings().Theme().(*app.Theme); !ok {
		t.Errorf("theme = %T, want *app.Theme", a.Settings().Theme())
	}
	if got := sh.Banner().Status().Ward; got != "Ward 7B" {
		t.Errorf("banner ward = %q, want %q", got, "Ward 7B")
	}
}

// TestMetadata keeps the constants in gui.go in step with FyneApp.toml.
func TestMetadata(t *testing.T) {
	var meta struct {
		Details struct {
			Icon, Name, ID, Version string
			Build                   int
		}
		Migrations map[string]bool
	}
	if _, err := toml.DecodeFile(filepath.Join("..", "..", "FyneApp.toml"), &meta); err != nil {
		t.Fatal(err)
	}
	d := meta.Details
	if d.ID != appID || d.Name != appName || d.Version != appVersion || d.Build != appBuild {
		t.Errorf("FyneApp.toml Details = %+v, want ID %q Name %q Version %q Build %d", d, appID, appName, appVersion, appBuild)
	}
	if !meta.Migrations["fyneDo"] {
		t.Error("FyneApp.toml: [Migrations] fyneDo = true is missing")
	}
	b, err := os.ReadFile(filepath.Join("..", "..", d.Icon))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, assets.Icon) {
		t.Errorf("FyneApp.toml Icon %s differs from assets.Icon", d.Icon)
	}
}

// Every command's --help renders, and each flag line is the flag, at most
// one word naming its value, then its usage: a word in backquotes in a
// usage is taken for the value's name, which printed `--code lifeboat
// invite   the enrolment code ... shown by lifeboat invite`.
func TestRun_EveryCommandsHelpIsClean(t *testing.T) {
	flagLine := regexp.MustCompile(`^ +(-[a-zA-Z], )?--[a-z0-9-]+( [a-zA-Z0-9]+)?( {2,}\S|$)`)
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		n++
		path := strings.Fields(c.CommandPath())[1:]
		var out, errOut bytes.Buffer
		if code := run(context.Background(), append(path, "--help"), &out, &errOut); code != 0 || errOut.Len() > 0 {
			t.Errorf("lifeboat %s --help = %d, stderr %q", strings.Join(path, " "), code, errOut.String())
		}
		flags := false
		for _, line := range strings.Split(out.String(), "\n") {
			switch {
			case strings.HasSuffix(line, "Flags:"):
				flags = true
			case line == "":
				flags = false
			case flags && strings.HasPrefix(strings.TrimSpace(line), "-") && !flagLine.MatchString(line):
				t.Errorf("lifeboat %s --help: garbled flag line %q", strings.Join(path, " "), line)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot())
	if n < 20 {
		t.Errorf("walked %d commands, want every one of lifeboat's (over 20)", n)
	}
}

// lifeboat --version says the version FyneApp.toml gives every package
// (make dist-check compares the two).
func TestRun_Version(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, &out, &errOut); code != 0 || out.String() != "lifeboat version "+appVersion+"\n" {
		t.Errorf("run(--version) = %d, %q (stderr %q); want 0, \"lifeboat version %s\"", code, out.String(), errOut.String(), appVersion)
	}
}
