package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"lifeboat"
)

// parseScopes reads a --scopes list: "ward:W01,pharmacy" (site is always
// held; "*" is every scope). Empty is none given.
func parseScopes(s string) (lifeboat.Subscription, error) {
	var sub lifeboat.Subscription
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		sc := lifeboat.Scope(part)
		if err := (lifeboat.Subscription{sc}).Check(); err != nil {
			return nil, fmt.Errorf("--scopes: %q is not site, pharmacy, ward:<id>, * or forward:<one of these> (held sealed, for a relay)", part)
		}
		sub = append(sub, sc)
	}
	return sub, nil
}

// scopesText is a subscription in plain words.
func scopesText(sub lifeboat.Subscription) string {
	parts := make([]string, len(sub))
	for i, s := range sub {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

func scopesCmd(env *Env) *cobra.Command {
	var (
		who personFlags
		set string
	)
	c := &cobra.Command{
		Use:   "scopes DEVICE --set SCOPES",
		Short: "Change what a device holds: its wards, the pharmacy, the site (IT admin)",
		Long: `Change the scopes a device holds and is served (its ID from ` + "`lifeboat devices`" + `):
ward:<id> for a ward's patients, pharmacy for stock and supplies, site
for people, devices and capacity (always held), * for every scope, read
(IT's reconciliation PC), forward:* for every scope held sealed and never
read (a site relay). Its peers serve it the new scopes from its next
sync, and devices that read a ward hand it that ward's keys; what it
recorded before stays valid everywhere. Narrowing a device does not take
records off it, but the wards it no longer reads get new keys with their
next record: to take everything away, revoke it.`,
		Example: `  lifeboat scopes BQNLM7AK --set ward:W07,ward:W08 --user "Ada Admin"
  lifeboat scopes K2PHARM1 --set pharmacy,ward:W07,ward:W08 --user "Ada Admin"
  lifeboat scopes RELAYEA5 --set 'forward:*' --user "Ada Admin"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sub, err := parseScopes(set)
			if err != nil {
				return err
			}
			if len(sub) == 0 {
				return fmt.Errorf("say what the device holds with --set, e.g. --set ward:W07")
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
				return fmt.Errorf("device %s is revoked", args[0])
			}
			if _, err := db.SetDeviceScopes(ctx, s, args[0], sub); err != nil {
				if errors.Is(err, lifeboat.ErrPermission) {
					return fmt.Errorf("only an IT admin may change what a device holds")
				}
				return plain(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s now holds %s (and the site). Its peers serve it so from its next sync.\n", args[0], scopesText(sub))
			return nil
		},
	}
	who.addAdmin(c)
	c.Flags().StringVar(&set, "set", "", "the scopes, comma-separated: ward:<id>, pharmacy, site, *")
	return c
}
