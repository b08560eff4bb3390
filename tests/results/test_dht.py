"""bootstorm-results on synthetic runs of architecture: dht (issue 10), without
MPI: the summary's dht lines (no login lines for a trackerless DHT, the
bootstrap nodes, the lookups, the bootstrap requests, the routing tables),
compare (the architecture, the dht figures, '-' for the login figures of a
run without login) and the report (the DHT card per run, the login charts only
when some run logs in). The columns and counters are those a real dht run
writes (coordinator/rundir.c, common/metrics.h); results.integration checks
a real one."""
import json
import os
import re

import rtlib

a = rtlib.parse_args("dht")
check = rtlib.Check()
D = a.dir
ROWS = 20  # 0.5 s apart: t_s 0.5 .. 10.0
BASE = ["t_s", "off", "booting", "online", "ls_queue", "sn_count", "login_attempts", "login_ok",
        "login_busy", "login_timeout", "reg_attempts", "reg_ok", "req_sent", "req_ok",
        "req_timeout", "req_giveup"]
DHT_COUNTERS = ["dht_queries", "dht_query_timeouts", "dht_served", "dht_unexpected",
                "dht_evicted", "dht_stored", "dht_store_refused", "dht_join_bootstrap",
                "dht_not_found", "dht_lookup_failed", "dht_refreshes", "boot_requests",
                "boot_served", "boot_refused"]
DHT_GAUGES = ["dht_up", "dht_entries", "dht_live", "dht_failing", "boot_up", "boot_queue",
              "boot_busy"]
# rundir.c: server_load after the counters, then the dht columns last.
DHT_COLS = ["lookup_p50_ms", "lookup_p99_ms", "hops_p50", "hops_p99", "lookup_success",
            "dht_live_contacts", "dht_dead_share"]
COLS = BASE + DHT_GAUGES + DHT_COUNTERS + ["lag_p99_ms", "server_load"] + DHT_COLS


def row(i):
    """Row i (1..ROWS). Lookups: none answered in row 1; 8 found a row after
    it, 1 not found a row from row 11, 1 failed in row 15, 1 timed out every
    5th row, 1 gave up in row 20. Latency p50 5 ms, 50 ms from row 16; p99
    20 ms, 400 ms in row 18; hops p50 2, p99 3, 5 in row 18. Bootstrap: rows
    1-4 asked 10 (6 refused in row 3, 2 in the others). Routing tables: live
    contacts 10.5 .. 20.0; dead share 1% .. 12% (row 12, 6.0 s), then 5%."""
    v = {c: 0 for c in COLS}
    v["t_s"] = f"{i * 0.5:.3f}"
    v["online"] = min(100, i * 10)
    ok = 8 if i > 1 else 0
    nf = 1 if i > 10 else 0
    fl = 1 if i == 15 else 0
    to = 1 if i % 5 == 0 else 0
    v.update(req_ok=ok, dht_not_found=nf, dht_lookup_failed=fl, req_timeout=to,
             req_giveup=1 if i == ROWS else 0, req_sent=ok + nf + fl + to)
    ended = ok + nf + fl + to
    v["lookup_success"] = f"{ok / ended:.4f}" if ended else "0.0000"
    if ok + nf:
        v["lookup_p50_ms"] = "50.000" if i > 15 else "5.000"
        v["lookup_p99_ms"] = "400.000" if i == 18 else "20.000"
        v["hops_p50"], v["hops_p99"] = 2, 5 if i == 18 else 3
    else:
        v["lookup_p50_ms"] = v["lookup_p99_ms"] = "0.000"
    if i <= 4:
        v.update(boot_requests=10 + (4 if i == 3 else 0), boot_refused=6 if i == 3 else 2,
                 boot_served=8)
    v["dht_up"] = v["online"]
    v["dht_live_contacts"] = f"{10 + 0.5 * i:.2f}"
    v["dht_dead_share"] = f"{0.01 * i if i <= 12 else 0.05:.4f}"
    v["server_load"] = "0.600" if i == 5 else "0.300"
    v["lag_p99_ms"] = "1.500"
    v["reg_attempts"] = v["reg_ok"] = 10 if i <= 10 else 0
    return v


