"""bootstorm-results on synthetic runs, without MPI: bad input of every kind
gets a clear message naming the file (and line) and exit status 2, never a
crash or a leak; --help everywhere; output errors exit 1; the sweep script's
--dry-run and its command-line errors."""
import json
import os
import re
import subprocess
import sys

import rtlib

a = rtlib.parse_args("cli")
check = rtlib.Check()
D = a.dir
COLS = ["t_s", "off", "booting", "online", "ls_queue", "sn_count", "login_attempts",
        "login_ok", "login_busy", "login_timeout", "lag_p99_ms"]


def make_run(name, seed=1, workers=2, t95=1.5, rows=20, cols=COLS):
    d = os.path.join(D, name)
    os.makedirs(d)
    run = {
        "format_version": 1, "tool": "bootstorm", "version": "0.1.0", "commit": "test",
        "name": "synthetic", "seed": seed, "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:00:10Z", "complete": True,
        "scenario_file": "synthetic.yaml", "overrides": [f"seed={seed}"],
        "scenario": {"name": "synthetic", "seed": seed, "duration": "10s",
                     "nodes": {"peers": 100, "login_servers": 1, "supernodes": 2},
                     "login_server": {"workers": workers, "service_time": "exp(10ms)"},
                     "control": {"max_lag_p99": "50ms"},
                     "events": [{"at": "0s", "boot": {"fraction": 1.0}},
                                {"at": "5s", "reboot": {"fraction": 0.5}}]},
        "world_size": 3, "hosts": ["h"], "ranks": [],
        "summary": {"peers": 100, "online_final": 100, "ever_online": 100, "t50_s": 1.0,
                    "t95_s": t95, "t99_s": None, "login_attempts": 150, "login_ok": 100,
                    "login_busy": 50, "login_timeout": 0, "peak_login_rps": 80.0,
                    "peak_login_ok_rps": 40.0, "login_attempts_per_node_max": 3,
                    "fidelity": {"valid": True, "lag_p99_ms": 2.0, "skew_p99_ms": 0.1,
                                 "reason": None}}}
    json.dump(run, open(os.path.join(d, "run.json"), "w"), indent=2)
    with open(os.path.join(d, "timeseries.csv"), "w") as f:
        f.write(",".join(cols) + "\n")
        for i in range(1, rows + 1):
            vals = {"t_s": f"{i * 0.5:.3f}", "online": str(min(100, i * 10)),
                    "lag_p99_ms": "1.500"}
            f.write(",".join(vals.get(c, str(i % 3)) for c in cols) + "\n")
    with open(os.path.join(d, "events.csv"), "w") as f:
        f.write("event,kind,rank,scheduled_s,actual_s,skew_ms,selected\n"
                "0,boot,1,0.000000,0.000010,0.010,50\n0,boot,2,0.000000,0.000020,0.020,50\n"
                "1,reboot,1,5.000000,5.000030,0.030,25\n1,reboot,2,5.000000,5.000040,0.040,25\n")
    hist = {"format_version": 1,
            "time_to_online": {"unit": "us", "count": 100, "mean": 1e6, "p50": 1e6,
                               "p95": 1.5e6, "p99": 2e6, "max": 2e6,
                               "buckets": [[491519, 20], [1048575, 40], [2097151, 40]]}}
    json.dump(hist, open(os.path.join(d, "histograms.json"), "w"))
    return d


def edit(path, fn):
    text = open(path, newline="").read()
    open(path, "w", newline="").write(fn(text))


def edit_json(path, fn):
    j = json.load(open(path))
    fn(j)
    json.dump(j, open(path, "w"))


good = make_run("good")

# ---- bad input: (name, how to damage a copy, file:line the message names) ----
def damaged(name, fn=None, remove=()):
    d = make_run(name)
    for f in remove:
        os.remove(os.path.join(d, f))
    if fn:
        fn(d)
    return d


