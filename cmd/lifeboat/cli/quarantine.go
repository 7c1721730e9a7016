package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lifeboat"
)

func quarantineCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "quarantine",
		Short: "Review events refused from peers: list, release or discard them",
		Long: `Events a peer offered that this device refused (a device not enrolled or
revoked, a signature that does not verify, a flood of corrections) are kept
in quarantine, never applied, until an IT admin reviews them. Release
checks an event again as if a peer had just sent it (say, once its device
is enrolled): if it is still refused it stays, with the new reason. Discard
deletes it for good, with a reason. Both are recorded in the audit log.
Stop ` + "`lifeboat serve`" + ` on this data folder first to release or discard.`,
	}
	c.AddCommand(quarantineListCmd(env), quarantineReleaseCmd(env), quarantineDiscardCmd(env))
	return c
}

func quarantineListCmd(env *Env) *cobra.Command {
	var passFile string
	c := &cobra.Command{
		Use:   "list",
		Short: "List the quarantined events (no patient data is shown)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := openUnlocked(ctx, cmd, env, env.prompter(cmd.ErrOrStderr()), passFile)
			if err != nil {
				return err
			}
			defer db.Close()
			qs, err := db.Quarantined(ctx)
			if err != nil {
				return plain(err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Quarantined: %d events\n", len(qs))
			for _, q := range qs {
				fmt.Fprintf(out, "%s  %s/%d %s  from %s at %s: %s\n", q.ID, q.Device, q.Seq, q.Kind, q.Peer, q.At.Local().Format(time.DateTime), q.Reason)
			}
			return nil
		},
	}
	c.Flags().StringVar(&passFile, "passphrase-file", "", "read the ward passphrase from this file")
	return c
}

func quarantineReleaseCmd(env *Env) *cobra.Command {
	var who personFlags
	c := &cobra.Command{
		Use:     "release ID",
		Short:   "Check a quarantined event again and apply it if it now passes (IT admin)",
		Example: `  lifeboat quarantine release 01a22d09-e041-7936-994f-666307cc4478 --user "Ada Admin"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, s, done, err := who.open(ctx, cmd, env)
			if err != nil {
				return err
			}
			defer done()
			refused, err := db.ReleaseQuarantined(ctx, s, args[0])
			if err != nil {
				return quarantineErr(err)
			}
			if refused != nil {
				return fmt.Errorf("%s is still refused and stays in quarantine: %s", args[0], refused.Reason)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Released %s: it passed every check and is in the log.\n", args[0])
			return nil
		},
	}
	who.add(c)
	return c
}

func quarantineDiscardCmd(env *Env) *cobra.Command {
	var (
		who    personFlags
		reason string
	)
	c := &cobra.Command{
		Use:     "discard ID",
		Short:   "Delete a quarantined event for good, with a reason (IT admin)",
		Example: `  lifeboat quarantine discard 01a22d09-e041-7936-994f-666307cc4478 --reason "forged: reported to IT security" --user "Ada Admin"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return fmt.Errorf("say why with --reason: the audit log records it")
			}
			ctx := cmd.Context()
			db, s, done, err := who.open(ctx, cmd, env)
			if err != nil {
				return err
			}
			defer done()
			if err := db.DiscardQuarantined(ctx, s, args[0], strings.TrimSpace(reason)); err != nil {
				return quarantineErr(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Discarded %s.\n", args[0])
			return nil
		},
	}
	who.add(c)
	c.Flags().StringVar(&reason, "reason", "", "why it is discarded (recorded in the audit log)")
	return c
}

// quarantineErr puts release and discard failures in plain words.
func quarantineErr(err error) error {
	switch {
	case errors.Is(err, lifeboat.ErrNotFound):
		return fmt.Errorf("no such event in quarantine (see lifeboat quarantine list)")
	case errors.Is(err, lifeboat.ErrPermission):
		return fmt.Errorf("only an IT admin may release or discard quarantined events")
	}
	return plain(err)
}
