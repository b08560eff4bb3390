"""bootstorm run --metrics-listen (docs/metrics.md): the coordinator's live
metrics over HTTP during a real run under mpirun.

Bad addresses are refused with a message naming the option (exit 2, nothing
started), and so is an address in use, alone and under mpirun. Then a 10 s
run of the small scenario with --metrics-listen on a free port of 127.0.0.1,
scraped in a loop in both formats while a client that never finishes its
request holds a connection open. Each scrape is checked against what the
run wrote: its counters are exactly the sums of timeseries.csv's columns up
to the interval it names, its gauges that row's, and every one of them is
<= run.json's final total. The scrapes grow (logins, intervals), both
bodies pass promtool as each format should (see tests/results/omcheck.py),
the OpenMetrics one the strict reader too, /other is 404, and the port is
closed once the run has ended. No assertion depends on timing: the loop
scrapes until the run ends, however slow the machine.
"""
import http.client
import os
import socket
import subprocess
import sys
import time

import bslib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "results"))
import omcheck  # noqa: E402

a = bslib.parse_args()
check = bslib.Check()
B = a.bin
W = a.work
small = os.path.join(a.source, "tests", "scenarios", "small.yaml")
OM_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
             "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")  # Prometheus 2.x
COUNTERS, GAUGES = omcheck.table_names(a.source)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path="/metrics", accept=None, timeout=120):
    """(status, content type, body) of one GET; None when nothing listens."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Accept": accept} if accept else {})
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode("utf-8")
    except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected,
            BrokenPipeError):
        return None
    finally:
        c.close()


# ---- bad input: refused before anything runs ----
bad = ["localhost:9464", "127.0.0.1", "127.0.0.1:", ":9464", "127.0.0.1:0", "127.0.0.1:65536",
       "256.0.0.1:9464", "1.2.3:9464", "1.2.3.4.5:9464", "127.0.0.01:9464", "127.0.0.1:9464x",
       " 127.0.0.1:9464", "127.0.0.1:+9464", "[::1]:9464", "::1:9464", "0x7f.0.0.1:9464", ""]
for i, arg in enumerate(bad):
    out = os.path.join(W, f"bad{i}")
    p = bslib.run([B, "run", small, "--metrics-listen", arg, "--out", out], 60, leaks=True)
    msg = p.stderr.strip().splitlines()[0] if p.stderr.strip() else ""
    check(p.returncode == 2 and msg.startswith("bootstorm: --metrics-listen: ")
          and f"'{arg}'" in msg and not os.path.exists(out),
          f"--metrics-listen {arg!r}: exit 2, '{msg}', nothing started")
p = bslib.run([B, "run", small, "--metrics-listen"], 60, leaks=True)
check(p.returncode == 2 and "--metrics-listen needs a value" in p.stderr,
      "--metrics-listen without a value: exit 2")
p = bslib.run([B, "check", small, "--metrics-listen", "127.0.0.1:9464"], 60, leaks=True)
check(p.returncode == 2 and "--metrics-listen is an option of run" in p.stderr,
      "check refuses --metrics-listen")
p = bslib.run([B, "--help"], 30, leaks=True)
check(p.returncode == 0 and "--metrics-listen IPV4:PORT" in p.stdout, "--help names the option")

# ---- an address in use: refused before anything runs, alone and under mpirun ----
holder = socket.socket()
holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
holder.bind(("127.0.0.1", 0))
holder.listen(1)
busy = holder.getsockname()[1]
want = f"bootstorm: --metrics-listen 127.0.0.1:{busy}: cannot listen there: Address already in use"
out = os.path.join(W, "inuse")
p = bslib.run([B, "run", small, "--metrics-listen", f"127.0.0.1:{busy}", "--out", out], 120)
check(p.returncode == 2 and want in p.stderr and not os.path.exists(out),
      "a port in use: exit 2, the option and the reason named, no results directory")
p = bslib.run(bslib.mpirun_cmd(3, B, ["run", small, "--metrics-listen", f"127.0.0.1:{busy}",
                                      "--out", out]), 180)
check(p.returncode == 2 and p.stderr.count(want) == 1 and not os.path.exists(out),
      "under mpirun -np 3 too: exit 2, said once (by rank 0), nothing started")
p = bslib.run([B, "run", small, "--metrics-listen", "192.0.2.1:9464", "--out", out], 120)
check(p.returncode == 2 and "--metrics-listen 192.0.2.1:9464: cannot listen there: Cannot assign"
      in p.stderr and not os.path.exists(out), "an address not of this machine: exit 2")
holder.close()

# ---- a real run, scraped while it goes ----
out = os.path.join(W, "run")
port = free_port()
args = ["run", small, "--out", out, "--quiet", "--metrics-listen", f"127.0.0.1:{port}",
        "--set", "duration=10s", "--set", "events.0.boot.over=4s", "--set", "events.1.at=5s",
        "--set", "network.base=127.97.0.1"]
cmd = bslib.mpirun_cmd(3, B, args)
print("$ " + " ".join(cmd), flush=True)
started = time.monotonic()
proc = subprocess.Popen(cmd, env=bslib.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True)
# A client that sends half a request and then nothing, for the whole run:
# the coordinator must not wait for it.
stalled = None
scrapes = []  # (status, content type, body) per format, in order
not_found = None
while proc.poll() is None:
    if stalled is None:
        try:
            stalled = socket.create_connection(("127.0.0.1", port), timeout=5)
            stalled.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # no blank line: unfinished
        except OSError:
            stalled = None
    om = get(port, accept=OM_ACCEPT)
    prom = get(port)
    if om and prom:
        scrapes.append((om, prom))
    if not_found is None and om:
        not_found = get(port, "/other")
    time.sleep(0.2)
stdout, stderr = proc.communicate()
print(stdout[-3000:])
print(stderr[-3000:], file=sys.stderr)
print(f"run and scrapes: {time.monotonic() - started:.1f} s, {len(scrapes)} scrape pairs")
check(proc.returncode == 0, f"the run completes (exit {proc.returncode})")
check(stalled is not None, "a stalled client held a connection during the run")
check(get(port, timeout=10) is None, "after the run nothing listens on the port any more")
check(not_found is not None and not_found[0] == 404, "GET /other: 404")

run = bslib.load_run(out)
rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
total = run["summary"]
label = {"run": "run", "scenario": "small"}
fam_c = {omcheck.family_of(n)[0]: (n, omcheck.family_of(n)[1]) for n in COUNTERS}
fam_g = {omcheck.family_of(n)[0]: (n, omcheck.family_of(n)[1]) for n in GAUGES}


def value(fams, name, **extra):
    want_labels = dict(label, **extra)
    for f in fams:
        for sname, labels, v in f.samples:
            if sname == name and labels == want_labels:
                return v
    return None


def close(x, y):
    return x is not None and y is not None and abs(x - y) <= 1e-9 * max(1.0, abs(y))


ok_types = ok_om = ok_prom = ok_same = ok_exact = ok_final = ok_mono = ok_labels = True
seen = []  # (interval, login_attempts_total) per OpenMetrics scrape
same_pairs = 0
prev = None
first_problem = []
for (om, prom) in scrapes:
    ok_types &= (om[0] == 200 and om[1] == "application/openmetrics-text; version=1.0.0; "
                 "charset=utf-8" and prom[0] == 200
                 and prom[1] == "text/plain; version=0.0.4; charset=utf-8")
    fams, errors = omcheck.parse_openmetrics(om[2])
    pfams, perrors = omcheck.parse_prometheus(prom[2])
    if errors or perrors:
        first_problem.append((errors + perrors)[:5])
    ok_om &= not errors and om[2].endswith("\n# EOF\n") and om[2].count("# EOF") == 1
    ok_prom &= not perrors and "# EOF" not in prom[2]
    k = value(fams, "bootstorm_run_interval")
    kp = value(pfams, "bootstorm_run_interval")
    # the same samples in both formats (their values when of one interval)
    s_om, s_prom = omcheck.samples(fams), omcheck.samples(pfams)
    if k == kp:  # of one interval: the same samples and values, but the run clock's
        same_pairs += 1
        ok_same &= s_om.keys() == s_prom.keys() and all(s_om[x] == s_prom[x] or (s_om[x] != s_om[x] and s_prom[x] != s_prom[x])
                       for x in s_om if x[0] != "bootstorm_run_elapsed_seconds")
    ok_labels &= all(dict(x[1]).get("run") == "run" and dict(x[1]).get("scenario") == "small"
                     for x in s_om)
    counters = {f.name: f for f in fams if f.type == "counter"}
    now = {}
    ok_labels &= set(counters) == set(fam_c) and len(counters) == len(COUNTERS)
    k = int(k)
    seen.append((k, value(fams, "bootstorm_login_attempts_total")))
    # exact: the sums of the first k rows, the gauges of row k
    for fam, (col, scale) in fam_c.items():
        v = value(fams, fam + "_total")
        want = sum(int(r[col]) for r in rows[:k]) * scale
        if not close(v, want):
            ok_exact = False
            first_problem.append(f"interval {k}: {fam}_total {v} != {want}")
        if v is None or v > total[col] * scale + 1e-9:
            ok_final = False
            first_problem.append(f"{fam}_total {v} > run.json {total[col]}")
        if v is not None and prev is not None and v < prev.get(fam, 0):
            ok_mono = False
        now[fam] = v if v is not None else 0
    if k >= 1:
        r = rows[k - 1]
        for fam, (col, scale) in fam_g.items():
            if not close(value(fams, fam), int(r[col]) * scale):
                ok_exact = False
                first_problem.append(f"interval {k}: {fam} {value(fams, fam)} != {r[col]}")
        ok_exact &= close(value(fams, "bootstorm_run_seconds"), float(r["t_s"]))
        ok_exact &= close(value(fams, "bootstorm_run_ranks"), float(r["ranks"]))
        login = [f for f in fams if f.name == "bootstorm_login_latency_seconds"]
        ok_exact &= bool(login) and len(login[0].samples) == 5
    ok_exact &= value(fams, "bootstorm_run_peers") == 500
    ok_exact &= value(fams, "bootstorm_run_intervals_planned") == len(rows)
    ok_exact &= value(fams, "bootstorm_run_complete") == 0
    prev = now
print("problems (first ones):", first_problem[:5])
check(len(scrapes) >= 2, f"scraped during the run ({len(scrapes)} times in each format)")
check(ok_types, "content types: OpenMetrics 1.0.0 for Prometheus' Accept, text 0.0.4 without")
check(ok_om, "every OpenMetrics body is valid (strict reader) and ends in one # EOF")
check(ok_prom, "every classic body parses, without # EOF")
check(ok_same and same_pairs > 0, f"both formats carry the same samples and values "
      f"({same_pairs} pairs of one interval)")
check(ok_labels, "every sample is labelled run=\"run\", scenario=\"small\"; one counter "
      f"family per counter of common/metrics.h ({len(COUNTERS)})")
check(ok_exact, "each scrape's counters are timeseries.csv's sums up to its interval, its "
      "gauges that row's (and t_s, ranks, peers, the plan)")
check(ok_final, "every counter in every scrape is <= run.json's final total")
check(ok_mono, "counters never go down from one scrape to the next")
grew = [(x, y) for x in seen for y in seen if x[0] >= 1 and y[0] > x[0] and y[1] > x[1]]
check(bool(grew), "logins grew between two scrapes of different intervals "
      f"({grew[0] if grew else seen})")
if scrapes:
    om, prom = scrapes[-1]
    fams, _ = omcheck.parse_openmetrics(om[2])
    rc, said = omcheck.promtool(prom[2])
    check(rc == 0 and said == [], f"promtool check metrics on the classic body: exit 0, "
          f"nothing said ({rc}, {said[:3]})")
    rc, said = omcheck.promtool(om[2])
    check(rc == 3 and sorted(said) == omcheck.expected_promtool_om(fams),
          f"promtool on the OpenMetrics body: exit 3 with only the {len(COUNTERS)} "
          f"'X_total no help text' of its classic reading ({rc}, "
          f"{[x for x in said if x not in omcheck.expected_promtool_om(fams)][:3]})")
    rc, said = omcheck.promtool(prom[2] + "bootstorm_sn_count 1\n")
    check(rc == 3 and any("_count" in x for x in said),
          "promtool does complain about a bad metric (the check can fail)")
if stalled is not None:
    stalled.close()
check.done()