J = lambda d: os.path.join(d, "run.json")
T = lambda d: os.path.join(d, "timeseries.csv")
cases = [
    ("not-a-run", lambda d: [os.remove(os.path.join(d, f)) for f in os.listdir(d)],
     "not a run directory (no run.json)"),
    ("died", lambda d: os.remove(J(d)), "no run.json: the run did not finish"),
    ("truncated-csv", lambda d: edit(T(d), lambda t: t[:-7]),
     "timeseries.csv:21: the last line has no line end"),
    ("missing-column", lambda d: edit(T(d), lambda t: t.replace("\n1.500,", "\n", 1)),
     "timeseries.csv:"),
    ("extra-column", lambda d: edit(T(d), lambda t: "\n".join(
        ln + ",9" if i == 2 else ln for i, ln in enumerate(t.split("\n")))),
     "timeseries.csv:3: 12 fields, but the header has 11"),
    ("non-numeric", lambda d: edit(T(d), lambda t: t.replace("\n1.500,", "\nlots,", 1)),
     'column t_s: "lots" is not a number'),
    ("empty-csv", lambda d: open(T(d), "w").close(), "timeseries.csv: empty file"),
    ("no-timeseries", lambda d: os.remove(T(d)), "timeseries.csv: missing"),
    ("not-json", lambda d: edit(J(d), lambda t: t[:200]), "run.json:"),
    ("binary-json", lambda d: open(J(d), "wb").write(b"\x00\xff{garbage"), "run.json"),
    ("array-json", lambda d: open(J(d), "w").write("[1,2,3]\n"), "not a JSON object"),
    ("lacks-peers", lambda d: edit_json(J(d), lambda j: j["summary"].pop("peers")),
     "summary.peers is missing"),
    ("peers-string", lambda d: edit_json(J(d), lambda j: j["summary"].update(peers="100")),
     "summary.peers should be a non-negative integer, not a string"),
    ("lacks-scenario", lambda d: edit_json(J(d), lambda j: j.pop("scenario")),
     "scenario is missing"),
    ("newer-format", lambda d: edit_json(J(d), lambda j: j.update(format_version=2)),
     "format_version 2 is newer than this tool reads (1)"),
    ("provisional", lambda d: edit_json(J(d), lambda j: j.update(complete=False, summary=None)),
     "the run has not finished (complete: false, summary: null)"),
    ("bad-histograms", lambda d: edit(os.path.join(d, "histograms.json"), lambda t: t[:30]),
     "histograms.json:1:"),
    ("bad-events", lambda d: edit(os.path.join(d, "events.csv"),
                                  lambda t: t.replace("0.020", "fast")),
     'events.csv:3: column skew_ms: "fast" is not a number'),
    ("backwards-time", lambda d: edit(T(d), lambda t: t.replace("\n1.500,", "\n0.200,", 1)),
     "t_s 0.200 does not increase"),
    ("bad-scale-actions", lambda d: edit_json(J(d), lambda j: j.update(scale_actions={
        "eu": 2})), "scale_actions should be an array, not an object"),
    ("bad-scale-action", lambda d: edit_json(J(d), lambda j: j.update(scale_actions=[
        {"decided_s": 1.0, "at_s": 2.0, "datacenter": "eu", "action": "scale_up", "count": 1,
         "servers": 3},
        {"decided_s": 1.0, "at_s": 2.0, "datacenter": "eu", "action": "scale_up", "count": "2",
         "servers": 5}])),
     "scale_actions[1].count should be a non-negative integer, not a string"),
    ("bad-capacity", lambda d: edit_json(J(d), lambda j: j.update(capacity={
        "login_server": [{"t_s": "0s", "per_server_rps": 1.0, "servers": 1}], "service": []})),
     "capacity.login_server[0].t_s should be a number, not a string"),
]
for name, fn, msg in cases:
    d = damaged(name, fn)
    for cmd in (["summary"], ["compare"], ["report", "-o", os.path.join(D, name + ".html")],
                ["export", "--format", "json"]):
        p = rtlib.tool(a, *cmd, good, d)
        check(p.returncode == 2 and msg in p.stderr and d in p.stderr,
              f"{cmd[0]} on {name}: exit 2, message names the file: {p.stderr.strip()[:150]!r}")
    check(not os.path.exists(os.path.join(D, name + ".html")), f"{name}: no report left behind")

