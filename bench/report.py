#!/usr/bin/env python3
"""Turns bench/run.sh's results (JSON lines) into the Markdown of BENCHMARKS.md.

Usage: report.py RESULTS.jsonl > OUT.md
       report.py RESULTS.jsonl --into BENCHMARKS.md   (replaces the text between the
       `<!-- bench:begin -->` and `<!-- bench:end -->` lines, or appends them)
"""
import json
import statistics
import sys


def load(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    by = {}
    for row in rows:
        by.setdefault(row["kind"], []).append(row)
    return by


def ok(flag):
    return "✅ met" if flag else "❌ not met"


def cached_table(by):
    floor = {r["result"]["connections"]: r["result"] for r in by.get("cached", []) if r["target"] == "floor"}
    daemon = {r["result"]["connections"]: r["result"] for r in by.get("cached", []) if r["target"] == "mailsrvd"}
    unbound = {r["connections"]: r for r in by.get("unbound", [])}
    out = ["| connections | mailsrvd Lookup/s | p50 µs | p99 µs | p99.9 µs | errors | floor (NUL echo) calls/s | floor p50 µs | floor p99 µs "
           "| unbound+dnsperf q/s | mailsrvd ÷ unbound | p50 ÷ floor p50 |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in sorted(daemon):
        d, f, u = daemon[c], floor.get(c, {}), unbound.get(c, {})
        uq = u.get("qps", 0)
        out.append(f"| {c} | {d['rate']:,.0f} | {d['p50_us']} | {d['p99_us']} | {d['p999_us']} | {d['errors']} "
                   f"| {f.get('rate', 0):,.0f} | {f.get('p50_us', '–')} | {f.get('p99_us', '–')} "
                   f"| {uq:,.0f} | {d['rate'] / uq if uq else 0:.2f}× | {d['p50_us'] / f['p50_us'] if f else 0:.2f}× |")
    return out, daemon, floor, unbound


def cold_table(by):
    chains = {r["rtt_ms"]: r["us"] for r in by.get("chain", [])}
    out = ["| RTT R | measured RTT (kdig) | mailsrvd cold Lookup median | min | max | target 2R+5 | sequential kdig chain median | chain ÷ R | mailsrvd ÷ R |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    verdicts = []
    for r in by.get("cold", []):
        rtt = r["rtt_ms"]
        lat = r["result"].get("latencies_ms", [])
        med = statistics.median(lat) if lat else 0
        chain = [u / 1000 for u in chains.get(rtt, [])]
        cmed = statistics.median(chain) if chain else 0
        out.append(f"| {rtt} ms | {r['kdig_rtt_ms']} ms | {med:.1f} ms | {min(lat, default=0):.1f} ms | {max(lat, default=0):.1f} ms "
                   f"| {2 * rtt + 5} ms | {cmed:.1f} ms | {cmed / rtt:.1f} R | {med / rtt:.2f} R |")
        verdicts.append((rtt, med, cmed, r["result"]["errors"]))
    return out, verdicts


def main():
    by = load(sys.argv[1])
    m = by["machine"][0]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores, {m['mem_gib']} GiB, Linux {m['kernel']}; {m['swift']}; "
             f"knot {m['knot']}, unbound {m['unbound']}. mailsrvd binary: `{m.get('daemon', '?')}`. Run: {m['date']}"
             + (" (**smoke run: short, not figures**)" if m["smoke"] else "") + ".", ""]

    table, daemon, floor, unbound = cached_table(by)
    lines += ["### 1. Cached Lookup over the socket", "",
              "Closed loop, each connection one call at a time, cycling through 100 warm domains "
              "(`Lookup` of `user@wN.bench.example`, want = retrieval: 4 SRV answers + 2 targets' addresses, all cached). "
              "unbound: the 4 SRV questions of the same domains from its cache, dnsperf with as many "
              "outstanding queries as connections.", ""] + table + [""]
    verdict = []
    if 1 in daemon and 1 in floor:
        ratio = daemon[1]["p50_us"] / floor[1]["p50_us"]
        verdict.append(f"- serial p50 = {ratio:.2f}× the floor's p50 (target ≤ 2.5×): {ok(ratio <= 2.5)}")
    if 16 in daemon and 16 in unbound and unbound[16]["qps"]:
        ratio = daemon[16]["rate"] / unbound[16]["qps"]
        verdict.append(f"- 16 connections: {ratio:.2f}× unbound's cached q/s (target ≥ 1.1×): {ok(ratio >= 1.1)}")
    for row in by.get("inprocess", []):
        r = row["result"]
        total = (r["decode_ns"] + r["answer_ns"] + r["encode_ns"]) / 1000
        verdict.append(f"- the same cached Lookup in process, without the socket (`mailsrvbench inprocess`): "
                       f"{total:.1f} µs = decode {r['decode_ns'] / 1000:.1f} + answer {r['answer_ns'] / 1000:.1f} "
                       f"+ encode {r['encode_ns'] / 1000:.1f} µs")
    lines += verdict + [""]

    table, verdicts = cold_table(by)
    mode = by.get("delay_mode", [{"mode": "?"}])[0]["mode"]
    how = ("`tc netem` on both ends of the veth" if mode == "netem" else
           "a UDP relay inside the namespace holding each datagram R/2 each way (`bench/delay_relay.py`; "
           "this kernel has no `sch_netem`)")
    lines += ["### 2. Cold discovery behind a real round trip", "",
              f"Knot in a network namespace behind a veth; delay: {how}. Each Lookup is for a never-seen domain "
              "(`cN.bench.example`: 4 SRV services, 2 targets with A and AAAA). Anchor: the sequential way, "
              "a `kdig` chain (the 4 SRV one after another, then AAAA and A of each target: 8 round trips, 2 processes).", ""] + table + [""]
    for rtt, med, cmed, errors in verdicts:
        lines.append(f"- R = {rtt} ms: mailsrvd {med:.1f} ms vs target {2 * rtt + 5} ms: {ok(med <= 2 * rtt + 5)}"
                     f"{f' ({errors} error replies)' if errors else ''}; chain {cmed:.1f} ms = {cmed / rtt:.1f} R (expected ≥ 5R)")
    lines.append("")

    ready = [r["ms"] for r in by.get("ready", [])]
    idle = [r["kib"] for r in by.get("rss_idle", [])]
    full = by.get("rss_full", [{}])[0]
    lines += ["### 3. Memory and start", "",
              "| figure | value | target | |", "|---|---:|---:|---|"]
    if ready:
        med = statistics.median(ready)
        lines.append(f"| exec → READY=1 (median of {len(ready)}, min {min(ready):.1f}, max {max(ready):.1f}) "
                     f"| {med:.1f} ms | ≤ 100 ms | {ok(med <= 100)} |")
    if idle:
        mib = statistics.median(idle) / 1024
        anon = statistics.median(r.get("anon_kib", 0) for r in by["rss_idle"]) / 1024
        lines.append(f"| RSS idle (after READY, median of {len(idle)}; anonymous {anon:.1f} MiB, the rest mapped code) "
                     f"| {mib:.1f} MiB | ≤ 20 MiB | {ok(mib <= 20)} |")
    if full:
        mib = full["kib"] / 1024
        fill = full["fill"]
        lines.append(f"| RSS with {full['domains']:,} cached domains ({fill['calls']:,} lookups, "
                     f"{fill['errors']} errors, filled in {fill['seconds']} s; anonymous {full.get('anon_kib', 0) / 1024:.1f} MiB) "
                     f"| {mib:.1f} MiB | ≤ 64 MiB | {ok(mib <= 64)} |")
    switches = [ms for r in by.get("switch", []) for ms in r["ms"]]
    if switches:
        med = statistics.median(switches)
        lines += ["", "### 4. Following resolv.conf", "",
                  "mailsrvd without `--dns-server` in a network and mount namespace (Knot on 127.0.0.1 and "
                  "127.0.0.2, port 53); `/etc/resolv.conf` renamed over to name the other server, then one "
                  "Lookup after another (want = imaps, `bench/switch_time.py`) until the new server's answer comes.", "",
                  "| figure | value | target | |", "|---|---:|---:|---|",
                  f"| rename → first Lookup answered by the new server (median of {len(switches)}, "
                  f"min {min(switches):.1f}, max {max(switches):.1f}) | {med:.1f} ms | ≤ 2,000 ms | {ok(med <= 2000)} |", ""]
    text = "\n".join(lines)
    if len(sys.argv) > 3 and sys.argv[2] == "--into":
        write_into(sys.argv[3], text)
    print(text)


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def write_into(path, text):
    """Puts `text` between the markers of `path` (created when missing)."""
    try:
        old = open(path).read()
    except FileNotFoundError:
        old = ""
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + block + old[old.index(END) + len(END):]
    else:
        new = old + ("\n" if old else "") + block + "\n"
    open(path, "w").write(new)


if __name__ == "__main__":
    main()
