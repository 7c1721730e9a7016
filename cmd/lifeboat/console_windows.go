//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// attachParentProcess is ATTACH_PARENT_PROCESS, (DWORD)-1.
const attachParentProcess = ^uint32(0)

var procAttachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

// attachConsole makes a command started from cmd.exe or PowerShell write
// to that console. The exe is linked as a GUI program (-H
// windowsgui, so opening the app shows no console window), and Windows
// gives a GUI program no console: without this, --help, verify, invite
// and the passphrase prompts were silent. It attaches to the parent
// process's console, if there is one, and opens CONOUT$ for standard
// output and error if they have no handle; those redirected to a file or
// pipe are kept. Standard input it does not take from the console (see
// noConsoleInput): lifeboat-cli.exe, the same program marked as a console
// one, is the one to type secrets into. Started from Explorer or a
// shortcut there is no parent console and nothing changes.
func attachConsole() {
	files := []struct {
		std  uint32
		name string
		f    **os.File
	}{
		{windows.STD_INPUT_HANDLE, "CONIN$", &os.Stdin},
		{windows.STD_OUTPUT_HANDLE, "CONOUT$", &os.Stdout},
		{windows.STD_ERROR_HANDLE, "CONOUT$", &os.Stderr},
	}
	// Which ones have no handle, judged before attaching (AttachConsole
	// may set the process's standard handles, never os.Stdin and co).
	var missing []int
	for i, s := range files {
		if !usable(*s.f) {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return // all redirected
	}
	if r, _, _ := procAttachConsole.Call(uintptr(attachParentProcess)); r == 0 {
		return // no parent console (or one is attached already)
	}
	for _, i := range missing {
		s := files[i]
		if s.std == windows.STD_INPUT_HANDLE {
			// cmd.exe and PowerShell do not wait for a GUI program:
			// both would read this console, and a passphrase could go
			// to the shell (echoed, kept in its history). Prompts say
			// to use lifeboat-cli.exe instead.
			stdin = noConsoleInput{}
			continue
		}
		c, err := os.OpenFile(s.name, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		_ = windows.SetStdHandle(s.std, windows.Handle(c.Fd()))
		*s.f = c
	}
}

// usable reports whether f is an open handle (a file, pipe or console).
func usable(f *os.File) bool {
	if f == nil {
		return false
	}
	h := windows.Handle(f.Fd())
	if h == 0 || h == windows.InvalidHandle {
		return false
	}
	t, err := windows.GetFileType(h)
	return err == nil && t != windows.FILE_TYPE_UNKNOWN
}