p = rtlib.tool(a, "summary", os.path.join(D, "nonexistent"))
check(p.returncode == 2 and "nonexistent: No such file or directory" in p.stderr, "missing path")
p = rtlib.tool(a, "summary", J(good))
check(p.returncode == 2 and "not a directory" in p.stderr, "a file instead of a directory")

# ---- accepted oddities ----
crlf = make_run("crlf")
edit(T(crlf), lambda t: t.replace("\n", "\r\n"))
p = rtlib.tool(a, "export", "--format", "csv", crlf)
check(p.returncode == 0 and len(p.stdout.splitlines()) == 21, "CRLF timeseries is read")
bare = make_run("bare", cols=["t_s", "online"])
for f in ("events.csv", "histograms.json"):
    os.remove(os.path.join(bare, f))
p = rtlib.tool(a, "summary", bare)
check(p.returncode == 0 and "note:" in p.stderr and "events.csv is missing" in p.stderr,
      "a run without the optional files: summary works, with a note")
p = rtlib.tool(a, "report", "-o", os.path.join(D, "bare.html"), bare)
html = open(os.path.join(D, "bare.html")).read() if p.returncode == 0 else ""
check(p.returncode == 0 and html.count('<svg class="chart"') == 8 and "no data" in html,
      "report of a run with only t_s and online: 8 charts, the empty ones say no data")
p = rtlib.tool(a, "summary", "-q", bare)
check(p.returncode == 0 and "note:" not in p.stderr, "-q silences notes")

# ---- the capacity timeline (run.json "capacity") ----
# Paced at 50/s (2 workers / exp(10ms) would be 200/s), then a capacity event
# at 5 s: 300/s. The login server is down in the rows (3.0, 4.0].
cap = make_run("cap", cols=COLS + ["ls_up"])
edit_json(J(cap), lambda j: j.update(capacity={
    "login_server": [{"t_s": 0.0, "per_server_rps": 50.0, "servers": 1},
                     {"t_s": 5.0, "per_server_rps": 300.0, "servers": 1}],
    "service": []}))
edit(T(cap), lambda t: "\n".join(
    ln if i == 0 or not ln else ln.rsplit(",", 1)[0] + (",0" if i in (7, 8) else ",1")
    for i, ln in enumerate(t.split("\n"))))
p = rtlib.tool(a, "summary", cap)
flat = p.stdout.replace("\n" + " " * 17, " ")  # wrapped values back on one line
check(p.returncode == 0 and "login capacity   50.0/s, 300/s from 5.00 s; as low as 0/s while login "
      "servers were down\n" in flat and "estimated" not in flat,
      f"summary: the capacity timeline, its event and the outage ({p.stdout})")
p = rtlib.tool(a, "compare", "--json", cap, good)
j = json.loads(p.stdout) if p.returncode == 0 else {"runs": [{}, {}]}
f = [r.get("figures", {}).get("capacity_rps", {}).get("value") for r in j["runs"]]
# (50/s x 4 s + 0 x 1 s (the outage) + 300/s x 5 s) / 10 s; the synthetic run: 1 x 2 / 10 ms.
check(f == [170, 200], f"compare: the mean capacity over the run ({f})")
check([r.get("capacity_estimated") for r in j["runs"]] == [False, True],
      "compare --json: capacity_estimated")
p = rtlib.tool(a, "compare", cap, good)
check(p.returncode == 0 and "run #2: capacity estimated from the scenario" in p.stdout,
      "compare: the estimated run is named")
p = rtlib.tool(a, "report", "-o", os.path.join(D, "cap.html"), cap)
html = open(os.path.join(D, "cap.html")).read() if p.returncode == 0 else ""
check("<title>login capacity of cap</title>" in html and "estimated" not in html,
      "report: a capacity step line that follows the event and the outage")
p = rtlib.tool(a, "report", "-o", os.path.join(D, "good.html"), good)
html = open(os.path.join(D, "good.html")).read() if p.returncode == 0 else ""
check(">capacity 200/s</text>" in html and "estimated from the scenario" in html,
      "report of a run without the key: a flat line, estimated from the scenario")

