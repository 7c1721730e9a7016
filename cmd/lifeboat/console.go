package main

import (
	"slices"
	"strings"
)

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
