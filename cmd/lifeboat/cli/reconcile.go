package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"lifeboat"
	"lifeboat/store"
)

// personFlags are the flags of a command that records events: who does
// it, and where their PIN comes from (else a prompt, or a line of stdin
// after the passphrase).
type personFlags struct {
	passFile, user, pinFile string
	// adminFile names a file holding the IT admin's own admin passphrase;
	// admin is set by commands that make privileged changes (enrol,
	// revoke), which need the admin's personal key.
	adminFile string
	admin     bool
}

func (f *personFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.passFile, "passphrase-file", "", "read the ward passphrase from this file")
	c.Flags().StringVar(&f.user, "user", "", "your name as on the device (the events are recorded as yours)")
	c.Flags().StringVar(&f.pinFile, "pin-file", "", "read your PIN from this file")
}

// addAdmin is add for a command that makes privileged changes: it also
// asks for the IT admin's own admin passphrase (after the PIN).
func (f *personFlags) addAdmin(c *cobra.Command) {
	f.add(c)
	f.admin = true
	c.Flags().StringVar(&f.adminFile, "admin-passphrase-file", "", "read your admin passphrase from this file")
}

// open takes the data folder's lock (these commands write), unlocks the
// store and signs the person in; done signs out, closes and unlocks.
func (f *personFlags) open(ctx context.Context, cmd *cobra.Command, env *Env) (db *store.DB, s *store.Session, done func(), err error) {
	if strings.TrimSpace(f.user) == "" {
		return nil, nil, nil, fmt.Errorf("say who you are with --user NAME: what this command records is signed as yours")
	}
	release, err := env.lock(cmd)
	if err != nil {
		return nil, nil, nil, err
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	p := env.prompter(cmd.ErrOrStderr())
	if db, err = openUnlocked(ctx, cmd, env, p, f.passFile); err != nil {
		return nil, nil, nil, err
	}
	if s, err = f.signIn(ctx, db, p); err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return db, s, func() { _ = db.SignOut(context.Background(), s); db.Close(); release() }, nil
}

// signIn signs the person in on an open store (lifeboat serve --feed
// opens its own).
func (f *personFlags) signIn(ctx context.Context, db *store.DB, p *prompter) (*store.Session, error) {
	users, err := db.Users(ctx)
	if err != nil {
		return nil, plain(err)
	}
	var id string
	for _, u := range users {
		if strings.EqualFold(u.Name, strings.TrimSpace(f.user)) {
			id = u.ID
		}
	}
	if id == "" {
		return nil, fmt.Errorf("nobody called %q on this device", f.user)
	}
	pin, err := p.secret("PIN for "+f.user, f.pinFile)
	if err != nil {
		return nil, err
	}
	s, err := db.SignIn(ctx, id, pin, "")
	if err != nil {
		return nil, plain(err)
	}
	if f.admin && s.User.Role == lifeboat.RoleITAdmin {
		ap, err := p.secret("Admin passphrase for "+f.user, f.adminFile)
		if err == nil {
			err = db.UnlockAdmin(ctx, s, ap)
		}
		if err != nil {
			_ = db.SignOut(context.Background(), s)
			return nil, plain(err)
		}
	}
	return s, nil
}

// wholeLog is every event the store holds.
func wholeLog(ctx context.Context, db *store.DB) ([]lifeboat.Event, error) {
	evs, err := db.ReadableLog(ctx)
	if err != nil {
		return nil, plain(err)
	}
	return evs, nil
}