# ---- two architectures (issue 9): P2P runs against central ones ----
DCS = ("eu", "us_east")


def make_central(name, seed, scale=None, dc_cols=True):
    """A central run: architecture and data centres in the scenario, the
    registration tier's load and the per-DC columns in the timeseries, and
    the autoscaler's actions."""
    cols = COLS + ["server_load"]
    if dc_cols:
        cols += [f"dc_{n}_{w}" for n in DCS
                 for w in ("servers", "clients", "load", "refusals", "spills")]
    d = make_run(name, seed=seed, cols=cols)

    def arch(j):
        j["scenario"]["architecture"] = "central"
        j["scenario"]["central"] = {"datacenters": [
            {"name": n, "servers": 2, "max_servers": 4, "share": 0.5} for n in DCS]}
        if scale is not None:
            j["scale_actions"] = scale
    edit_json(J(d), arch)

    def rows(text):
        lines = text.split("\n")
        out = [lines[0]]
        for i, ln in enumerate(lines[1:], 1):
            if not ln:
                out.append(ln)
                continue
            cells = dict(zip(cols, ln.split(",")))
            cells["server_load"] = f"{0.05 * i:.2f}"  # 0.05 .. 1.00
            for k, n in enumerate(DCS):
                cells[f"dc_{n}_servers"] = str(2 + 2 * (i > 10) - k * (i > 15))
                cells[f"dc_{n}_load"] = f"{0.04 * i / (k + 1):.2f}"
                cells[f"dc_{n}_refusals"] = str(i % 2)
                cells[f"dc_{n}_spills"] = str(k)
            out.append(",".join(cells[c] for c in cols))
        return "\n".join(out)
    edit(T(d), rows)
    if scale:  # bootstorm writes a row per action and rank to events.csv too
        with open(os.path.join(d, "events.csv"), "a") as f:
            for k, x in enumerate(scale):
                for rank in (1, 2):
                    f.write(f"{2 + k},{x['action']},{rank},{x['at_s']:.6f},"
                            f"{x['at_s'] + 0.0002:.6f},0.200,1\n")
    return d


SCALE = [{"decided_s": 3.0, "at_s": 5.0, "fired_s": 5.0003, "datacenter": "eu",
          "action": "scale_up", "count": 2, "servers": 4, "load": 0.93},
         {"decided_s": 3.0, "at_s": 5.0, "datacenter": "us_east", "action": "scale_up",
          "count": 2, "servers": 4},
         {"decided_s": 7.5, "at_s": 7.5, "datacenter": "us_east", "action": "scale_down",
          "count": 1, "servers": 3}]
p2p = [make_run(f"arch/p2p{i}", seed=i + 1) for i in range(2)]
for d in p2p:  # a P2P run of the same bootstorm: the key and the load column
    edit_json(J(d), lambda j: j["scenario"].update(architecture="supernode"))
    edit(T(d), lambda t: "\n".join(
        ln + (",server_load" if i == 0 else f",{0.07 * i:.2f}") if ln else ln
        for i, ln in enumerate(t.split("\n"))))
cen = [make_central("arch/central0", 1, SCALE), make_central("arch/central1", 2, [])]
old_run = make_run("arch-old")  # before the column and the key: absent, "-"

p = rtlib.tool(a, "summary", cen[0])
flat = p.stdout.replace("\n" + " " * 17, " ")
check(p.returncode == 0 and "peak server load 100.0% (presence servers, busiest interval; 100% = "
      "saturated)" in flat, f"summary: the peak server load of a central run ({p.stdout})")
check("data centres     eu: 2-4 servers, peak load 80.0%, 10 refusals, 0 spilled in; us_east: "
      "2-4 servers, peak load 40.0%, 10 refusals, 20 spilled in" in flat,
      "summary: each data centre's servers, load, refusals and spills")
check("scale actions    +2 eu at 5.00 s (4 servers), +2 us_east at 5.00 s (4 servers), -1 "
      "us_east at 7.50 s (3 servers)" in flat, "summary: the scale actions in effect order")
