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


def spread(values, digits=1, unit=""):
    """`median (min–max)` of values."""
    if not values:
        return "–"
    return f"{statistics.median(values):,.{digits}f}{unit} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


def cached_table(by):
    """Step 1: per number of connections, the runs of the floor and of mailsrvd, measured in
    turn (pairs); medians, with min–max where the spread matters."""
    runs = {}
    for r in by.get("cached", []):
        runs.setdefault(r["result"]["connections"], {}).setdefault(r["target"], []).append(r)
    unbound = {r["connections"]: r for r in by.get("unbound", [])}
    out = ["| connections | pairs | mailsrvd Lookup/s median (min–max) | p50 µs | p99 µs | p99.9 µs | errors "
           "| floor (NUL echo) calls/s median (min–max) | floor p50 µs | floor p99 µs "
           "| unbound+dnsperf q/s | mailsrvd ÷ unbound | p50 ÷ floor p50, per pair: median (min–max) |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    daemon, floor = {}, {}
    for c in sorted(runs):
        d = [r["result"] for r in runs[c].get("mailsrvd", [])]
        f = [r["result"] for r in runs[c].get("floor", [])]
        if not d:
            continue
        floor_by_pair = {r.get("pair", 1): r["result"] for r in runs[c].get("floor", [])}
        ratios = [r["result"]["p50_us"] / floor_by_pair[r.get("pair", 1)]["p50_us"]
                  for r in runs[c]["mailsrvd"] if r.get("pair", 1) in floor_by_pair]
        med = lambda rows, key: statistics.median(row[key] for row in rows) if rows else 0
        daemon[c] = {"rate": med(d, "rate"), "p50_us": med(d, "p50_us")}
        floor[c] = {"rate": med(f, "rate"), "p50_us": med(f, "p50_us")} if f else {}
        daemon[c]["p50_ratio"] = statistics.median(ratios) if ratios else 0
        uq = unbound.get(c, {}).get("qps", 0)
        out.append(f"| {c} | {len(d)} | {spread([x['rate'] for x in d], 0)} | {med(d, 'p50_us'):.1f} | {med(d, 'p99_us'):.1f} "
                   f"| {med(d, 'p999_us'):.1f} | {sum(x['errors'] for x in d)} "
                   f"| {spread([x['rate'] for x in f], 0)} | {med(f, 'p50_us'):.1f} | {med(f, 'p99_us'):.1f} "
                   f"| {uq:,.0f} | {daemon[c]['rate'] / uq if uq else 0:.2f}× | {spread(ratios, 2, '×')} |")
    return out, daemon, floor, unbound


def tunnel_section(by):
    """Step 5: `mailsrvctl connect` against `openssl s_client`, pairs in turn."""
    if not by.get("tunnel"):
        return []
    row = by["tunnel"][0]
    t = row["result"]
    tg, dg = t["greeting_tunnel_ms"], t["greeting_direct_ms"]
    diff = [a - b for a, b in zip(tg, dg)]
    mib = t["bulk_bytes"][0] / 2**20
    trate = [mib / x for x in t["bulk_tunnel_s"]]
    drate = [mib / x for x in t["bulk_direct_s"]]
    ratio = [a / b for a, b in zip(trate, drate)]
    tcpu = [1000 * x / mib for x in t["bulk_tunnel_cpu_s"]]
    dcpu = [1000 * x / mib for x in t["bulk_direct_cpu_s"]]
    fo = t["failover_ms"]
    med = statistics.median
    return ["### 5. Mail clients through `mailsrvctl connect`", "",
            "`mailsrvbench tunnel`: Dovecot with a certificate of a CA made at the start (Tests/MailHarness), its own Knot "
            "and mailsrvd; every lookup cached before the runs. Tunnel: `mailsrvctl connect alice@tunnel.test --want imaps "
            "--ca-file CA` (release build, a new process each time, as a mail client runs it). Direct: `openssl s_client "
            "-verify_return_error -CAfile CA -verify_hostname tunnel.test` to the same Dovecot (a new process doing TLS with the "
            "same OpenSSL). Each pair is one tunnel run, then one direct run, in turn. Greeting: from the start of the command "
            "to the `* OK` line on its stdout. Bulk: `FETCH 1 BODY.PEEK[]` of one message, from the command to its tagged `OK`. "
            "CPU: user + system seconds of the client process (rusage), its whole life. Failover: `fN.tunnel.test`'s first "
            f"SRV target is a blackholed address of its own (a full accept queue drops the SYN), the second is Dovecot. "
            f"Load average when the step began: {row.get('load', '?')}.", "",
            "| figure | median | min | max | goal | |", "|---|---:|---:|---:|---:|---|",
            f"| IMAP greeting through the tunnel ({len(tg)} runs) | {med(tg):.1f} ms | {min(tg):.1f} ms | {max(tg):.1f} ms | | |",
            f"| IMAP greeting, direct ({len(dg)} runs) | {med(dg):.1f} ms | {min(dg):.1f} ms | {max(dg):.1f} ms | | |",
            f"| tunnel − direct, per pair | {med(diff):.1f} ms | {min(diff):.1f} ms | {max(diff):.1f} ms | ≤ 10 ms "
            f"| {ok(med(diff) <= 10)} |",
            f"| first candidate blackholed: next candidate's greeting ({len(fo)} runs) | {med(fo):.1f} ms | {min(fo):.1f} ms "
            f"| {max(fo):.1f} ms | ≤ 1,000 ms | {ok(med(fo) <= 1000 and max(fo) <= 1000)} |",
            f"| FETCH of {mib:,.0f} MiB through the tunnel | {med(trate):,.1f} MiB/s | {min(trate):,.1f} | {max(trate):,.1f} | | |",
            f"| FETCH of {mib:,.0f} MiB, direct | {med(drate):,.1f} MiB/s | {min(drate):,.1f} | {max(drate):,.1f} | | |",
            f"| tunnel ÷ direct throughput, per pair | {med(ratio):.2f}× | {min(ratio):.2f}× | {max(ratio):.2f}× | ≥ 0.8× | {ok(med(ratio) >= 0.8)} |",
            f"| CPU per MiB: the tunnel | {med(tcpu):.2f} ms | {min(tcpu):.2f} | {max(tcpu):.2f} | | |",
            f"| CPU per MiB: `openssl s_client` | {med(dcpu):.2f} ms | {min(dcpu):.2f} | {max(dcpu):.2f} | | |", ""]


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
             f"knot {m['knot']}, unbound {m['unbound']}. mailsrvd binary: `{m.get('daemon', '?')}`. Run: {m['date']}, "
             f"load average at the start {m.get('load', '?')}"
             + (" (**smoke run: short, not figures**)" if m["smoke"] else "") + ".", ""]

    table, daemon, floor, unbound = cached_table(by)
    lines += ["### 1. Cached Lookup over the socket", "",
              "Closed loop, each connection one call at a time, cycling through 100 warm domains "
              "(`Lookup` of `user@wN.bench.example`, want = retrieval: 4 SRV answers + 2 targets' addresses, all cached). "
              "mailsrvd and the floor are measured in turn, a run of each per pair, so that a noisy moment of the machine "
              "falls on both; the ratio to the floor is taken within each pair. "
              "unbound: the 4 SRV questions of the same domains from its cache, dnsperf with as many "
              "outstanding queries as connections.", ""] + table + [""]
    verdict = []
    if 1 in daemon and daemon[1]["p50_ratio"]:
        ratio = daemon[1]["p50_ratio"]
        verdict.append(f"- serial p50 = {ratio:.2f}× the floor's p50 (median of the pairs; target ≤ 2.5×): {ok(ratio <= 2.5)}")
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
    lines += [""] + tunnel_section(by)
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
