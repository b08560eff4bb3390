#!/usr/bin/env python3
"""Smoke test of the benchmarks in bench/: each one runs at a tiny size, exits 0
and prints its figure lines, so that they keep working. No timing assertion:
timing stays in the benchmarks, which report and never fail on a slow machine.

Usage: test_bench_smoke.py --build BUILD_DIR --source SOURCE_DIR --work WORK_DIR
(the binaries are BUILD_DIR/bin/bootstorm and bootstorm-limits). Runs in about
two and a half minutes on 2 idle cores.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--build", required=True, help="the build directory (binaries in its bin/)")
ap.add_argument("--source", required=True, help="the source tree (bench/ in it)")
ap.add_argument("--work", required=True, help="a scratch directory, emptied first")
a = ap.parse_args()
shutil.rmtree(a.work, ignore_errors=True)
os.makedirs(a.work)
bin_dir = os.path.join(os.path.abspath(a.build), "bin")
bench = os.path.join(os.path.abspath(a.source), "bench")

env = dict(os.environ)
# An ASan build under MPI: Open MPI's unloaded components leak (docs); ranks
# started by mpirun on this machine inherit this.
env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
# scripts/mpirun-local runs this bootstorm (for a benchmark not given --bin)
env["BOOTSTORM_BIN"] = os.path.join(bin_dir, "bootstorm")
failures = []
walls = {}


def run(name, cmd, expect, status=0, timeout=240):
    """Run cmd; check its exit status and that every string of expect is in
    its output. Returns the output."""
    print(f"$ {' '.join(cmd)}", flush=True)
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        failures.append(f"{name}: no answer in {timeout} s")
        print((e.stdout or b"")[-3000:], flush=True)
        return ""
    walls[name] = time.monotonic() - t0
    out = p.stdout + p.stderr
    print(out[-12000:], flush=True)
    if p.returncode != status:
        failures.append(f"{name}: exit status {p.returncode}, expected {status}")
    if "Traceback" in p.stderr:
        failures.append(f"{name}: a Python traceback")
    for s in expect:
        if s not in out:
            failures.append(f"{name}: no line with {s!r} in its output")
    return out


# bench/limits: bootstorm-limits, as text and as JSON
run("limits", [os.path.join(bin_dir, "bootstorm-limits"), "--seconds", "0.2"],
    ["full handshakes", "resumed handshakes"])
out = run("limits --json", [os.path.join(bin_dir, "bootstorm-limits"), "--json", "--seconds", "0.2"],
          ["tls_handshakes_per_s"])
try:
    d = json.loads(out)
    for k in ("tls_handshakes_per_s", "tls_client_cpu_us", "tls_server_cpu_us",
              "tls_resumed_per_s", "tls_resumed_client_cpu_us", "tls_resumed_server_cpu_us",
              "tcp_connect_accept_per_s", "udp_send_recv_per_s"):
        if not d.get(k, 0) > 0:
            failures.append(f"limits --json: {k} is not a positive number: {d.get(k)!r}")
except ValueError:
    failures.append("limits --json: not JSON")

# Bad input: a clear message naming the option, exit 2, no traceback (no run starts)
run("density bad --sizes", [os.path.join(bench, "density"), "--sizes", "10,x"], ["--sizes"], status=2)
run("storm-rate bad --lo/--hi", [os.path.join(bench, "storm-rate"), "--lo", "50", "--hi", "10"],
    ["--lo"], status=2)

# bench/density: three tiny sizes and the fit
run("density --sizes",
    [os.path.join(bench, "density"), "--sizes", "100,200,300", "--rate", "50", "--tail", "8",
     "--limits-seconds", "0.2", "--bin", os.path.join(bin_dir, "bootstorm"),
     "--out", os.path.join(a.work, "density"), "--set", "network.base=127.48.0.1"],
    ["handshake bound", "fit over 3 sizes", "marginal user-space memory per online peer",
     "fixed memory per rank", "between sizes, per added online peer",
     "log-log slope of CPU against peers",
     "log-log slope of RSS against peers", "kernel memory per online peer"])

# bench/storm-rate: a tiny search of 2 trials (and its confirmation)
run("storm-rate",
    [os.path.join(bench, "storm-rate"), "--peers", "200", "--trials", "2", "--confirm", "1",
     "--limits-seconds", "0.2", "--bin", bin_dir, "--out", os.path.join(a.work, "storm-rate"),
     "--set", "network.base=127.47.0.1"],
    ["storm rate:", "logins/s per core", "handshake bound"])

# bench/herd: its smallest herd, one placement
run("herd",
    [os.path.join(bench, "herd"), "--sizes", "10", "--placements", "mixed",
     "--limits-seconds", "0.2", "--bin", bin_dir, "--out", os.path.join(a.work, "herd")],
    ["handshake bound", "largest faithful herd (mixed)"])

# bench/login-cost: the cost per boot, its ratio to a handshake, the bounds;
# the breakdown by phase when perf can record here (scripts/install-deps
# installs linux-perf), else the line that says why there is none
# With --resume, the reboot runs: every peer back online, and the logins of
# the reboots resumed when the session was kept, full when it was lost.
lc_expect = ["per boot", "x one full handshake", "the bounds", "online 200 / 200", "by phase",
             "reboots 200, logins full 200 resumed 200", "reboots 200, logins full 400 resumed 0",
             "per reboot, its login resumed", "per reboot, a full login again", "resuming saves"]
run("login-cost", [os.path.join(bench, "login-cost"), "--smoke", "--resume", "--bin", bin_dir,
                   "--out", os.path.join(a.work, "login-cost")], lc_expect)
run("login-cost bad input", [os.path.join(bench, "login-cost"), "--share", "2"], ["--share"],
    status=2)

print("\nwall time per step (information only): " +
      ", ".join(f"{k} {v:.1f} s" for k, v in walls.items()))
if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("all benchmarks ran and printed their figures")
