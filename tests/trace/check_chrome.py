#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Validate a kaos Chrome trace file (tests/trace/check-chrome.sh).

usage: check_chrome.py TRACE.json EVENTS_FILE [key=value ...]

EVENTS_FILE is `test_trace events` (name, kind, level, live/pending per
line), so the check follows the event table. Options:
  sent_bytes=N received_bytes=N backpressure=N   what the program reports
  truncated=1     events were dropped (a small cap): spans may stay open,
                  the byte sums are not checked, dropped_events must be > 0
  more=A.json,B.json  the files of the run's other processes: every file is
                  checked on its own (one pid each, all different), the
                  events, sums and counts of all of them together
  sends=N         exactly N send spans, each of them carrying bytes
"""
import json
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    path, events_file = sys.argv[1], sys.argv[2]
    opts = dict(a.split("=", 1) for a in sys.argv[3:])
    table = {}
    with open(events_file) as f:
        for line in f:
            name, kind, level, status = line.split()
            table[name] = (kind, status)

    truncated = opts.get("truncated") == "1"
    paths = [path] + [p for p in opts.get("more", "").split(",") if p]
    events = []
    dropped = 0
    file_pids = {}
    for p in paths:
        with open(p) as f:
            doc = json.load(f)  # the file must be valid JSON
        if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
            fail("%s: not a trace-event object with a traceEvents array" % p)
        other = doc.get("otherData", {})
        d = other.get("dropped_events")
        if not isinstance(d, int):
            fail("%s: otherData.dropped_events missing" % p)
        if truncated and d == 0:
            fail("%s: a capped run dropped nothing" % p)
        if not truncated and d != 0:
            fail("%s: %d events dropped in an uncapped run" % (p, d))
        dropped += d
        pids = set(e.get("pid") for e in doc["traceEvents"])
        if len(pids) != 1:
            fail("%s: events of %d processes, expected one" % (p, len(pids)))
        pid = pids.pop()
        if pid in file_pids:
            fail("%s and %s: both of process %r" % (file_pids[pid], p, pid))
        file_pids[pid] = p
        events += doc["traceEvents"]

    seen = {}
    stacks = {}
    last_ts = {}
    sums = {"send": 0, "recv": 0}
    sends = 0
    tids = set()
    for e in events:
        for key in ("name", "ph", "pid", "tid"):
            if key not in e:
                fail("event without %s: %r" % (key, e))
        ph, name = e["ph"], e["name"]
        if ph == "M":
            if name not in ("process_name", "thread_name"):
                fail("unknown metadata event %r" % name)
            continue
        if not isinstance(e.get("ts"), (int, float)):
            fail("event without a numeric ts: %r" % e)
        key = (e["pid"], e["tid"])
        if e["ts"] < last_ts.get(key, 0):
            fail("time goes backwards on thread %r: %r" % (key, e))
        last_ts[key] = e["ts"]
        if ph == "C":
            if name != "fill" or not e.get("args"):
                fail("unexpected counter %r" % e)
            seen["fill"] = seen.get("fill", 0) + 1
            continue
        if name not in table:
            fail("event %r is not in the event table" % name)
        kind, status = table[name]
        if status != "live":
            fail("pending event %r was recorded" % name)
        seen[name] = seen.get(name, 0) + 1
        tids.add(key)
        args = e.get("args", {})
        if "obj" not in args:
            fail("event without its object: %r" % e)
        if ph in ("B", "E"):
            if kind != "span":
                fail("B/E for the instant %r" % name)
            stack = stacks.setdefault(key, [])
            if ph == "B":
                stack.append(e)
            else:
                if not stack:
                    fail("E without B on thread %r: %r" % (key, e))
                b = stack.pop()
                if b["name"] != name:
                    fail("E %r closes B %r on thread %r" % (name, b["name"], key))
                if e["ts"] < b["ts"]:
                    fail("span %r ends before it begins" % name)
                if name in sums:
                    sums[name] += args.get("bytes", 0)
                if name == "send":
                    sends += 1
                    if "sends" in opts and not args.get("bytes"):
                        fail("a send span without bytes: %r" % e)
        elif ph == "i":
            if kind != "instant":
                fail("instant event for the span %r" % name)
            if e.get("s") != "t":
                fail("instant without thread scope: %r" % e)
        else:
            fail("unexpected phase %r" % ph)

    open_spans = sum(len(s) for s in stacks.values())
    if open_spans and not truncated:
        fail("%d spans never ended" % open_spans)

    live = [n for n, (k, s) in table.items() if s == "live"]
    missing = [n for n in live if n not in seen]
    if missing and not truncated:
        fail("live events missing from the trace: %s" % ", ".join(missing))
    if not truncated:
        if "fill" not in seen:
            fail("no fill counter")
        if len(tids) < 2:
            fail("events from %d thread(s); the workload uses two" % len(tids))
        if "sent_bytes" in opts and sums["send"] != int(opts["sent_bytes"]):
            fail("send spans carry %d bytes, the program sent %s"
                 % (sums["send"], opts["sent_bytes"]))
        if "received_bytes" in opts and sums["recv"] != int(opts["received_bytes"]):
            fail("recv spans carry %d bytes, the program received %s"
                 % (sums["recv"], opts["received_bytes"]))
        if "backpressure" in opts and seen.get("backpressure", 0) < int(opts["backpressure"]):
            fail("%d backpressure events, the program waited on a full ring %s times"
                 % (seen.get("backpressure", 0), opts["backpressure"]))
        if "sends" in opts and sends != int(opts["sends"]):
            fail("%d send spans, the program sent %s messages" % (sends, opts["sends"]))
    print("chrome: %s: valid JSON, %d events (%s), %d threads in %d process(es), "
          "%d dropped, B/E paired%s" % (", ".join(paths), len(events),
                                        ", ".join("%s %d" % kv for kv in sorted(seen.items())),
                                        len(tids), len(file_pids), dropped,
                                        "" if truncated else ", bytes match"))


main()
