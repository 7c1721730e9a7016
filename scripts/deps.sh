#!/bin/sh
# deps.sh installs what building and testing Lifeboat needs on Debian 12 or
# Ubuntu, given Go: a C compiler and the OpenGL/X11 headers (Fyne's desktop
# driver is cgo), make, Xvfb and friends for headless GUI checks, Node.js
# and npm for the test FHIR server, then the Go modules. Safe to run again:
# it installs only what is missing.
# Run it as root, or as a user who can sudo. With the argument "dist" it
# also installs what release packaging needs (mingw-w64 for the Windows
# build, wixl and msitools for the MSI, file, xz and binutils' strings for
# make dist-check, and Wine to install and run the Windows build there).
set -eu

log=${TMPDIR:-/tmp}/lifeboat-deps.$$.log
trap 'rm -f "$log"' EXIT

die() {
	echo "deps.sh: $*" >&2
	exit 1
}

command -v go >/dev/null 2>&1 ||
	die "Go is not installed or not on PATH; install Go first (https://go.dev/doc/install)"
command -v dpkg-query >/dev/null 2>&1 ||
	die "this script needs a Debian or Ubuntu system (dpkg/apt-get not found)"

packages="make gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev
libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev xvfb xauth xdotool
imagemagick poppler-utils nodejs"
# npm runs the test FHIR server (sync/reconcile/testdata/fhirserver). Debian
# packages it apart from nodejs; NodeSource's nodejs already includes it.
command -v npm >/dev/null 2>&1 || packages="$packages npm"
if [ "${1:-}" = dist ]; then
	packages="$packages gcc-mingw-w64-x86-64 file xz-utils binutils wixl msitools wine wine64"
fi

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		sudo=
	elif command -v sudo >/dev/null 2>&1; then
		sudo=sudo
	else
		die "need root or sudo to install:$missing"
	fi
	echo "deps.sh: installing$missing"
	# Wait up to 5 minutes for another apt/dpkg run to finish rather than failing.
	apt="$sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300"
	$apt update >"$log" 2>&1 || { cat "$log" >&2; die "apt-get update failed (output above)"; }
	# shellcheck disable=SC2086 # word splitting of $missing is intended
	$apt install --no-install-recommends $missing >"$log" 2>&1 ||
		{ cat "$log" >&2; die "apt-get install failed (output above)"; }
fi

cd "$(dirname "$0")/.."
go mod download >"$log" 2>&1 || { cat "$log" >&2; die "go mod download failed (output above)"; }
echo "deps.sh: all dependencies present"
