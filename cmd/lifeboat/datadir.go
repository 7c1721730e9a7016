package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"lifeboat/cmd/lifeboat/internal/machine"
)

// SharedLinuxDir is the data folder of a shared Linux PC: used when it
// exists (IT makes it) or $LIFEBOAT_SHARED is 1; $LIFEBOAT_SHARED may name
// another (absolute) folder instead, and 0 keeps the per-user one.
const SharedLinuxDir = "/var/lib/lifeboat"

// defaultDataDir is where Lifeboat keeps its data when --data is not given:
//
//   - Windows: the folder the installer was given (its DATADIR property,
//     in the registry: machine.Load), else %ProgramData%\Lifeboat: one folder for the machine on its
//     local disk, whoever signs in to Windows: never the roaming profile
//     (%APPDATA%), which trusts redirect to a network share that may be
//     down in the very outage, and which gave each Windows user of a ward
//     PC an empty store of their own.
//   - Linux and the BSDs: on a shared PC /var/lib/lifeboat (when that
//     folder exists or $LIFEBOAT_SHARED is 1) or the folder
//     $LIFEBOAT_SHARED names, else $XDG_DATA_HOME/lifeboat or
//     ~/.local/share/lifeboat.
//   - macOS: ~/Library/Application Support/Lifeboat.
//   - a phone, inside the app's sandbox: $FILESDIR/lifeboat on Android (the
//     app's private files folder, which Fyne's Android driver names in
//     $FILESDIR) and ~/Library/Application Support/Lifeboat on iOS, where
//     $HOME is the app's container.
//
// old is the per-user folder earlier versions used instead, where a store
// may be waiting to be moved (moveOldStore); "" if none.
func defaultDataDir() (dir, old string, err error) {
	m, err := machine.Load()
	if err != nil {
		return "", "", err
	}
	dir, old, err = dataDirFor(runtime.GOOS, os.Getenv, os.UserHomeDir, isDir)
	return installerDataDir(m, dir, old, err)
}

// installerDataDir is the data folder the installer set for the machine
// (m.DataDir, checked to be on a local disk by machine.Parse), else dir
// as dataDirFor chose it; a store at old, the per-user folder earlier
// versions used, is moved into either.
func installerDataDir(m machine.Settings, dir, old string, err error) (string, string, error) {
	if m.DataDir != "" {
		return m.DataDir, old, nil
	}
	return dir, old, err
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// dataDirFor is defaultDataDir for the given OS, environment, home
// directory and folders, so every platform's rule can be tested on any of
// them.
func dataDirFor(goos string, getenv func(string) string, home func() (string, error), exists func(string) bool) (dir, old string, err error) {
	switch goos {
	case "windows":
		if appData := getenv("APPDATA"); appData != "" {
			old = strings.TrimRight(appData, `\/`) + `\Lifeboat`
		}
		pd := getenv("ProgramData")
		if pd == "" {
			return "", "", errors.New("find data folder: %ProgramData% is not set")
		}
		if !localWindowsPath(pd) {
			return "", "", fmt.Errorf("find data folder: %%ProgramData%% is %q, not a folder on a local disk", pd)
		}
		return strings.TrimRight(pd, `\/`) + `\Lifeboat`, old, nil
	case "android":
		files := getenv("FILESDIR")
		if !filepath.IsAbs(files) {
			return "", "", errors.New("find data folder: $FILESDIR (the app's private files folder) is not set")
		}
		return filepath.Join(files, "lifeboat"), "", nil
	case "darwin", "ios":
		h, err := home()
		if err != nil {
			return "", "", err
		}
		return filepath.Join(h, "Library", "Application Support", "Lifeboat"), "", nil
	}
	perUser, err := xdgDataDir(getenv, home)
	switch shared := getenv("LIFEBOAT_SHARED"); {
	case filepath.IsAbs(shared):
		return filepath.Clean(shared), perUser, nil // perUser "" if there is no home
	case shared == "1", shared == "" && exists(SharedLinuxDir):
		return SharedLinuxDir, perUser, nil
	}
	return perUser, "", err
}

// xdgDataDir is the per-user data folder on Linux and the BSDs.
func xdgDataDir(getenv func(string) string, home func() (string, error)) (string, error) {
	// The XDG spec says a relative $XDG_DATA_HOME is invalid and is ignored.
	if x := getenv("XDG_DATA_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "lifeboat"), nil
	}
	h, err := home()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, ".local", "share", "lifeboat"), nil
}

// localWindowsPath reports whether p is an absolute path on a drive
// letter (C:\...): not a UNC path (\\server\share, \\?\UNC\...), not a
// relative one.
func localWindowsPath(p string) bool { return machine.LocalWindowsPath(p) }
