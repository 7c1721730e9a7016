package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"lifeboat/store"
)

func initCmd(env *Env) *cobra.Command {
	var site, ward, admin, passFile, pinFile, adminPassFile, bgFile string
	var noBreakGlass bool
	c := &cobra.Command{
		Use:   "init",
		Short: "Set up this device as the first device of a new site and ward",
		Long: `Set up a new Lifeboat store in the data folder: the site, its first ward,
the ward passphrase (from the sealed downtime pack) and the first IT admin.
A break-glass account is created too unless --no-break-glass is given.

The first IT admin also chooses an admin passphrase of their own (12
characters or more, not the ward passphrase): it seals their personal key,
which adding people and enrolling or revoking devices need. Keep it apart
from the downtime pack.

Secrets are never taken as flags (they would show in the process list):
they are read from the files named, else asked for on the terminal, else
read a line each from standard input in this order: passphrase, admin PIN,
admin passphrase, break-glass PIN.`,
		Example: `  lifeboat init --site "St Elsewhere" --ward "Ward 7" --admin "Ada Lovelace"
  lifeboat init --data /srv/lifeboat --site S --ward W --admin A --passphrase-file pass.txt --admin-pin-file pin.txt --no-break-glass`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			release, err := env.lock(cmd)
			if err != nil {
				return err
			}
			defer release()
			ctx := cmd.Context()
			dir, path, err := env.storePath(cmd)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("make data folder: %w", err)
			}
			p := env.prompter(cmd.ErrOrStderr())
			pass, err := p.secret("Ward passphrase", passFile)
			if err != nil {
				return err
			}
			pin, err := p.secret("Admin PIN", pinFile)
			if err != nil {
				return err
			}
			adminPass, err := p.secret("Admin passphrase (the admin's own, 12+ characters)", adminPassFile)
			if err != nil {
				return err
			}
			var bg string
			if !noBreakGlass {
				if bg, err = p.secret("Break-glass PIN", bgFile); err != nil {
					return err
				}
			}
			db, _, err := store.Init(ctx, path, store.Setup{
				SiteName: site, Ward: ward, Passphrase: pass, AdminName: admin, AdminPIN: pin, BreakGlassPIN: bg, KDF: env.KDF,
				AdminPassphrase: adminPass, AdminKDF: env.adminKDF(),
			}, store.Options{})
			if err != nil {
				return initProblem(err)
			}
			defer db.Close()
			info, err := db.Site(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created site %q, ward %q in %s\nThis device is %s.\n", info.SiteName, info.Ward, path, info.Device)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&site, "site", "", "site (hospital) name (required)")
	f.StringVar(&ward, "ward", "", "first ward's name (required)")
	f.StringVar(&admin, "admin", "", "first IT admin's full name (required)")
	f.StringVar(&passFile, "passphrase-file", "", "read the ward passphrase from this file")
	f.StringVar(&pinFile, "admin-pin-file", "", "read the admin's PIN from this file")
	f.StringVar(&adminPassFile, "admin-passphrase-file", "", "read the admin's own admin passphrase from this file")
	f.StringVar(&bgFile, "break-glass-pin-file", "", "read the break-glass PIN from this file")
	f.BoolVar(&noBreakGlass, "no-break-glass", false, "do not create the break-glass account")
	for _, req := range []string{"site", "ward", "admin"} {
		_ = c.MarkFlagRequired(req)
	}
	return c
}

// initProblem lists every setup problem on its own line.
func initProblem(err error) error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		msg := "cannot set up the store:"
		for _, e := range flatten(err) {
			msg += "\n  - " + e.Error()
		}
		return errors.New(msg)
	}
	return plain(err)
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			if _, ok := e.(interface{ Unwrap() []error }); ok {
				out = append(out, flatten(e)...)
			} else if e.Error() != "invalid" {
				out = append(out, e)
			}
		}
		return out
	}
	if u := errors.Unwrap(err); u != nil {
		return flatten(u)
	}
	return []error{err}
}
