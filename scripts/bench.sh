#!/bin/sh
# bench.sh runs every Go benchmark once and prints go test's figures, then
# runs each scripts/bench.d/*.sh (add a file there for a benchmark that needs
# its own set-up or prints a summary). BENCHTIME sets -benchtime (default 1s).
#
# A bench.d script names the benchmarks it runs itself on "# runs:" lines
# (package, then benchmark names); the first pass leaves those out, so that
# no benchmark runs twice (the slowest take minutes each).
set -eu
cd "$(dirname "$0")/.."
export LANG="${LANG:-en_US.UTF-8}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -n 's/^# runs: *//p' scripts/bench.d/*.sh >"$tmp/claimed" 2>/dev/null || true
go test -list='^Benchmark' ./... >"$tmp/list"
# One line per package holding benchmarks no script claimed: the package
# and a -bench pattern naming them.
awk '
FILENAME ~ /claimed$/ { sub(/\/$/, "", $1); for (j = 2; j <= NF; j++) skip[$1 " " $j] = 1; next }
/^Benchmark/ { names[++nb] = $1; next }
/^ok / {
	pkg = $2; sub(/^lifeboat/, ".", pkg); re = ""
	for (i = 1; i <= nb; i++) if (!((pkg " " names[i]) in skip)) re = re (re == "" ? "" : "|") names[i]
	if (re != "") print pkg, "^(" re ")$"
	nb = 0
}' "$tmp/claimed" "$tmp/list" | while read -r pkg re; do
	go test -run='^$' -bench="$re" -benchmem -benchtime="${BENCHTIME:-1s}" "$pkg"
done

for s in scripts/bench.d/*.sh; do
	[ -e "$s" ] || continue
	echo "== $s"
	sh "$s"
done
