"""Shared helpers for bootstorm's integration tests (stdlib only)."""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    return a


def env(leaks=False):
    """Environment for bootstorm: Open MPI as root, and LeakSanitizer off
    when MPI is involved (Open MPI's unloaded components leak; see docs)."""
    e = dict(os.environ)
    if os.geteuid() == 0:
        e["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        e["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    opts = e.get("ASAN_OPTIONS", "")
    if not leaks:
        opts = (opts + ":" if opts else "") + "detect_leaks=0"
    e["ASAN_OPTIONS"] = opts
    return e


def mpirun_cmd(np, binary, args):
    return ["mpirun", "-np", str(np), "--oversubscribe", "--bind-to", "none",
            "--mca", "btl", "self,vader,tcp", "--mca", "btl_tcp_if_include", "lo",
            "--mca", "oob_tcp_if_include", "lo", "-x", "ASAN_OPTIONS",
            binary] + list(args)


def run(cmd, timeout, leaks=False):
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, env=env(leaks), capture_output=True, text=True, timeout=timeout)
    if p.stdout:
        print(p.stdout[-4000:])
    if p.stderr:
        print(p.stderr[-4000:], file=sys.stderr)
    return p


def load_run(out):
    with open(os.path.join(out, "run.json")) as f:
        return json.load(f)


def load_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class Check:
    """Collects failed assertions so one run reports every problem."""

    def __init__(self):
        self.failed = []

    def __call__(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failed.append(what)
        return cond

    def done(self):
        # The failures again at the end, where a truncated log still shows them.
        if self.failed:
            print(f"{len(self.failed)} check(s) failed:")
            for what in self.failed:
                print("FAIL " + what)
            sys.exit(1)
        print("all checks passed")
