"""scripts/capacity-needed without MPI: its command-line checks (exit 2 and a
clear message, before anything runs), --dry-run's plan, and the search itself
with a stand-in for mpirun that writes a synthetic run per value (recovered
or not by the value), read back through bootstorm-results."""
import os
import stat
import subprocess
import sys

import rtlib

a = rtlib.parse_args("capacity")
check = rtlib.Check()
D = a.dir
SCRIPT = os.path.join(a.source, "scripts", "capacity-needed")
scn = os.path.join(a.source, "tests", "scenarios", "small.yaml")
KEY = "central.datacenters.0.servers"


def cap(*args, env=None):
    cmd = [sys.executable, SCRIPT] + [str(x) for x in args]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    print(p.stdout[-3000:])
    if p.stderr:
        print(p.stderr[-3000:], file=sys.stderr)
    return p


# ---- --help and the command line ----
os.makedirs(os.path.join(D, "used"))
open(os.path.join(D, "used", "run.json"), "w").close()
p = cap("--help")
check(p.returncode == 0 and "--values" in p.stdout and "--within" in p.stdout,
      "--help lists the options")
flat = " ".join(p.stdout.split())
check("stops at the first value that passes" in flat and "--all" in flat,
      "--help says the search stops at the first value that passes")

bad = [
    ([scn, "--values", "2,4"], "the following arguments are required: --key"),
    ([scn, "--key", KEY], "the following arguments are required: --values"),
    ([scn, "--key", KEY, "--values", "2,,4"], "empty value"),
    ([scn, "--key", KEY, "--values", ""], "empty value"),
    ([scn, "--key", KEY, "--values", "2,many"], "'many' is not a number"),
    ([scn, "--key", KEY, "--values", "2,inf"], "'inf' is not a number"),
    ([scn, "--key", KEY, "--values", "2,4,2.0"], "a value is listed twice"),
    ([scn, "--key", KEY, "--values", "f(1,2"], "unbalanced"),
    ([scn, "--key", "central servers", "--values", "2"], "not a scenario key path"),
    ([scn, "--key", "seed", "--values", "1,2"], "the seed is not a capacity"),
    ([scn, "--key", KEY, "--values", "2", "--set", f"{KEY}=3"], "both --set and --key"),
    ([scn, "--key", KEY, "--values", "2", "--set", "duration"], "expected KEY=VALUE"),
    ([scn, "--key", KEY, "--values", "2", "--within", "soon"], "expected a duration"),
    ([scn, "--key", KEY, "--values", "2", "--within", "0s"], "--within must be more than 0 s"),
    ([scn, "--key", KEY, "--values", "2", "--np", "1"], "--np must be at least 2"),
    ([scn, "--key", KEY, "--values", "2", "--np", "three"], "invalid int value"),
    ([os.path.join(D, "missing.yaml"), "--key", KEY, "--values", "2"], "no such scenario file"),
    ([scn, "--key", KEY, "--values", "2", "--out", os.path.join(D, "used")],
     "exists and is not empty"),
    ([scn, "--key", KEY, "--values", "2", "--bogus"], "unrecognized arguments: --bogus"),
]
for args, msg in bad:
    p = cap(*args)
    check(p.returncode == 2 and msg in p.stderr and "Traceback" not in p.stderr,
          f"{' '.join(args[1:])}: exit 2, {msg!r}")

# ---- --dry-run ----
out = os.path.join(D, "plan")
p = cap(scn, "--key", KEY, "--values", "8,2,4.5", "--np", "4", "--set", "duration=30s",
        "--out", out, "--dry-run")
lines = p.stdout.splitlines()
runs = [ln for ln in lines if "mpirun-local" in ln]
check(p.returncode == 0 and len(runs) == 3, f"dry run: one run per value ({len(runs)})")
check([ln.rsplit("=", 1)[1] for ln in runs] == ["2", "4.5", "8"],
      "the values run in ascending order, as written")
check(all(ln.split(" -- ", 1)[1].startswith(f"run {scn} --out {out}/servers=") and
          "-np 4 --" in ln and "--set duration=30s --set " + KEY in ln for ln in runs),
      "each run: -np, the scenario, a directory named by the value, the common --set first")
check(lines[0].startswith("# 3 runs") and "stopping at the first that recovers within 60.0 s"
      in lines[0], f"the plan says where it stops ({lines[0]!r})")
check(" report " in lines[-1] and "report.html" in lines[-1], "then the report")
check(not os.path.exists(out), "a dry run creates nothing")
p = cap(scn, "--key", KEY, "--values", "1", "--within", "1.5min", "--all", "--dry-run")
check(p.returncode == 0 and "all of them within 90.0 s" in p.stdout, "--within 1.5min, --all")
p = cap(scn, "--key", KEY, "--values", "1", "--within", "500ms", "--dry-run")
check(p.returncode == 0 and "within 500 ms" in p.stdout, "--within 500ms")

