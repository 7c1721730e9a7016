#!/usr/bin/env bash
# dist-check-windows.sh (run by scripts/dist-check.sh) checks the Windows
# installer make dist built, then installs and runs it under Wine:
#
#   - msiinfo: the MSI's File table holds Lifeboat.exe and lifeboat-cli.exe,
#     its Shortcut table the Start menu entry, its Property table the
#     version (<version>.<build>, as the exes), the fixed UpgradeCode and
#     DATADIR and JOIN as secure properties; the registry rows write them;
#     nothing removes or makes a folder (the data folder is the app's).
#   - in a fresh Wine prefix, with a stand-in bcryptprimitives.dll
#     (packaging/windows/bcryptprimitives.c, built with mingw: Wine 8.0 has
#     none and Go's runtime needs its ProcessPrng), msiexec /i ... /qn
#     DATADIR=C:\lbdata JOIN=...: the files in Program Files\Lifeboat, the
#     Start menu entry, the registry values;
#   - the installed lifeboat-cli.exe, given no --data: --version, demo (the
#     store lands in DATADIR, read from the registry), verify, export;
#   - the installed Lifeboat.exe under Xvfb: a window, a screenshot that is
#     not blank (ImageMagick's standard deviation) and shows the DOWNTIME
#     MODE banner (the unlock screen of the store in DATADIR), still
#     running;
#   - msiexec /x ... /qn: the program files and registry values go, the
#     data folder and its store stay.
#
# Sync is not tried: Wine lacks the WSAIoctl call the mesh's network
# library makes (docs/windows.md). Screenshots and logs go to $ARTIFACTS.
# Needs scripts/deps.sh dist (wine, wine64, msitools, mingw-w64, xvfb,
# imagemagick).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
build=$(sed -n 's/^ *Build *= *\([0-9][0-9]*\) *$/\1/p' FyneApp.toml)
msi=dist/lifeboat-$version-windows-amd64.msi
export ARTIFACTS=${ARTIFACTS:-/tmp/lifeboat-dist}
mkdir -p "$ARTIFACTS"
fail() { echo "dist-check (Windows): $*" >&2; exit 1; }

[ -f "$msi" ] || fail "no $msi (run make dist)"

# The MSI's tables.
tables=$(msiinfo tables "$msi")
for t in File Shortcut Property Registry Component; do
	grep -qx "$t" <<<"$tables" || fail "$msi has no $t table"
done
files=$(msiinfo export "$msi" File | tail -n +4 | cut -f3 | sort | tr '\n' ' ')
[ "$files" = "Lifeboat.exe lifeboat-cli.exe " ] || fail "$msi installs \"$files\", want Lifeboat.exe lifeboat-cli.exe"
msiinfo export "$msi" Shortcut | tail -n +4 | awk -F'\t' '$2 == "ProgramMenuFolder" && $3 == "Lifeboat" { ok = 1 } END { exit !ok }' ||
	fail "$msi has no Start menu shortcut named Lifeboat"
prop() { msiinfo export "$msi" Property | awk -F'\t' -v p="$1" '$1 == p { print $2 }' | tr -d '\r'; }
[ "$(prop ProductVersion)" = "$version.$build" ] || fail "$msi ProductVersion is \"$(prop ProductVersion)\", want $version.$build"
[ "$(prop UpgradeCode)" = "{317e3985-748b-4100-ab15-b979f973aac0}" ] || fail "$msi UpgradeCode changed to $(prop UpgradeCode): it must never change"
for p in DATADIR JOIN; do
	case ";$(prop SecureCustomProperties);" in
	*";$p;"*) ;;
	*) fail "$msi SecureCustomProperties \"$(prop SecureCustomProperties)\" lacks $p" ;;
	esac