def make_dht(name, seed=1, login=False):
    d = os.path.join(D, name)
    os.makedirs(d)
    rows = [row(i) for i in range(1, ROWS + 1)]
    tot = {c: sum(int(r[c]) for r in rows) for c in BASE[6:] + DHT_COUNTERS}
    nodes = {"peers": 100}
    scn = {"name": "synthetic-dht", "seed": seed, "duration": "10s", "architecture": "dht",
           "nodes": nodes,
           "dht": {"k": 8, "alpha": 3, "login": login,
                   "bootstrap": {"nodes": 2, "workers": 2, "service_time": "1ms"}},
           "control": {"max_lag_p99": "50ms"},
           "events": [{"at": "0s", "boot": {"fraction": 1.0}}]}
    summary = {"peers": 100, "online_final": 100, "ever_online": 100, "t50_s": 1.0,
               "t95_s": 1.5, "t99_s": None, "login_attempts_per_node_max": 1,
               "peak_login_rps": 0.0, "peak_login_ok_rps": 0.0,
               "fidelity": {"valid": True, "lag_p99_ms": 2.0, "skew_p99_ms": 0.1,
                            "reason": None}}
    summary.update(tot)
    if login:  # a DHT with login servers: the login lines are back
        nodes["login_servers"] = 1
        scn["login_server"] = {"workers": 2, "service_time": "exp(10ms)"}
        summary.update(login_attempts=120, login_ok=100, login_busy=20, login_timeout=0,
                       peak_login_rps=40.0, peak_login_ok_rps=30.0)
    run = {"format_version": 1, "tool": "bootstorm", "version": "0.1.0", "commit": "test",
           "name": "synthetic-dht", "seed": seed, "started_at": "2026-01-01T00:00:00Z",
           "finished_at": "2026-01-01T00:00:10Z", "complete": True,
           "scenario_file": "dht.yaml", "overrides": [f"seed={seed}"], "scenario": scn,
           "world_size": 3, "hosts": ["h"], "ranks": [], "summary": summary,
           # what a trackerless run writes: a login class with no servers
           "capacity": {"login_server": [{"t_s": 0.0, "per_server_rps": 800.0,
                                          "servers": 1 if login else 0}], "service": []}}
    json.dump(run, open(os.path.join(d, "run.json"), "w"), indent=2)
    with open(os.path.join(d, "timeseries.csv"), "w") as f:
        f.write(",".join(COLS) + "\n")
        for r in rows:
            f.write(",".join(str(r[c]) for c in COLS) + "\n")
    with open(os.path.join(d, "events.csv"), "w") as f:
        f.write("event,kind,rank,scheduled_s,actual_s,skew_ms,selected\n"
                "0,boot,1,0.000000,0.000010,0.010,50\n0,boot,2,0.000000,0.000020,0.020,50\n")
    return d


def make_p2p(name, seed):
    """A supernode run of the same shape, without the dht columns."""
    d = os.path.join(D, name)
    os.makedirs(d)
    cols = BASE + ["lag_p99_ms", "server_load"]
    scn = {"name": "synthetic-dht", "seed": seed, "duration": "10s",
           "architecture": "supernode",
           "nodes": {"peers": 100, "login_servers": 1, "supernodes": 2},
           "login_server": {"workers": 2, "service_time": "exp(10ms)"},
           "control": {"max_lag_p99": "50ms"},
           "events": [{"at": "0s", "boot": {"fraction": 1.0}}]}
    summary = {"peers": 100, "online_final": 100, "ever_online": 100, "t50_s": 1.0,
               "t95_s": 1.5, "t99_s": None, "login_attempts": 150, "login_ok": 100,
               "login_busy": 50, "login_timeout": 0, "peak_login_rps": 80.0,
               "peak_login_ok_rps": 40.0, "login_attempts_per_node_max": 3,
               "fidelity": {"valid": True, "lag_p99_ms": 2.0, "skew_p99_ms": 0.1,
                            "reason": None}}
    run = {"format_version": 1, "tool": "bootstorm", "version": "0.1.0", "commit": "test",
           "name": "synthetic-dht", "seed": seed, "started_at": "2026-01-01T00:00:00Z",
           "finished_at": "2026-01-01T00:00:10Z", "complete": True,
           "scenario_file": "p2p.yaml", "overrides": [], "scenario": scn, "world_size": 3,
           "hosts": ["h"], "ranks": [], "summary": summary}
    json.dump(run, open(os.path.join(d, "run.json"), "w"), indent=2)
    with open(os.path.join(d, "timeseries.csv"), "w") as f:
        f.write(",".join(cols) + "\n")
        for i in range(1, ROWS + 1):
            v = {"t_s": f"{i * 0.5:.3f}", "online": str(min(100, i * 10)),
                 "lag_p99_ms": "1.500", "server_load": "0.500", "login_attempts": "7",
                 "login_ok": "5"}
            f.write(",".join(v.get(c, "1") for c in cols) + "\n")
    return d


