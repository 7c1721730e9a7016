package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func verifyCmd(env *Env) *cobra.Command {
	var passFile string
	c := &cobra.Command{
		Use:   "verify",
		Short: "Check every signature, every ciphertext and the audit chain",
		Long: `Check the whole store in the data folder: SQLite's integrity check, every
event's ciphertext, hash chain and signature, the views and the audit log.
Each damaged record is named; the exit status is non-zero if anything is
wrong. Needs the ward passphrase.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openUnlocked(cmd.Context(), cmd, env, env.prompter(cmd.ErrOrStderr()), passFile)
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
