"""Helpers for the results tool's tests (stdlib only)."""
import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import bslib  # noqa: E402  (Check, env)

Check = bslib.Check
# The fixture's runs: two seeds of one scenario, made by scripts/sweep.
RUN_DIRS = ["seed=1", "seed=2"]


def parse_args(subdir):
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    a.work = os.path.abspath(a.work)
    a.dir = os.path.join(a.work, subdir)
    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir)
    a.sweep = os.path.join(a.work, "runs", "sweep")
    a.dht_sweep = os.path.join(a.work, "runs", "dht-sweep")  # one dht run: seed=1
    return a


def tool(a, *args, timeout=60):
    """Run bootstorm-results with LeakSanitizer on (no MPI involved)."""
    cmd = [a.tool] + [str(x) for x in args]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, env=bslib.env(leaks=True), capture_output=True, text=True,
                       timeout=timeout)
    if p.stderr:
        print(p.stderr[-3000:], file=sys.stderr)
    if "LeakSanitizer" in p.stderr or "AddressSanitizer" in p.stderr:
        print("FAIL sanitizer report above", flush=True)
        sys.exit(1)
    return p


def fixture_runs(a, check):
    runs = [os.path.join(a.sweep, d) for d in RUN_DIRS]
    ok = all(os.path.exists(os.path.join(r, "run.json")) for r in runs)
    if not check(ok, "the fixture runs exist (test results.runs)"):
        check.done()
    return runs


def load_json(path):
    with open(path) as f:
        return json.load(f)


def sig3(x):
    """The tool's 3-significant-digit rendering (fmt_sig)."""
    import math
    if x == 0:
        return "0"
    dec = max(0, 2 - int(math.floor(math.log10(abs(x)))))
    s = f"{x:.{dec}f}"
    if len(s.replace("-", "").replace(".", "").lstrip("0")) > 3 and dec > 0:
        s = f"{x:.{dec - 1}f}"
    return s
