#!/bin/sh
# fuzz.sh finds every Fuzz target (go test -list) and fuzzes each one for
# FUZZTIME (default 10s). Any crash fails the script; go test saves the input
# under the package's testdata/fuzz/ so it becomes a regression test.
set -eu
cd "$(dirname "$0")/.."
export LANG="${LANG:-en_US.UTF-8}"
fuzztime=${FUZZTIME:-10s}

# go test -list prints a package's matching names, then "ok <pkg> <time>".
list=$(go test -run='^$' -list '^Fuzz' ./... 2>/dev/null | awk '
	/^Fuzz/ { names[n++] = $1; next }
	/^ok/   { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }')
if [ -z "$list" ]; then
	echo "fuzz.sh: no Fuzz targets found"
	exit 0
fi
echo "$list" | while read -r pkg name; do
	echo "== $pkg $name ($fuzztime)"
	go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg"
done
