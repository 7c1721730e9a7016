#!/bin/sh
# dist.sh (make dist) builds the release artefacts into dist/ with the fyne
# packaging tool, carrying the icon, app ID and version from FyneApp.toml:
#   dist/lifeboat-<version>-linux-amd64.tar.xz  (binary, .desktop file, icon)
#   dist/lifeboat-<version>-windows-amd64.exe   (cross-compiled with mingw-w64)
#   dist/lifeboat-cli-<version>-windows-amd64.exe (the same, for consoles)
#   dist/lifeboat-<version>-windows-amd64.msi   (both exes, with wixl)
# Needs scripts/deps.sh dist. A cold Windows build compiles Fyne's OpenGL
# driver for Windows: several minutes.
#
# One version for every artefact: Version and Build are read from
# FyneApp.toml once here and given to each packaging run (the fyne tool
# bumps Build in the FyneApp.toml it reads after each package, which made
# the Windows exe 0.1.0.2 when the tarball was 0.1.0.1).
set -eu
cd "$(dirname "$0")/.."
export LANG="${LANG:-en_US.UTF-8}"

version=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
build=$(sed -n 's/^ *Build *= *\([0-9][0-9]*\) *$/\1/p' FyneApp.toml)
[ -n "$version" ] || { echo "dist.sh: no Version in FyneApp.toml" >&2; exit 1; }
[ -n "$build" ] || { echo "dist.sh: no Build in FyneApp.toml" >&2; exit 1; }
mkdir -p dist bin
# The packaging tool, built for this machine (go tool would build it for
# GOOS=windows below).
go build -o bin/fyne fyne.io/tools/cmd/fyne

stage=$(mktemp -d)
trap 'rm -rf "$stage"; rm -f cmd/lifeboat/FyneApp.toml cmd/lifeboat/Lifeboat.exe Lifeboat.tar.xz' EXIT
icon=$PWD/assets/icon.png
# fyne reads FyneApp.toml from the package it builds: lend it a fresh copy
# for each package, with the version and build given explicitly too.
package() {
	cp FyneApp.toml cmd/lifeboat/FyneApp.toml
	bin/fyne package --src cmd/lifeboat --icon "$icon" --release \
		--app-version "$version" --app-build "$build" "$@"
}

echo "dist.sh: Linux package"
package -os linux
# The fyne tool puts a Makefile at the tarball's root beside usr/, so
# `tar -xJf ... -C /` would write /Makefile: repack usr/ alone, owned by
# root, in a stable order.
tar -xJf Lifeboat.tar.xz -C "$stage"
tar -cJf "dist/lifeboat-$version-linux-amd64.tar.xz" -C "$stage" \
	--sort=name --owner=0 --group=0 --numeric-owner usr

echo "dist.sh: Windows executable"
(
	export GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc
	package -os windows
)
mv cmd/lifeboat/Lifeboat.exe "dist/lifeboat-$version-windows-amd64.exe"

# The same program for consoles and scripts: a GUI exe gets no console, and
# cmd.exe and PowerShell do not wait for one, so a passphrase typed at its
# prompt would go to the shell instead. lifeboat-cli.exe is the exe with
# its PE header's Subsystem field (the optional header's 16 bits at offset
# 68) changed from WINDOWS_GUI (2) to WINDOWS_CUI (3), as editbin
# /SUBSYSTEM:CONSOLE does: the shell waits for it, hands it its console
# and gets its exit status. Same bytes otherwise: same version and icon.
echo "dist.sh: Windows console executable"
cli=dist/lifeboat-cli-$version-windows-amd64.exe
cp "dist/lifeboat-$version-windows-amd64.exe" "$cli"
perl -e '
	open(my $f, "+<", $ARGV[0]) or die "open: $!";
	binmode $f;
	read($f, my $dos, 64) == 64 or die "short file";
	my $pe = unpack("V", substr($dos, 0x3c, 4));
	seek($f, $pe, 0); read($f, my $sig, 4);
	$sig eq "PE\0\0" or die "no PE signature";
	seek($f, $pe + 24 + 68, 0); read($f, my $sub, 2);
	unpack("v", $sub) == 2 or die "subsystem is not WINDOWS_GUI";
	seek($f, $pe + 24 + 68, 0); print $f pack("v", 3);
	close($f) or die "close: $!";
' "$cli"

# The installer (packaging/windows/lifeboat.wxs): both exes, a Start menu
# entry, the DATADIR and JOIN properties; its version is the exes',
# <version>.<build>. wixl finds the files relative to the folder it runs
# in. SecureCustomProperties gets DATADIR and JOIN (wixl has no Secure
# attribute), so a managed install (Intune, Configuration Manager) passes
# them from the command line to the part that writes them.
echo "dist.sh: Windows installer"
msi=dist/lifeboat-$version-windows-amd64.msi
cp "dist/lifeboat-$version-windows-amd64.exe" "$stage/Lifeboat.exe"
cp "$cli" "$stage/lifeboat-cli.exe"
rm -f "$msi"
wxs=$PWD/packaging/windows/lifeboat.wxs
(cd "$stage" && wixl -a x64 -D Version="$version.$build" -D Exe=Lifeboat.exe -D CliExe=lifeboat-cli.exe \
	-o lifeboat.msi "$wxs")
msibuild "$stage/lifeboat.msi" -q "UPDATE Property SET Value = 'DATADIR;JOIN;WIX_DOWNGRADE_DETECTED;WIX_UPGRADE_DETECTED' WHERE Property = 'SecureCustomProperties'"
mv "$stage/lifeboat.msi" "$msi"

ls -l dist/lifeboat-"$version"-* dist/lifeboat-cli-"$version"-*
