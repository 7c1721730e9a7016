//go:build !unix && !windows

package app

import "errors"

// diskFree is not known on this platform.
func diskFree(string) (uint64, error) { return 0, errors.New("free space unknown on this platform") }
