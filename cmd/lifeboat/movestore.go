package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"lifeboat/cmd/lifeboat/cli"
)

// movedSuffix is added, with the time, to the name of a per-user data
// folder whose store was moved to the machine-wide one: the copy left
// behind as a backup, which nothing opens by default.
const movedSuffix = ".moved-"

// moveOldStore moves a store from old, the per-user folder earlier
// versions used (defaultDataDir), into dir, the default data folder now,
// when dir holds no store and old does: the first time the new default
// is used. Everything in old comes along (the sync settings, the drill
// store, backups); the store file itself comes last and appears whole,
// by rename. old is then renamed old.moved-<time>, left as a backup
// copy, and a line says so on log. Nothing happens when dir already has
// a store or old has none.
//
// Both folders are locked while it works (cli.LockDataDir): a Lifeboat
// still running on the old folder makes it fail, and nothing is moved.
func moveOldStore(dir, old string, now time.Time, log io.Writer) (moved bool, err error) {
	if old == "" || filepath.Clean(old) == filepath.Clean(dir) {
		return false, nil
	}
	if exists(filepath.Join(dir, cli.StoreFile)) || !exists(filepath.Join(old, cli.StoreFile)) {
		return false, nil
	}
	fail := func(err error) (bool, error) {
		return false, fmt.Errorf("move the store from %s to %s (nothing was moved; close every Lifeboat and start again, or give --data %s): %w", old, dir, old, err)
	}
	release, err := cli.LockDataDir(old)
	if err != nil {
		return fail(err)
	}
	releaseOld := once(release)
	defer releaseOld()
	releaseNew, err := cli.LockDataDir(dir)
	if err != nil {
		return fail(err)
	}
	defer releaseNew()
	if exists(filepath.Join(dir, cli.StoreFile)) { // another Lifeboat moved one meanwhile
		return false, nil
	}
	if err := copyTree(old, dir, cli.StoreFile); err != nil {
		return fail(err)
	}
	// The store last, whole or not at all.
	tmp := filepath.Join(dir, cli.StoreFile+".moving")
	if err := copyFile(filepath.Join(old, cli.StoreFile), tmp); err != nil {
		os.Remove(tmp)
		return fail(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, cli.StoreFile)); err != nil {
		os.Remove(tmp)
		return fail(err)
	}
	releaseOld() // Windows renames no folder with a file open in it
	backup := old + movedSuffix + now.Format("20060102-150405")
	if err := os.Rename(old, backup); err != nil {
		fmt.Fprintf(log, "lifeboat: moved the store from %s to %s; the old folder could not be renamed (%v): delete its %s, or nothing but the new folder may be used\n", old, dir, err, cli.StoreFile)
		return true, nil
	}
	fmt.Fprintf(log, "lifeboat: moved the store from %s to the machine-wide data folder %s; a backup copy is left in %s (delete it once Lifeboat works from the new folder)\n", old, dir, backup)
	return true, nil
}

// once makes f safe to call twice.
func once(f func()) func() {
	done := false
	return func() {
		if !done {
			done = true
			f()
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// copyTree copies the files and folders in src into dst, but not the lock
// file nor the file named last (which the caller copies on its own).
func copyTree(src, dst, last string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel == cli.LockFile || rel == last {
			return nil
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o700)
		case d.Type().IsRegular():
			return copyFile(path, to)
		}
		return nil // no links or devices in a data folder
	})
}

// copyFile copies src to dst (made afresh, owner-only), synced to disk.
func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}
