"""The results tool on two real runs (two seeds of one scenario, made by the
results.runs fixture): summary, compare (text and JSON), report and export
agree with run.json and timeseries.csv; a copy with an invalid fidelity gets
the warning banner; --same-scenario refuses runs of different scenarios. Then
a real dht run (also from the fixture): its summary lines agree with its
run.json and timeseries.csv, compare names its architecture, the report has
its DHT card."""
import csv
import html.parser
import io
import json
import math
import os
import shutil

import rtlib

a = rtlib.parse_args("integration")
check = rtlib.Check()
runs = rtlib.fixture_runs(a, check)
meta = [rtlib.load_json(os.path.join(r, "run.json")) for r in runs]
ts = [list(csv.DictReader(open(os.path.join(r, "timeseries.csv")))) for r in runs]

# ---- summary ----
for r, m in zip(runs, meta):
    s = m["summary"]
    p = rtlib.tool(a, "summary", r)
    out = p.stdout.replace("\n" + " " * 17, " ")  # wrapped values back on one line
    check(p.returncode == 0, f"summary {os.path.basename(r)} exits 0")
    check(f"== small (seed {m['seed']}, {m['world_size']} ranks) ==" in out,
          "summary names the scenario, seed and ranks")
    wide = [ln for ln in p.stdout.splitlines() if len(ln) > 80 and not ln.startswith("results ")]
    check(not wide, f"summary fits 80 columns ({wide})")
    # each time with its emulator-bound mark (summary.figures); on one line
    # when it fits, else one a line (unwrapped above: joined by one space)
    segs = []
    for q in ("t50", "t95", "t99"):
        v = s[q + "_s"]
        seg = f"{q} {rtlib.sig3(v)} s" if v is not None else f"{q} never"
        f = s.get("figures", {}).get(q + "_s", {})
        if f.get("verdict") == "emulator-bound":
            seg += f" [emulator-bound: {100 * f['emulator_share']:.0f}%]"
        segs.append(seg)
    wide_t = 17 + sum(len(x) for x in segs) + 6 > 80
    t = (" " if wide_t else "   ").join(segs)
    check(t in out, f"summary shows run.json's times to online ({t})")
    la = f"login attempts   {s['login_attempts']:,} (ok {s['login_ok']:,}"
    check(la in out, f"summary shows run.json's login attempts ({la})")
    amp = s["login_attempts"] / s["login_ok"]
    check(f"amplification    {rtlib.sig3(amp)}×" in out, "amplification = attempts / ok")
    check(f"{s['online_final']:,} / {s['peers']:,} (" in out, "online at end / peers")
    check(f"peak login rate  {rtlib.sig3(s['peak_login_rps'])}/s attempts" in out,
          "peak login rate from run.json")
    # 2 servers x 2 workers / 5 ms, from run.json's capacity timeline when it has one.
    est = "" if "capacity" in m else " (estimated from the scenario)"
    check(f"login capacity   800/s{est}\n" in out, f"capacity line ({est or 'from run.json'})")
    check(f"results          {r}\n" in out, "the results directory is named")
    # Loaded CI machines may make a run invalid: check the tool says what run.json says.
    verdict = "valid" if s["fidelity"]["valid"] else "NOT VALID"
    check(f"fidelity         {verdict}" in out, f"fidelity verdict shown ({verdict})")
    spark = [ln for ln in out.splitlines() if ln.startswith("online  ")]
    check(len(spark) == 1 and len(spark[0].split()[1]) == len(ts[0]) and "█" in spark[0],
          "sparkline: one block per interval, full blocks when all are online")
    ev = [ln for ln in out.splitlines() if ln.startswith("events")]
    check(len(ev) == 1 and "^boot" in ev[0] and "^reboot" in ev[0], "event markers under it")
    if "recovered" in s:
        check(("recovered        yes" if s["recovered"] else "recovered        NOT RECOVERED")
              in out, "the recovery verdict is shown when run.json has it")

