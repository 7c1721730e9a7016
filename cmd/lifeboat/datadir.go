package main

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// defaultDataDir is where Lifeboat keeps its data when --data is not given:
// $XDG_DATA_HOME/lifeboat or ~/.local/share/lifeboat on Linux and the BSDs,
// %APPDATA%\Lifeboat on Windows, ~/Library/Application Support/Lifeboat on
// macOS; on a phone, inside the app's sandbox: $FILESDIR/lifeboat on
// Android (the app's private files folder, which Fyne's Android driver
// names in $FILESDIR) and ~/Library/Application Support/Lifeboat on iOS,
// where $HOME is the app's container.
func defaultDataDir() (string, error) {
	return dataDirFor(runtime.GOOS, os.Getenv, os.UserHomeDir)
}

// dataDirFor is defaultDataDir for the given OS, environment and home
// directory, so every platform's rule can be tested on any of them.
func dataDirFor(goos string, getenv func(string) string, home func() (string, error)) (string, error) {
	switch goos {
	case "windows":
		appData := getenv("APPDATA")
		if appData == "" {
			return "", errors.New("find data folder: %APPDATA% is not set")
		}
		return strings.TrimRight(appData, `\/`) + `\Lifeboat`, nil
	case "android":
		files := getenv("FILESDIR")
		if !filepath.IsAbs(files) {
			return "", errors.New("find data folder: $FILESDIR (the app's private files folder) is not set")
		}
		return filepath.Join(files, "lifeboat"), nil
	case "darwin", "ios":
		h, err := home()
		if err != nil {
			return "", err
		}
		return filepath.Join(h, "Library", "Application Support", "Lifeboat"), nil
	}
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
