package main

import (
	"errors"
	"strings"
	"testing"

	"lifeboat/cmd/lifeboat/internal/machine"
)

func TestDataDirFor(t *testing.T) {
	home := func() (string, error) { return "/home/sam", nil }
	noHome := func() (string, error) { return "", errors.New("$HOME is not defined") }
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	none := func(string) bool { return false }
	shared := func(p string) bool { return p == SharedLinuxDir }
	winEnv := env("APPDATA", `C:\Users\sam\AppData\Roaming`, "LOCALAPPDATA", `C:\Users\sam\AppData\Local`, "ProgramData", `C:\ProgramData`)
	tests := []struct {
		name    string
		goos    string
		getenv  func(string) string
		home    func() (string, error)
		exists  func(string) bool
		want    string
		wantOld string
		wantErr bool
	}{
		{"linux default", "linux", env(), home, none, "/home/sam/.local/share/lifeboat", "", false},
		{"linux XDG", "linux", env("XDG_DATA_HOME", "/srv/data"), home, none, "/srv/data/lifeboat", "", false},
		{"linux relative XDG ignored", "linux", env("XDG_DATA_HOME", "data"), home, none, "/home/sam/.local/share/lifeboat", "", false},
		{"freebsd", "freebsd", env(), home, none, "/home/sam/.local/share/lifeboat", "", false},
		{"linux no home", "linux", env(), noHome, none, "", "", true},
		{"linux shared PC: the folder exists", "linux", env(), home, shared, "/var/lib/lifeboat", "/home/sam/.local/share/lifeboat", false},
		{"linux shared PC: LIFEBOAT_SHARED=1", "linux", env("LIFEBOAT_SHARED", "1"), home, none, "/var/lib/lifeboat", "/home/sam/.local/share/lifeboat", false},
		{"linux shared PC: its own folder", "linux", env("LIFEBOAT_SHARED", "/srv/lifeboat/"), home, shared, "/srv/lifeboat", "/home/sam/.local/share/lifeboat", false},
		{"linux shared PC: XDG is the old place", "linux", env("LIFEBOAT_SHARED", "1", "XDG_DATA_HOME", "/srv/data"), home, none, "/var/lib/lifeboat", "/srv/data/lifeboat", false},
		{"linux shared PC, no home", "linux", env(), noHome, shared, "/var/lib/lifeboat", "", false},
		{"linux LIFEBOAT_SHARED=0 keeps it per user", "linux", env("LIFEBOAT_SHARED", "0"), home, shared, "/home/sam/.local/share/lifeboat", "", false},
		{"android sandbox", "android", env("FILESDIR", "/data/user/0/uk.nhs.lifeboat/files"), noHome, shared, "/data/user/0/uk.nhs.lifeboat/files/lifeboat", "", false},
		{"android no FILESDIR", "android", env(), home, none, "", "", true},
		{"ios sandbox", "ios", env(), func() (string, error) { return "/var/mobile/Containers/Data/Application/ABC", nil }, none,
			"/var/mobile/Containers/Data/Application/ABC/Library/Application Support/Lifeboat", "", false},
		{"darwin", "darwin", env(), home, shared, "/home/sam/Library/Application Support/Lifeboat", "", false},
		{"windows", "windows", winEnv, noHome, none, `C:\ProgramData\Lifeboat`, `C:\Users\sam\AppData\Roaming\Lifeboat`, false},
		{"windows trailing slash", "windows", env("APPDATA", `C:\Roaming\`, "ProgramData", `D:\ProgramData\`), noHome, none, `D:\ProgramData\Lifeboat`, `C:\Roaming\Lifeboat`, false},
		{"windows no APPDATA", "windows", env("ProgramData", `C:\ProgramData`), home, none, `C:\ProgramData\Lifeboat`, "", false},
		{"windows no ProgramData", "windows", env("APPDATA", `C:\Users\sam\AppData\Roaming`), home, none, "", "", true},
		{"windows ProgramData on a share", "windows", env("ProgramData", `\\fileserver\wards\ProgramData`), home, none, "", "", true},
		{"windows ProgramData long UNC", "windows", env("ProgramData", `\\?\UNC\fileserver\ProgramData`), home, none, "", "", true},
		{"windows ProgramData relative", "windows", env("ProgramData", `ProgramData`), home, none, "", "", true},
		{"windows ProgramData drive-relative", "windows", env("ProgramData", `C:ProgramData`), home, none, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, old, err := dataDirFor(tt.goos, tt.getenv, tt.home, tt.exists)
			if (err != nil) != tt.wantErr {
				t.Fatalf("dataDirFor(%q) error = %v, want error %v", tt.goos, err, tt.wantErr)
			}
			if got != tt.want || old != tt.wantOld {
				t.Errorf("dataDirFor(%q) = %q, old %q; want %q, old %q", tt.goos, got, old, tt.want, tt.wantOld)
			}
		})
	}
}

// On Windows the data folder is the machine's, on its local disk: under
// %ProgramData%, the same for every Windows user of the PC, never in the
// roaming profile (%APPDATA%, which trusts redirect to a network share)
// nor on a share at all, whatever the profile folders are.
func TestDataDirFor_WindowsIsMachineWideAndLocal(t *testing.T) {
	for _, user := range []struct{ appData, local string }{
		{`C:\Users\nia.nurse\AppData\Roaming`, `C:\Users\nia.nurse\AppData\Local`},
		{`C:\Users\dr.ade\AppData\Roaming`, `C:\Users\dr.ade\AppData\Local`},
		{`\\profiles.trust.nhs.uk\redirected$\nia.nurse\AppData\Roaming`, `C:\Users\nia.nurse\AppData\Local`},
		{"", ""},
	} {
		getenv := func(k string) string {
			return map[string]string{"APPDATA": user.appData, "LOCALAPPDATA": user.local, "ProgramData": `C:\ProgramData`,
				"USERPROFILE": `C:\Users\someone`, "HOMEDRIVE": `\\profiles.trust.nhs.uk`}[k]
		}
		dir, _, err := dataDirFor("windows", getenv, func() (string, error) { return `\\profiles.trust.nhs.uk\home\someone`, nil }, func(string) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		if dir != `C:\ProgramData\Lifeboat` {
			t.Errorf("APPDATA %q: data folder %q, want C:\\ProgramData\\Lifeboat for every user", user.appData, dir)
		}
		if !localWindowsPath(dir) || strings.HasPrefix(dir, `\\`) || strings.Contains(strings.ToLower(dir), `appdata`) || strings.Contains(dir, "someone") {
			t.Errorf("data folder %q is not machine-wide and local", dir)
		}
	}
}

// The folder the Windows installer was given (DATADIR, read from the
// registry) is the data folder for every user of the PC; a store in the
// per-user folder of earlier versions is still moved into it. Without
// one, the rule above holds.
func TestInstallerDataDir(t *testing.T) {
	env := map[string]string{"APPDATA": `C:\Users\nia.nurse\AppData\Roaming`, "ProgramData": `C:\ProgramData`}
	dir, old, err := dataDirFor("windows", func(k string) string { return env[k] }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := machine.Parse(`D:\Lifeboat\`, "")
	if err != nil {
		t.Fatal(err)
	}
	got, gotOld, err := installerDataDir(m, dir, old, nil)
	if err != nil || got != `D:\Lifeboat` || gotOld != `C:\Users\nia.nurse\AppData\Roaming\Lifeboat` {
		t.Errorf("with DATADIR D:\\Lifeboat: %q, old %q, %v; want D:\\Lifeboat, old the roaming folder", got, gotOld, err)
	}
	if !localWindowsPath(got) {
		t.Errorf("%q is not local", got)
	}
	got, _, err = installerDataDir(machine.Settings{}, dir, old, nil)
	if err != nil || got != `C:\ProgramData\Lifeboat` {
		t.Errorf("no DATADIR: %q, %v; want C:\\ProgramData\\Lifeboat", got, err)
	}
	// A DataDir on a share never gets this far: machine.Parse refuses it.
	if _, err := machine.Parse(`\\fileserver\wards\Lifeboat`, ""); err == nil {
		t.Error("machine.Parse took a share as the data folder")
	}
}
