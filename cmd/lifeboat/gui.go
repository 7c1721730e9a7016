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
	"fyne.io/fyne/v2/dialog"

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
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	release, err := cli.LockDataDir(dataDir)
	if err != nil {
		return err
	}
	defer release()
	fyneapp.SetMetadata(fyne.AppMetadata{
		ID: appID, Name: appName, Version: appVersion, Build: appBuild, Icon: icon,
		Migrations: map[string]bool{"fyneDo": true},
	})
	a := fyneapp.NewWithID(appID)
	w, _ := setupWindow(a, app.Status{})
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
		return err
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
