#!/usr/bin/env bash
# Multi-host test of the real binary: three devices, each in its own
# network namespace, joined by a bridge (one veth pair each), as three
# ward PCs on a LAN. Device 1 sets up the site (`lifeboat init`) and
# enrols device 2, which enrols device 3 (`lifeboat invite` / `lifeboat
# enrol`: any admin device can enrol, and device 3 must still accept the
# events of device 1, which did not vouch for it); each runs
# `lifeboat serve` on its own address. A census is imported on one and
# the three must converge (identical version vectors in `lifeboat status
# --json`, the same event count from `lifeboat verify`). Then device 3's
# link is cut, both sides record, the link is restored, and the three
# must converge again. Last, device 3 is revoked: the other two change the
# site key and device 3, restarted, cannot connect. Every wait polls
# against a deadline.
#
# usage: scripts/netns-test.sh [BINARY]   (default bin/lifeboat)
# Needs root, iproute2 (ip netns) and jq; skips (exit 0) without root or
# network namespaces. Logs go to $ARTIFACTS (default /tmp/lifeboat-netns).
set -euo pipefail
export LANG=en_US.UTF-8 LC_ALL=

skip() { echo "netns-test: SKIP: $*"; exit 0; }
[[ $(id -u) == 0 ]] || skip "needs root to create network namespaces (try: sudo make netns-test)"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) is not installed"
ip netns list >/dev/null 2>&1 || skip "ip netns is not available here"
command -v jq >/dev/null 2>&1 || { echo "netns-test: needs jq" >&2; exit 1; }

