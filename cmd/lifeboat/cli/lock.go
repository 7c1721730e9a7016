package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// LockFile is the file in a data folder that a running Lifeboat holds an
// exclusive OS lock on.
const LockFile = "lifeboat.lock"

// ErrInUse means another running Lifeboat holds the data folder.
var ErrInUse = errors.New("another Lifeboat is using this data folder")

// LockDataDir takes the data folder for this process: the app, a relay
// node and the commands that write must not share one (two writers would
// race on the device's sequence numbers). The lock is the operating
// system's (flock, LockFileEx), so it goes with the process: a crash or
// kill -9 leaves no stale lock. release gives it back.
func LockDataDir(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data folder %s: %w", dir, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, ErrInUse) {
			return nil, fmt.Errorf("%w: %s (close the other Lifeboat window or relay first, or choose another --data folder)", ErrInUse, dir)
		}
		return nil, fmt.Errorf("lock data folder %s: %w", dir, err)
	}
	// Say who holds it, for a person looking (the lock is what counts).
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
	return func() { unlockFile(f); f.Close() }, nil
}

// lock takes the command's data folder (see LockDataDir).
func (env *Env) lock(cmd *cobra.Command) (func(), error) {
	dir, err := env.DataDir(cmd)
	if err != nil {
		return nil, err
	}
	return LockDataDir(dir)
}
