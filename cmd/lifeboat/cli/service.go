package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"lifeboat"
)

// ServiceName is the name of the Windows service serve --install-service
// makes (sc query Lifeboat); the MSI stops and removes it on uninstall.
const ServiceName = "Lifeboat"

// ServiceManager installs and removes `lifeboat serve` as a system
// service.
type ServiceManager interface {
	// Install registers the service to run exe with args, starting with
	// the machine, and starts it.
	Install(exe string, args []string) error
	// Remove stops the service and removes it.
	Remove() error
}

// serviceFileFlags are serve's flags that name files: the service starts
// in another folder (system32), so they are made absolute.
var serviceFileFlags = map[string]bool{"passphrase-file": true, "feed": true, "pin-file": true}

// serviceCmd is serve --install-service and --uninstall-service.
func serviceCmd(cmd *cobra.Command, env *Env, install, uninstall bool, passFile string) error {
	if env.Service == nil {
		return fmt.Errorf("install service: %w: only on Windows (on Linux, run lifeboat serve from a systemd unit: docs/deploying.md)", lifeboat.ErrInvalid)
	}
	if install && uninstall {
		return fmt.Errorf("install service: %w: give --install-service or --uninstall-service, not both", lifeboat.ErrInvalid)
	}
	if uninstall {
		if err := env.Service.Remove(); err != nil {
			return fmt.Errorf("remove service: %w", err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "Removed the %s service.\n", ServiceName)
		return nil
	}
	if passFile == "" {
		return fmt.Errorf("install service: %w: give --passphrase-file (a service has no console to type the passphrase in)", lifeboat.ErrInvalid)
	}
	if env.drill(cmd) {
		return fmt.Errorf("install service: %w: a relay serves the live store, not the drill one", lifeboat.ErrInvalid)
	}
	dir, err := env.DataDir(cmd)
	if err != nil {
		return err
	}
	args, err := serviceArgs(cmd, dir)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("install service: find this program: %w", err)
	}
	if err := env.Service.Install(exe, args); err != nil {
		return fmt.Errorf("install service: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Installed and started the %s service: %s %q\n", ServiceName, exe, args)
	return nil
}

// serviceArgs is the command line the service runs: --data with the data
// folder, serve, and the serve flags given here but the service ones,
// files made absolute.
func serviceArgs(cmd *cobra.Command, dir string) ([]string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("install service: data folder %q: %w", dir, err)
	}
	args := []string{"--data", d, "serve"}
	var bad error
	inherited := cmd.InheritedFlags()
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch {
		case f.Name == "install-service" || f.Name == "uninstall-service", inherited.Lookup(f.Name) != nil:
		case serviceFileFlags[f.Name]:
			p, err := filepath.Abs(f.Value.String())
			if err != nil {
				bad = errors.Join(bad, fmt.Errorf("install service: --%s %q: %w", f.Name, f.Value.String(), err))
			}
			if _, err := os.Stat(p); err != nil {
				bad = errors.Join(bad, fmt.Errorf("install service: --%s: %w", f.Name, err))
			}
			args = append(args, "--"+f.Name+"="+p)
		default:
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				for _, v := range sv.GetSlice() {
					args = append(args, "--"+f.Name+"="+v)
				}
				return
			}
			args = append(args, "--"+f.Name+"="+f.Value.String())
		}
	})
	if bad != nil {
		return nil, bad
	}
	return args, nil
}
