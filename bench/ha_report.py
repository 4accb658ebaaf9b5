#!/usr/bin/env python3
"""bench/ha_report.py OUT [LIFE_SECONDS] - the table of bench/redis-ha.sh, from the records
it left in OUT: restore.jsonl, gap.jsonl (one JSON object a line), life.rec
(bench/ngbench's key=value records) and life-LABEL-ROUND.info (Redis INFO
commandstats + stats after each ngbench run). Relays in columns, then
rtproam/rtpengine where a ratio means something. Prints; never fails on a
missing figure ("n/a" and why)."""

import json
import statistics
import sys
from pathlib import Path

SUBJECT, REF = "rtproam", "rtpengine"
# The script's own commands, not the relay's.
OURS = {"info", "config|resetstat", "flushall", "dbsize"}


def jsonl(path):
    try:
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except (OSError, ValueError):
        return []


def records(path):
    rows = []
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return rows
    for line in lines:
        kv = dict(w.split("=", 1) for w in line.split() if "=" in w)
        if "label" in kv:
            rows.append(kv)
    return rows


def redis_info(path):
    """{command: calls} and the net byte counters of one INFO dump."""
    cmds, stats = {}, {}
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("cmdstat_"):
            name, _, rest = line[len("cmdstat_"):].partition(":")
            fields = dict(f.split("=") for f in rest.split(","))
            if name not in OURS:
                cmds[name] = int(fields["calls"])
        elif line.startswith("total_net_"):
            k, _, v = line.partition(":")
            stats[k] = int(v)
    return cmds, stats


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def num(v, prec=0):
    if v is None:
        return "n/a"
    return "{:,.{p}f}".format(v, p=prec)


def ratio(a, b):
    try:
        return "%.2fx" % (float(a) / float(b))
    except (TypeError, ValueError, ZeroDivisionError):
        return ""


class Table:
    def __init__(self, relays):
        self.relays = relays
        self.rows = []

    def add(self, what, cells, rat=None):
        self.rows.append((what, [cells.get(r, "n/a") for r in self.relays], rat or ""))

    def note(self, text):
        self.rows.append((text, None, None))

    def print(self):
        w0 = max(len(r[0]) for r in self.rows if r[1] is not None)
        wc = [max([len(r)] + [len(row[1][i]) for row in self.rows if row[1] is not None])
              for i, r in enumerate(self.relays)]
        head = "%-*s  " % (w0, "") + "  ".join(r.rjust(wc[i]) for i, r in enumerate(self.relays))
        if SUBJECT in self.relays and REF in self.relays:
            head += "  %s/%s" % (SUBJECT, REF)
        print(head)
        for what, cells, rat in self.rows:
            if cells is None:
                print(what)
                continue
            print("%-*s  " % (w0, what) + "  ".join(c.rjust(wc[i]) for i, c in enumerate(cells))
                  + ("  " + rat if rat else ""))


def restore_rows(t, out):
    rows = jsonl(out / "restore.jsonl")
    for n in sorted({r["calls"] for r in rows}):
        mine = {}
        for r in rows:
            if r["calls"] == n:
                mine.setdefault(r["relay"], []).append(r)
        na = {k: rs[0]["na"] for k, rs in mine.items() if "na" in rs[0]}
        for k, why in na.items():
            t.note("restore %s calls, %s: n/a: %s" % (format(n, ","), k, why))
        runs = {k: rs for k, rs in mine.items() if k not in na}
        if not runs:
            continue
        figs = {}               # relay -> (own ms, first reply ms, all ms)
        back = {}
        for k, rs in runs.items():
            figs[k] = (med([float((r.get("own") or {}).get("ms", "nan")) for r in rs
                            if (r.get("own") or {}).get("ms") is not None]),
                       med([(r.get("restored") or {}).get("ping_ms") for r in rs]),
                       med([(r.get("restored") or {}).get("all_ms") for r in rs]))
            back[k] = "%s of %d" % (min((r.get("restored") or {}).get("known", 0) for r in rs), n)
        nr = max(len(rs) for rs in runs.values())
        label = "restore %s calls (median of %d)" % (format(n, ","), nr)
        for i, what in ((0, "own log line"), (1, "start to first ng reply")):
            ms = {k: f[i] for k, f in figs.items() if f[i] is not None}
            rate = {k: n / max(v, 1.0) * 1000 for k, v in ms.items()}
            t.add("%s: %s" % (label, what), {k: "%s ms" % num(v) for k, v in ms.items()})
            t.add("%s:   calls/s" % label, {k: num(v) for k, v in rate.items()},
                  ratio(rate.get(SUBJECT), rate.get(REF)))
        t.add(label + ": start to all N queried",
              {k: "%s ms" % num(f[2]) if f[2] is not None else "n/a" for k, f in figs.items()})
        t.add(label + ": calls back (fewest)", back)
        mem = {k: (rs[0].get("setup") or {}).get("redis_memory") for k, rs in runs.items()}
        mem = {k: v / n for k, v in mem.items() if v is not None}
        t.add("Redis memory per call (used_memory, %s calls)" % format(n, ","),
              {k: "%s B" % num(v) for k, v in mem.items()}, ratio(mem.get(SUBJECT), mem.get(REF)))


