//go:build windows

package machine

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// Load reads the machine's settings from HKLM\SOFTWARE\Lifeboat (the 64-bit
// view, where the x64 MSI writes them); no key is no settings.
func Load() (Settings, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, Key, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if errors.Is(err, registry.ErrNotExist) {
		return Settings{}, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("read machine settings: open HKLM\\%s: %w", Key, err)
	}
	defer k.Close()
	get := func(name string) (string, error) {
		v, _, err := k.GetStringValue(name)
		if errors.Is(err, registry.ErrNotExist) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("read machine settings: %s in HKLM\\%s: %w", name, Key, err)
		}
		return v, nil
	}
	dir, err := get("DataDir")
	if err != nil {
		return Settings{}, err
	}
	join, err := get("Join")
	if err != nil {
		return Settings{}, err
	}
	return Parse(dir, join)
}
