#!/bin/sh
# dist-check.sh checks what make dist built: the Linux package unpacks to
# a binary, a .desktop file and an icon, and that binary passes the smoke
# test (started under Xvfb on a demo ward, driven with xdotool, screenshot,
# still running); the Windows artefact is a PE32+ GUI executable.
set -eu
cd "$(dirname "$0")/.."
version=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
tarball=dist/lifeboat-$version-linux-amd64.tar.xz
exe=dist/lifeboat-$version-windows-amd64.exe
fail() { echo "dist-check: $*" >&2; exit 1; }

[ -f "$tarball" ] || fail "no $tarball (run make dist)"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
tar -xJf "$tarball" -C "$root"
[ -x "$root/usr/local/bin/lifeboat" ] || fail "no binary in $tarball"
desktop=$root/usr/local/share/applications/uk.nhs.lifeboat.desktop
grep -q '^Name=Lifeboat$' "$desktop" || fail "no .desktop entry for Lifeboat in $tarball"
grep -q '^Icon=uk.nhs.lifeboat$' "$desktop" || fail ".desktop has no icon"
[ -s "$root/usr/local/share/pixmaps/uk.nhs.lifeboat.png" ] || fail "no icon in $tarball"
ARTIFACTS=${ARTIFACTS:-/tmp/lifeboat-dist} bash scripts/smoke.sh "$root/usr/local/bin/lifeboat"
echo "dist-check: Linux package unpacked, launched and driven"

[ -f "$exe" ] || fail "no $exe"
kind=$(file -b "$exe")
case $kind in
"PE32+ executable (GUI) x86-64"*) echo "dist-check: $exe is $kind" ;;
*) fail "$exe is \"$kind\", want a PE32+ GUI executable" ;;
esac
