#!/usr/bin/env bash
# Smoke test of the real binary under Xvfb, driven with xdotool as a
# night nurse would, at desktop size (1280x800) and phone size (390x844):
#
#   unlock with the ward passphrase, sign in with a PIN, open a patient,
#   record a full set of observations and save it; start a second set,
#   leave it half-typed until the idle lock (--idle-lock) takes the screen,
#   sign back in with the PIN only, find the typed values still there,
#   finish the set and save it.
#
# The desktop run uses the keyboard as a desktop user does; the phone run
# taps (mouse clicks) everything a finger would, with the keyboard standing
# in for the on-screen one. Each step waits on the app's debug log (screen
# names and record kinds, never patient data). Screenshots of each step go
# to $ARTIFACTS (default /tmp/lifeboat-smoke), which CI keeps.
#
# usage: scripts/smoke.sh [BINARY]   (default bin/lifeboat)
# Needs: xvfb-run, xdotool, imagemagick (scripts/deps.sh installs them).
set -euo pipefail
bin=${1:-bin/lifeboat}
export ARTIFACTS=${ARTIFACTS:-/tmp/lifeboat-smoke}
export LANG=en_US.UTF-8
mkdir -p "$ARTIFACTS"
bin=$(realpath "$bin")
export BIN=$bin

exec xvfb-run -a -s "-screen 0 1280x900x24" bash -euo pipefail -c '
data=$(mktemp -d)
"$BIN" --data "$data" demo >"$ARTIFACTS/smoke-demo.log" 2>&1
pid=
trap "[ -z \"\$pid\" ] || kill \$pid 2>/dev/null || true; rm -rf \"$data\"" EXIT
size= log=

fail() {
	echo "smoke ($size): $*" >&2
	import -window root "$ARTIFACTS/smoke-$size-failed.png" || true
	echo "--- app log:" >&2; cat "$log" >&2
	exit 1
}
# wait_log PATTERN [N]: poll the app log until PATTERN has appeared N
# times (default 1), up to 40 s.
wait_log() {
	local deadline=$((SECONDS + 40)) n=${2:-1}
	until [ "$(grep -c -- "$1" "$log" || true)" -ge "$n" ]; do
		kill -0 $pid 2>/dev/null || fail "lifeboat exited while waiting for: $1"
		[ $SECONDS -lt $deadline ] || fail "timed out waiting for: $1"
		sleep 0.1
	done
}
key() { xdotool key --delay 80 "$@"; }
typ() { xdotool type --delay 40 "$1"; sleep 0.1; }
tap() { xdotool mousemove "$1" "$2" click 1; sleep 0.3; }
# shot NAME: the window, as the person sees it.
shot() { import -window root -crop "${W}x${H}+0+0" "$ARTIFACTS/smoke-$size-$1.png"; }

# start W H: launch on the demo ward with a 15 s idle lock, in a W x H
# window at the top left of the screen.
start() {
	W=$1 H=$2 size=$1x$2
	log=$ARTIFACTS/smoke-$size-app.log
	LIFEBOAT_LOG=debug "$BIN" --data "$data" --idle-lock 15s >"$log" 2>&1 &
	pid=$!
	local win
	win=$(timeout 60 xdotool search --sync --onlyvisible --name "^Lifeboat\$" | head -1) || fail "no window within 60 s"
	xdotool windowsize --sync "$win" "$W" "$H" || true
	xdotool windowmove --sync "$win" 0 0 || true
	wait_log "screen=unlock"
	# The passphrase entry has the focus on the unlock screen: the ward
	# passphrase once per device start.
	typ "lifeboat demo ward"; key Return
	wait_log "screen=\"sign in\""
	shot signin
}

stop() {
	kill -0 $pid 2>/dev/null || fail "lifeboat is not running at the end"
	kill $pid; wait $pid 2>/dev/null || true; pid=
}

