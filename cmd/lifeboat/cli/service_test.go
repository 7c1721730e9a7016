package cli

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lifeboat"
)

// fakeServices records what serve --install-service and
// --uninstall-service asked of the service manager.
type fakeServices struct {
	exe     string
	args    []string
	removed bool
}

func (f *fakeServices) Install(exe string, args []string) error {
	f.exe, f.args = exe, args
	return nil
}
func (f *fakeServices) Remove() error { f.removed = true; return nil }

// runService runs a serve command as run does, with svc as the service
// manager (nil: none, as off Windows).
func runWithServices(t *testing.T, dir string, svc ServiceManager, args ...string) (string, error) {
	t.Helper()
	return runEnv(t, dir, &Env{Service: svc}, args...)
}

// lifeboat-cli serve --install-service registers the serve command it was
// given, to run from any folder: --data with the data folder, serve, the
// flags given (each join address apart), files made absolute, without the
// service flags; nothing is served here.
func TestServe_InstallServiceRegistersTheServeCommandLine(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("relay.pass", []byte("a long ward passphrase"), 0o600); err != nil {
		t.Fatal(err)
	}
	svc := &fakeServices{}
	out, err := runWithServices(t, dir, svc, "serve", "--install-service", "--passphrase-file", "relay.pass",
		"--join", "10.0.0.2:7946,relay.trust.nhs.uk:7946", "--bind", "0.0.0.0:7946", "--status-every", "5s")
	if err != nil {
		t.Fatalf("serve --install-service: %v\n%s", err, out)
	}
	exe, _ := os.Executable()
	if svc.exe != exe {
		t.Errorf("service runs %q, want this program %q", svc.exe, exe)
	}
	want := []string{"--data", dir, "serve", "--bind=0.0.0.0:7946", "--join=10.0.0.2:7946", "--join=relay.trust.nhs.uk:7946",
		"--passphrase-file=" + filepath.Join(dir, "relay.pass"), "--status-every=5s"}
	if !slices.Equal(svc.args, want) {
		t.Errorf("service command line\n%q\nwant\n%q", svc.args, want)
	}
	if !strings.Contains(out, "Installed and started the Lifeboat service") {
		t.Errorf("output %q does not say the service was installed", out)
	}
	if _, err := os.Stat(filepath.Join(dir, StatusFile)); err == nil {
		t.Error("installing the service served here too")
	}
}

func TestServe_UninstallServiceRemovesIt(t *testing.T) {
	svc := &fakeServices{}
	out, err := runWithServices(t, t.TempDir(), svc, "serve", "--uninstall-service")
	if err != nil || !svc.removed || !strings.Contains(out, "Removed the Lifeboat service") {
		t.Fatalf("serve --uninstall-service = %q, %v, removed %v", out, err, svc.removed)
	}
}

// What a service cannot do without is refused before anything is
// registered, and off Windows there is no service to install.
func TestServe_InstallServiceRefusals(t *testing.T) {
	dir := t.TempDir()
	pass := filepath.Join(dir, "relay.pass")
	if err := os.WriteFile(pass, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		svc  ServiceManager
		args []string
		want string
	}{
		{"no passphrase file", &fakeServices{}, []string{"serve", "--install-service"}, "give --passphrase-file"},
		{"passphrase file missing", &fakeServices{}, []string{"serve", "--install-service", "--passphrase-file", filepath.Join(dir, "nope")}, "--passphrase-file"},
		{"both", &fakeServices{}, []string{"serve", "--install-service", "--uninstall-service", "--passphrase-file", pass}, "not both"},
		{"not Windows", nil, []string{"serve", "--install-service", "--passphrase-file", pass}, "only on Windows"},
		{"not Windows, remove", nil, []string{"serve", "--uninstall-service"}, "only on Windows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runWithServices(t, dir, tt.svc, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%v = %q, %v; want an error saying %q", tt.args, out, err, tt.want)
			}
			if f, ok := tt.svc.(*fakeServices); ok && (f.args != nil || f.removed) {
				t.Errorf("%v reached the service manager: %+v", tt.args, f)
			}
			if tt.want != "--passphrase-file" && !errors.Is(err, lifeboat.ErrInvalid) {
				t.Errorf("%v: error %v is not ErrInvalid", tt.args, err)
			}
		})
	}
}