check(all(len(ln) <= 80 for ln in p.stdout.splitlines() if not ln.startswith("results ")),
      "summary of a central run fits 80 columns")
check("^reboot" in flat and "^scale" not in flat,
      "summary: the actions' events.csv rows are not event marks")
p = rtlib.tool(a, "summary", p2p[0], old_run)
check(p.returncode == 0 and p.stdout.count("peak server load") == 1 and
      "peak server load 140.0% (supernodes," in p.stdout,
      "summary: a P2P run's load names the supernodes; a run without the column has no line")
check("scale actions" not in p.stdout and "data centres" not in p.stdout,
      "no scale or data-centre lines for a P2P run")

p = rtlib.tool(a, "compare", *p2p, *cen, old_run)
out = p.stdout
check(p.returncode == 0 and "  #3   central0   synthetic   seed 1   central     group B" in out
      and "  #1   p2p0       synthetic   seed 1   supernode   group A" in out,
      f"compare: the architecture in the run list ({out[:600]})")
check("  A   n=2   runs #1 #2   architecture=supernode" in out and
      "  B   n=2   runs #3 #4   architecture=central" in out,
      "compare: the groups are labelled by architecture, the central section left implied")
row = [ln for ln in out.splitlines() if ln.startswith("peak server load")]
check(len(row) == 1 and row[0].split()[3:] == ["140.0%", "100.0%", "-"],
      f"compare: peak server load per group, '-' for the run without the column ({row})")
p = rtlib.tool(a, "compare", "--json", *p2p, *cen, old_run)
j = json.loads(p.stdout) if p.returncode == 0 else {"runs": [], "groups": []}
check([r.get("architecture") for r in j["runs"]] ==
      ["supernode", "supernode", "central", "central", "supernode"],
      "compare --json: each run's architecture (a run without the key is supernode)")
check([g.get("architecture") for g in j["groups"]] == ["supernode", "central", "supernode"],
      "compare --json: each group's architecture")
v = [r["figures"].get("peak_server_load_pct", {}).get("value") for r in j["runs"]]
check(v == [140, 140, 100, 100, None], f"compare --json: peak_server_load_pct ({v})")
check([len(r.get("scale_actions", "x")) for r in j["runs"]] == [0, 0, 3, 0, 0],
      "compare --json: the runs' scale actions")

html_path = os.path.join(D, "arch.html")
p = rtlib.tool(a, "report", "-o", html_path, *p2p, *cen)
html = open(html_path).read() if p.returncode == 0 else ""
ids = re.findall(r'<svg class="chart" id="([^"]+)"', html)
check(ids[:1] == ["online_arch"] and "server_load" in ids,
      f"report: the architecture chart first, the load chart ({ids})")
check([i for i in ids if i.startswith("dc")] == ["dc3_servers", "dc3_load", "dc3_flows",
                                                 "dc4_servers", "dc4_load", "dc4_flows"],
      "report: a data-centre card per central run: servers, load, refusals and spills")
arch_svg = html.split('id="online_arch"', 1)[-1].split("</svg>", 1)[0]
titles = re.findall(r'<path class="series"[^>]*><title>([^<]*)</title>', arch_svg)
check(titles == ["supernode: #1 p2p0", "supernode: #2 p2p1", "central: #3 central0",
                 "central: #4 central1"],
      f"report: one line per run, named by architecture ({titles})")
check(arch_svg.count('stroke-dasharray="7 4"') == 2,
      "report: the second run of an architecture is dashed")
check(">+2 eu</text>" in arch_svg and ">-1 us_east</text>" in arch_svg,
      "report: the scale actions are marked on the time charts")
online_svg = html.split('id="online"', 1)[-1].split("</svg>", 1)[0]
check(online_svg.count('<g class="mark">') == 3, "report: every time chart has the run's marks")
check("central0: scale_up 2 in eu (4 servers after it), decided at 3.00 s (load 93%), in effect "
      "at 5.00 s" in online_svg, "report: a mark's tooltip")
check(">scale_up</text>" not in html and 'class="event"' in online_svg,
      "report: the actions' rows in events.csv are not drawn as events")
