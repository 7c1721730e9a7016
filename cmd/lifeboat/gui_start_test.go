package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat/app"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/sync/mesh"
)

// testGUI makes runGUI use Fyne's test app, whose ShowAndRun returns at
// once, so runGUI can be driven to where it shows a window.
func testGUI(t *testing.T) {
	t.Helper()
	saved := newFyneApp
	newFyneApp = func() fyne.App { return test.NewTempApp(t) }
	t.Cleanup(func() { newFyneApp = saved })
}

// windowText is every label's text in the app's newest window.
func windowText(t *testing.T) string {
	t.Helper()
	ws := fyne.CurrentApp().Driver().AllWindows()
	if len(ws) == 0 {
		t.Fatal("no window")
	}
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
		case *container.Scroll:
			walk(x.Content)
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(ws[len(ws)-1].Content())
	return strings.Join(out, "\n")
}

// The machine-wide data folder held by a Lifeboat in another Windows
// session (fast user switching): opening the app from the menu says so
// in a window, where it once just did not appear (the error went to a
// standard error nobody reads).
func TestRunGUI_DataFolderInUseSaysSo(t *testing.T) {
	testGUI(t)
	dir := t.TempDir()
	release, err := cli.LockDataDir(dir) // as another process would
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	err = runGUI(context.Background(), dir, mesh.Config{}, false, app.DefaultIdleLock)
	if err == nil || !strings.Contains(err.Error(), "another Lifeboat is using this data folder") {
		t.Fatalf("runGUI on a folder in use = %v", err)
	}
	if got := windowText(t); !strings.Contains(got, "Lifeboat is already open on this computer, perhaps in another person's session") {
		t.Errorf("window says %q", got)
	}
}

// A per-user store that cannot be moved into the machine-wide folder (a
// Lifeboat still runs on it): opening the app says so in a window and
// nothing is moved; the shared folder gets no store of its own.
func TestRun_GUIMoveFailureShownInAWindow(t *testing.T) {
	testGUI(t)
	base := t.TempDir()
	shared := filepath.Join(base, "shared")
	t.Setenv("XDG_DATA_HOME", filepath.Join(base, "xdg"))
	t.Setenv("LIFEBOAT_SHARED", shared)
	old := filepath.Join(base, "xdg", "lifeboat")
	if err := os.MkdirAll(old, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, cli.StoreFile), []byte("a store"), 0o600); err != nil {
		t.Fatal(err)
	}
	release, err := cli.LockDataDir(old)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), nil, &out, &errOut); code != 1 {
		t.Fatalf("lifeboat = %d, stderr %q", code, errOut.String())
	}
	got := windowText(t)
	if !strings.Contains(got, "Lifeboat is already open on this computer") || !strings.Contains(got, "nothing was moved") {
		t.Errorf("window says %q", got)
	}
	if _, err := os.Stat(filepath.Join(shared, cli.StoreFile)); err == nil {
		t.Error("a store appeared in the shared folder")
	}
}

// A store that cannot be opened (here not a store at all): the window
// says the app could not open, where it once just did not appear.
func TestRunGUI_StoreThatWillNotOpenSaysSo(t *testing.T) {
	testGUI(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, cli.StoreFile), bytes.Repeat([]byte("not a store "), 500), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := runGUI(context.Background(), dir, mesh.Config{}, false, app.DefaultIdleLock); err == nil {
		t.Fatal("runGUI on a damaged store: no error")
	}
	if got := windowText(t); !strings.HasPrefix(got, "Lifeboat could not open. Nothing was changed. Tell IT.\n\nFor IT: open store") {
		t.Errorf("window says %q", got)
	}
}
