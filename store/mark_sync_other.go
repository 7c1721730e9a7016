//go:build !linux

package store

import "os"

// syncData flushes the file to stable storage (fsync elsewhere).
func syncData(f *os.File) error { return f.Sync() }
