#!/usr/bin/env bash
# kaos-stat reads a live process's counters file and channels (SPSC and
# U64): the JSON parses and holds exactly what the process did; text mode
# shows the same; a SIGKILLed owner is shown dead.
set -euo pipefail
stat_tool=$1 helper=$2
command -v python3 >/dev/null || { echo "python3 not found: skipped"; exit 77; }
name=/kaos-stattest-$$
out=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	rm -f "/dev/shm${name}-cnt" "/dev/shm${name}-ch" "/dev/shm${name}-u64"
	rm -rf "$out"
}
trap cleanup EXIT

"$helper" "$name" >"$out/helper.out" &
pid=$!
for _ in $(seq 100); do grep -q ready "$out/helper.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$out/helper.out"

"$stat_tool" --json -n 2 -i 0.2 >"$out/stat.json"
python3 - "$out/stat.json" "$name" "$pid" <<'PY'
import json, sys
path, name, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(path).read().splitlines()
assert len(lines) == 2, lines
for line in lines:
    snap = json.loads(line)
    ch = [c for c in snap["channels"] if c["name"] == name + "-ch"]
    assert len(ch) == 1, snap["channels"]
    ch = ch[0]
    assert ch["kind"] == "spsc" and ch["published"] == 16 and ch["consumed"] == 0, ch
    assert ch["lag"] == 16 and ch["full"] == 1, ch
    assert ch["producers"][0]["pid"] == pid and ch["producers"][0]["alive"], ch
    u = [c for c in snap["channels"] if c["name"] == name + "-u64"]
    assert len(u) == 1, snap["channels"]
    u = u[0]
    assert u["kind"] == "u64" and u["published"] == 14 and u["consumed"] == 0, u
    assert u["lag"] == 14 and u["full"] == 1, u
    assert u["producers"][0]["pid"] == pid and u["producers"][0]["alive"], u
    cnt = [c for c in snap["counters"] if c["name"] == name + "-cnt"]
    assert len(cnt) == 1, snap["counters"]
    cnt = cnt[0]
    assert cnt["pid"] == pid and cnt["alive"], cnt
    values = {v["label"]: v["value"] for v in cnt["values"]}
    assert values == {"test.events": 1234, "test.bytes": 98765}, values
# the second refresh has rates: nothing changed, so 0/s
assert all(v["per_s"] == 0 for v in json.loads(lines[1])["counters"][0]["values"])
print("json ok")
PY

"$stat_tool" -n 1 >"$out/stat.txt"
grep -q -- "${name}-ch .*pub 16 .*lag 16 full 1" "$out/stat.txt"
grep -q -- "${name}-u64 .*u64.*pub 14 .*lag 14 full 1" "$out/stat.txt"
grep -q -- "test.events .*1234" "$out/stat.txt"

kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
"$stat_tool" --json -n 1 >"$out/dead.json"
python3 - "$out/dead.json" "$name" <<'PY'
import json, sys
snap = json.loads(open(sys.argv[1]).read())
cnt = [c for c in snap["counters"] if c["name"] == sys.argv[2] + "-cnt"][0]
ch = [c for c in snap["channels"] if c["name"] == sys.argv[2] + "-ch"][0]
assert not cnt["alive"] and not ch["producers"][0]["alive"], (cnt, ch)
print("dead owner ok")
PY
echo "kaos-stat ok"
