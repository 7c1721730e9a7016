package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// lockChildEnv makes the test binary a process that takes the lock on a
// data folder, says so, and waits to be killed.
const lockChildEnv = "LIFEBOAT_LOCK_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(lockChildEnv); dir != "" {
		if _, err := LockDataDir(dir); err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		fmt.Println("locked")
		select {}
	}
	os.Exit(m.Run())
}

// startLockHolder runs another process holding dir's lock and returns it
// once it has the lock.
func startLockHolder(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("lock holder said %q, %v", line, err)
	}
	return cmd
}

// A data folder another running Lifeboat holds is refused with a clear
// message; once that process is killed (no clean exit), it is free.
func TestLockDataDir_OtherProcessThenKilled(t *testing.T) {
	dir := t.TempDir()
	holder := startLockHolder(t, dir)
	_, err := LockDataDir(dir)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second lock: %v, want ErrInUse naming %s", err, dir)
	}
	// Commands that write are refused too, and write nothing.
	if out, err := run(t, dir, setupInput, "init", "--site", "S", "--ward", "W", "--admin", "A"); !errors.Is(err, ErrInUse) {
		t.Fatalf("init on a held folder: %v\n%s", err, out)
	}
	if _, err := os.Stat(dir + "/" + StoreFile); err == nil {
		t.Error("init wrote a store into a held folder")
	}
	if err := holder.Process.Kill(); err != nil { // SIGKILL: no chance to unlock
		t.Fatal(err)
	}
	holder.Wait()
	release, err := LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after the holder was killed: %v", err)
	}
	release()
}

// Within one process the lock is released and can be taken again.
func TestLockDataDir_Release(t *testing.T) {
	dir := t.TempDir()
	release, err := LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	release()
	release, err = LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	release()
}
