#!/bin/sh
# Figures for the reconciliation issue (#5), on a demo store grown to 100k
# events (demo --events 100000): mapping its log to FHIR transaction
# Bundles (target >= 20,000 events/s), and sending its downtime to a real
# FHIR server on this machine (Medplum's router over its in-memory
# repository, sync/reconcile/testdata/fhirserver), outcomes recorded in the
# store as lifeboat send does: one transaction at a time and in parallel
# (lifeboat send's default --workers), with the CPU time each side used
# (the Node server is single-threaded: its CPU time bounds the send's).
# The send needs node and npm (sh scripts/deps.sh); without them it is
# skipped. Store set-up is not timed. Sending one at a time takes about
# eight minutes on a 2-CPU machine, so it runs only with BENCH_SLOW=1
# (make bench BENCH_SLOW=1); otherwise only the parallel send is timed.
# runs: ./cmd/lifeboat/cli BenchmarkExport100k BenchmarkSend100k
set -eu
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkExport100k$' -benchtime=1x ./cmd/lifeboat/cli/ >>"$out"
send='^BenchmarkSend100k$/^workers=([02-9]|[1-9][0-9]+)$'
[ "${BENCH_SLOW:-}" = 1 ] && send='^BenchmarkSend100k$'
CGO_ENABLED=0 go test -run='^$' -bench="$send" -benchtime=1x -timeout=60m ./cmd/lifeboat/cli/ >>"$out"

awk '
/^BenchmarkExport100k-/ { for (i = 1; i <= NF; i++) { if ($i == "events/s") xr = $(i-1); if ($i == "ns/op") xs = $(i-1) / 1e9; if ($i == "log-events") logn = $(i-1) } }
/^BenchmarkSend100k\/workers=1-/ { for (i = 1; i <= NF; i++) { if ($i == "events/s") sr1 = $(i-1); if ($i == "send-s") ss1 = $(i-1); if ($i == "go-cpu-s") gc1 = $(i-1); if ($i == "server-cpu-s") nc1 = $(i-1) } }
/^BenchmarkSend100k\/workers=[0-9]+-/ && !/workers=1-/ { w = $1; sub(/^BenchmarkSend100k\/workers=/, "", w); sub(/-[0-9]+$/, "", w); for (i = 1; i <= NF; i++) { if ($i == "events/s") srn = $(i-1); if ($i == "send-s") ssn = $(i-1); if ($i == "go-cpu-s") gcn = $(i-1); if ($i == "server-cpu-s") ncn = $(i-1) } }
/^BenchmarkSend100k\/workers=[0-9]+-/ { for (i = 1; i <= NF; i++) { if ($i == "exported") sn = $(i-1); if ($i == "bundles") sb = $(i-1) } }
/--- SKIP: BenchmarkSend100k/ { skipped = 1 }
END {
	printf "FHIR export of a %d-event store:       %.2f s = %.0f events/s   (target >= 20,000)\n", logn, xs, xr
	if (ss1 != "" || ssn != "") {
		printf "Send to a local Medplum FHIR server:   %d events in %d bundles (target < 60 s)\n", sn, sb
		if (ss1 != "") printf "  one at a time (--workers 1):         %.1f s = %.0f events/s; CPU: lifeboat %.1f s, server %.1f s\n", ss1, sr1, gc1, nc1
		else print "  one at a time (--workers 1):         not timed (BENCH_SLOW=1 times it, about 8 minutes)"
		if (ssn != "") {
			printf "  in parallel (--workers %s):           %.1f s = %.0f events/s; CPU: lifeboat %.1f s, server %.1f s", w, ssn, srn, gcn, ncn
			if (ss1 != "") printf "; %.2fx faster", ss1/ssn
			printf "\n"
		}
	} else if (skipped) print "Send to a local Medplum FHIR server: skipped (needs node and npm: sh scripts/deps.sh)"
}' "$out"