# A run written before run.json had a capacity timeline: estimated, and said so.
old = os.path.join(a.dir, "no-capacity")
shutil.copytree(runs[0], old)
m = rtlib.load_json(os.path.join(old, "run.json"))
m.pop("capacity", None)
json.dump(m, open(os.path.join(old, "run.json"), "w"))
p = rtlib.tool(a, "summary", old)
check(p.returncode == 0 and "login capacity   800/s (estimated from the scenario)" in p.stdout,
      "without the capacity key: estimated from the scenario")
p = rtlib.tool(a, "compare", runs[0], old)
check(p.returncode == 0 and "run #2: capacity estimated from the scenario" in p.stdout,
      "compare names the run whose capacity is estimated")

# ---- compare, text ----
p = rtlib.tool(a, "compare", *runs)
check(p.returncode == 0, "compare exits 0")
check("A (n=2)" in p.stdout, "two seeds of one scenario form group A (n=2)")
check("runs #1 #2" in p.stdout, "the group lists its runs")
check(all(f"seed {m['seed']}   {m['scenario'].get('architecture', 'supernode')}   group A"
          in p.stdout for m in meta), "the run list names each run's architecture")
check("95% confidence interval" in p.stdout, "the table says what ± means")
t95 = [m["summary"]["t95_s"] for m in meta]
# A loaded machine can keep 95% of the peers from getting online in the 10 s
# (then the group has no mean: "never (1 of 2)"); the runs' verdicts say so.
both = None not in t95
mean = sum(t95) / 2 if both else None
ci = 12.706205 * abs(t95[0] - t95[1]) / 2 if both else None  # t(0.975, 1) * sd / sqrt(2)
p2 = rtlib.tool(a, "compare", "--by", "run", *runs)
check(p2.returncode == 0 and "#2 seed=2" in p2.stdout and "%)" in p2.stdout,
      "compare --by run: per-run columns with deltas")

# ---- compare, JSON ----
p = rtlib.tool(a, "compare", "--json", *runs)
check(p.returncode == 0, "compare --json exits 0")
j = json.loads(p.stdout)
check(len(j["runs"]) == 2 and len(j["groups"]) == 1, "JSON: two runs, one group")
for i, m in enumerate(meta):
    f = j["runs"][i]["figures"]
    t = m["summary"]["t95_s"]
    check(f["t95_s"]["value"] == t if t is None else
          math.isclose(f["t95_s"]["value"], t, rel_tol=1e-12), f"JSON run {i + 1}: t95 = run.json")
    check(f["login_attempts"]["value"] == m["summary"]["login_attempts"],
          f"JSON run {i + 1}: login attempts = run.json")
    check(j["runs"][i]["group"] == "A", f"JSON run {i + 1} is in group A")
    check(j["runs"][i]["capacity_estimated"] is ("capacity" not in m),
          f"JSON run {i + 1}: capacity_estimated says where the capacity comes from")
    check(f["capacity_rps"]["value"] == 800, f"JSON run {i + 1}: mean login capacity 800/s")
g = j["groups"][0]["figures"]["t95_s"]
check(j["groups"][0]["n"] == 2 and g["n"] == 2 - t95.count(None), "JSON group: n = 2")
if both:
    check(math.isclose(g["mean"], mean, rel_tol=1e-12), "JSON group: t95 mean")
    check(math.isclose(g["ci95"], ci, rel_tol=1e-5),
          f"JSON group: t95 CI = t(.975,1) sd/sqrt 2 ({ci})")
    check(math.isclose(g["lo"], mean - ci, rel_tol=1e-5) and math.isclose(g["hi"], mean + ci,
                                                                         rel_tol=1e-5),
          "JSON group: interval bounds")
else:
    check(g["n_null"] == t95.count(None) and g["mean"] is None,
          "JSON group: a run that never got 95% online leaves the group without a t95 mean")
