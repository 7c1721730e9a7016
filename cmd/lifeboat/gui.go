package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"lifeboat/app"
	"lifeboat/assets"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
	"lifeboat/sync/feed"
	"lifeboat/sync/mesh"
	"lifeboat/sync/reconcile"
)

// Metadata mirrored from FyneApp.toml: a plain `go build` does not read that
// file, only the fyne packaging tool does. TestMetadata keeps them in step.
const (
	appID      = "uk.nhs.lifeboat"
	appName    = "Lifeboat"
	appVersion = "0.1.0"
	appBuild   = 1
)

// icon is the app icon, shared by the window, the taskbar and the packager.
var icon = fyne.NewStaticResource("icon.png", assets.Icon)

// runGUI opens the Lifeboat window on the store in dataDir (the unlock
// screen), or tells the person how to set one up when there is none yet,
// and returns when the window is closed or ctx is cancelled (Ctrl-C,
// SIGTERM).
//
// With sync on, the app joins the ward mesh (cfg) whenever the store is
// unlocked.
func runGUI(ctx context.Context, dataDir string, cfg mesh.Config, sync bool, idle time.Duration) error {
	a, w := newGUI()
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return startFailed(w, fmt.Errorf("create data folder: %w", err))
	}
	release, err := cli.LockDataDir(dataDir)
	if err != nil {
		return startFailed(w, err)
	}
	defer release()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(os.Getenv("LIFEBOAT_LOG"))}))

	path := filepath.Join(dataDir, cli.StoreFile)
	var (
		db *store.DB
		ui *app.UI
	)
	defer func() {
		if ui != nil {
			ui.Close()
		}
		if db != nil {
			db.Close()
		}
	}()
	open := func() error {
		sopts, err := cli.StoreOptions(dataDir) // the clock bound, if the sync file sets one
		if err != nil {
			return err
		}
		sopts.Logger = log
		if db, err = store.Open(ctx, path, sopts); err != nil {
			return fmt.Errorf("open store %s: %w", path, err)
		}
		opts := app.Options{Logger: log, IdleLock: idle,
			FHIRSystems: func() (reconcile.Systems, error) { return cli.DataFolderSystems(dataDir) },
			FeedConfig:  filepath.Join(dataDir, feed.ConfigFile)}
		if sync {
			opts.StartSync = meshStarter(db, cfg, log)
			if len(cfg.Join) > 0 {
				// After joining, the admin device: the sign-in screen
				// says it waits for the staff list from there.
				opts.StaffFrom = cfg.Join[0]
			}
		}
		ui = app.New(a, w, db, opts)
		return nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		app.ShowFirstRun(w, dataDir, app.FirstRun{
			Enrol: func(ctx context.Context, j app.JoinRequest) error { return enrolHere(ctx, dataDir, j) },
			Setup: func(ctx context.Context, s store.Setup) error {
				db, _, err := store.Init(ctx, path, s, store.Options{})
				if err != nil {
					log.Warn("set up the ward", "err", err)
					return err
				}
				return db.Close()
			},
			Joined: func() {
				// Sync with the ward the enrolment named.
				if conf, err := cli.LoadSyncConf(dataDir); err == nil && len(conf.Join) > 0 && !sync {
					if c, err := cli.MeshConfig(net.JoinHostPort("0.0.0.0", strconv.Itoa(mesh.DefaultBindPort)), "", conf.Join); err == nil {
						cfg, sync = c, true
					}
				}
				if err := open(); err != nil {
					log.Error("open the new store", "err", err)
					dialog.ShowInformation("Not done", "The device joined the ward but its store could not be opened. Close Lifeboat and open it again.", w)
				}
			},
		})
	} else if err := open(); err != nil {
		return startFailed(w, err)
	}

	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-ctx.Done():
			fyne.Do(a.Quit)
		case <-done:
		}
	}()
	w.ShowAndRun()
	close(done)
	<-stopped
	return nil
}

// newGUI makes the Fyne app and its main window.
func newGUI() (fyne.App, fyne.Window) {
	a := newFyneApp()
	w, _ := setupWindow(a, app.Status{})
	return a, w
}

// newFyneApp makes the Fyne app; tests put Fyne's test app in its place,
// whose windows return from ShowAndRun at once.
var newFyneApp = func() fyne.App {
	fyneapp.SetMetadata(fyne.AppMetadata{
		ID: appID, Name: appName, Version: appVersion, Build: appBuild, Icon: icon,
		Migrations: map[string]bool{"fyneDo": true},
	})
	return fyneapp.NewWithID(appID)
}

// guiStartFailed is startFailed before runGUI: the data folder could not
// be had (a store could not be moved into it).
func guiStartFailed(err error) error {
	_, w := newGUI()
	return startFailed(w, err)
}

// startFailed shows why the app could not open in w, until it is closed,
// and returns err. Started from the Start menu or a desktop launcher,
// nobody reads standard error: the app would just not appear. The words
// are for IT (folders, what to close) and hold no patient data.
func startFailed(w fyne.Window, err error) error {
	msg := widget.NewLabel(startFailedText(err))
	msg.Wrapping = fyne.TextWrapWord
	w.SetContent(container.NewPadded(container.NewBorder(nil,
		container.NewHBox(layout.NewSpacer(), widget.NewButton("Close", w.Close)), nil, nil,
		container.NewVScroll(msg))))
	w.ShowAndRun()
	return err
}

// startFailedText says why the app could not open.
func startFailedText(err error) string {
	if errors.Is(err, cli.ErrInUse) {
		// The data folder is the machine's (ProgramData): another
		// Windows user's session may hold it.
		return "Lifeboat is already open on this computer, perhaps in another person's session (they switched user without signing out) or as a relay. Close it there, or sign that person out, then open Lifeboat again.\n\nFor IT: " + err.Error()
	}
	return "Lifeboat could not open. Nothing was changed. Tell IT.\n\nFor IT: " + err.Error()
}

// enrolHere enrols this device into the ward (the first-run Join form):
// what was typed wrong in plain words, the enrolment's own errors as they
// are for the screen to tell apart by kind (app.FirstRun.Enrol).
func enrolHere(ctx context.Context, dataDir string, j app.JoinRequest) error {
	with, err := cli.ParseEnrolment(j.Code, j.ShortCode, j.From, j.Fingerprint)
	if err != nil {
		return app.Plain(err.Error())
	}
	_, err = cli.EnrolDevice(ctx, dataDir, with, j.Name, j.Passphrase, store.KDFParams{})
	return err
}

// setupWindow gives a the Lifeboat theme and icon and returns its main
// window showing the shell. Tests call it with fyne.io/fyne/v2/test's app.
func setupWindow(a fyne.App, s app.Status) (fyne.Window, *app.Shell) {
	a.SetIcon(icon)
	a.Settings().SetTheme(app.NewTheme())
	w := a.NewWindow(appName)
	w.SetIcon(icon)
	w.SetMaster()
	sh := app.NewShell(w, s)
	w.Resize(fyne.NewSize(1280, 800))
	return w, sh
}

// logLevel is the GUI's log level from $LIFEBOAT_LOG ("debug", "info",
// "warn", "error"); warnings by default. Debug logs which screen is shown
// and what kind of record was saved, never patient data, so a smoke test
// can follow the app.
func logLevel(env string) slog.Level {
	var l slog.Level
	if env == "" || l.UnmarshalText([]byte(env)) != nil {
		return slog.LevelWarn
	}
	return l
}
