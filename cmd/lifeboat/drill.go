package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
)

// drillDir is the training store's folder inside the data folder.
const drillDir = "drill"

// drillFlag reports whether --drill was given.
func drillFlag(cmd *cobra.Command) bool {
	f := cmd.Flag("drill")
	return f != nil && f.Value.String() == "true"
}

// seedDrill creates the drill store in dir (the drill folder), the ward
// cli.DrillWard with its own made-up patients, unless one is there
// already.
func seedDrill(ctx context.Context, dir string) error {
	path := filepath.Join(dir, cli.StoreFile)
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("make drill folder: %w", err)
	}
	if err := cli.SeedDrill(ctx, path, store.DefaultKDF, time.Now()); err != nil {
		os.Remove(path)
		return fmt.Errorf("make drill ward: %w", err)
	}
	fmt.Fprintf(os.Stderr, "Drill ward %q created in %s: ward passphrase %q, PINs as in `lifeboat demo`\n", cli.DrillWard, dir, cli.DemoPassphrase)
	return nil
}
