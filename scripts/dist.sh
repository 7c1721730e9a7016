#!/bin/sh
# dist.sh (make dist) builds the release artefacts into dist/ with the fyne
# packaging tool, carrying the icon, app ID and version from FyneApp.toml:
#   dist/lifeboat-<version>-linux-amd64.tar.xz  (binary, .desktop file, icon)
#   dist/lifeboat-<version>-windows-amd64.exe   (cross-compiled with mingw-w64)
# Needs scripts/deps.sh dist. A cold Windows build compiles Fyne's OpenGL
# driver for Windows: several minutes.
set -eu
cd "$(dirname "$0")/.."
export LANG="${LANG:-en_US.UTF-8}"

version=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
[ -n "$version" ] || { echo "dist.sh: no Version in FyneApp.toml" >&2; exit 1; }
mkdir -p dist bin
# The packaging tool, built for this machine (go tool would build it for
# GOOS=windows below).
go build -o bin/fyne fyne.io/tools/cmd/fyne

# fyne reads FyneApp.toml from the package it builds: lend it a copy.
cp FyneApp.toml cmd/lifeboat/FyneApp.toml
trap 'rm -f cmd/lifeboat/FyneApp.toml cmd/lifeboat/Lifeboat.exe Lifeboat.tar.xz' EXIT
icon=$PWD/assets/icon.png

echo "dist.sh: Linux package"
bin/fyne package -os linux --src cmd/lifeboat --icon "$icon" --release
mv Lifeboat.tar.xz "dist/lifeboat-$version-linux-amd64.tar.xz"

echo "dist.sh: Windows executable"
GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
	bin/fyne package -os windows --src cmd/lifeboat --icon "$icon" --release
mv cmd/lifeboat/Lifeboat.exe "dist/lifeboat-$version-windows-amd64.exe"

ls -l dist/lifeboat-"$version"-*