check("<h2>Scale actions</h2>" in html and "<td>-1</td><td>3</td>" in html,
      "report: the table of scale actions")
check(html.count('<svg class="chart"') == 9 + 1 + 6,
      "report: 8 charts and the load chart, + 1 by architecture, + 6 data-centre panels")
p = rtlib.tool(a, "report", "-o", os.path.join(D, "one-arch.html"), *p2p)
html = open(os.path.join(D, "one-arch.html")).read() if p.returncode == 0 else ""
check(p.returncode == 0 and "online_arch" not in html and 'class="mark"' not in html and
      "Scale actions" not in html, "report of one architecture: no architecture chart, no marks")
nodc = make_central("arch-nodc", 3, None, dc_cols=False)
p = rtlib.tool(a, "report", "-o", os.path.join(D, "nodc.html"), nodc)
html = open(os.path.join(D, "nodc.html")).read() if p.returncode == 0 else ""
check(p.returncode == 0 and 'id="dc1_' not in html and 'id="server_load"' in html,
      "report: a central run without dc_ columns has no data-centre card")
p = rtlib.tool(a, "export", "--format", "csv", cen[0], p2p[0])
hdr = p.stdout.splitlines()[0].split(",") if p.returncode == 0 else []
check("server_load" in hdr and "dc_us_east_spills" in hdr, "export: the new columns")
os.environ["SOURCE_DATE_EPOCH"] = "0"  # the footer's date: byte for byte
r1 = rtlib.tool(a, "report", "-q", "-o", "-", *p2p, *cen)
r2 = rtlib.tool(a, "report", "-q", "-o", "-", *p2p, *cen)
del os.environ["SOURCE_DATE_EPOCH"]
check(r1.returncode == 0 and r1.stdout == r2.stdout, "report: deterministic, byte for byte")

# ---- groups and significance on synthetic data ----
for i, t in enumerate([1.0, 1.1, 1.2]):
    make_run(f"grp/a{i}", seed=i + 1, workers=2, t95=t)
for i, t in enumerate([2.0, 2.2, 2.1]):
    make_run(f"grp/b{i}", seed=i + 1, workers=4, t95=t)
p = rtlib.tool(a, "compare", "--json", os.path.join(D, "grp"))
j = json.loads(p.stdout) if p.returncode == 0 else {"groups": []}
check(len(j["groups"]) == 2 and [g["n"] for g in j["groups"]] == [3, 3],
      "a directory of runs: two groups of three")
if len(j["groups"]) == 2:
    g = j["groups"][1]["figures"]["t95_s"]
    check(g["significant"] is True and abs(g["delta"] - 1.0) < 1e-9,
          "t95 2.1 vs 1.1 with tight intervals: significant")
    check(j["groups"][1]["figures"]["login_attempts"]["significant"] is False,
          "equal login attempts: not significant")
    check(j["groups"][1]["description"] == "login_server.workers=4", "group described by its key")
p = rtlib.tool(a, "compare", os.path.join(D, "grp"))
check(p.returncode == 0 and "+1.00 s (+91%) *" in p.stdout, "the text table marks it with *")

# ---- help, usage errors, output errors ----
for cmd in ("summary", "compare", "report", "export"):
    p = rtlib.tool(a, cmd, "--help")
    check(p.returncode == 0 and p.stdout.startswith(f"usage: bootstorm-results {cmd}"),
          f"{cmd} --help")
    p = rtlib.tool(a, "help", cmd)
    check(p.returncode == 0 and p.stdout.startswith(f"usage: bootstorm-results {cmd}"),
          f"help {cmd}")
    p = rtlib.tool(a, cmd)
    check(p.returncode == 2 and "no run directory given" in p.stderr, f"{cmd} without runs")
    p = rtlib.tool(a, cmd, "--bogus", good)
    check(p.returncode == 2 and "unknown option --bogus" in p.stderr, f"{cmd}: unknown option")
p = rtlib.tool(a, "--help")
check(p.returncode == 0 and all(c in p.stdout for c in ("summary", "compare", "report", "export")),
      "--help lists the commands")