for i, m in enumerate(meta):
    arch = m["scenario"].get("architecture", "supernode")
    check(j["runs"][i]["architecture"] == arch, f"JSON run {i + 1}: architecture {arch}")
    load = [float(r["server_load"]) for r in ts[i]] if "server_load" in ts[i][0] else None
    got = j["runs"][i]["figures"].get("peak_server_load_pct", {}).get("value")
    check(got is None if load is None else math.isclose(got, 100 * max(load), rel_tol=1e-9),
          f"JSON run {i + 1}: peak server load = 100 x the largest server_load ({got})")
d1 = j["runs"][1]["figures"]["login_attempts"]
la = [m["summary"]["login_attempts"] for m in meta]
check(d1["delta"] == la[1] - la[0], "JSON: delta of run 2 to run 1")

# ---- report ----
class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.svgs, self.h3, self.banners, self.paths, self.events = [], [], 0, 0, 0
        self.scripts, self.external, self._h3 = 0, [], False

    def handle_starttag(self, tag, attrs):
        at = dict(attrs)
        if tag == "svg" and "chart" in at.get("class", ""):
            self.svgs.append(at.get("id"))
        if tag == "h3":
            self._h3 = True
            self.h3.append("")
        if tag == "div" and "banner fidelity" in at.get("class", ""):
            self.banners += 1
        if tag == "path" and at.get("class") == "series" and at.get("d", "").startswith("M"):
            self.paths += 1
        if tag == "line" and at.get("class") == "event":
            self.events += 1
        if tag == "script":
            self.scripts += 1
        for k in ("src", "href"):
            if k in at:
                self.external.append(at[k])

    def handle_endtag(self, tag):
        if tag == "h3":
            self._h3 = False

    def handle_data(self, data):
        if self._h3:
            self.h3[-1] += data


def report(path, *dirs):
    p = rtlib.tool(a, "report", "-o", path, *dirs)
    check(p.returncode == 0 and os.path.exists(path), f"report -> {os.path.basename(path)}")
    text = open(path, encoding="utf-8").read()
    pg = Page()
    pg.feed(text)
    return text, pg


expected = {"online": "Peers online", "logins": "Login rate against capacity",
            "ls_queue": "Login-server queue", "sn_count": "Supernodes",
            "retries": "Retry pressure", "lag": "Emulator timer lag",
            "time_to_online": "Time to online", "skew": "Event skew"}
if "server_load" in ts[0][0]:  # a bootstorm that writes the registration tier's load
    expected = dict(list(expected.items())[:4] + [("server_load", "Registration-tier load")]
                    + list(expected.items())[4:])
text, pg = report(os.path.join(a.dir, "report.html"), *runs)
check(pg.svgs == list(expected), f"one <svg> chart per metric, in order ({pg.svgs})")
check(pg.h3 == list(expected.values()), f"chart titles ({pg.h3})")
check(pg.paths >= 2 * 7, f"every line chart has a series path per run ({pg.paths})")
check(pg.events >= 2 * 6, f"boot and reboot marked on the time axes ({pg.events})")
invalid = sum(1 for m in meta if not m["summary"]["fidelity"]["valid"])
check(pg.banners == invalid, f"one fidelity banner per invalid run ({invalid})")
check(pg.scripts == 0 and not pg.external, f"self-contained: no scripts, no links ({pg.external})")
check("capacity 800/s" in text, "the capacity line is labelled")
check(">reboot</text>" in text and ">boot</text>" in text, "event labels")
check(f"{rtlib.sig3(mean)} ± " in text if both else "never (1 of 2)" in text,
      "the group table shows mean ± CI of t95 (or that a run never got there)")
check("@media print" in text and "break-inside:avoid" in text, "print CSS")

