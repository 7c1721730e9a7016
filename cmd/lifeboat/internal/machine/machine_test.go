package machine

import (
	"slices"
	"testing"
)

// The installer's values as IT may type them on the msiexec command line:
// a data folder on a local drive only (a share is what goes down in the
// outage), peers as host:port.
func TestParse(t *testing.T) {
	tests := []struct {
		name, dir, join string
		wantDir         string
		wantJoin        []string
		wantErr         bool
	}{
		{"none", "", "", "", nil, false},
		{"default folder", `C:\ProgramData\Lifeboat`, "", `C:\ProgramData\Lifeboat`, nil, false},
		{"trailing backslash", `D:\Lifeboat\`, "", `D:\Lifeboat`, nil, false},
		{"forward slashes", `d:/Lifeboat`, "", `d:/Lifeboat`, nil, false},
		{"drive root", `E:\`, "", `E:\`, nil, false},
		{"spaces around", "  C:\\Lifeboat  ", "", `C:\Lifeboat`, nil, false},
		{"share", `\\fileserver\wards\Lifeboat`, "", "", nil, true},
		{"long UNC", `\\?\UNC\fileserver\Lifeboat`, "", "", nil, true},
		{"relative", `Lifeboat`, "", "", nil, true},
		{"drive-relative", `C:Lifeboat`, "", "", nil, true},
		{"not a drive letter", `1:\Lifeboat`, "", "", nil, true},
		{"one peer", "", "10.1.2.3:7946", "", []string{"10.1.2.3:7946"}, false},
		{"peers, commas and spaces", "", "10.1.2.3:7946, relay.trust.nhs.uk:7946;[fe80::1]:7946", "", []string{"10.1.2.3:7946", "relay.trust.nhs.uk:7946", "[fe80::1]:7946"}, false},
		{"blank join", "", "  ", "", nil, false},
		{"no port", "", "10.1.2.3", "", nil, true},
		{"port 0", "", "10.1.2.3:0", "", nil, true},
		{"port too big", "", "10.1.2.3:65536", "", nil, true},
		{"no host", "", ":7946", "", nil, true},
		{"port not a number", "", "relay:sync", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.dir, tt.join)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q, %q) error = %v, want error %v", tt.dir, tt.join, err, tt.wantErr)
			}
			if s.DataDir != tt.wantDir || !slices.Equal(s.Join, tt.wantJoin) {
				t.Errorf("Parse(%q, %q) = %+v, want %q %q", tt.dir, tt.join, s, tt.wantDir, tt.wantJoin)
			}
		})
	}
}
