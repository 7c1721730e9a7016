// Package machine reads the settings the Windows installer (the MSI's
// DATADIR and JOIN properties) leaves for every user of the PC, in the
// registry under HKLM\SOFTWARE\Lifeboat: the data folder and the ward
// peers to join. Other systems have none.
package machine

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Key is the registry key (under HKEY_LOCAL_MACHINE) the installer writes.
const Key = `SOFTWARE\Lifeboat`

// Settings are the machine's settings; the zero value is none.
type Settings struct {
	// DataDir is the data folder (DataDir); "" for the default.
	DataDir string
	// Join are host:port addresses of ward peers to join (Join).
	Join []string
}

// Parse checks the registry values dataDir and join (as the installer
// wrote them; "" when absent): dataDir must be an absolute path on a local
// drive (C:\...), never a share, and join a list of host:port addresses
// separated by commas, semicolons or spaces.
func Parse(dataDir, join string) (Settings, error) {
	var s Settings
	if d := strings.TrimSpace(dataDir); d != "" {
		if !LocalWindowsPath(d) {
			return Settings{}, fmt.Errorf("read machine settings: DataDir %q in HKLM\\%s is not a folder on a local disk", d, Key)
		}
		s.DataDir = strings.TrimRight(d, `\/`)
		if len(s.DataDir) == 2 { // C: alone is the drive's current folder
			s.DataDir += `\`
		}
	}
	for _, a := range strings.FieldsFunc(join, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' }) {
		host, port, err := net.SplitHostPort(a)
		if p, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
			return Settings{}, fmt.Errorf("read machine settings: Join in HKLM\\%s: %q is not a host:port address", Key, a)
		}
		s.Join = append(s.Join, a)
	}
	return s, nil
}

// LocalWindowsPath reports whether p is an absolute path on a drive
// letter (C:\...): not a UNC path (\\server\share, \\?\UNC\...), not a
// relative one.
func LocalWindowsPath(p string) bool {
	if len(p) < 3 || p[1] != ':' || (p[2] != '\\' && p[2] != '/') {
		return false
	}
	c := p[0] | 0x20
	return c >= 'a' && c <= 'z'
}
