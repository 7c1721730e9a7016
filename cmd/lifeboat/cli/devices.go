package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lifeboat"
)

func devicesCmd(env *Env) *cobra.Command {
	var passFile string
	c := &cobra.Command{
		Use:   "devices",
		Short: "List the site's devices and any change of the site key under way",
		Long: `List every device enrolled in the site (this one first), whether it is
revoked, and where the ward is with each change of the site key that a
revocation started: which devices it still waits for.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := openUnlocked(ctx, cmd, env, env.prompter(cmd.ErrOrStderr()), passFile)
			if err != nil {
				return err
			}
			defer db.Close()
			self, err := db.Device(ctx)
			if err != nil {
				return plain(err)
			}
			devs, err := db.Devices(ctx)
			if err != nil {
				return plain(err)
			}
			rots, err := db.KeyRotations(ctx)
			if err != nil {
				return plain(err)
			}
			subs, err := db.Subscriptions(ctx)
			if err != nil {
				return plain(err)
			}
			out := cmd.OutOrStdout()
			for _, d := range devs {
				state := "active"
				if d.Revoked() {
					state = "REVOKED " + time.UnixMilli(d.RevokedAt).Local().Format(time.DateTime)
				}
				if d.ID == self {
					state += " (this device)"
				}
				held := "site only (its enrolment not synced yet)"
				if sub, ok := subs[d.ID]; ok {
					held = scopesText(sub)
				}
				fmt.Fprintf(out, "%s  %s  holds %s\n", d.ID, state, held)
			}
			printRotations(out, statusDoc{KeyRotations: rotationDocs(rots)})
			return nil
		},
	}
	c.Flags().StringVar(&passFile, "passphrase-file", "", "read the ward passphrase from this file")
	return c
}

func revokeCmd(env *Env) *cobra.Command {
	var (
		who    personFlags
		reason string
	)
	c := &cobra.Command{
		Use:   "revoke DEVICE",
		Short: "Revoke a lost or stolen device and change the site key (IT admin)",
		Long: `Revoke a device (its ID from ` + "`lifeboat devices`" + `): every peer refuses it and
what it records from now on, and the ward changes its site key, sealed
only to the remaining devices, so the revoked one cannot connect again.
The change completes once every remaining device has synced
(` + "`lifeboat status`" + ` follows it). Stop ` + "`lifeboat serve`" + ` on this data folder first.`,
		Example: `  lifeboat revoke BQNLM7AK --reason "laptop stolen from ward 7" --user "Ada Admin"`,
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
			devs, err := db.Devices(ctx)
			if err != nil {
				return plain(err)
			}
			var found *lifeboat.Device
			for i := range devs {
				if devs[i].ID == args[0] {
					found = &devs[i]
				}
			}
			switch {
			case found == nil:
				return fmt.Errorf("no device %s in this site (see lifeboat devices)", args[0])
			case found.Revoked():
				return fmt.Errorf("device %s is already revoked", args[0])
			}
			if err := db.Revoke(ctx, s, args[0], strings.TrimSpace(reason)); err != nil {
				if errors.Is(err, lifeboat.ErrPermission) {
					return fmt.Errorf("only an IT admin may revoke a device")
				}
				return plain(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Revoked %s. The site key changes once every remaining device has synced (see lifeboat status).\n", args[0])
			return nil
		},
	}
	who.addAdmin(c)
	c.Flags().StringVar(&reason, "reason", "", "why it is revoked (recorded in the audit log)")
	return c
}
