"""The results tool on two real runs (two seeds of one scenario, made by the
results.runs fixture): summary, compare (text and JSON), report and export
agree with run.json and timeseries.csv; a copy with an invalid fidelity gets
the warning banner; --same-scenario refuses runs of different scenarios. Then
a real dht run (also from the fixture): its summary lines agree with its
run.json and timeseries.csv, compare names its architecture, the report has
its DHT card. And a real settop run (fountain, settop.verify 0.5, 5% loss):
run.json's summary.settop adds up from timeseries.csv, the summary's settop
lines say what it says, compare names the architecture and its figures, the
report has its settop card."""
import csv
import html.parser
import io
import json
import math
import os
import re
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


def series_titles(page, chart_id):
    """The series of one <svg> chart of a report, by their titles."""
    svg = page.split(f'id="{chart_id}"', 1)[-1].split("</svg>", 1)[0]
    return re.findall(r'<path class="series"[^>]*><title>([^<]*)</title>', svg)


# ---- a real settop run (issue 11): the columns and summary.settop the coordinator writes ----
stp = os.path.join(a.settop_sweep, rtlib.RUN_DIRS[0])
if check(os.path.exists(os.path.join(stp, "run.json")), "the fixture's settop run exists"):
    sm = rtlib.load_json(os.path.join(stp, "run.json"))
    ss, st = sm["summary"], sm["summary"]["settop"]
    sts = list(csv.DictReader(open(os.path.join(stp, "timeseries.csv"))))
    for col in ("fetching", "box_image_peak", "he_egress_bytes", "he_datagrams", "he_cycles",
                "img_delivered", "img_lost", "img_ok", "img_verified", "fec_decodes",
                "he_reg_served", "server_load", "egress_mbps", "image_p50_ms", "image_p99_ms"):
        check(col in sts[0], f"the settop run's timeseries.csv has {col}")

    def tot(col):
        return sum(int(r[col]) for r in sts)

    # summary.settop from the rows: what the tool prints is what the run measured
    check([st["egress_bytes"], st["datagrams"], st["cycles_sent"]] ==
          [tot("he_egress_bytes"), tot("he_datagrams"), tot("he_cycles")],
          "settop run.json: head-end egress, datagrams and cycles add up from the rows")
    check(math.isclose(st["egress_peak_mbps"], max(float(r["egress_mbps"]) for r in sts),
                       abs_tol=5e-4), "settop run.json: the egress peak is the busiest row's")
    check([st["img"][k] for k in ("delivered", "lost", "dup", "bad", "corrupt")] ==
          [tot("img_" + k) for k in ("delivered", "lost", "dup", "bad", "corrupt")],
          "settop run.json: the symbols at the boxes add up from the rows")
    check(st["boxes_verified"] == tot("img_verified") and
          st["boxes_verified"] + st["boxes_counted"] == tot("img_ok") == st["image_s"]["n"],
          "settop run.json: verified and counted boxes add up to those that completed the image")
    check(st["fountain"]["decodes"] == tot("fec_decodes") and
          st["fountain"]["decode_failed"] == tot("fec_decode_failed"),
          "settop run.json: the real decodes add up from the rows")
    check([st["registration"][k] for k in ("served", "refused", "wasted")] ==
          [tot("he_reg_" + k) for k in ("served", "refused", "wasted")],
          "settop run.json: the registrations add up from the rows")
    check(st["box_image_bytes_peak"] == max(int(r["box_image_peak"]) for r in sts) > 0,
          "settop run.json: the image bytes held at once, the largest row's box_image_peak")
    # what the run was asked to do happened: lossy links, decoded and counted boxes
    check(st["img"]["lost"] > 0 and st["boxes_verified"] > 0 and st["boxes_counted"] > 0 and
          st["img"]["corrupt"] == 0,
          f"the settop run: symbols lost, boxes decoded and counted, no corrupt image ({st})")

    p = rtlib.tool(a, "summary", stp)
    out = p.stdout.replace("\n" + " " * 17, " ")
    check(p.returncode == 0, "settop summary exits 0")
    check(all(len(ln) <= 80 for ln in p.stdout.splitlines() if not ln.startswith("results ")),
          f"settop summary fits 80 columns ({p.stdout})")
    boxes = ss["peers"]
    want = {
        "nodes": f"{boxes + 1:,} ({boxes:,} set-top boxes, 1 head-end)",
        "login": "none (set-top boxes register with the head-end)",
        "peak server load": f"{100 * max(float(r['server_load']) for r in sts):.1f}% (head-end "
                            "registration, busiest interval; 100% = saturated)",
        "settop": f"fountain: {rtlib.fmt_count(st['boxes'])} boxes; image "
                  f"{rtlib.fmt_bytes(st['image_bytes'])}, K = {rtlib.fmt_count(st['blocks'])} "
                  f"source symbols of {rtlib.fmt_count(st['block_bytes'])} B; channel "
                  f"{rtlib.fmt_mbps(st['channel_mbps'])}, carousel "
                  f"{rtlib.fmt_mbps(st['carousel_mbps'])}; downstream loss "
                  f"{rtlib.fmt_pct(100 * st['downstream_loss'])}",
    }
    # time to image: laid out as the time to online line; the count under
    # the figures when the line would pass 80 columns
    segs = [f"{q} " + ("never" if st["image_s"][q] is None else
                       rtlib.fmt_seconds(st["image_s"][q])) for q in ("t50", "t95", "t99")]
    count = f"({rtlib.fmt_count(st['image_s']['n'])}/{rtlib.fmt_count(st['boxes'])} boxes)"
    wide_t = 17 + sum(len(x) + 3 for x in segs) + len(count) > 80
    want["time to image"] = "   ".join(segs) + (" " if wide_t else "   ") + count
    peak, chan = rtlib.fmt_mbps(st["egress_peak_mbps"]), rtlib.fmt_mbps(st["channel_mbps"])
    if peak.split(" ", 1)[1] == chan.split(" ", 1)[1]:
        peak = peak.split(" ", 1)[0]  # "36.5 of the channel's 38.0 Mbit/s"
    want["head-end egress"] = (f"{rtlib.fmt_bytes(st['egress_bytes'])}, peak {peak} of the "
                               f"channel's {chan}, mean {rtlib.fmt_mbps(st['egress_mean_mbps'])}; "
                               f"{rtlib.fmt_count(st['datagrams'])} datagrams, "
                               f"{rtlib.fmt_count(st['cycles_sent'])} cycles")
    cyc = [f"{k} {rtlib.fmt_sig(st['cycles_per_box'][k])}" for k in ("mean", "p50", "p95", "max")
           if st["cycles_per_box"][k] is not None]
    want["cycles per box"] = (", ".join(cyc) + " (channel cycles a box heard until its image "
                              "was complete)" if cyc else
                              "n/a (no box completed its image from the channel)")
    fo = st["fountain"]
    want["fountain"] = (f"{rtlib.fmt_count(fo['decodes'])} decodes, "
                        f"{rtlib.fmt_count(fo['decode_failed'])} failed; " +
                        (f"overhead mean {rtlib.fmt_sig(fo['overhead_mean'])}, p95 "
                         f"{rtlib.fmt_count(fo['overhead_p95'])}, max "
                         f"{rtlib.fmt_count(fo['overhead_max'])} symbols beyond K (real "
                         "decodes only)" if fo["overhead_mean"] is not None else
                         "overhead n/a (no real decode)"))
    im = st["img"]
    want["symbols at boxes"] = (f"{rtlib.fmt_count(im['delivered'])} delivered, "
                                f"{rtlib.fmt_count(im['lost'])} lost (the box's downstream "
                                f"loss), {rtlib.fmt_count(im['dup'])} duplicates, "
                                f"{rtlib.fmt_count(im['bad'])} bad (wrong image, index or size)")
    want["image check"] = (f"{rtlib.fmt_count(st['boxes_verified'])} verified (decoded and "
                           f"SHA-256 checked), {rtlib.fmt_count(st['boxes_counted'])} counted "
                           "only (complete by the count of symbols: not decoded, not checked); "
                           f"settop.verify {rtlib.fmt_pct(100 * st['verify_share'])}; boxes "
                           f"held at most {rtlib.fmt_bytes(st['box_image_bytes_peak'])} of "
                           "image bytes at once")
    rg = st["registration"]
    want["registration"] = (f"{rtlib.fmt_count(rg['served'])} served, "
                            f"{rtlib.fmt_count(rg['refused'])} refused (BUSY), "
                            f"{rtlib.fmt_count(rg['wasted'])} wasted (served after the box's "
                            "timeout)")
    for label, value in want.items():
        line = f"{label:<16} {value}\n"
        check(line in out, f"settop summary: the {label} line ({line!r} in {out!r})")
    check("login attempts" not in out and "lookups" not in out and "downloads" not in out,
          "settop summary: no login, dht or unicast lines")
    at = [out.find("\n" + k + " ") for k in ("settop", "time to image", "head-end egress",
                                            "cycles per box", "fountain", "symbols at boxes",
                                            "image check", "registration")]
    check(-1 not in at and at == sorted(at), f"settop summary: the settop block in order ({at})")

    p = rtlib.tool(a, "compare", "--json", *runs, stp)
    j = json.loads(p.stdout) if p.returncode == 0 else {"runs": [{}], "groups": [{}]}
    check([r.get("architecture") for r in j["runs"]][-1:] == ["settop"] and
          j["groups"][-1].get("architecture") == "settop",
          "compare --json: the settop run and its group")
    f = j["runs"][-1].get("figures", {})
    got = {k: f.get(k, {}).get("value") for k in ("image_t95_s", "online_t95_s",
                                                   "egress_peak_mbps", "cycles_mean",
                                                   "overhead_mean")}
    check(got == {"image_t95_s": st["image_s"]["t95"], "online_t95_s": st["online_s"]["t95"],
                  "egress_peak_mbps": st["egress_peak_mbps"],
                  "cycles_mean": st["cycles_per_box"]["mean"],
                  "overhead_mean": fo["overhead_mean"]},
          f"compare --json: the settop figures are run.json's ({got})")
    check("login_attempts" not in f, "compare --json: no login figures for the settop run")
    p = rtlib.tool(a, "compare", *runs, stp)
    check(p.returncode == 0 and f"seed {sm['seed']}   settop" in p.stdout and
          "architecture=settop" in p.stdout, "compare: the settop architecture in runs and groups")
    cells = {}
    for ln in p.stdout.splitlines():
        parts = re.split(r"\s{2,}", ln.strip())
        if len(parts) == 3:
            cells[parts[0]] = parts[1:]
    t95 = st["image_s"]["t95"]
    for label, value in (("image t95 (95% have it)",
                          "never" if t95 is None else rtlib.fmt_seconds(t95)),
                         ("peak head-end egress", rtlib.fmt_mbps(st["egress_peak_mbps"]))):
        check(cells.get(label) == ["-", value],
              f"compare: {label}, '-' for the small runs ({cells.get(label)})")

    text, pg = report(os.path.join(a.dir, "settop.html"), *runs, stp)
    check(pg.svgs[:1] == ["online_arch"] and
          [i for i in pg.svgs if i.startswith("settop")] ==
          ["settop3_egress", "settop3_boxes", "settop3_image"],
          f"report: the architecture chart, and the settop run's card ({pg.svgs})")
    sub = text.split('id="fig-settop3"', 1)[-1].split("</p>", 1)[0]
    v, c = st["boxes_verified"], st["boxes_counted"]
    check(f"Verified: {rtlib.fmt_count(v)} of the {rtlib.fmt_count(v + c)} boxes that completed "
          f"their image decoded it and checked its SHA-256; the other {rtlib.fmt_count(c)} "
          "completed by counting symbols, with nothing "
          f"decoded or checked (settop.verify {rtlib.fmt_pct(100 * st['verify_share'])})."
          in sub,
          f"report: the card's verified and counted boxes ({sub})")
    eg = text.split('id="settop3_egress"', 1)[-1].split("</svg>", 1)[0]
    check(">channel 38 Mbit/s<" in eg and ">carousel 4 Mbit/s<" in eg,
          "report: the egress against the channel and the carousel")
    check(series_titles(text, "settop3_boxes") == ["fetching", "online"] and
          series_titles(text, "settop3_image") == ["p50", "p99"],
          "report: the boxes fetching and online, the time to image p50 and p99")
    alone = open(os.path.join(a.dir, "report.html"), encoding="utf-8").read()
    n_login = [len(series_titles(h, "logins")) for h in (alone, text)]
    check(n_login[0] > 0 and n_login[0] == n_login[1],
          f"report: no login series nor login capacity for the settop run ({n_login})")
check.done()