p = rtlib.tool(a, "--version")
check(p.returncode == 0 and "format_version <= 1" in p.stdout, "--version")
p = rtlib.tool(a)
check(p.returncode == 2, "no command: exit 2")
p = rtlib.tool(a, "frobnicate")
check(p.returncode == 2 and "no such command: frobnicate" in p.stderr, "unknown command")
p = rtlib.tool(a, "report", good)
check(p.returncode == 2 and "-o FILE is required" in p.stderr, "report needs -o")
p = rtlib.tool(a, "export", good)
check(p.returncode == 2 and "--format" in p.stderr, "export needs --format")
p = rtlib.tool(a, "export", "--format", "xml", good)
check(p.returncode == 2 and 'unknown format "xml"' in p.stderr, "export: unknown format")
p = rtlib.tool(a, "compare", "--by", "seed", good)
check(p.returncode == 2, "compare --by must be run or group")
p = rtlib.tool(a, "report", "-o", "/nonexistent-dir/r.html", good)
check(p.returncode == 1 and "cannot write" in p.stderr, "unwritable output: exit 1")
p = rtlib.tool(a, "report", "-o", "-", good)
check(p.returncode == 0 and p.stdout.startswith("<!DOCTYPE html>"), "report -o - to stdout")

# ---- scripts/sweep: plan and command-line errors ----
SWEEP = os.path.join(a.source, "scripts", "sweep")
scn = os.path.join(a.source, "tests", "scenarios", "small.yaml")


def sweep(*args):
    cmd = [sys.executable, SWEEP] + list(args)
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


out = os.path.join(D, "sw")
p = sweep(scn, "--vary", "login_server.workers=1,2",
          "--vary", "peer.boot_delay=uniform(1s, 3s),exp(2s)", "--seeds", "3", "--np", "4",
          "--out", out, "--set", "duration=5s", "--dry-run")
lines = p.stdout.splitlines()
runs = [ln for ln in lines if "mpirun-local" in ln]
check(p.returncode == 0 and len(runs) == 12, f"dry run: 2 x 2 combinations x 3 seeds ({len(runs)})")
check(all("-np 4 -- run" in ln and "--set duration=5s" in ln for ln in runs),
      "each run: -np, the scenario and the common --set")
check(sum("--set seed=3" in ln for ln in runs) == 4, "seeds 1..K for every combination")
check(any("'peer.boot_delay=uniform(1s, 3s)'" in ln for ln in runs),
      "a value with a comma inside brackets stays one value")
check(any("workers=2_boot_delay=exp-2s_seed=1" in ln for ln in runs), "run directories say what they are")
check(any(" compare " in ln for ln in lines) and any(" report " in ln and "report.html" in ln
                                                        for ln in lines),
      "then compare and report")
check(not os.path.exists(out), "a dry run creates nothing")
for bad, msg in [(["--vary", "login_server.workers"], "expected KEY=V1,V2"),
                 (["--vary", "login_server.workers="], "empty value"),
                 (["--vary", "login server=1,2"], "not a scenario key path"),
                 (["--vary", "a=1,,2"], "empty value"),
                 (["--vary", "a=f(1,2"], "unbalanced"),
                 (["--vary", "seed=1,2"], "use --seeds"),
                 (["--vary", "a=1,2", "--vary", "a=3"], "twice"),
                 (["--vary", "a=1,2", "--set", "a=3"], "both --set and --vary"),
                 (["--seeds", "0"], "--seeds must be at least 1"),
                 (["--np", "1"], "--np must be at least 2")]:
    p = sweep(scn, *bad, "--dry-run")
    check(p.returncode == 2 and msg in p.stderr, f"sweep {' '.join(bad)}: exit 2, {msg!r}")
p = sweep(os.path.join(D, "missing.yaml"), "--dry-run")
check(p.returncode == 2 and "no such scenario file" in p.stderr, "sweep: missing scenario")
p = sweep(scn, "--out", D)
check(p.returncode == 2 and "exists and is not empty" in p.stderr, "sweep: refuses a used --out")
p = sweep("--help")
check(p.returncode == 0 and "--vary" in p.stdout and "--seeds" in p.stdout, "sweep --help")
check.done()
