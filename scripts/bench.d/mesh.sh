#!/bin/sh
# Figures for sync (#4, #18): a new device joining a ward of 100k events
# and five nodes healing after a partition, each with the Go heap's peak
# and the process's resident memory (RSS when done, and its peak during
# the measured part; Linux only). Heap and RSS are of the whole test
# process, every node in it, after the set-up's garbage is handed back.
# Each runs three times; the summary gives the run of median time.
# runs: ./sync/mesh BenchmarkJoin100k BenchmarkHeal5Nodes
set -eu
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

CGO_ENABLED=0 go test -run='^$' -bench='^Benchmark(Join100k|Heal5Nodes)$' -benchtime=1x -count=3 ./sync/mesh/ >>"$out"

awk '
# metric NAME of the current line, or "" when it has none.
function metric(name,   i) { for (i = 2; i <= NF; i++) if ($i == name) return $(i-1); return "" }
# rss formats the resident memory of a run: "RSS n MB (peak m MB)", or
# says it is unknown where the benchmark reported none (not Linux).
function rss(now, peak) {
	if (now == "") return "RSS not known on this system"
	if (peak == "") return sprintf("RSS %.0f MB (peak not known)", now)
	return sprintf("RSS %.0f MB, peak %.0f MB", now, peak)
}
/^BenchmarkJoin100k-/ {
	nj++; js[nj] = metric("join-s"); je[nj] = metric("events/s"); jh[nj] = metric("peak-heap-MiB"); jr[nj] = metric("MB-rss"); jp[nj] = metric("MB-rss-peak")
}
/^BenchmarkHeal5Nodes-/ {
	nh++; hs[nh] = metric("heal-s"); hb[nh] = metric("bytes/min"); hw[nh] = metric("wire/min"); hh[nh] = metric("peak-heap-MiB"); hr[nh] = metric("MB-rss"); hp[nh] = metric("MB-rss-peak")
}
# median returns the index of the run of median time among n in t.
function median(t, n,   i, j, k, idx) {
	for (i = 1; i <= n; i++) idx[i] = i
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (t[idx[j]] + 0 < t[idx[i]] + 0) { k = idx[i]; idx[i] = idx[j]; idx[j] = k }
	return idx[int((n + 1) / 2)]
}
END {
	if (nj) {
		m = median(js, nj)
		printf "Join, new device, 100k-event ward:    %.2f s = %.0f events/s; Go heap peak %.0f MiB, %s   (target < 5 s, > 20,000 events/s; median of %d)\n", js[m], je[m], jh[m], rss(jr[m], jp[m]), nj
	}
	if (nh) {
		m = median(hs, nh)
		printf "Heal, 5 nodes x 2,000 events each:    %.2f s, %.2f x the bytes needed (%.2f x on the wire); Go heap peak %.0f MiB, %s   (target < 2 s, <= 1.2 x; median of %d)\n", hs[m], hb[m], hw[m], hh[m], rss(hr[m], hp[m]), nh
	}
}' "$out"
