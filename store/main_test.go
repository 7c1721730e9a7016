package store_test

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// The crash test re-runs this binary as the child process that writes.
	if path := os.Getenv("LIFEBOAT_CRASH_CHILD"); path != "" {
		crashChild(path)
		return
	}
	if path := os.Getenv("LIFEBOAT_REBUILD_CHILD"); path != "" {
		rebuildChild(path)
		return
	}
	os.Exit(m.Run())
}