# A copy with an invalid fidelity (and markup in the reason, which must be escaped).
bad = os.path.join(a.dir, "bad-fidelity")
shutil.copytree(runs[0], bad)
m = rtlib.load_json(os.path.join(bad, "run.json"))
m["summary"]["fidelity"]["valid"] = False
m["summary"]["fidelity"]["reason"] = "timer lag p99 99 ms > 50 ms <script>alert(1)</script>"
json.dump(m, open(os.path.join(bad, "run.json"), "w"))
text, pg = report(os.path.join(a.dir, "bad.html"), runs[1], bad)
expect = 1 + (0 if meta[1]["summary"]["fidelity"]["valid"] else 1)
check(pg.banners == expect, f"the invalid run gets the fidelity banner ({expect} in all)")
check("timer lag p99 99 ms &gt; 50 ms &lt;script&gt;alert(1)&lt;/script&gt;" in text,
      "the reason is shown, HTML-escaped")
check(pg.scripts == 0, "no markup from run files gets through")
p = rtlib.tool(a, "summary", bad)
check("NOT VALID" in p.stdout and "timer lag p99 99 ms" in p.stdout, "summary says NOT VALID")
p = rtlib.tool(a, "compare", runs[1], bad)
check("WARNING: #2 bad-fidelity: fidelity not valid" in p.stdout, "compare warns")

# ---- --same-scenario ----
p = rtlib.tool(a, "compare", "--same-scenario", *runs)
check(p.returncode == 0, "--same-scenario accepts two seeds of one scenario")
other = os.path.join(a.dir, "other-workers")
shutil.copytree(runs[1], other)
m = rtlib.load_json(os.path.join(other, "run.json"))
m["scenario"]["login_server"]["workers"] = 4
json.dump(m, open(os.path.join(other, "run.json"), "w"))
p = rtlib.tool(a, "compare", "--same-scenario", runs[0], other)
check(p.returncode == 2 and "login_server.workers: 2 vs 4" in p.stderr,
      "--same-scenario refuses runs of different scenarios, naming the key")
p = rtlib.tool(a, "compare", runs[0], runs[1], other)
check(p.returncode == 0 and "B (n=1)" in p.stdout and "login_server.workers=4" in p.stdout,
      "without it, the other scenario is group B")

# ---- export ----
n_rows = sum(len(t) for t in ts)
p = rtlib.tool(a, "export", "--format", "csv", *runs)
rows = list(csv.DictReader(io.StringIO(p.stdout)))
check(p.returncode == 0 and len(rows) == n_rows,
      f"export csv: one row per (run, interval) ({len(rows)} = {n_rows})")
check(list(rows[0])[:5] == ["run", "name", "seed", "group", "t_s"], "csv: id columns first")
check(set(ts[0][0]) <= set(rows[0]), "csv: every timeseries column")
for k, r in enumerate(runs):
    mine = [x for x in rows if x["run"] == os.path.basename(r)]
    check(sum(int(x["login_attempts"]) for x in mine) == meta[k]["summary"]["login_attempts"],
          f"csv: run {k + 1}'s login_attempts add up to run.json")
    check(all(x["seed"] == str(meta[k]["seed"]) for x in mine), f"csv: run {k + 1}'s seed")
out = os.path.join(a.dir, "export.json")
p = rtlib.tool(a, "export", "--format", "json", "-o", out, *runs)
arr = rtlib.load_json(out)
check(p.returncode == 0 and isinstance(arr, list) and len(arr) == n_rows, "export json: array")
check(arr[0]["run"] == "seed=1" and arr[-1]["run"] == "seed=2" and "online" in arr[0],
      "json: objects with run and every column")
p = rtlib.tool(a, "export", "--format", "jsonl", *runs)
lines = p.stdout.splitlines()
check(len(lines) == n_rows and json.loads(lines[-1])["t_s"] == float(ts[1][-1]["t_s"]),
      "export jsonl: one object per line")

# A sweep directory stands for its runs.
p = rtlib.tool(a, "compare", "--json", a.sweep)
check(p.returncode == 0 and len(json.loads(p.stdout)["runs"]) == 2,
      "a sweep directory expands to its runs")
