//go:build !windows

package main

// attachConsole does nothing here: commands started from a terminal
// write to it already.
func attachConsole() {}
