#!/usr/bin/env bash
# Smoke test of the real binary: start it under Xvfb on a fresh demo ward,
# drive it with xdotool as a nurse would (unlock, sign in, open a patient,
# record a full set of observations with the keyboard), take screenshots,
# and check it is still running and the observations were saved.
#
# usage: scripts/smoke.sh [BINARY]   (default bin/lifeboat)
# Screenshots and logs go to $ARTIFACTS (default /tmp/lifeboat-smoke).
# Needs: xvfb-run, xdotool, imagemagick (scripts/deps.sh installs them).
set -euo pipefail
bin=${1:-bin/lifeboat}
export ARTIFACTS=${ARTIFACTS:-/tmp/lifeboat-smoke}
export LANG=en_US.UTF-8
mkdir -p "$ARTIFACTS"
bin=$(realpath "$bin")
export BIN=$bin

exec xvfb-run -a -s "-screen 0 1280x800x24" bash -euo pipefail -c '
data=$(mktemp -d)
log=$ARTIFACTS/smoke-app.log
"$BIN" --data "$data" demo >"$ARTIFACTS/smoke-demo.log" 2>&1
LIFEBOAT_LOG=debug "$BIN" --data "$data" >"$log" 2>&1 &
pid=$!
trap "kill $pid 2>/dev/null || true; rm -rf \"$data\"" EXIT

fail() {
	echo "smoke: $*" >&2
	import -window root "$ARTIFACTS/smoke-failed.png" || true
	echo "--- app log:" >&2; cat "$log" >&2
	exit 1
}
# wait_log PATTERN: poll the app log (debug lines name the screen shown;
# never patient data) until PATTERN appears, up to 30 s.
wait_log() {
	local deadline=$((SECONDS + 30))
	until grep -q -- "$1" "$log"; do
		kill -0 $pid 2>/dev/null || fail "lifeboat exited while waiting for: $1"
		[ $SECONDS -lt $deadline ] || fail "timed out waiting for: $1"
		sleep 0.1
	done
}
key() { xdotool key --delay 80 "$@"; }
typ() { xdotool type --delay 40 "$1"; sleep 0.1; }
shot() { import -window root "$ARTIFACTS/smoke-$1.png"; }

timeout 60 xdotool search --sync --onlyvisible --name "^Lifeboat\$" >/dev/null || fail "no window within 60 s"
wait_log "screen=unlock"
# The passphrase entry has the focus on the unlock screen.
typ "lifeboat demo ward"; key Return
wait_log "screen=\"sign in\""
shot signin
# People are listed by name: Ada Admin, Bea Beds, Break-glass, Nia Nurse.
# Tab to the fourth and press it.
key Tab Tab Tab Tab space
wait_log "screen=PIN"
typ 1357; key Return
wait_log "signed in"
shot ward
# Open the first patient in the ward list (bed 1, the first line of the
# table under its column names).
xdotool mousemove 700 307 click 1
wait_log "screen=Patient"
shot patient
# Record observations, below the patient header (name, identifiers, the
# allergy line and weight).
xdotool mousemove 354 351 click 1
wait_log "form ready.*form=observations"
# Respiration rate has the focus; every field is reachable with Tab, in
# the order of the form. Radio choices are one Tab stop per option.
typ 18; key Tab; typ 96; key Tab    # respiration rate, SpO2
key space Tab Tab                   # Air (not Oxygen); flow and device show only on oxygen
typ 120; key Tab; typ 75; key Tab   # blood pressure
typ 80; key Tab; typ 37.1; key Tab  # pulse, temperature
key space                           # A (alert) of ACVPU
shot obs-filled
key Tab Tab Tab Tab Tab Tab space   # past C, V, P, U and the note: Save
wait_log "recorded.*kind=obs.recorded"
wait_log "show screen.*screen=Patient"
shot saved
kill -0 $pid 2>/dev/null || fail "lifeboat is not running after saving"
echo "smoke: signed in, recorded observations, still running; screenshots in $ARTIFACTS"
'
