#!/bin/sh
# dist-check.sh checks what make dist built: the Linux package holds
# exactly a binary, a .desktop file and an icon under usr/local (nothing
# else at its root: it is unpacked with -C /), and that binary says the
# version and passes the smoke test (started under Xvfb on a demo ward,
# driven with xdotool, screenshot, still running); the Windows artefact
# is a PE32+ GUI executable whose version resource is the same version
# and build, from FyneApp.toml, and lifeboat-cli.exe the same program
# marked as a console one; then the MSI is inspected, installed and run
# under Wine (scripts/dist-check-windows.sh).
set -eu
cd "$(dirname "$0")/.."
version=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
build=$(sed -n 's/^ *Build *= *\([0-9][0-9]*\) *$/\1/p' FyneApp.toml)
tarball=dist/lifeboat-$version-linux-amd64.tar.xz
exe=dist/lifeboat-$version-windows-amd64.exe
cliexe=dist/lifeboat-cli-$version-windows-amd64.exe
fail() { echo "dist-check: $*" >&2; exit 1; }

[ -f "$tarball" ] || fail "no $tarball (run make dist)"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# Every entry, exactly: anything else would be written under / too.
want='usr/
usr/local/
usr/local/bin/
usr/local/bin/lifeboat
usr/local/share/
usr/local/share/applications/
usr/local/share/applications/uk.nhs.lifeboat.desktop
usr/local/share/pixmaps/
usr/local/share/pixmaps/uk.nhs.lifeboat.png'
got=$(tar -tJf "$tarball" | sed 's|^\./||' | sort)
[ "$got" = "$want" ] || fail "$tarball holds
$got
want exactly
$want"
tar -xJf "$tarball" -C "$root"
[ -x "$root/usr/local/bin/lifeboat" ] || fail "no binary in $tarball"
desktop=$root/usr/local/share/applications/uk.nhs.lifeboat.desktop
grep -q '^Name=Lifeboat$' "$desktop" || fail "no .desktop entry for Lifeboat in $tarball"
grep -q '^Icon=uk.nhs.lifeboat$' "$desktop" || fail ".desktop has no icon"
[ -s "$root/usr/local/share/pixmaps/uk.nhs.lifeboat.png" ] || fail "no icon in $tarball"
v=$("$root/usr/local/bin/lifeboat" --version)
[ "$v" = "lifeboat version $version" ] || fail "the Linux binary says \"$v\", want version $version"
ARTIFACTS=${ARTIFACTS:-/tmp/lifeboat-dist} bash scripts/smoke.sh "$root/usr/local/bin/lifeboat"
echo "dist-check: Linux package unpacked, launched and driven"

[ -f "$exe" ] || fail "no $exe"
kind=$(file -b "$exe")
case $kind in
"PE32+ executable (GUI) x86-64"*) echo "dist-check: $exe is $kind" ;;
*) fail "$exe is \"$kind\", want a PE32+ GUI executable" ;;
esac
# The version resource (VERSIONINFO): its file version (the binary
# VS_FIXEDFILEINFO, what Explorer's Details tab shows) and its
# ProductVersion string (UTF-16) are the tarball's version with
# FyneApp.toml's build.
filever=$(perl -0777 -ne '
	my $k = join("\0", split //, "VS_VERSION_INFO") . "\0";
	if (/\Q$k\E.{0,8}?\xbd\x04\xef\xfe(.{12})/s) {
		my ($sv, $ms, $ls) = unpack("V3", $1);
		printf "%d.%d.%d.%d", $ms >> 16, $ms & 0xffff, $ls >> 16, $ls & 0xffff;
	}' "$exe")
[ "$filever" = "$version.$build" ] || fail "$exe file version is \"$filever\", want $version.$build"
prodver=$(strings -el "$exe" | sed -n '/^ProductVersion$/{n;p;q}')
[ "$prodver" = "$version.$build" ] || fail "$exe ProductVersion is \"$prodver\", want $version.$build"
echo "dist-check: $exe carries version $version.$build"

# The console exe is the same program, only marked for the console: one
# byte (the Subsystem field) differs.
[ -f "$cliexe" ] || fail "no $cliexe"
kind=$(file -b "$cliexe")
case $kind in
"PE32+ executable (console) x86-64"*) echo "dist-check: $cliexe is $kind" ;;
*) fail "$cliexe is \"$kind\", want a PE32+ console executable" ;;
esac
[ "$(cmp -l "$exe" "$cliexe" | wc -l)" -eq 1 ] || fail "$cliexe differs from $exe in more than its subsystem"
echo "dist-check: $cliexe is $exe marked for the console"

ARTIFACTS=${ARTIFACTS:-/tmp/lifeboat-dist} bash scripts/dist-check-windows.sh
