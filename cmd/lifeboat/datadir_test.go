package main

import (
	"errors"
	"testing"
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
	tests := []struct {
		name    string
		goos    string
		getenv  func(string) string
		home    func() (string, error)
		want    string
		wantErr bool
	}{
		{"linux default", "linux", env(), home, "/home/sam/.local/share/lifeboat", false},
		{"linux XDG", "linux", env("XDG_DATA_HOME", "/srv/data"), home, "/srv/data/lifeboat", false},
		{"linux relative XDG ignored", "linux", env("XDG_DATA_HOME", "data"), home, "/home/sam/.local/share/lifeboat", false},
		{"freebsd", "freebsd", env(), home, "/home/sam/.local/share/lifeboat", false},
		{"linux no home", "linux", env(), noHome, "", true},
		{"android sandbox", "android", env("FILESDIR", "/data/user/0/uk.nhs.lifeboat/files"), noHome, "/data/user/0/uk.nhs.lifeboat/files/lifeboat", false},
		{"android no FILESDIR", "android", env(), home, "", true},
		{"ios sandbox", "ios", env(), func() (string, error) { return "/var/mobile/Containers/Data/Application/ABC", nil },
			"/var/mobile/Containers/Data/Application/ABC/Library/Application Support/Lifeboat", false},
		{"windows", "windows", env("APPDATA", `C:\Users\sam\AppData\Roaming`), noHome, `C:\Users\sam\AppData\Roaming\Lifeboat`, false},
		{"windows trailing slash", "windows", env("APPDATA", `C:\Roaming\`), noHome, `C:\Roaming\Lifeboat`, false},
		{"windows no APPDATA", "windows", env(), home, "", true},
		{"darwin", "darwin", env(), home, "/home/sam/Library/Application Support/Lifeboat", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dataDirFor(tt.goos, tt.getenv, tt.home)
			if (err != nil) != tt.wantErr {
				t.Fatalf("dataDirFor(%q) error = %v, want error %v", tt.goos, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("dataDirFor(%q) = %q, want %q", tt.goos, got, tt.want)
			}
		})
	}
}