bin=$(realpath "${1:-bin/lifeboat}")
[[ -x $bin ]] || { echo "netns-test: no binary at $bin (build it first)" >&2; exit 1; }
ARTIFACTS=${ARTIFACTS:-/tmp/lifeboat-netns}
DEADLINE=${DEADLINE:-90} # seconds for each wait
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/*.log

tag=lb$$ # interface and namespace names (IFNAMSIZ is 15)
br=${tag}br
net=10.231.$(($$ % 200 + 20))
work=$(mktemp -d)
declare -A pid

step() { echo "netns-test: $*"; }

cleanup() {
	local rc=$?
	for i in "${!pid[@]}"; do
		kill "${pid[$i]}" 2>/dev/null || true
	done
	for i in "${!pid[@]}"; do
		wait "${pid[$i]}" 2>/dev/null || true
	done
	for i in 1 2 3; do
		ip netns del "$tag-$i" 2>/dev/null || true
		ip link del "${tag}v$i" 2>/dev/null || true
	done
	ip link del "$br" 2>/dev/null || true
	rm -rf "$work"
	if [[ $rc != 0 ]]; then
		echo "netns-test: FAILED (logs in $ARTIFACTS)" >&2
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "netns-test: FAIL: $*" >&2
	local f
	for f in "$ARTIFACTS"/*.log; do
		[[ -e $f ]] || continue
		echo "--- $f (last lines)" >&2
		tail -n 15 "$f" >&2
	done
	exit 1
}

# The LAN: a bridge, and a namespace per device with eth0 on it.
ip link add "$br" type bridge
ip link set "$br" up
for i in 1 2 3; do
	ns=$tag-$i
	ip netns add "$ns"
	ip link add "${tag}v$i" type veth peer name "${tag}p$i"
	ip link set "${tag}p$i" netns "$ns"
	ip -n "$ns" link set "${tag}p$i" name eth0
	ip -n "$ns" addr add "$net.$i/24" dev eth0
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	ip link set "${tag}v$i" master "$br"
	ip link set "${tag}v$i" up
done
if command -v ping >/dev/null 2>&1; then
	for i in 2 3; do
		deadline=$((SECONDS + DEADLINE))
		until ip netns exec "$tag-1" ping -c1 -W1 "$net.$i" >/dev/null 2>&1; do
			((SECONDS < deadline)) || fail "no route from device 1 to $net.$i over the bridge (bridge netfilter dropping it?)"
			sleep 0.2
		done
	done
fi
step "3 namespaces on bridge $br ($net.0/24)"

# Secrets, one file each (never on the command line).
printf 'a long ward passphrase\n' >"$work/pass"
printf '2580\n' >"$work/pin"
printf '7391\n' >"$work/bg"
printf 'ada netns admin passphrase\n' >"$work/adminpass"
for i in 1 2 3; do
	mkdir -p "$work/d$i"
	printf 'device %s own passphrase\n' "$i" >"$work/pass$i"
done
cp "$work/pass" "$work/pass1"

# lb I ARGS...: run lifeboat as device I in its namespace (in the
# foreground: what runs in the background is started without this function,
# so that its PID is lifeboat's own, for kill and wait).
lb() {
	local i=$1
	shift
	ip netns exec "$tag-$i" "$bin" --data "$work/d$i" "$@"
}
addr() { echo "$net.$1:7946"; }
others() { # the other devices' sync addresses, comma-separated
	local out=() j
	for j in 1 2 3; do [[ $j == "$1" ]] || out+=("$(addr "$j")"); done
	(IFS=,; echo "${out[*]}")
}

lb 1 init --site "St Netns" --ward "Ward 7" --admin "Ada Admin" \
	--passphrase-file "$work/pass" --admin-pin-file "$work/pin" --admin-passphrase-file "$work/adminpass" --break-glass-pin-file "$work/bg" \
	>"$ARTIFACTS/init.log" 2>&1 || fail "init"
step "device 1: site set up"

for i in 2 3; do
	via=$((i - 1))
	ip netns exec "$tag-$via" "$bin" --data "$work/d$via" invite --user "Ada Admin" --pin-file "$work/pin" --admin-passphrase-file "$work/adminpass" --passphrase-file "$work/pass$via" \
		--bind "$(addr "$via")" --listen "$net.$via:7947" --wait 60s >"$ARTIFACTS/invite$i.log" 2>&1 &
	pid[invite]=$!
	deadline=$((SECONDS + DEADLINE))
	code=
	until [[ -n $code ]]; do
		code=$(grep -so 'LIFEBOAT1:[A-Z2-7]*' "$ARTIFACTS/invite$i.log" | head -n1 || true)
		kill -0 "${pid[invite]}" 2>/dev/null || [[ -n $code ]] || fail "invite ended without a code"
		((SECONDS < deadline)) || fail "no enrolment code from invite"
		[[ -n $code ]] || sleep 0.2
	done
	lb "$i" enrol --code "$code" --name "netns device $i" --passphrase-file "$work/pass$i" \
		--bind "$(addr "$i")" --sync-timeout 60s >"$ARTIFACTS/enrol$i.log" 2>&1 || fail "enrol device $i"
	wait "${pid[invite]}" || fail "invite for device $i"
	unset 'pid[invite]'
	step "device $i enrolled through device $via"
done

start() { # start I: lifeboat serve as device I, waiting until it reports
	local i=$1
	rm -f "$work/d$i/mesh-status.json"
	ip netns exec "$tag-$i" "$bin" --data "$work/d$i" serve --passphrase-file "$work/pass$i" --bind "$(addr "$i")" --join "$(others "$i")" \
		--status-every 200ms >>"$ARTIFACTS/serve$i.log" 2>&1 &
	pid[$i]=$!
	deadline=$((SECONDS + DEADLINE))
	until [[ -e $work/d$i/mesh-status.json ]]; do
		kill -0 "${pid[$i]}" 2>/dev/null || fail "serve on device $i ended"
		((SECONDS < deadline)) || fail "serve on device $i reports no status"
		sleep 0.2
	done
}
stop() { # stop I: stop device I's serve gracefully
	kill -TERM "${pid[$1]}"
	wait "${pid[$1]}" || fail "serve on device $1 did not stop cleanly"
	unset "pid[$1]"
}
status() { # status I: device I's status file, or {} if none yet
	"$bin" --data "$work/d$1" status --json 2>/dev/null || echo '{}'
}

# record I FILE AS_OF: import a census on device I (its serve is stopped
# for it, as the data folder is locked) and wait for the restarted serve
# to report the new events; remembers the device's seq in want[].
declare -A want
record() {
	local i=$1 file=$2 asof=$3 dev before seq
	before=$(status "$i" | jq -r '(.vector // {})[.device // ""] // 0')
	stop "$i"
	lb "$i" import "$file" --as-of "$asof" --user "Ada Admin" --pin-file "$work/pin" \
		--passphrase-file "$work/pass$i" >>"$ARTIFACTS/import$i.log" 2>&1 || fail "import on device $i"
	start "$i"
	reported "$i" "$before" "recorded a census"
}

# reported I BEFORE WHAT: wait for device I's restarted serve to report a
# seq past BEFORE for its own device; remember it in want[].
reported() {
	local i=$1 before=$2 dev seq
	deadline=$((SECONDS + DEADLINE))
	while :; do
		dev=$(status "$i" | jq -r '.device // ""')
		seq=$(status "$i" | jq -r '(.vector // {})[.device // ""] // 0')
		[[ -n $dev ]] && ((seq > before)) && break
		((SECONDS < deadline)) || fail "device $i does not report that it $3"
		sleep 0.2
	done
	want[$dev]=$seq
	step "device $i $3: $dev at seq $seq"
}

# arrive I SURNAME: register a new arrival holding NHS number 999 000 0042
# on device I with `lifeboat patient add` (its serve stopped, as record).
arrive() {
	local i=$1 before
	before=$(status "$i" | jq -r '(.vector // {})[.device // ""] // 0')
	stop "$i"
	lb "$i" patient add --surname "$2" --given Sam --dob 1960-05-05 --sex male --nhs 9990000042 \
		--user "Ada Admin" --pin-file "$work/pin" --passphrase-file "$work/pass$i" >>"$ARTIFACTS/arrive$i.log" 2>&1 ||
		fail "patient add on device $i"
	start "$i"
	reported "$i" "$before" "registered an arrival"
}

# converge LABEL I...: wait until devices I... report identical vectors
# holding every recorded seq in want[] (and the same event count from
# verify).
converge() {
	local label=$1 i v first ok dev
	shift
	deadline=$((SECONDS + DEADLINE))
	while :; do
		ok=1 first=
		for i in "$@"; do
			v=$(status "$i" | jq -cS '.vector // {}')
			[[ -z $first ]] && first=$v
			[[ $v == "$first" ]] || ok=
			for dev in "${!want[@]}"; do
				(($(jq -r --arg d "$dev" '.[$d] // 0' <<<"$v") >= want[$dev])) || ok=
			done
		done
		[[ -n $ok ]] && break
		if ((SECONDS >= deadline)); then
			for i in "$@"; do echo "device $i: $(status "$i" | jq -cS '.vector')" >&2; done
			fail "$label: the devices did not converge within ${DEADLINE}s"
		fi
		sleep 0.2
	done
	local counts=()
	for i in "$@"; do
		counts+=("$(lb "$i" verify --passphrase-file "$work/pass$i" 2>&1 | grep -o 'OK: [0-9]* events' || echo "device $i: verify failed")")
	done
	for c in "${counts[@]}"; do
		[[ $c == "${counts[0]}" && $c == OK:* ]] || fail "$label: verify disagrees: ${counts[*]}"
	done
	step "$label: devices $* converged: $first (${counts[0]})"
}

census() { # census FILE NHS SURNAME: a one-patient census
	printf 'nhs_number,surname,given,birth_date,sex\n%s,%s,Test,1950-01-01,female\n' "$2" "$3" >"$1"
}
census "$work/c1.csv" 9990000018 ONE
census "$work/c2.csv" 9990000026 TWO
census "$work/c3.csv" 9990000034 THREE

for i in 1 2 3; do start "$i"; done
record 1 "$work/c1.csv" "2026-11-20 06:00"
converge "after the first import" 1 2 3

# Partition: cut device 3's link; both sides record.
ip link set "${tag}v3" down
step "device 3 cut off"
record 1 "$work/c2.csv" "2026-11-20 07:00"
record 3 "$work/c3.csv" "2026-11-20 08:00"
# One man arrives on each side of the split with the same NHS number:
# neither device can know of the other's record.
arrive 1 NEWMAN
arrive 3 NEWMANN
seq3=${want[$(status 3 | jq -r .device)]}
unset "want[$(status 3 | jq -r .device)]"
converge "during the partition (side with devices 1 and 2)" 1 2
want[$(status 3 | jq -r .device)]=$seq3
v1=$(status 1 | jq -cS .vector)
v3=$(status 3 | jq -cS .vector)
[[ $v1 != "$v3" ]] || fail "device 3 agrees with device 1 while cut off: $v1"

# Heal: both sides' records reach everyone.
ip link set "${tag}v3" up
step "device 3 reconnected"
converge "after the partition healed" 1 2 3
# Every device now names the two records as a merge to make.
for i in 1 2 3; do
	stop "$i"
	lb "$i" worklist --passphrase-file "$work/pass$i" 2>"$ARTIFACTS/worklist$i.err" >/dev/null || fail "worklist on device $i"
	start "$i"
	grep -q "MERGE NEEDED: NHS number 999 000 0042 is held by 2 records" "$ARTIFACTS/worklist$i.err" ||
		fail "device $i does not flag the shared NHS number: $(cat "$ARTIFACTS/worklist$i.err")"
done
step "the NHS number registered on both sides is flagged on every device"

# Revoke device 3 (as lost) from device 1: devices 1 and 2 move to a new
# site key sealed only to them; device 3, restarted with the old key,
# cannot even open a connection (device 1 fails to decrypt it).
dev3=$(status 3 | jq -r .device)
stop 1
lb 1 revoke "$dev3" --reason "netns test: lost" --user "Ada Admin" --pin-file "$work/pin" --admin-passphrase-file "$work/adminpass" \
	--passphrase-file "$work/pass1" >>"$ARTIFACTS/revoke.log" 2>&1 || fail "revoke device 3"
start 1
deadline=$((SECONDS + DEADLINE))
until [[ $(status 1 | jq -r '[.site_keys, (.key_rotations // [])[-1].step] | @tsv') == $'1\tdone' &&
	$(status 2 | jq -r '[.site_keys, (.key_rotations // [])[-1].step] | @tsv') == $'1\tdone' ]]; do
	((SECONDS < deadline)) || fail "devices 1 and 2 did not finish the key change: $(status 1 | jq -c .key_rotations) / $(status 2 | jq -c .key_rotations)"
	sleep 0.2
done
step "devices 1 and 2 changed the site key after revoking device 3"
stop 3
start 3
deadline=$((SECONDS + DEADLINE))
until grep -q "no installed keys could decrypt" "$ARTIFACTS/serve1.log" "$ARTIFACTS/serve2.log"; do
	((SECONDS < deadline)) || fail "the revoked device's messages were not refused at decryption"
	sleep 0.2
done
[[ $(status 3 | jq '.peers | length') == 0 ]] || fail "the revoked device joined: $(status 3 | jq -c .peers)"
step "the revoked device cannot connect with the old key"
step "PASS"