# idle_into_lock: touch nothing until the idle lock shows the PIN pad.
idle_into_lock() {
	wait_log "msg=\"idle lock\""
	wait_log "screen=PIN" 2
	shot locked
	[ "$(grep -c "screen=unlock" "$log")" -eq 1 ] || fail "the idle lock asked for the ward passphrase again"
}

### Desktop, 1280x800, keyboard.
start 1280 800
# People are listed by name: Ada Admin, Bea Beds, Break-glass, Nia Nurse.
# Tab to the fourth and press it.
key Tab Tab Tab Tab space
wait_log "screen=PIN"
typ 1357; key Return
wait_log "signed in"
shot ward
# desktop_obs: open Record observations on the patient screen; the
# respiration rate has the focus; every field is reachable with Tab in
# the order of the form (radio choices are one Tab stop per option).
open_obs() {
	tap 354 351
	wait_log "form ready.*form=observations" "$1"
}
# Open the first patient in the ward table (bed 1, the first row under
# the column names) and record a full set.
tap 700 307
wait_log "screen=Patient"
shot patient
open_obs 1
typ 18; key Tab; typ 96; key Tab    # respiration rate, SpO2
key space Tab Tab                   # Air (not Oxygen); flow and device show only on oxygen
typ 120; key Tab; typ 75; key Tab   # blood pressure
typ 80; key Tab; typ 37.1; key Tab  # pulse, temperature
key space                           # A (alert) of ACVPU
shot obs-filled
key Tab Tab Tab Tab Tab Tab space   # past C, V, P, U and the note: Save
wait_log "recorded.*kind=obs.recorded"
wait_log "show screen.*screen=Patient" 2
shot saved
# A second set, half typed, then left alone into the idle lock.
open_obs 2
typ 20; key Tab; typ 95; key Tab
idle_into_lock
typ 1357; key Return                # the PIN only, on the keyboard
wait_log "signed in again after the idle lock"
shot draft-kept
# The draft is back with the focus where it was: finish it and save.
key space Tab Tab
typ 118; key Tab; typ 76; key Tab
typ 82; key Tab; typ 37.0; key Tab
key space
key Tab Tab Tab Tab Tab Tab space
wait_log "recorded.*kind=obs.recorded" 2
shot draft-saved
stop

### Phone, 390x844, taps only (the keyboard types as the on-screen one).
# The banner is one line on a phone; positions are those of the screens
# at this size (docs/screenshots/*_phone.png).
start 390 844
tap 190 383                         # Nia Nurse, fourth in the list
wait_log "screen=PIN"
for xy in "92 290" "296 290" "194 360" "92 430"; do tap $xy; done # 1 3 5 7 on the pad
tap 194 563                         # Sign in
wait_log "signed in"
shot ward
tap 98 198                          # Sickest first
shot ward-sickest
tap 150 485                         # the first card: the sickest patient
wait_log "screen=Patient"
shot patient
tap 115 309                         # Record observations
wait_log "form ready.*form=observations"
shot obs-empty
tap 230 438; typ 18                 # respiration rate
tap 230 492; typ 96                 # SpO2
tap 134 549                         # Air
tap 230 652; typ 120                # systolic (the form scrolls the field into view)
tap 230 706; typ 75                 # diastolic
tap 230 760; typ 80                 # pulse
shot obs-typing
xdotool mousemove 60 600 click --repeat 6 --delay 100 5; sleep 0.3 # a swipe up
tap 230 608; typ 37.1               # temperature
idle_into_lock
for xy in "92 388" "296 388" "194 458" "92 528"; do tap $xy; done # the PIN, under the lock message
tap 194 661
wait_log "signed in again after the idle lock"
shot draft-kept
tap 26 716                          # A (alert)
shot obs-filled
tap 254 814                         # Save observations (always on screen)
wait_log "recorded.*kind=obs.recorded"
wait_log "show screen.*screen=Patient" 2
shot saved
stop
echo "smoke: desktop and phone each recorded observations, idled into the lock, signed back in with the PIN and found the draft; screenshots in $ARTIFACTS"
'
