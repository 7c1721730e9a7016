#!/bin/sh
# Figures for the reconciliation issue (#5), on a demo store grown to 100k
# events (demo --events 100000): mapping its log to FHIR transaction
# Bundles (target >= 20,000 events/s), and sending its downtime to a real
# FHIR server on this machine (Medplum's router over its in-memory
# repository, sync/reconcile/testdata/fhirserver), outcomes recorded in the
# store as lifeboat send does. The send needs node and npm (sh
# scripts/deps.sh); without them it is skipped. Store set-up is not timed.
set -eu
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkExport100k$' -benchtime=1x ./cmd/lifeboat/cli/ >>"$out"
CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkSend100k$' -benchtime=1x -timeout=60m ./cmd/lifeboat/cli/ >>"$out"

awk '
/^BenchmarkExport100k-/ { for (i = 1; i <= NF; i++) { if ($i == "events/s") xr = $(i-1); if ($i == "ns/op") xs = $(i-1) / 1e9; if ($i == "log-events") logn = $(i-1) } }
/^BenchmarkSend100k-/   { for (i = 1; i <= NF; i++) { if ($i == "events/s") sr = $(i-1); if ($i == "send-s") ss = $(i-1); if ($i == "exported") sn = $(i-1); if ($i == "bundles") sb = $(i-1) } }
/--- SKIP: BenchmarkSend100k/ { skipped = 1 }
END {
	printf "FHIR export of a %d-event store:       %.2f s = %.0f events/s   (target >= 20,000)\n", logn, xs, xr
	if (ss != "") printf "Send to a local Medplum FHIR server:   %d events in %d bundles, %.1f s = %.0f events/s\n", sn, sb, ss, sr
	else if (skipped) print "Send to a local Medplum FHIR server: skipped (needs node and npm: sh scripts/deps.sh)"
}' "$out"
