#!/bin/sh
# Figures for the feed's FHIR source (#17): a first (full) pull of 1,000
# inpatients with their orders, allergies and weights, and an incremental
# pull after ~10 changes, from a real FHIR server on this machine
# (Medplum's router over its in-memory repository,
# sync/reconcile/testdata/fhirserver). Seeding is not timed. Needs node
# and npm (sh scripts/deps.sh); without them it is skipped.
# runs: ./sync/feed BenchmarkFeedFirstPull1000 BenchmarkFeedIncremental1000
set -eu
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

CGO_ENABLED=0 go test -run='^$' -bench='^BenchmarkFeed(FirstPull|Incremental)1000$' -benchtime=3x -timeout=30m ./sync/feed/ >>"$out"

awk '
/^BenchmarkFeedFirstPull1000-/   { for (i = 1; i <= NF; i++) { if ($i == "pull-s") fs = $(i-1); if ($i == "patients") fp = $(i-1) } }
/^BenchmarkFeedIncremental1000-/ { for (i = 1; i <= NF; i++) { if ($i == "pull-s") is = $(i-1); if ($i == "changed") ic = $(i-1); if ($i == "requests") ir = $(i-1) } }
/--- SKIP: BenchmarkFeed/ { skipped = 1 }
END {
	if (fs != "") {
		printf "Feed, first pull of %d inpatients (orders, allergies, weights): %.1f s\n", fp, fs
		printf "Feed, incremental pull (%d changed resources, %d requests):     %.2f s\n", ic, ir, is
	} else if (skipped) print "Feed pulls from a local Medplum FHIR server: skipped (needs node and npm: sh scripts/deps.sh)"
}' "$out"
