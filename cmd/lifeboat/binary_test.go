package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

// binDir holds the command builtLifeboat builds; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// builtLifeboat builds the lifeboat command (with this test's build tags
// and cgo setting, so the build cache has it all) once per test run, and
// returns its path.
var builtLifeboat = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "lifeboat-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	exe := filepath.Join(dir, "lifeboat")
	args := []string{"build", "-o", exe}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "-tags" && s.Value != "" {
				args = append(args, "-tags", s.Value)
			}
		}
	}
	// go test puts its own go first on PATH.
	cmd := exec.Command("go", append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{err, string(out)}
	}
	return exe, nil
})

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "build lifeboat: " + e.err.Error() + "\n" + e.out }

func mustBuild(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the command: not with -short")
	}
	exe, err := builtLifeboat()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// The built command, run in a C locale (LANG=C.UTF-8 is the default of
// Debian's containers and many servers; C and unset too), prints its help
// and its errors without "Fyne error: Error parsing user locale C" on top.
func TestRun_NoFyneLocaleError(t *testing.T) {
	exe := mustBuild(t)
	for _, env := range [][]string{{"LANG=C.UTF-8"}, {"LANG=C"}, {"LC_ALL=C.UTF-8", "LANG=en_GB.UTF-8"}, {"LANG=POSIX"}, {}} {
		for _, args := range [][]string{{"--help"}, {"verify", "--data", t.TempDir()}} {
			t.Run(strings.Join(env, " ")+" "+args[0], func(t *testing.T) {
				cmd := exec.Command(exe, args...)
				cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
				out, _ := cmd.CombinedOutput()
				if strings.Contains(string(out), "Fyne error") || strings.Contains(string(out), "locale") {
					t.Errorf("%v lifeboat %s printed %q", env, strings.Join(args, " "), out)
				}
				if !strings.Contains(string(out), map[string]string{"--help": "Lifeboat keeps", "verify": "no Lifeboat store"}[args[0]]) {
					t.Errorf("%v lifeboat %s printed %q, not its own output", env, strings.Join(args, " "), out)
				}
			})
		}
	}
}
