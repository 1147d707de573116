#!/usr/bin/env python3
"""Markdown table of a results.jsonl written by `make bench`: per case, the
kaos median and, for each peer, its median and the median of the kaos/peer
ratios of adjacent runs. Usage: tools/bench-table.py [build/bench/results.jsonl]"""
import json
import sys


def rate(eps):
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if eps >= scale:
            return f"{eps / scale:.3g} {unit}/s"
    return f"{eps:.3g} /s"


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "build/bench/results.jsonl"
    rows = [json.loads(line) for line in open(path) if line.strip()]
    cases = {}
    for r in rows:
        name = r["case"]
        if r["impl"] != "kaos" and name.startswith("peer/"):
            name = name.split("/", 2)[2]
        cases.setdefault(name, []).append(r)
    print("| case | kaos median | peers: median (kaos/peer) | probe ns |")
    print("|---|---:|---|---:|")
    for name, rs in cases.items():
        kaos = next((r for r in rs if r["impl"] == "kaos"), None)
        if kaos is None:
            continue
        peers = sorted((r for r in rs if r["impl"] != "kaos"),
                       key=lambda r: -r["median_eps"])
        cells = ", ".join(
            f"{r['impl']} {rate(r['median_eps'])} ({r['ratio']:.2f}x)"
            for r in peers if "ratio" in r)
        print(f"| `{name}` | {rate(kaos['median_eps'])} | {cells or '—'} "
              f"| {kaos.get('rtt_ns', 0):.0f} |")


if __name__ == "__main__":
    main()
