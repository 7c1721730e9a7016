// Package cli holds lifeboat's headless subcommands (init, verify, ...).
// It is kept apart from package main, which also builds the GUI, so these
// commands are tested in-process without cgo or a display.
package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/sync/feed"
)

// StoreFile is the store's file name inside the data folder.
const StoreFile = "lifeboat.db"

// Env carries what every command needs from the root command.
type Env struct {
	// DataDir returns the data folder chosen by --data (or the default),
	// or an error if there is none.
	DataDir func(cmd *cobra.Command) (string, error)
	// Stdin is where secrets are read from when not given in files.
	Stdin io.Reader
	// KDF overrides the Argon2id costs for new key slots (tests only).
	KDF store.KDFParams
	// Drill reports whether --drill chose the training store; nil means
	// never.
	Drill func(cmd *cobra.Command) bool
	// Feed overrides the clock and ticks of serve --feed's runner (tests
	// only; the zero value is the wall clock and a ticker).
	Feed feed.Options
	// Service installs `lifeboat serve` as a system service (serve
	// --install-service); nil where Lifeboat cannot (all but Windows).
	Service ServiceManager
}

// adminKDF is the cost of a new admin's personal key: KDF when tests set
// it, else the store's default for admin keys.
func (env *Env) adminKDF() store.KDFParams {
	if env.KDF != (store.KDFParams{}) {
		return env.KDF
	}
	return store.DefaultAdminKDF
}

// drill reports whether the command works on the drill (training) store.
func (env *Env) drill(cmd *cobra.Command) bool {
	return env.Drill != nil && env.Drill(cmd)
}

// Commands returns the headless subcommands.
func Commands(env *Env) []*cobra.Command {
	if env.Stdin == nil {
		env.Stdin = os.Stdin
	}
	return []*cobra.Command{initCmd(env), verifyCmd(env), demoCmd(env), serveCmd(env), statusCmd(env),
		importCmd(env), exportCmd(env), sendCmd(env), worklistCmd(env), inviteCmd(env), enrolCmd(env), printCmd(env),
		quarantineCmd(env), devicesCmd(env), revokeCmd(env), scopesCmd(env), backupCmd(env), restoreCmd(env), patientCmd(env), feedCmd(env)}
}

// storePath is the store file in the data folder.
func (env *Env) storePath(cmd *cobra.Command) (dir, path string, err error) {
	dir, err = env.DataDir(cmd)
	if err != nil {
		return "", "", err
	}
	return dir, filepath.Join(dir, StoreFile), nil
}

// prompter reads secrets: from a file if one was named, else from the
// terminal without echo, else a line at a time from standard input.
type prompter struct {
	in  io.Reader
	buf *bufio.Reader
	out io.Writer
}

func (env *Env) prompter(out io.Writer) *prompter {
	return &prompter{in: env.Stdin, out: out}
}

func (p *prompter) secret(prompt, file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", file, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if f, ok := p.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(p.out, prompt+": ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(p.out)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", strings.ToLower(prompt), err)
		}
		return string(b), nil
	}
	if p.buf == nil {
		p.buf = bufio.NewReader(p.in)
	}
	line, err := p.buf.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", fmt.Errorf("read %s from standard input: %w", strings.ToLower(prompt), err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// openUnlocked opens the store in the data folder and unlocks it with the
// ward passphrase.
func openUnlocked(ctx context.Context, cmd *cobra.Command, env *Env, p *prompter, passFile string) (*store.DB, error) {
	dir, path, err := env.storePath(cmd)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no Lifeboat store in %s (run `lifeboat init` first)", dir)
	}
	opts, err := StoreOptions(dir)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, path, opts)
	if err != nil {
		return nil, plain(err)
	}
	return unlockWith(ctx, db, p, passFile)
}

// unlockWith asks for the ward passphrase (or reads it from passFile) and
// unlocks db; on any failure db is closed.
func unlockWith(ctx context.Context, db *store.DB, p *prompter, passFile string) (*store.DB, error) {
	pass, err := p.secret("Ward passphrase", passFile)
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Unlock(ctx, pass); err != nil {
		db.Close()
		return nil, plain(err)
	}
	return db, nil
}

// plain turns store errors into words for the person at the keyboard.
func plain(err error) error {
	var wrongPIN *store.WrongPINError
	var out *store.LockedOutError
	switch {
	case errors.As(err, &wrongPIN): // before ErrWrongSecret, which it matches
		tries := fmt.Sprintf("%d more tries", wrongPIN.Left)
		if wrongPIN.Left == 1 {
			tries = "1 more try"
		}
		lockout := wrongPIN.LockoutFor.String()
		if m := wrongPIN.LockoutFor / time.Minute; m > 0 && wrongPIN.LockoutFor%time.Minute == 0 {
			lockout = fmt.Sprintf("%d minutes", m)
		}
		return fmt.Errorf("wrong PIN: %s before a lockout of %s", tries, lockout)
	case errors.As(err, &out):
		return fmt.Errorf("too many wrong PINs: locked out until %s", out.Until.Local().Format("15:04"))
	case errors.Is(err, store.ErrNotStore):
		return fmt.Errorf("that file is not a Lifeboat store (or its header is damaged)")
	case errors.Is(err, store.ErrNewerStore):
		return fmt.Errorf("this store was made by a newer Lifeboat: install the newer version to open it")
	case errors.Is(err, store.ErrWrongSecret):
		return fmt.Errorf("wrong passphrase")
	case errors.Is(err, lifeboat.ErrCorrupt):
		return fmt.Errorf("the store is damaged: %w (run `lifeboat verify` for details)", err)
	case strings.Contains(err.Error(), "malformed"):
		return fmt.Errorf("the store file is damaged and cannot be read: %w", err)
	}
	return err
}
