#!/bin/sh
# Figures for the foundation and clinical-workflow issues, measured in one
# run: unlock time, the offline cost of one guess at the ward passphrase
# (docs/security-at-rest.md), durable Append latency, bulk ApplyRemote against a plain insert of
# the same rows, opening and rebuilding a 100k-event store, and NEWS2
# scoring plus validation of 100k observation sets.
# runs: ./store BenchmarkUnlock BenchmarkAdminKeyGuess BenchmarkPassphraseGuess BenchmarkAppend
# runs: ./store BenchmarkApplyRemote BenchmarkPlainInsert BenchmarkOpenRebuild100k
# runs: ./forms BenchmarkScoreAndValidate100k
set -eu
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkUnlock$' -benchtime=5x ./store/ >>"$out"
CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkAdminKeyGuess$' -benchtime=3x ./store/ >>"$out"
CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkPassphraseGuess$' -benchmem -benchtime=5x ./store/ >>"$out"
CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkAppend$' -benchtime=500x ./store/ >>"$out"
CGO_ENABLED=0 go test -run='^$' -bench='^Benchmark(ApplyRemote|PlainInsert)$' -benchtime=5x -count=3 ./store/ >>"$out"
CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkOpenRebuild100k$' -benchtime=1x ./store/ >>"$out"
CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkScoreAndValidate100k$' -benchtime=20x ./forms/ >>"$out"

awk '
/^BenchmarkUnlock-/        { for (i = 1; i <= NF; i++) if ($i == "ms/unlock") unlock = $(i-1) }
/^BenchmarkAdminKeyGuess-/ { for (i = 1; i <= NF; i++) { if ($i == "ms/guess") guess = $(i-1); if ($i == "MiB/guess") gmem = $(i-1) } }
/^BenchmarkPassphraseGuess\/one-core-/ { for (i = 1; i <= NF; i++) { if ($i == "cpu-s/guess") gcpu = $(i-1); if ($i == "MiB/guess") gmib = $(i-1); if ($i == "s/guess") gwall = $(i-1) } }
/^BenchmarkPassphraseGuess\/all-cores-/ { for (i = 1; i <= NF; i++) if ($i == "guesses/s") gps = $(i-1) }
/^BenchmarkAppend-/        { for (i = 1; i <= NF; i++) { if ($i == "p50-ms") p50 = $(i-1); if ($i == "p99-ms") p99 = $(i-1) } }
/^BenchmarkApplyRemote-/   { for (i = 1; i <= NF; i++) if ($i == "events/s") { apply += $(i-1); na++ } }
/^BenchmarkPlainInsert-/   { for (i = 1; i <= NF; i++) if ($i == "events/s") { plain += $(i-1); np++ } }
/^BenchmarkOpenRebuild100k-/ { for (i = 1; i <= NF; i++) { if ($i == "peak-rss-MB") rss = $(i-1); if ($i == "rebuild-s") rb = $(i-1) } }
/^BenchmarkScoreAndValidate100k-/ { for (i = 1; i <= NF; i++) { if ($i == "ns/set") nsset = $(i-1); if ($i == "ns/op") nsop = $(i-1) } }
END {
	printf "Unlock (Argon2id, production cost):   %s ms   (target 150-400)\n", unlock
	printf "One guess at an admin passphrase:     %s ms and %s MiB (the sealed personal key; also what an admin waits once a session)\n", guess, gmem
	printf "Offline passphrase guess (attacker):  %s CPU-s (%s s wall), %s MiB each; %s guesses/s on all cores\n", gcpu, gwall, gmib, gps
	printf "Append (durable, one obs set):        p50 %s ms, p99 %s ms   (target p50 < 10, p99 < 50)\n", p50, p99
	if (na && np) printf "ApplyRemote, 1,000-event batches:     %.0f events/s vs plain insert %.0f events/s = ratio %.2f   (target >= 0.5)\n", apply/na, plain/np, (apply/na)/(plain/np)
	printf "Open + rebuild all views, 100k events: %s s, peak RSS %s MB   (target < 250 MB)\n", rb, rss
	printf "NEWS2 score + validate 100k obs sets:  %.1f ms (%s ns per set)\n", nsop/1e6, nsset
}' "$out"