done
reg=$(msiinfo export "$msi" Registry | tail -n +4 | cut -f2-5 | tr -d '\r')
grep -qF "2	SOFTWARE\\Lifeboat\\	DataDir	[DATADIR]" <<<"$reg" || fail "$msi writes no DataDir: $reg"
grep -qF "2	SOFTWARE\\Lifeboat\\	Join	[JOIN]" <<<"$reg" || fail "$msi writes no Join: $reg"
for t in RemoveFile CreateFolder; do
	if grep -qx "$t" <<<"$tables" && [ -n "$(msiinfo export "$msi" $t | tail -n +4)" ]; then
		fail "$msi has $t rows: the installer must not make or remove the data folder"
	fi
done
productcode=$(prop ProductCode)
echo "dist-check: $msi is version $version.$build, ProductCode $productcode"

# A fresh Wine prefix, without Mono and Gecko (not needed, and they ask).
work=$(mktemp -d)
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() {
	wineserver -k 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
wineboot -i >"$ARTIFACTS/wine-boot.log" 2>&1 || true
c=$WINEPREFIX/drive_c
[ -d "$c/windows/system32" ] || fail "wineboot made no prefix; see $ARTIFACTS/wine-boot.log"
if [ ! -e /usr/lib/x86_64-linux-gnu/wine/x86_64-windows/bcryptprimitives.dll ] &&
	[ ! -e /usr/lib/wine/x86_64-windows/bcryptprimitives.dll ]; then
	x86_64-w64-mingw32-gcc -shared -O2 -Wall -o "$c/windows/system32/bcryptprimitives.dll" \
		packaging/windows/bcryptprimitives.c -ladvapi32
fi

# A silent install, as IT pushes it.
join=192.0.2.10:7946
cp "$msi" "$c/lifeboat.msi"
wine msiexec /i 'C:\lifeboat.msi' /qn 'DATADIR=C:\lbdata' "JOIN=$join" >"$ARTIFACTS/msiexec-install.log" 2>&1 ||
	fail "msiexec /i failed; see $ARTIFACTS/msiexec-install.log"
pf="$c/Program Files/Lifeboat"
[ -f "$pf/Lifeboat.exe" ] && [ -f "$pf/lifeboat-cli.exe" ] || fail "the MSI put no exes in Program Files\\Lifeboat"
cmp -s "$pf/Lifeboat.exe" "dist/lifeboat-$version-windows-amd64.exe" || fail "the installed Lifeboat.exe is not the one built"
[ -n "$(find "$WINEPREFIX" -name Lifeboat.lnk -path '*Start Menu*')" ] || fail "no Start menu shortcut after install"
regq() { wine reg query 'HKLM\SOFTWARE\Lifeboat' /v "$1" 2>/dev/null | tr -d '\r' | awk -v n="$1" '$1 == n { $1 = ""; $2 = ""; sub(/^ +/, ""); print }'; }
[ "$(regq DataDir)" = 'C:\lbdata' ] || fail "registry DataDir is \"$(regq DataDir)\", want C:\\lbdata"
[ "$(regq Join)" = "$join" ] || fail "registry Join is \"$(regq Join)\", want $join"
echo "dist-check: msiexec /qn installed Lifeboat.exe, lifeboat-cli.exe, the Start menu entry and DATADIR, JOIN"

# The installed console exe, with no --data: the installer's folder.
cli() { wine 'C:\Program Files\Lifeboat\lifeboat-cli.exe' "$@" </dev/null 2>&1 | tr -d '\r'; }
v=$(cli --version)
[ "$v" = "lifeboat version $version" ] || fail "lifeboat-cli.exe --version says \"$v\", want lifeboat version $version"
cli demo >"$ARTIFACTS/wine-demo.log" || fail "demo failed; see $ARTIFACTS/wine-demo.log"
[ -s "$c/lbdata/lifeboat.db" ] || fail "demo made no store in DATADIR (C:\\lbdata); see $ARTIFACTS/wine-demo.log"
printf '%s' "lifeboat demo ward" >"$c/pass.txt"
printf '%s' 2580 >"$c/pin.txt"
cli verify --passphrase-file 'C:\pass.txt' >"$ARTIFACTS/wine-verify.log" || fail "verify failed; see $ARTIFACTS/wine-verify.log"
cli export --passphrase-file 'C:\pass.txt' --user "Ada Admin" --pin-file 'C:\pin.txt' --out 'C:\export' >"$ARTIFACTS/wine-export.log" ||
	fail "export failed; see $ARTIFACTS/wine-export.log"
grep -q '^Exported [1-9][0-9]* events' "$ARTIFACTS/wine-export.log" || fail "export wrote nothing; see $ARTIFACTS/wine-export.log"
ls "$c/export"/*.json >/dev/null 2>&1 || fail "export left no Bundles in C:\\export"
echo "dist-check: lifeboat-cli.exe ran demo (into DATADIR), verify and export under Wine"

# The installed app under Xvfb: to the unlock screen, on the store in
# DATADIR. The screen counts once it is not blank (ImageMagick's standard
# deviation) and shows Lifeboat's DOWNTIME MODE banner, NHS warm yellow
# (#FFB81C), over more than 2% of it (4% when drawn whole at 1280x800).
# Polled, as Wine maps, sizes and redraws the window in steps.
# The commands ran with no display: their wineserver (and Wine's desktop
# process) must go first, or the app's windows are made without one
# ("Failed to create helper window").
shot=$ARTIFACTS/wine-unlock.png
wineserver -k 2>/dev/null || true
wineserver -w
xvfb-run -a -s "-screen 0 1280x800x24" bash -euo pipefail -c '
	wine "C:\\Program Files\\Lifeboat\\Lifeboat.exe" >"$ARTIFACTS/wine-gui.log" 2>&1 &
	pid=$!
	deadline=$((SECONDS + 90))
	ok() {
		[ "$(convert "$1" -format "%[fx:standard_deviation > 0.05 ? 1 : 0]" info:)" = 1 ] &&
			[ "$(convert "$1" -fuzz 3% -fill black +opaque "#FFB81C" -fill white -opaque "#FFB81C" -format "%[fx:mean > 0.02 ? 1 : 0]" info:)" = 1 ]
	}
	until import -window root "$0" 2>/dev/null && ok "$0"; do
		kill -0 $pid 2>/dev/null || { echo "Lifeboat.exe exited; log:" >&2; cat "$ARTIFACTS/wine-gui.log" >&2; exit 1; }
		[ $SECONDS -lt $deadline ] || { echo "no unlock screen with its banner within 90 s; see $0" >&2; exit 1; }
		sleep 1
	done
	sleep 2
	kill -0 $pid 2>/dev/null || { echo "Lifeboat.exe exited after drawing; log:" >&2; cat "$ARTIFACTS/wine-gui.log" >&2; exit 1; }
	kill $pid 2>/dev/null || true
' "$shot" || fail "Lifeboat.exe did not show its unlock screen under Wine"
sd=$(convert "$shot" -format '%[fx:standard_deviation]' info:)
echo "dist-check: Lifeboat.exe showed its unlock screen under Wine and Xvfb (screenshot $shot, standard deviation $sd)"
wineserver -k 2>/dev/null || true

# Uninstall: the program goes, the data stays.
wine msiexec /x "$productcode" /qn >"$ARTIFACTS/msiexec-uninstall.log" 2>&1 ||
	fail "msiexec /x failed; see $ARTIFACTS/msiexec-uninstall.log"
[ ! -e "$pf/Lifeboat.exe" ] || fail "Lifeboat.exe is still there after uninstalling"
[ -z "$(regq DataDir)" ] || fail "the registry still holds DataDir after uninstalling"
[ -s "$c/lbdata/lifeboat.db" ] || fail "uninstalling removed the store in the data folder"
echo "dist-check: msiexec /x removed the program and kept the data folder and its store"