def gap_rows(t, out):
    rows = jsonl(out / "gap.jsonl")
    for mode in ("restart", "takeover"):
        mine = {r["relay"]: r for r in rows if r.get("mode") == mode}
        for k, r in mine.items():
            if "na" in r:
                t.note("%s gap, %s: n/a: %s" % (mode, k, r["na"]))
            elif not r.get("result") or "error" in r["result"]:
                t.note("%s gap, %s: n/a: %s" % (mode, k, (r.get("result") or {}).get(
                    "error", "the phones did not report")))
        ok = {k: r["result"] for k, r in mine.items() if "na" not in r and r.get("result")
              and "error" not in r["result"]}
        if not ok:
            continue
        n = max(r["calls"] for r in ok.values())
        for d, name in (("a_to_b", "A->B"), ("b_to_a", "B->A")):
            t.add("%s gap (%d calls, 20 ms): lost %s min/med/max" % (mode, n, name),
                  {k: "/".join(num(x) for x in r[d]["lost_min_med_max"]) for k, r in ok.items()})
            # The ratio of the median silences: a median loss may be 0.
            t.add("%s gap: longest silence %s ms min/med/max" % (mode, name),
                  {k: "/".join(num(x) for x in r[d]["gap_min_med_max"]) for k, r in ok.items()},
                  ratio(ok.get(SUBJECT, {}).get(d, {}).get("gap_min_med_max", [0, None])[1],
                        ok.get(REF, {}).get(d, {}).get("gap_min_med_max", [0, None])[1]))
            t.add("%s gap: streams not resumed %s" % (mode, name),
                  {k: "%d of %d" % (r[d]["not_resumed"], r["calls"]) for k, r in ok.items()})
        t.add("%s gap: kill -9 to %s / own restore" % (
                  mode, "the standby's takeover" if mode == "takeover" else "new process"),
              {k: "%d ms / %s ms" % (r["kill_to_exec_ms"], (r.get("own") or {}).get("ms", "n/a"))
               for k, r in mine.items() if k in ok})


def life_rows(t, out, relays):
    recs = records(out / "life.rec")
    if not recs:
        return recs
    cps = {}
    for label in [r + s for r in relays for s in ("", "+redis")]:
        cps[label] = med([float(r["setup_cps"]) for r in recs if r["label"] == label
                          and r.get("setup_cps", "nan") != "nan"])
    for k in relays:
        if cps.get(k) and cps.get(k + "+redis"):
            cps[k + " ratio"] = cps[k + "+redis"] / cps[k]
    t.add("set-up (offer+answer) calls/s, no Redis",
          {k: num(cps.get(k)) for k in relays}, ratio(cps.get(SUBJECT), cps.get(REF)))
    t.add("set-up (offer+answer) calls/s, --redis",
          {k: num(cps.get(k + "+redis")) for k in relays},
          ratio(cps.get(SUBJECT + "+redis"), cps.get(REF + "+redis")))
    t.add("  ng commands/s, --redis (2 per call)",
          {k: num(2 * cps[k + "+redis"]) if cps.get(k + "+redis") else "n/a" for k in relays})
    t.add("  with/without --redis",
          {k: "%.2f" % cps[k + " ratio"] if cps.get(k + " ratio") else "n/a" for k in relays})
    per_cmds, per_in, per_out, mix = {}, {}, {}, {}
    for k in relays:
        runs = sorted({r["run"] for r in recs if r["label"] == k + "+redis"})
        cs, bi, bo, mixes = [], [], [], []
        for run in runs:
            rec = [r for r in recs if r["label"] == k + "+redis" and r["run"] == run][0]
            calls = float(rec.get("calls", "nan"))
            red = redis_info(out / ("life-%s+redis-%s.info" % (k, run)))
            base = redis_info(out / ("life-%s-%s.info" % (k, run)))
            if red is None or not calls > 0:
                continue
            b_in = base[1].get("total_net_input_bytes", 0) if base else 0
            b_out = base[1].get("total_net_output_bytes", 0) if base else 0
            cs.append(sum(red[0].values()) / calls)
            bi.append((red[1].get("total_net_input_bytes", 0) - b_in) / calls)
            bo.append((red[1].get("total_net_output_bytes", 0) - b_out) / calls)
            mixes.append(" ".join("%s %.1f" % (c.upper(), v / calls)
                                  for c, v in sorted(red[0].items(), key=lambda x: -x[1])))
        per_cmds[k], per_in[k], per_out[k] = med(cs), med(bi), med(bo)
        mix[k] = mixes[-1] if mixes else "n/a"
    t.add("Redis commands per call life", {k: num(v, 1) for k, v in per_cmds.items()},
          ratio(per_cmds.get(SUBJECT), per_cmds.get(REF)))
    t.add("Redis bytes per call life, relay->Redis", {k: num(v) for k, v in per_in.items()},
          ratio(per_in.get(SUBJECT), per_in.get(REF)))
    t.add("Redis bytes per call life, Redis->relay", {k: num(v) for k, v in per_out.items()},
          ratio(per_out.get(SUBJECT), per_out.get(REF)))
    for k in relays:
        t.note("  %s commands per call: %s" % (k, mix.get(k, "n/a")))
    return recs


