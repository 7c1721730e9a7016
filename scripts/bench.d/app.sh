#!/bin/sh
# Figures for the app issue, measured on the real binary under Xvfb: time
# from launch to a usable ward list with a 100k-event store, unlock and
# sign-in excluded (both are a deliberate ~200 ms Argon2id key derivation,
# measured in store.sh), and the process's peak resident memory.
#
#   launch -> unlock screen shown          (open store, build window)
# + signed in -> ward list ready            (load and draw the ward)
#
# The app logs which screen it shows at LIFEBOAT_LOG=debug (never patient
# data); the script reads those timestamps. Needs xvfb-run and xdotool.
set -eu
cd "$(dirname "$0")/../.."
export LANG=en_US.UTF-8
if ! command -v xvfb-run >/dev/null || ! command -v xdotool >/dev/null; then
	echo "app bench skipped: needs xvfb-run and xdotool (sh scripts/deps.sh)"
	exit 0
fi
go build -o bin/lifeboat ./cmd/lifeboat
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
EVENTS=${EVENTS:-100000}
bin/lifeboat --data "$work/data" demo --events "$EVENTS" >/dev/null
export WORK=$work
RUNS=${RUNS:-3}
i=0
while [ $i -lt "$RUNS" ]; do
	i=$((i + 1))
	xvfb-run -a -s "-screen 0 1280x800x24" sh -eu -c '
		log=$WORK/app.log
		: >"$log"
		start=$(date +%s.%N)
		LIFEBOAT_LOG=debug bin/lifeboat --data "$WORK/data" >"$log" 2>&1 &
		pid=$!
		trap "kill $pid 2>/dev/null || true" EXIT
		wait_log() {
			n=0
			until grep -q -- "$1" "$log"; do
				n=$((n + 1)); [ $n -lt 600 ] || { echo "timed out waiting for $1" >&2; cat "$log" >&2; exit 1; }
				sleep 0.05
			done
		}
		at() { date -d "$(grep -m1 -- "$1" "$log" | sed "s/^time=\([^ ]*\).*/\1/")" +%s.%N; }
		wait_log "screen=unlock"
		timeout 30 xdotool search --sync --onlyvisible --name "^Lifeboat\$" >/dev/null
		xdotool type --delay 20 "lifeboat demo ward"; xdotool key Return
		wait_log "screen=\"sign in\""
		xdotool key --delay 60 Tab Tab Tab Tab space
		wait_log "screen=PIN"
		xdotool type --delay 20 1357; xdotool key Return
		wait_log "ward list ready"
		rss=$(awk "/^VmHWM:/ {print \$2}" /proc/$pid/status); now=$(awk "/^VmRSS:/ {print \$2}" /proc/$pid/status)
		awk -v s="$start" -v u="$(at screen=unlock)" -v i="$(at "signed in")" -v w="$(at "ward list ready")" -v r="$rss" -v c="$now" \
			"BEGIN { printf \"launch-to-ward %.3f s (launch->unlock %.3f + signed-in->ward %.3f), RSS at ward %.0f MB, peak %.0f MB\n\", (u-s)+(w-i), u-s, w-i, c/1024, r/1024 }"
	'
done | tee "$work/runs"
awk -v n="$EVENTS" '{ t[NR] = $2; if ($(NF-4) > rss) rss = $(NF-4); if ($(NF-1) > peak) peak = $(NF-1) }
END {
	# median of the runs
	for (a = 1; a <= NR; a++) for (b = a + 1; b <= NR; b++) if (t[b] < t[a]) { x = t[a]; t[a] = t[b]; t[b] = x }
	printf "App launch to usable ward list, %d-event store: median %.2f s of %d runs (target < 1.5 s, unlock excluded)\n", n, t[int((NR+1)/2)], NR
	printf "App resident memory at the ward list: %d MB, peak %d MB including the Argon2id unlock (target < 250 MB)\n", rss, peak
}' "$work/runs"
