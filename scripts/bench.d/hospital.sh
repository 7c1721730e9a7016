#!/bin/sh
# Figures for a whole hospital (#18): a ward device joining a site of a
# million events of which its ward holds 25,000 (the device in its own
# process: its resident memory is its own), what the ward device and the
# relay store, and a hospital of wards healing after a partition (sized
# by LIFEBOAT_SIM_WARDS and LIFEBOAT_SIM_PER_WARD; default 8 wards of 3
# devices). With BENCH_SLOW=1 the heal also runs at 40 wards of 5 (209
# devices, every one a store and a memberlist node in this one process,
# at half memberlist's LAN pace: see simTuneCrowded).
# runs: ./sync/mesh BenchmarkJoinWardOfHospital BenchmarkHealHospital
set -eu
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkJoinWardOfHospital$' -benchtime=1x -timeout=40m ./sync/mesh/ >>"$out"
LIFEBOAT_SIM_WARDS=${LIFEBOAT_SIM_WARDS:-8} LIFEBOAT_SIM_PER_WARD=${LIFEBOAT_SIM_PER_WARD:-3} \
	CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkHealHospital$' -benchtime=1x -timeout=40m ./sync/mesh/ >>"$out"
if [ "${BENCH_SLOW:-}" = 1 ]; then
	LIFEBOAT_SIM_WARDS=40 LIFEBOAT_SIM_PER_WARD=5 \
		CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkHealHospital$' -benchtime=1x -timeout=40m ./sync/mesh/ >>"$out"
fi

awk '
function metric(name,   i) { for (i = 2; i <= NF; i++) if ($i == name) return $(i-1); return "" }
/^BenchmarkJoinWardOfHospital-/ {
	printf "Join, ward device, site of %s events (%s in its ward): %.2f s, peak RSS %.0f MB (heap %.0f MiB), %.1f MB on the wire   (target < 2 s, < 100 MB)\n", metric("site-events"), metric("events-taken"), metric("join-s"), metric("child-MB-rss-peak"), metric("child-peak-heap-MiB"), metric("wire-MB")
	printf "Stored after ~3 weeks (25k events a ward): ward device %.0f MB; a device reading every ward (pharmacy, IT) %.0f MB; site relay (forward:*, every ward sealed) %.0f MB, joined in %.1f s\n", metric("ward-store-MB"), metric("reads-all-store-MB"), metric("relay-store-MB"), metric("relay-join-s")
}
/^BenchmarkHealHospital-/ {
	printf "Heal, hospital of %d devices after a partition: %.2f s (settled from start in %.0f s); received %.0f KiB a device on average, %.0f KiB at most; process peak RSS %.0f MB (every node)\n", metric("devices"), metric("heal-s"), metric("settle-s"), metric("wire-KiB/device"), metric("wire-KiB-max"), metric("MB-rss-peak-all")
}' "$out"
