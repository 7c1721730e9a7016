#!/bin/sh
# bench.sh runs every Go benchmark once and prints go test's figures, then
# runs each scripts/bench.d/*.sh (add a file there for a benchmark that needs
# its own set-up or prints a summary). BENCHTIME sets -benchtime (default 1s).
set -eu
cd "$(dirname "$0")/.."
export LANG="${LANG:-en_US.UTF-8}"

go test -run='^$' -bench=. -benchmem -benchtime="${BENCHTIME:-1s}" ./...

for s in scripts/bench.d/*.sh; do
	[ -e "$s" ] || continue
	echo "== $s"
	sh "$s"
done