# ---- a real dht run (issue 10): the columns the coordinator writes ----
dht = os.path.join(a.dht_sweep, rtlib.RUN_DIRS[0])
if check(os.path.exists(os.path.join(dht, "run.json")), "the fixture's dht run exists"):
    dm = rtlib.load_json(os.path.join(dht, "run.json"))
    ds = dm["summary"]
    dts = list(csv.DictReader(open(os.path.join(dht, "timeseries.csv"))))
    for col in ("lookup_p50_ms", "lookup_p99_ms", "hops_p50", "hops_p99", "dht_live_contacts",
                "dht_dead_share", "req_ok", "dht_not_found", "boot_refused", "server_load"):
        check(col in dts[0], f"the dht run's timeseries.csv has {col}")
    p = rtlib.tool(a, "summary", dht)
    out = p.stdout.replace("\n" + " " * 17, " ")
    check(p.returncode == 0 and "login            none (trackerless DHT: dht.login is false)"
          in out and "login attempts" not in out, "dht summary: no login lines, one line says so")
    boot = dm["scenario"]["dht"]["bootstrap"]["nodes"]
    check(f"nodes            {ds['peers'] + boot:,} ({ds['peers']:,} peers, {boot} bootstrap "
          "nodes)" in out, "dht summary: the bootstrap nodes")
    check("(bootstrap nodes, busiest interval" in out, "dht summary: the bootstrap nodes' load")
    c = lambda k: f"{ds[k]:,}"
    lk = (f"lookups          {c('req_sent')} sent (retries included): {c('req_ok')} found, "
          f"{c('dht_not_found')} not found, {c('dht_lookup_failed')} failed (nobody answered), "
          f"{c('req_timeout')} timed out, {c('req_giveup')} gave up")
    check(lk in out, f"dht summary: the lookups line has run.json's counts ({lk})")
    ended = ds["req_ok"] + ds["dht_not_found"] + ds["dht_lookup_failed"] + ds["req_timeout"]
    if ended:
        share = f"{100 * ds['req_ok'] / ended:.1f}% found (of those that ended)"
        check(share in out, f"dht summary: the found share ({share})")
    answered = [r for r in dts if int(r["req_ok"]) + int(r["dht_not_found"]) > 0]
    if answered:
        h99 = max(float(r["hops_p99"]) for r in answered)
        check(f", p99 {h99:.0f} (p50: the median" in out, f"dht summary: hops p99 {h99:.0f}")
    check(f"bootstrap        {c('boot_requests')} requests, {c('boot_served')} served, "
          f"{c('boot_refused')} refused" in out, "dht summary: the bootstrap requests")
    live = float(dts[-1]["dht_live_contacts"])
    check(f"routing tables   {live:.1f} live contacts per node at the end; dead share "
          f"{100 * float(dts[-1]['dht_dead_share']):.1f}% at the end" in out,
          "dht summary: the routing tables at the end, from the last row")
    check(all(len(ln) <= 80 for ln in p.stdout.splitlines() if not ln.startswith("results ")),
          "dht summary fits 80 columns")
    p = rtlib.tool(a, "compare", "--json", *runs, dht)
    j = json.loads(p.stdout) if p.returncode == 0 else {"runs": [], "groups": []}
    check([r["architecture"] for r in j["runs"]][-1:] == ["dht"] and
          j["groups"][-1:] and j["groups"][-1]["architecture"] == "dht",
          "compare --json: the dht run and its group")
    p = rtlib.tool(a, "compare", *runs, dht)
    check(p.returncode == 0 and f"seed {dm['seed']}   dht" in p.stdout and
          "architecture=dht" in p.stdout, "compare: the dht architecture in runs and groups")
    text, pg = report(os.path.join(a.dir, "dht.html"), *runs, dht)
    check(pg.svgs[:1] == ["online_arch"] and
          [i for i in pg.svgs if i.startswith("dht")] ==
          ["dht3_lookups", "dht3_found", "dht3_contacts", "dht3_dead"],
          f"report: the architecture chart, and the dht run's card ({pg.svgs})")
check.done()
