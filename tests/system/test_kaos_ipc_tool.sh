#!/usr/bin/env bash
# kaos-ipc against real channels: a live publisher (sleeping in the
# background) and a dead one (attached, then SIGKILLed). Checks list (text
# and JSON), STALE marking, show --json for every kind, a u64 channel's
# exact positions across a producer restart, cleanup by name and by
# directory, rm, and the exit statuses.
# Usage: test_kaos_ipc_tool.sh KAOS_IPC IPC_TOOL_HELPER
# Needs python3 (to parse the JSON); skips (77) without it.
set -u

tool=${1:?usage: $0 KAOS_IPC IPC_TOOL_HELPER}
helper=${2:?usage: $0 KAOS_IPC IPC_TOOL_HELPER}
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 not found (needed to parse the JSON output)"
	exit 77
fi
if [ ! -d /dev/shm ] || [ ! -w /dev/shm ]; then
	echo "SKIP: /dev/shm is not writable"
	exit 77
fi

# Unique per run: ctest may run several copies, and other tests use /dev/shm.
tag="kaos-tooltest-$$-$RANDOM"
live="/$tag-live"
dead="/$tag-dead"
gone="/$tag-rm"
tmp=$(mktemp -d)
pids=()

finish() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -f "/dev/shm/$tag"-*
	rm -rf "$tmp"
}
trap finish EXIT

failures=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
json_ok() { python3 -c 'import json,sys; json.load(sys.stdin)' <"$1"; }
# py FILE EXPR: EXPR over the parsed JSON (as d) must be true.
py() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$1" "$2"
}
status_is() { # status_is N COMMAND...: the command exits with N
	local want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	[ "$got" -eq "$want" ] || { echo "  exit $got, wanted $want: $*"; cat "$tmp/err"; return 1; }
}
wait_ready() { # wait_ready FILE: the helper printed "ready"
	for _ in $(seq 200); do
		grep -q ready "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "  helper never got ready:"; cat "$1"
	return 1
}
crash() { # crash ROLE NAME KIND: attach, then die by SIGKILL; its exit status
	{ "$helper" crash "$@" >"$tmp/crash.out" 2>&1; } 2>/dev/null
}
line_of() { # line_of NAME: NAME's line in the last list
	awk -v n="$1" '$1 == n' "$tmp/list"
}

# ---- a live publisher and a dead one ----------------------------------------
"$helper" hold pub "$live" msg-sp 120 >"$tmp/live.out" 2>&1 &
pids+=($!)
check "live publisher attached" wait_ready "$tmp/live.out"
crash pub "$dead" spsc
rc=$?
check "dead publisher attached and was SIGKILLed (exit $rc)" \
	test "$rc" -eq 137 -a -n "$(grep ready "$tmp/crash.out")"

# ---- list --------------------------------------------------------------------
"$tool" list >"$tmp/list"
check "list exits 0" test $? -eq 0
check "list shows the live channel as $live" test -n "$(line_of "$live")"
check "list shows the dead channel as $dead" test -n "$(line_of "$dead")"
check "live channel is not STALE" test -z "$(line_of "$live" | grep STALE)"
check "dead channel is STALE" test -n "$(line_of "$dead" | grep STALE)"
check "live channel: kind, 1/1 producers" \
	test -n "$(line_of "$live" | awk '$2 == "msg-sp" && $8 == "1/1" && $9 == "0/1"')"
check "dead channel: kind, 0/1 producers, tail 5" \
	test -n "$(line_of "$dead" | awk '$2 == "spsc" && $4 == 16 && $5 == 5 && $8 == "0/1"')"

"$tool" list --json >"$tmp/list.json"
check "list --json parses" json_ok "$tmp/list.json"
check "list --json: live not stale, dead stale" py "$tmp/list.json" "
[c['stale'] for c in d if c['name'] == '$live'] == [False] and
[c['stale'] for c in d if c['name'] == '$dead'] == [True]"

# ---- show ------------------------------------------------------------------------
"$tool" show --json "$live" >"$tmp/live.json"
check "show --json exits 0" test $? -eq 0
check "show --json parses" json_ok "$tmp/live.json"
check "show --json: live producer" py "$tmp/live.json" "
d['kind'] == 'msg-sp' and d['capacity'] == 4096 and d['stale'] is False and
d['producers'][0]['status'] == 'alive' and d['producers'][0]['pid'] > 0 and
d['producers'][0]['heartbeat_age_ms'] >= 0 and d['subscribers'][0]['status'] == 'never'
and d['tail'] == 5 * 16 and d['lag'] == d['tail'] - d['head']"
"$tool" show --json "$dead" >"$tmp/dead.json"
check "show --json: dead producer" py "$tmp/dead.json" "
d['kind'] == 'spsc' and d['slot_size'] == 16 and d['stale'] is True and
d['producers'][0]['status'] == 'dead' and d['tail'] == 5 and d['head'] == 0"
"$tool" show "$live" >"$tmp/show.txt"
check "show (text) names the kind and the live pid" \
	grep -q "pid $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["producers"][0]["pid"])' "$tmp/live.json") *alive" "$tmp/show.txt"

# Every kind, every role, as JSON.
for kind in msg-mp bcast u64; do
	for role in pub sub; do
		name="/$tag-$kind-$role"
		crash "$role" "$name" "$kind"
		"$tool" show --json "$name" >"$tmp/k.json"
		check "show --json $kind with a dead $role parses" json_ok "$tmp/k.json"
		"$tool" rm "$name" >/dev/null
	done
done