def flat(text):
    return text.replace("\n" + " " * 17, " ")  # wrapped values back on one line


dht = [make_dht("arch/dht0", 1), make_dht("arch/dht1", 2)]
p2p = [make_p2p("arch/p2p0", 1), make_p2p("arch/p2p1", 2)]
dht_login = make_dht("dht-login", 3, login=True)

# ---- summary ----
p = rtlib.tool(a, "summary", dht[0])
out = flat(p.stdout)
check(p.returncode == 0, "summary of a dht run exits 0")
check(all(len(ln) <= 80 for ln in p.stdout.splitlines() if not ln.startswith("results ")),
      f"summary of a dht run fits 80 columns ({p.stdout})")
check("nodes            102 (100 peers, 2 bootstrap nodes)\n" in out,
      "nodes: the bootstrap nodes counted and named, no login servers or supernodes")
check("login            none (trackerless DHT: dht.login is false)\n" in out,
      "a trackerless DHT: one line says there is no login")
for gone in ("login attempts", "amplification", "peak login rate", "login capacity"):
    check(gone not in out, f"a trackerless DHT: no {gone!r} line of zeros")
check("peak server load 60.0% (bootstrap nodes, busiest interval; 100% = saturated)" in out,
      "peak server load: the bootstrap nodes'")
# found 152 = 8 x 19; not found 10; failed 1; timed out 4; gave up 1; sent 167
# found share 152 / (152 + 10 + 1 + 4) = 91.0%; latency p50: 5 ms carries 117
# of the 162 answered lookups; p99 and hops p99: row 18's.
lk = ("lookups          167 sent (retries included): 152 found, 10 not found, 1 failed "
      "(nobody answered), 4 timed out, 1 gave up; 91.0% found (of those that ended); "
      "latency p50 5.00 ms, p99 400 ms, hops p50 2, p99 5 (p50: the median of the intervals' "
      "p50s weighted by their answered lookups; p99: the worst interval's)\n")
check(lk in out, f"the lookups line ({lk!r} in {out!r})")
check("bootstrap        44 requests, 32 served, 12 refused (peak 12.0/s in the interval ending "
      "at 1.50 s)\n" in out, "the bootstrap line: totals and the peak refused per second")
check("routing tables   20.0 live contacts per node at the end; dead share 5.0% at the end, "
      "peak 12.0% at 6.00 s (entries with an unanswered query)\n" in out,
      "the routing tables line: live contacts and dead share at the end, the peak and its time")
check("join latency" not in out and "register latency" not in out,
      "no latency line without summary.figures")

p = rtlib.tool(a, "summary", dht_login)
out = flat(p.stdout)
check(p.returncode == 0 and "nodes            103 (100 peers, 1 login server, 2 bootstrap "
      "nodes)" in out, "a dht run with login: its login server counted")
check("login attempts   120 (ok 100" in out and "login capacity   800/s" in out and
      "trackerless" not in out, "a dht run with login: the login lines as for other runs")
check("lookups          167 sent" in out, "a dht run with login: the lookups line too")

p = rtlib.tool(a, "summary", p2p[0])
check(p.returncode == 0 and not any(w in p.stdout for w in ("lookups", "bootstrap",
                                                             "routing tables", "trackerless")),
      "a supernode run: no dht lines")

# ---- compare ----
p = rtlib.tool(a, "compare", *p2p, *dht)
out = p.stdout
check(p.returncode == 0 and "  #3   dht0   synthetic-dht   seed 1   dht         group B" in out
      and "  #1   p2p0   synthetic-dht   seed 1   supernode   group A" in out,
      f"compare: dht in the run list ({out[:700]})")
check("  B   n=2   runs #3 #4   architecture=dht" in out,
      "compare: the dht group labelled by its architecture, its dht section implied")
