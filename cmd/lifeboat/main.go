// Command lifeboat is Lifeboat: with no subcommand it opens the ward app;
// subcommands (see commands.go) do headless work such as setting up a store.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"lifeboat/app"
	_ "lifeboat/cmd/lifeboat/internal/clocale" // before Fyne reads the locale
	"lifeboat/sync/mesh"
)

func main() {
	if isService() { // Windows: serve --install-service made this a service
		os.Exit(runService(os.Args[1:]))
	}
	if wantsConsole(os.Args[1:]) {
		attachConsole() // Windows: before anything reads os.Stdin or writes os.Stdout
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs lifeboat with args and returns the exit code: 0 for success,
// 2 for a bad command line, 1 for anything else.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "lifeboat: %v\n", err)
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintln(stderr, "Run 'lifeboat --help' for usage.")
		return 2
	}
	return 1
}

// usageError is a mistake on the command line (unknown flag, bad argument).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "lifeboat",
		Short: "Keep ward records while the hospital's IT is down",
		Long: `Lifeboat keeps a hospital ward's clinical work recorded, safe and shared
while the core IT systems are down, and hands that work back once they return.

Run with no command to open the app. The commands below do headless work.
Everything is kept in the data folder (--data).

Downtime drills: lifeboat --drill opens a training ward (created with
made-up patients the first time) in its own store inside the data folder.
Every screen is purple and says DRILL; its records are never exported and
it cannot sync with the live ward, whose site key it does not have.`,
		Version:       appVersion, // --version; make dist-check compares it with the package's
		Args:          noArgs,
		SilenceErrors: true, // run prints them once, in its own words
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := dataDirFlag(cmd)
			if u := (usageError{}); errors.As(err, &u) {
				return err
			} else if err != nil {
				return guiStartFailed(err) // a store could not be moved into it
			}
			if drillFlag(cmd) {
				if err := seedDrill(cmd.Context(), dir); err != nil {
					return err
				}
			}
			sync, on, err := syncConfig(cmd, dir)
			if err != nil {
				return usageError{err}
			}
			if !on {
				sync = mesh.Config{}
			}
			idle, err := idleLockFlag(cmd)
			if err != nil {
				return usageError{err}
			}
			return runGUI(cmd.Context(), dir, sync, on, idle)
		},
	}
	def, _, err := defaultDataDir()
	if err != nil {
		def = "" // dataDirFlag reports it if --data is not given either
	}
	root.PersistentFlags().String("data", def, "folder for this device's Lifeboat data")
	root.PersistentFlags().Bool("drill", false, "use the training store for a downtime drill ("+drillDir+" inside the data folder; made-up patients, never exported)")
	root.Flags().Duration("idle-lock", app.DefaultIdleLock, fmt.Sprintf("lock the screen to the PIN after this long untouched (%v to %v; it can be shortened, never lengthened)", minIdleLock, app.DefaultIdleLock))
	addSyncFlags(root)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(subcommands()...)
	return root
}

// minIdleLock is the shortest idle lock --idle-lock accepts: any shorter
// and the screen would lock while a nurse reads it.
const minIdleLock = 10 * time.Second

// idleLockFlag returns --idle-lock, refused outside minIdleLock to
// app.DefaultIdleLock: the 5 minutes are the ward's policy (DESIGN.md), so
// a device may lock sooner (a kiosk in a corridor, the smoke test) but never
// stay open for longer.
func idleLockFlag(cmd *cobra.Command) (time.Duration, error) {
	d, err := cmd.Flags().GetDuration("idle-lock")
	if err != nil {
		return 0, fmt.Errorf("read --idle-lock: %w", err)
	}
	if d < minIdleLock || d > app.DefaultIdleLock {
		return 0, fmt.Errorf("--idle-lock %v: must be between %v and %v", d, minIdleLock, app.DefaultIdleLock)
	}
	return d, nil
}

// noArgs rejects arguments to the root command: a mistyped subcommand name
// must not silently open the GUI.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unknown command %q", args[0])}
	}
	return nil
}

// dataDirFlag returns the data folder given with --data, or the platform
// default (see defaultDataDir), into which it first moves a store left in
// the per-user folder earlier versions used (moveOldStore). Any command
// can call it once flags are parsed.
func dataDirFlag(cmd *cobra.Command) (string, error) {
	f := cmd.Flag("data")
	if f == nil || f.Value.String() == "" {
		if _, _, err := defaultDataDir(); err != nil && (f == nil || !f.Changed) {
			// Why there is no default (e.g. a DataDir the installer
			// wrote on a share).
			return "", usageError{fmt.Errorf("no data folder (%w): give one with --data DIR", err)}
		}
		return "", usageError{errors.New("no data folder: give one with --data DIR")}
	}
	if !f.Changed {
		// The default: the first time, bring a store from the per-user
		// folder earlier versions used.
		if def, old, err := defaultDataDir(); err == nil && def == f.Value.String() {
			if _, err := moveOldStore(def, old, time.Now(), cmd.ErrOrStderr()); err != nil {
				return "", err
			}
		}
	}
	if drillFlag(cmd) {
		return filepath.Join(f.Value.String(), drillDir), nil
	}
	return f.Value.String(), nil
}