# ---- u64: kind "u64", positions exact after a producer restart ----------------
# Five values sent by a producer SIGKILLed, five more by a successor that
# continues the sequence, five received by a subscriber SIGKILLed.
u64="/$tag-u64"
crash pub "$u64" u64
r1=$?
crash pub "$u64" u64
r2=$?
crash sub "$u64" u64
r3=$?
check "u64: two producers and a subscriber attached and were SIGKILLed ($r1 $r2 $r3)" \
	test "$r1 $r2 $r3" = "137 137 137"
"$tool" list >"$tmp/list"
check "list: u64 channel, capacity 63, 8-byte slots, tail 10, head 5, lag 5, STALE" \
	test -n "$(line_of "$u64" | awk '$2 == "u64" && $3 == 63 && $4 == 8 && $5 == 10 &&
		$6 == 5 && $7 == 5 && $8 == "0/1" && $9 == "0/1" && $10 == "STALE"')"
"$tool" show --json "$u64" >"$tmp/u64.json"
check "show --json u64 parses" json_ok "$tmp/u64.json"
check "show --json u64: kind, sizes, exact positions, dead peers" py "$tmp/u64.json" "
d['kind'] == 'u64' and d['kind_id'] == 5 and d['capacity'] == 63 and
d['slot_size'] == 8 and d['tail'] == 10 and d['head'] == 5 and d['lag'] == 5 and
d['stale'] is True and d['producers'][0]['status'] == 'dead' and
d['subscribers'][0]['status'] == 'dead' and d['subscribers'][0]['position'] == 5"
"$tool" show "$u64" >"$tmp/show.txt"
check "show (text) names the u64 kind and its positions" \
	test -n "$(grep -E '^kind +u64 ' "$tmp/show.txt")" -a \
	     -n "$(grep -E '^tail +10$' "$tmp/show.txt")" -a \
	     -n "$(grep -E '^head +5( |$)' "$tmp/show.txt")"
"$tool" rm "$u64" >/dev/null

# ---- cleanup by name: removes the stale one, keeps the live one --------------
status_is 0 "$tool" cleanup "$dead" "$live"
check "cleanup by name exits 0" test $? -eq 0
check "cleanup reports removing $dead" grep -qx "removed $dead" "$tmp/out"
check "cleanup reports keeping $live" grep -q "kept $live" "$tmp/out"
check "the stale channel is gone" test ! -e "/dev/shm/${dead#/}"
check "the live channel stays" test -e "/dev/shm/${live#/}"
check "the live publisher is unaffected" kill -0 "${pids[0]}"

# ---- cleanup --dir: every stale channel in a directory (file-path names) -------
# (The /dev/shm sweep itself is not run here: it would also remove stale
# channels of other tests running at the same time.)
crash pub "$tmp/d1" msg-sp
crash sub "$tmp/d2" bcast
"$helper" hold pub "$tmp/d3" spsc 120 >"$tmp/d3.out" 2>&1 &
pids+=($!)
wait_ready "$tmp/d3.out" >/dev/null
printf 'not a channel, not to be touched' >"$tmp/foreign"
: >"$tmp/empty"
truncate -s 8192 "$tmp/zeros" # a creator that died before writing the header
"$tool" list "$tmp" >"$tmp/list"
check "list DIR shows file-path channels" \
	test -n "$(line_of "$tmp/d1")" -a -n "$(line_of "$tmp/d2")" -a -n "$(line_of "$tmp/d3")"
check "list DIR skips foreign and blank files" \
	test -z "$(grep -e foreign -e empty -e zeros "$tmp/list")"
status_is 0 "$tool" cleanup --dir "$tmp"
check "cleanup --dir removed the two stale channels" \
	test "$(sort "$tmp/out" | tr '\n' ' ')" = "removed $tmp/d1 removed $tmp/d2 "
check "cleanup --dir kept the live channel and the foreign and blank files" \
	test -e "$tmp/d3" -a -e "$tmp/foreign" -a -e "$tmp/empty" -a -e "$tmp/zeros"

# ---- rm -------------------------------------------------------------------------------
crash pub "$gone" msg-mp
status_is 0 "$tool" rm "$gone"
check "rm exits 0 and says so" grep -qx "removed $gone" "$tmp/out"
check "rm removed the name" test ! -e "/dev/shm/${gone#/}"
check "rm of a missing name exits 1" status_is 1 "$tool" rm "$gone"
check "rm refuses a foreign file" status_is 1 "$tool" rm "$tmp/foreign"
check "... and leaves it" test -e "$tmp/foreign"
check "rm removes a zero-filled file (a half-made channel)" status_is 0 "$tool" rm "$tmp/zeros"
status_is 0 "$tool" rm "$live"
check "rm of a live channel removes the name" test ! -e "/dev/shm/${live#/}"
check "... and the publisher keeps running" kill -0 "${pids[0]}"

# ---- errors and usage -------------------------------------------------------------------
check "show of a missing channel exits 1" status_is 1 "$tool" show "/$tag-nonexistent"
check "... with a message" grep -q "no such file" "$tmp/err"
check "show of a foreign file exits 1" status_is 1 "$tool" show "$tmp/foreign"
check "list of a missing directory exits 1" status_is 1 "$tool" list "$tmp/nodir"
check "no command: usage, exit 2" status_is 2 "$tool"
check "unknown command: exit 2" status_is 2 "$tool" frobnicate
check "show without a name: exit 2" status_is 2 "$tool" show
check "unknown option: exit 2" status_is 2 "$tool" list --bogus
check "--json on rm: exit 2" status_is 2 "$tool" rm --json "$live"
check "--help: exit 0" status_is 0 "$tool" --help

echo "1..$n"
if [ "$failures" -ne 0 ]; then
	echo "$failures of $n checks failed"
	exit 1
fi
echo "all $n checks passed"