rows = {ln.split("  ")[0]: ln for ln in out.splitlines()}
r = rows.get("lookups found", "").split()
check(r[2:] == ["-", "91.0%"], f"compare: lookups found per group, '-' for P2P ({r})")
r = rows.get("login attempts", "").split()
check(r[2:] == ["150", "-"], f"compare: login attempts '-' for the trackerless DHT ({r})")
r = rows.get("bootstrap refused", "").split()
check(r[2:] == ["-", "12"], f"compare: bootstrap refused ({r})")
p = rtlib.tool(a, "compare", "--json", *p2p, *dht)
j = json.loads(p.stdout) if p.returncode == 0 else {"runs": [], "groups": []}
check([x.get("architecture") for x in j["runs"]] == ["supernode", "supernode", "dht", "dht"],
      "compare --json: each run's architecture")
check([g.get("architecture") for g in j["groups"]] == ["supernode", "dht"],
      "compare --json: each group's architecture")
v = [x["figures"].get("lookup_found_pct", {}).get("value") for x in j["runs"]]
check(v[:2] == [None, None] and all(abs(x - 100 * 152 / 167) < 1e-9 for x in v[2:]),
      f"compare --json: lookup_found_pct ({v})")
v = [x["figures"].get("login_attempts", {}).get("value") for x in j["runs"]]
check(v == [150, 150, None, None], f"compare --json: no login figures for a trackerless DHT ({v})")

# ---- report ----
html_path = os.path.join(D, "arch.html")
p = rtlib.tool(a, "report", "-o", html_path, *p2p, *dht)
html = open(html_path).read() if p.returncode == 0 else ""
ids = re.findall(r'<svg class="chart" id="([^"]+)"', html)
check(ids[:1] == ["online_arch"] and "logins" in ids and "sn_count" in ids,
      f"report of P2P and dht runs: the architecture chart first, the login charts ({ids})")
arch_svg = html.split('id="online_arch"', 1)[-1].split("</svg>", 1)[0]
titles = re.findall(r'<path class="series"[^>]*><title>([^<]*)</title>', arch_svg)
check(titles == ["supernode: #1 p2p0", "supernode: #2 p2p1", "dht: #3 dht0", "dht: #4 dht1"],
      f"report: the dht runs in 'Peers online by architecture' ({titles})")
logins_svg = html.split('id="logins"', 1)[-1].split("</svg>", 1)[0]
check("dht0" not in logins_svg and "p2p0" in logins_svg,
      "report: no login series nor login capacity for a trackerless DHT")
card = [i for i in ids if i.startswith("dht")]
check(card == [f"dht{n}_{w}" for n in (3, 4) for w in ("lookups", "found", "contacts", "dead")],
      f"report: a DHT card per dht run: lookups/s, found share, live contacts, dead share ({card})")
check('id="fig-dht3"' in html and "DHT of run #3 dht0" in html, "report: the card's title")
lk_svg = html.split('id="dht3_lookups"', 1)[-1].split("</svg>", 1)[0]
check(re.findall(r"<title>([^<]*)</title>", lk_svg) ==
      ["found/s", "not found/s", "failed + timed out/s"],
      "report: lookups per second by outcome")
found_svg = html.split('id="dht3_found"', 1)[-1].split("</svg>", 1)[0]
check(">100</text>" in found_svg, "report: the found share on a 0-100% axis")

p = rtlib.tool(a, "report", "-o", os.path.join(D, "dht.html"), *dht)
html = open(os.path.join(D, "dht.html")).read() if p.returncode == 0 else ""
ids = re.findall(r'<svg class="chart" id="([^"]+)"', html)
check(p.returncode == 0 and not {"logins", "ls_queue", "retries", "sn_count",
                                 "online_arch"} & set(ids),
      f"report of trackerless dht runs: no login, supernode or architecture charts ({ids})")
check(ids == ["online", "server_load", "lag", "time_to_online", "skew"] +
      [f"dht{n}_{w}" for n in (1, 2) for w in ("lookups", "found", "contacts", "dead")],
      f"report of dht runs: the common charts and a DHT card each ({ids})")
cards = re.findall(r'<div class="k">([^<]*)</div>', html)
check("dht lookups found" in cards and "amplification" not in cards and
      "mean login capacity" not in cards, f"report: the headline cards of a dht scenario ({cards})")
p = rtlib.tool(a, "report", "-o", os.path.join(D, "dht-login.html"), dht_login)
html = open(os.path.join(D, "dht-login.html")).read() if p.returncode == 0 else ""
ids = re.findall(r'<svg class="chart" id="([^"]+)"', html)
check("logins" in ids and "dht1_lookups" in ids, "report of a dht run with login: the login charts")
check.done()
