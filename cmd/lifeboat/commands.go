package main

import "github.com/spf13/cobra"

// subcommands returns the headless subcommands added to the root command
// (init, verify, serve, import, export, ...). Each reads the data folder with
// dataDirFlag(cmd) and its context with cmd.Context(). Running lifeboat with
// no subcommand launches the GUI instead.
func subcommands() []*cobra.Command {
	return nil
}