# ---- the search, with a stand-in for mpirun ----
# Recovery time by value: 2 never, 3 the run dies, 4 in 90 s, 8 in 30 s, 16
# in 10 s, 32 in 5 s but with an invalid fidelity.
FAKE = r'''#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
out = args[args.index("--out") + 1]
sets = dict(args[i + 1].split("=", 1) for i, x in enumerate(args) if x == "--set")
v = float(sets["KEY"])
if v == 3:
    print("rank 1 died"); sys.exit(1)
rec = {2: None, 4: 90.0, 8: 30.0, 16: 10.0, 32: 5.0}[v]
os.makedirs(out, exist_ok=True)
run = {"format_version": 1, "tool": "bootstorm", "name": "fake", "seed": 1, "complete": True,
       "scenario": {"name": "fake", "duration": "200s", "architecture": "central",
                    "nodes": {"peers": 10, "login_servers": 1}},
       "scale_actions": [],
       "summary": {"peers": 10, "online_final": 10 if rec else 3, "t50_s": 1.0, "t95_s": 2.5,
                   "t99_s": 3.0, "login_attempts": 30, "login_ok": 10, "peak_login_rps": 5.0,
                   "recovered": rec is not None, "recovery_s": rec,
                   "metastable": rec is None, "amplification": {"overall": 3.0, "peak": 9.0},
                   "fidelity": {"valid": v != 32, "lag_p99_ms": 1.0,
                                "reason": None if v != 32 else "timer lag p99 80 ms > 50 ms"}}}
json.dump(run, open(os.path.join(out, "run.json"), "w"))
open(os.path.join(out, "timeseries.csv"), "w").write("t_s,online,server_load\n1.000,10,0.5\n")
'''.replace('"KEY"', repr(KEY))
fakebin = os.path.join(D, "fakebin")
os.makedirs(fakebin)
mp = os.path.join(fakebin, "mpirun")
open(mp, "w").write(FAKE)
os.chmod(mp, os.stat(mp).st_mode | stat.S_IXUSR)
env = rtlib.bslib.env(leaks=True)  # the results tool runs with LeakSanitizer on
env["PATH"] = fakebin + os.pathsep + env["PATH"]
env["BOOTSTORM_RESULTS"] = a.tool


def search(name, values, *more):
    d = os.path.join(D, name)
    return d, cap(scn, "--key", KEY, "--values", values, "--np", "3", "--out", d, *more, env=env)


d, p = search("stop", "16,2,8,4")
check(p.returncode == 0 and f"capacity needed: {KEY}=8 " in p.stdout,
      "the smallest value that recovered within 60 s")
check("[1/4] " + KEY + "=2 ... fail: not recovered" in p.stdout and
      "=4 ... fail: recovered in 90.0 s, more than 60.0 s" in p.stdout and
      "=8 ... PASS: recovered in 30.0 s" in p.stdout, "one progress line per value, with why")
check("=16 ..." not in p.stdout and "not run: 16 (larger; --all runs them too)" in p.stdout,
      "it stops at the first value that passes, and says what it did not run")
row = [ln.split() for ln in p.stdout.splitlines() if ln.startswith("8 ")]
check(row == [["8", "yes", "30.0", "s", "2.50", "s", "3.00×", "no", "PASS"]],
      f"the table: recovered, recovery_s, t95, amplification, metastable ({row})")
hdr = [ln for ln in p.stdout.splitlines() if ln.startswith(KEY)]
check(hdr and hdr[0].split()[:6] == [KEY, "recovered", "recovery_s", "t95", "amplification",
                                     "metastable"], "the table's header")
m = rtlib.load_json(os.path.join(d, "capacity.json"))
check(m["capacity_needed"] == "8" and [r["value"] for r in m["runs"]] == ["2", "4", "8"] and
      m["within_s"] == 60, "capacity.json: the answer and the runs")
check(os.path.exists(os.path.join(d, "report.html")) and
      os.path.exists(os.path.join(d, "logs", "servers=2.log")), "the report and the logs")

d, p = search("all", "2,4,8,16", "--all", "--within", "20s")
check(p.returncode == 0 and f"capacity needed: {KEY}=16 " in p.stdout and "not run" not in p.stdout,
      "--all --within 20s: every value runs, 16 is the first within 20 s")

d, p = search("none", "2,4", "--within", "1min")
check(p.returncode == 1 and f"capacity needed: none of {KEY} = 2, 4 recovered within 60.0 s"
      in p.stdout, "none recovered in time: said so, exit 1")

d, p = search("died", "3,8")
check(p.returncode == 1 and "=3 ... fail: the run failed (exit 1, see " in p.stdout and
      f"capacity needed: {KEY}=8 " in p.stdout and "could not be judged" in p.stdout,
      "a run that dies is named; the answer stands, with a warning, and exit 1")

d, p = search("invalid", "32")
check(p.returncode == 1 and "fail: fidelity not valid: timer lag p99 80 ms > 50 ms" in p.stdout,
      "a run whose fidelity is not valid does not count")
d, p = search("ignored", "32", "--ignore-fidelity")
check(p.returncode == 0 and "PASS: recovered in 5.00 s (fidelity NOT VALID, ignored)" in p.stdout
      and f"capacity needed: {KEY}=32 " in p.stdout,
      "--ignore-fidelity: it counts, and the table says its fidelity was not valid")
check(rtlib.load_json(os.path.join(d, "capacity.json"))["ignore_fidelity"] is True,
      "capacity.json records --ignore-fidelity")
check.done()