def handover_rows(t, out):
    rows = {r["relay"]: r for r in jsonl(out / "handover.jsonl")}
    cmds, b_in, follow, mixes = {}, {}, {}, {}
    for k, r in rows.items():
        res, info = r.get("result") or {}, redis_info(Path(r.get("info", "")))
        if "error" in res or not res.get("moved") or info is None:
            t.note("handover, %s: n/a: %s" % (k, res.get("error", "no result")))
            continue
        cmds[k] = sum(info[0].values()) / res["moved"]
        b_in[k] = info[1].get("total_net_input_bytes", 0) / res["moved"]
        follow[k] = "%d of %d" % (res["followed"], res["moved"])
        mixes[k] = " ".join("%s %.1f" % (c.upper(), v / res["moved"])
                            for c, v in sorted(info[0].items(), key=lambda x: -x[1])) or "none"
    # No ratios: a relay that did not follow the move wrote nothing.
    if cmds:
        t.add("handover (caller moves): callee's media followed", follow)
        t.add("handover: Redis commands per handover", {k: num(v, 1) for k, v in cmds.items()})
        t.add("handover: bytes per handover, relay->Redis", {k: num(v) for k, v in b_in.items()})
    for k, m in mixes.items():
        t.note("  %s commands per handover: %s" % (k, m))


def main():
    out = Path(sys.argv[1])
    life_seconds = sys.argv[2] if len(sys.argv) > 2 else "?"
    relays = [r for r in (SUBJECT, REF)
              if any(x.get("relay") == r for x in jsonl(out / "restore.jsonl") + jsonl(out / "gap.jsonl")
                     + jsonl(out / "handover.jsonl"))
              or any(x["label"].startswith(r) for x in records(out / "life.rec"))]
    if not relays:
        print("redis-ha: nothing was measured; see the logs in %s" % out)
        return 0
    t = Table(relays)
    restore_rows(t, out)
    gap_rows(t, out)
    recs = life_rows(t, out, relays)
    handover_rows(t, out)
    rounds = len({r["run"] for r in recs}) if recs else 0
    print("\nRedis HA, rtproam --redis vs rtpengine 10.5 --redis (userspace), loopback\n")
    t.print()
    print("""
restore      N calls set up over ng, then kill -9 and the same command
             again, once a round (median over the rounds). "own log
             line": rtproam's "restored N call(s) in T ms" (SCAN + HGETALL,
             sockets bound), rtpengine's "Redis restore time = T ms" (its
             KEYS + GET on 4 threads). "start to first ng reply": from
             just before the relay is started (exec) to its first pong;
             neither serves ng before its restore is over. "all N
             queried": until every call has answered an ng query (the
             query phase runs at the Python client's pace, ~5,000/s)
gap          RTP both ways at 20 ms per call, kill -9 after 1 s, started
             again at once; lost = sent - received per call and direction,
             longest silence = largest interval between two arrivals
call life    bench/ngbench: offer, answer, %s s of RTP, query, delete
             (delete-delay 0), no cold round; Redis INFO commandstats and
             total_net_input/output_bytes after the run (CONFIG RESETSTAT
             before it), less the same relay's run without --redis, divided
             by the calls; set-up rate: medians of %d round(s)
handover     as gap, without the kill: 4 s into the calls every caller
             moves to a new port; Redis INFO from 0.5 s before the move
             to 1.5 s after it (CONFIG RESETSTAT, nothing subtracted: the
             script's INFO is ~60 bytes), over the calls moved""" % (
        life_seconds, rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
