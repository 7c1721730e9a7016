package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"lifeboat/store"
)

func backupCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the store to FILE, while it is in use",
		Long: `Write a consistent copy of the store in the data folder to FILE (which
must not exist), safe to take while the app or ` + "`lifeboat serve`" + ` is running.
The copy stays encrypted; a header names the device, the site and how far
this device's records went. Copying the store's files by hand is not a
backup: a copy started as this device would give the same record numbers
twice. Use ` + "`lifeboat restore`" + ` to bring a backup back. Needs no passphrase.`,
		Example: `  lifeboat backup /media/usb/ward7-$(date +%F).lifeboat-backup`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, path, err := env.storePath(cmd)
			if err != nil {
				return err
			}
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("no Lifeboat store in %s", dir)
			}
			db, err := store.OpenReadOnly(cmd.Context(), path, store.Options{})
			if err != nil {
				return plain(err)
			}
			defer db.Close()
			m, err := db.WriteBackup(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Backed up device %s (%s / %s), its records up to %d, to %s (%d bytes)\n",
				m.Device, m.SiteName, m.Ward, m.Head, args[0], m.Size)
			return nil
		},
	}
	return c
}

func restoreCmd(env *Env) *cobra.Command {
	var replace bool
	c := &cobra.Command{
		Use:   "restore FILE",
		Short: "Bring back a store from a backup made by lifeboat backup",
		Long: `Restore the backup FILE as the store in the data folder. The backup's
contents are checked against its header first. An existing store is only
replaced with --replace, and is then kept beside it (lifeboat.db.replaced-
<time>), never deleted. Stop the app and ` + "`lifeboat serve`" + ` first.

The restored device records nothing until it has heard from the ward's
other devices and taken back its own records made since the backup (run
` + "`lifeboat serve`" + ` or the app, connected to the ward). If its own records
cannot be found on the ward, enrol it again as a new device instead.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			release, err := env.lock(cmd)
			if err != nil {
				return err
			}
			defer release()
			_, path, err := env.storePath(cmd)
			if err != nil {
				return err
			}
			return restore(cmd.Context(), cmd, args[0], path, replace)
		},
	}
	c.Flags().BoolVar(&replace, "replace", false, "replace the store in the data folder (it is kept aside, not deleted)")
	return c
}

func restore(ctx context.Context, cmd *cobra.Command, src, path string, replace bool) error {
	m, err := store.Restore(ctx, src, path, store.RestoreOptions{Replace: replace})
	if err != nil {
		if _, serr := os.Stat(path); serr == nil && !replace {
			return fmt.Errorf("a store is already in the data folder: restore over it only with --replace (it is kept aside, not deleted)")
		}
		return plain(err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Restored device %s (%s / %s), its records up to %d, backed up %s\n",
		m.Device, m.SiteName, m.Ward, m.Head, m.Taken.Local().Format(time.DateTime))
	printOwnChain(ctx, cmd, path)
	return nil
}

// printOwnChain says, in plain words, why recording is paused on the
// store at path, if it is (readable without the passphrase).
func printOwnChain(ctx context.Context, cmd *cobra.Command, path string) {
	db, err := store.OpenReadOnly(ctx, path, store.Options{})
	if err != nil {
		return
	}
	defer db.Close()
	if chain, err := db.OwnChain(ctx); err == nil && chain.Words() != "" {
		fmt.Fprintln(cmd.OutOrStdout(), "RECORDING PAUSED:", chain.Words())
	}
}
