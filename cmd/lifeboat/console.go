package main

import (
	"errors"
	"io"
	"slices"
	"strings"
)

// stdin is where the commands read secrets typed at their prompts; nil
// for os.Stdin. attachConsole sets it on Windows.
var stdin io.Reader

// noConsoleInput is the standard input of Lifeboat.exe (a GUI program)
// run with a command from a console: the shell does not wait for a GUI
// program and goes on reading that console, so a passphrase typed there
// could be taken by the shell instead. Reading it says what to do.
type noConsoleInput struct{}

func (noConsoleInput) Read([]byte) (int, error) {
	return 0, errNoConsoleInput
}

var errNoConsoleInput = errors.New("cannot read what is typed in this console (the shell does not wait for Lifeboat.exe): run lifeboat-cli.exe instead, or give it in a file (--passphrase-file, --pin-file)")

// wantsConsole reports whether args (the command line after the program
// name) run a command rather than open the app: a subcommand, --help or
// --version, or a command line the root command refuses (its error must
// be read). On Windows the exe is a GUI program, which no console
// shows; main attaches one (attachConsole) only then, so opening the app
// from a console leaves that console alone.
func wantsConsole(args []string) bool {
	for _, a := range args {
		if a == "--" {
			break
		}
		if slices.Contains([]string{"-h", "--help", "--version", "help", "completion"}, a) {
			return true
		}
	}
	root := newRoot()
	cmd, rest, err := root.Find(args)
	if err != nil || cmd != root {
		return true
	}
	if err := root.ParseFlags(rest); err != nil {
		return true
	}
	for _, a := range root.Flags().Args() {
		if !strings.HasPrefix(a, "-") {
			return true // an unknown command: noArgs refuses it
		}
	}
	return false
}
