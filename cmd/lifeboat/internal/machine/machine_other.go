//go:build !windows

package machine

// Load returns no settings: only the Windows installer leaves any.
func Load() (Settings, error) { return Settings{}, nil }
