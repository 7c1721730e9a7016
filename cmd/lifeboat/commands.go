package main

import (
	"github.com/spf13/cobra"

	"lifeboat/cmd/lifeboat/cli"
)

// subcommands returns the headless subcommands added to the root command
// (init, verify, ...). They live in package cli so they test without cgo.
// Running lifeboat with no subcommand launches the GUI instead.
func subcommands() []*cobra.Command {
	return cli.Commands(&cli.Env{DataDir: dataDirFlag, Drill: drillFlag, Stdin: stdin, Service: serviceManager()})
}
