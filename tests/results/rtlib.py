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
    a.settop_sweep = os.path.join(a.work, "runs", "settop-sweep")  # one settop run: seed=1
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


# The tool's units (results/fmt.c), exactly, for lines built from run.json.
def fmt_sig(v, sig=3):
    """fmt_sig: sig significant digits, trailing zeros kept; a rounding that
    carries into a new digit (9.996 -> 10.0) keeps sig digits."""
    import math
    if v == 0:
        return "0"
    mag = math.floor(math.log10(abs(v)))
    dec = max(0, sig - 1 - mag)
    x = v * float(10 ** dec)
    r = math.copysign(math.floor(abs(x) + 0.5), x) / float(10 ** dec)  # C round()
    if r != 0 and math.floor(math.log10(abs(r))) > mag and dec > 0:
        dec -= 1
    s = f"{v:.{dec}f}"
    return "0" if s == "-0" else s


def _si(v, suffix=""):
    pre = ["", "k", "M", "G", "T", "P"]
    i = 0
    while abs(v) >= 999.5 and i < 5:
        v /= 1000
        i += 1
    return fmt_sig(v) + pre[i] + suffix


def fmt_count(v):
    """UNIT_COUNT: 4,157 or 123k."""
    if abs(v) >= 99999.5:
        return _si(v)
    return f"{v:,.{0 if v == int(v) else 1}f}"


def fmt_seconds(s):
    a = abs(s)
    if a == 0:
        return "0 s"
    if a < 1e-3:
        return fmt_sig(s * 1e6) + " µs"
    if a < 0.9995:
        return fmt_sig(s * 1e3) + " ms"
    if a < 599.5:
        return fmt_sig(s) + " s"
    if a < 3 * 3600:
        return fmt_sig(s / 60) + " min"
    return fmt_sig(s / 3600) + " h"


def fmt_bytes(v):
    pre = ["B", "KiB", "MiB", "GiB", "TiB"]
    i = 0
    while abs(v) >= 1023.5 and i < 4:
        v /= 1024
        i += 1
    return (f"{v:.0f}" if i == 0 else fmt_sig(v)) + " " + pre[i]


def fmt_mbps(v):
    a = abs(v)
    if a != 0 and a < 0.9995:
        return fmt_sig(v * 1e3) + " kbit/s"
    if a >= 999.5:
        return fmt_sig(v * 1e-3) + " Gbit/s"
    return fmt_sig(v) + " Mbit/s"


def fmt_pct(v):
    """UNIT_PERCENT: v already in percent."""
    return f"{v:.1f}%"
