// Package clocale reads a C locale with a character set ("C.UTF-8", the
// default of Debian's containers and many servers, or "POSIX.UTF-8") as
// the plain C locale, in the environment, before Fyne loads: Fyne's
// lang package looks the locale up as it initialises, cannot parse "C"
// as a language and logs "Fyne error: Error parsing user locale C" at
// every start, even of `lifeboat --help`. The plain C locale it reads as
// English, as it should.
//
// Importing the package is enough. It imports nothing but os and
// strings, so it is initialised before fyne.io/fyne/v2/lang: the Go spec
// (since 1.21) initialises packages in import path order whenever their
// imports allow, and "lifeboat/..." packages ready early come first at
// every step where the next package in line waits on os, strings, sync
// or time. TestRun_NoFyneLocaleError in cmd/lifeboat runs the built
// command with LANG=C.UTF-8 and would catch it if that ever changed.
//
// Lifeboat starts no other programs, so nothing else sees the change.
package clocale

import (
	"os"
	"strings"
)

func init() { Fix(os.Getenv, os.Setenv) }

// Fix sets the locale variable that decides (the first set of LC_ALL,
// LC_MESSAGES, LANG, in that order, as for gettext) to plain "C" or
// "POSIX" when it is one with a character set or modifier.
func Fix(getenv func(string) string, setenv func(string, string) error) {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(k)
		if v == "" {
			continue
		}
		base, _, _ := strings.Cut(v, ".")
		base, _, _ = strings.Cut(base, "@")
		if (base == "C" || base == "POSIX") && v != base {
			_ = setenv(k, base)
		}
		return
	}
}
