package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"lifeboat/cmd/lifeboat/internal/machine"
	"lifeboat/store"
)

// SyncFile is where a device keeps the ward's sync addresses it was given
// at enrolment, so the app and `lifeboat serve` join the ward without
// flags. It holds no secret: the keyring is in the encrypted store.
const SyncFile = "sync.json"

// SyncConf is the sync file's content.
type SyncConf struct {
	// Join are host:port addresses of ward peers to join.
	Join []string `json:"join"`
	// MaxClockAhead is how far ahead of this device's time a peer's
	// record may be stamped and still go in at once, as a Go duration
	// ("5m", "1h"); further ahead, it is held until the time catches up
	// or IT releases it. Empty: store.DefaultMaxClockAhead.
	MaxClockAhead string `json:"max_clock_ahead,omitempty"`
}

// StoreOptions are the store options the data folder's sync file sets
// (the clock bound); a missing file sets none.
func StoreOptions(dir string) (store.Options, error) {
	c, err := LoadSyncConf(dir)
	if err != nil {
		return store.Options{}, err
	}
	var opts store.Options
	if c.MaxClockAhead != "" {
		d, _ := time.ParseDuration(c.MaxClockAhead) // checked by LoadSyncConf
		opts.MaxClockAhead = d
	}
	return opts, nil
}

// LoadSyncConf reads the data folder's sync file; a missing file is an
// empty configuration, not an error. Its Join also holds the peers the
// Windows installer was given for the machine (its JOIN property), after
// the file's.
func LoadSyncConf(dir string) (SyncConf, error) {
	c, err := loadSyncFile(dir)
	if err != nil {
		return SyncConf{}, err
	}
	m, err := machine.Load()
	if err != nil {
		return SyncConf{}, err
	}
	c.Join = withMachineJoin(c.Join, m.Join)
	return c, nil
}

// withMachineJoin is join with the machine's addresses added after it,
// each address once.
func withMachineJoin(join, extra []string) []string {
	for _, a := range extra {
		if !slices.Contains(join, a) {
			join = append(join, a)
		}
	}
	return join
}

func loadSyncFile(dir string) (SyncConf, error) {
	var c SyncConf
	b, err := os.ReadFile(filepath.Join(dir, SyncFile))
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read %s: %w", SyncFile, err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return SyncConf{}, fmt.Errorf("%s in %s is damaged (%v): delete it and give --join instead", SyncFile, dir, err)
	}
	if c.MaxClockAhead != "" {
		if d, err := time.ParseDuration(c.MaxClockAhead); err != nil || d <= 0 {
			return SyncConf{}, fmt.Errorf("%s in %s: max_clock_ahead %q is not a positive duration such as \"5m\"", SyncFile, dir, c.MaxClockAhead)
		}
	}
	for _, a := range c.Join {
		if _, _, err := splitHostPort(a); err != nil {
			return SyncConf{}, fmt.Errorf("%s in %s: bad address %q: delete it and give --join instead", SyncFile, dir, a)
		}
	}
	return c, nil
}

// saveSyncConf replaces the sync file atomically.
func saveSyncConf(dir string, c SyncConf) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, SyncFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save %s: %w", SyncFile, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, SyncFile)); err != nil {
		return fmt.Errorf("save %s: %w", SyncFile, err)
	}
	return nil
}
