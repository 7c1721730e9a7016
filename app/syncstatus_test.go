package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"fyne.io/fyne/v2/test"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
	"lifeboat/sync/mesh"
)

// A sync that cannot start after unlocking (here its port is taken by
// another program, a real listener on loopback) is told in its own plain
// words: records stay on this device. It once read "Something went wrong
// saving this", the catch-all, right after the passphrase.
func TestSync_StartFailureShowsItsOwnWords(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	var db *store.DB
	start := func(context.Context) (Sync, func(), error) {
		node, err := mesh.New(mesh.Config{Store: db, BindAddr: "127.0.0.1", BindPort: port,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return nil, nil, err
		}
		t.Errorf("mesh.New on port %d, which is in use, did not fail", port)
		return node, func() {}, nil
	}
	ui, d, _ := newTestUIWith(t, desktop, Options{StartSync: start})
	db = d
	test.Type(entry(t, ui, "Ward passphrase"), cli.DemoPassphrase)
	tap(t, ui, "Unlock")
	mustShow(t, ui, MsgSyncNotStarted)
	if shows(ui, MsgUnknown) {
		t.Errorf("the catch-all %q shows too", MsgUnknown)
	}
	if ui.Sync() != nil {
		t.Error("Sync() is not nil though sync did not start")
	}
}
