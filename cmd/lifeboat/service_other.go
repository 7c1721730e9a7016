//go:build !windows

package main

import "lifeboat/cmd/lifeboat/cli"

// isService is false: only Windows has services this program runs as
// (on Linux a systemd unit runs lifeboat serve as it is).
func isService() bool { return false }

// runService is never called off Windows.
func runService([]string) int { return 1 }

// serviceManager is nil: serve --install-service is for Windows.
func serviceManager() cli.ServiceManager { return nil }
