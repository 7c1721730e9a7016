package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"lifeboat/store"
)

func verifyCmd(env *Env) *cobra.Command {
	var passFile string
	c := &cobra.Command{
		Use:   "verify",
		Short: "Check every signature, every ciphertext and the audit chain",
		Long: `Check the whole store in the data folder: SQLite's integrity check, every
event's ciphertext, hash chain and signature, the views, the audit log, and
the high-water mark kept beside the store (records lost from a damaged
WAL). The store is opened read-only: verify changes nothing, so what it
finds stays for IT to examine. Each damaged record is named; the exit
status is non-zero if anything is wrong. Needs the ward passphrase.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openReadOnlyUnlocked(cmd.Context(), cmd, env, env.prompter(cmd.ErrOrStderr()), passFile)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := db.Verify(cmd.Context())
			if err != nil {
				return plain(err)
			}
			out := cmd.OutOrStdout()
			for _, p := range rep.Problems {
				fmt.Fprintln(out, "PROBLEM", p)
			}
			if !rep.OK() {
				return fmt.Errorf("%d problems found in %d events", len(rep.Problems), rep.Events)
			}
			fmt.Fprintf(out, "OK: %d events, signatures, ciphertexts, views and audit log verified\n", rep.Events)
			return nil
		},
	}
	c.Flags().StringVar(&passFile, "passphrase-file", "", "read the ward passphrase from this file")
	return c
}

// openReadOnlyUnlocked opens the store in the data folder read-only and
// unlocks it with the ward passphrase (nothing is written, not even the
// audit entry of an unlock).
func openReadOnlyUnlocked(ctx context.Context, cmd *cobra.Command, env *Env, p *prompter, passFile string) (*store.DB, error) {
	dir, path, err := env.storePath(cmd)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no Lifeboat store in %s (run `lifeboat init` first)", dir)
	}
	db, err := store.OpenReadOnly(ctx, path, store.Options{})
	if err != nil {
		return nil, plain(err)
	}
	return unlockWith(ctx, db, p, passFile)
}
