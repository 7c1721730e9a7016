package store

import (
	"os"
	"syscall"
)

// syncData flushes a file's data without its metadata (fdatasync): the
// mark file never changes size after it is made, so its blocks are all
// a crash needs, and the inode's times need not reach the disk.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
