"""Interrupted runs keep their results (issue 13).

What Open MPI 4.1's mpirun does, measured (docs/results.md, "Interrupted
runs"): on SIGINT or SIGTERM, and when a rank dies, it sends every rank
SIGCONT, then SIGTERM one second later (odls_base_sigkill_timeout), then
SIGKILL one second after that; it forwards neither SIGINT nor SIGTERM as
such. So the ranks see SIGTERM, and have one second to end the run.

Cases, each a 30 s storm on 3 ranks interrupted after about 5 s:
  sigint    Ctrl-C on mpirun: the run ends through the normal end within
            mpirun's grace, run.json is final (complete: false, the reason,
            a full summary), bootstorm-results says INCOMPLETE
  sigterm   SIGTERM on mpirun: the same
  rank0     SIGINT to rank 0 itself (what Ctrl-C does to a single-process
            run): the reason names SIGINT, no time limit
  kill      SIGKILL of a host rank: Open MPI ends the job; run.json is the
            interim one: complete: false, a reason naming the silent rank,
            the rows-only summary; the directory still loads
  watchdog  a rank stopped during start-up: the others abort, naming the
            phase, instead of hanging (limits scaled down)
"""
import os
import re
import signal
import subprocess
import sys
import time

import bslib

a = bslib.parse_args()
check = bslib.Check()
scenario = os.path.join(a.source, "tests/scenarios/small.yaml")
tool = os.path.join(os.path.dirname(a.bin), "bootstorm-results")


def rank_pids(mpirun_pid):
    """{rank: pid} of mpirun's children (local launch: mpirun forks them)."""
    out = {}
    kids = subprocess.run(["pgrep", "-P", str(mpirun_pid)], capture_output=True, text=True)
    for pid in kids.stdout.split():
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = dict(kv.split(b"=", 1) for kv in f.read().split(b"\0") if b"=" in kv)
        except OSError:
            continue
        if b"OMPI_COMM_WORLD_RANK" in env:
            out[int(env[b"OMPI_COMM_WORLD_RANK"])] = int(pid)
    return out


def wait_for(path, proc, timeout):
    t = time.monotonic()
    while not os.path.exists(path):
        if proc.poll() is not None or time.monotonic() - t > timeout:
            return False
        time.sleep(0.02)
    return True


def start(name, base, extra_env=None, mpi_extra=()):
    out = os.path.join(a.work, name)
    args = ["run", scenario, "--out", out, "--quiet", "--set", "duration=30s",
            "--set", "network.base=" + base]
    cmd = bslib.mpirun_cmd(3, a.bin, args)
    cmd[1:1] = list(mpi_extra)
    env = bslib.env()
    env.update(extra_env or {})
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p, out


def finish(p, timeout):
    """Wait for mpirun; returns (rc, stdout, stderr, seconds)."""
    t = time.monotonic()
    try:
        o, e = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        o, e = p.communicate()
    dt = time.monotonic() - t
    print(o[-3000:])
    print(e[-3000:], file=sys.stderr)
    return p.returncode, o, e, dt


def interrupt_after_start(name, base, send):
    """Start a run, wait until its loop has run ~5 s, call send(p)."""
    p, out = start(name, base)
    if not check(wait_for(os.path.join(out, "run.json"), p, 120), f"{name}: the run started"):
        finish(p, 10)
        return None, out
    time.sleep(5)
    send(p)
    return p, out


def summary_cli(out, name, reason_re):
    r = subprocess.run([tool, "summary", out], capture_output=True, text=True, env=bslib.env())
    print(r.stdout)
    print(r.stderr, file=sys.stderr)
    check(r.returncode == 0, f"{name}: bootstorm-results summary reads the directory")
    check(" INCOMPLETE ==" in r.stdout, f"{name}: the summary's header says INCOMPLETE")
    check(re.search(r"^INCOMPLETE: " + reason_re, r.stdout, re.M) is not None,
          f"{name}: a line 'INCOMPLETE: <reason>'")
    return r.stdout


def totals_match(out, run, name):
    rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
    check(len(rows) > 0, f"{name}: timeseries.csv has the rows written so far ({len(rows)})")
    s = run["summary"]
    for c in ["login_attempts", "login_ok", "boots"]:
        total = sum(int(r[c]) for r in rows)
        check(total == s[c], f"{name}: summary {c} = the sum of its rows ({s[c]} vs {total})")


def check_final(name, out, rc, dt, reason_re):
    """mpirun ended in time, and run.json is the final one of an interrupted run."""
    check(rc != 0, f"{name}: mpirun exits non-zero ({rc})")
    check(dt < 15, f"{name}: mpirun exits within 15 s of the signal ({dt:.1f} s)")
    run = bslib.load_run(out)
    check(run["complete"] is False, f"{name}: complete is false")
    check(re.match(reason_re, run.get("reason") or "") is not None,
          f"{name}: reason {run.get('reason')!r} matches {reason_re!r}")
    check(run["summary"] is not None, f"{name}: the summary is there")
    check(run["finished_at"] is not None and "ranks" in run,
          f"{name}: the final run.json, after the final gathers (within mpirun's grace)")
    check(not run["summary"].get("rows_only", False), f"{name}: a full summary, not rows only")
    check(os.path.exists(os.path.join(out, "histograms.json")), f"{name}: histograms.json written")
    check(run["summary"]["fidelity"]["valid"] is False, f"{name}: an incomplete run is not valid")
    rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
    check(0 < len(rows) < 60, f"{name}: the rows stop early ({len(rows)} of 60)")
    check(run["summary"]["recovered"] is None,
          f"{name}: no recovery verdict for a reboot that never fired")
    totals_match(out, run, name)
    return run


# ---- Ctrl-C on mpirun ----
p, out = interrupt_after_start("sigint", "127.60.0.1", lambda p: p.send_signal(signal.SIGINT))
if p:
    rc, o, e, dt = finish(p, 60)
    check_final("sigint", out, rc, dt, r"interrupted by SIGTERM at \d+\.\d s$")
    check("INCOMPLETE" in o, "sigint: the run's own summary (stdout) says INCOMPLETE")
    check("ending the run early" in e, "sigint: rank 0 says on stderr that it ends the run early")
    summary_cli(out, "sigint", r"interrupted by SIGTERM")

# ---- SIGTERM on mpirun ----
p, out = interrupt_after_start("sigterm", "127.61.0.1", lambda p: p.send_signal(signal.SIGTERM))
if p:
    rc, o, e, dt = finish(p, 60)
    check_final("sigterm", out, rc, dt, r"interrupted by SIGTERM at \d+\.\d s$")

# ---- SIGINT to rank 0 itself ----
p, out = interrupt_after_start("rank0", "127.62.0.1",
                               lambda p: os.kill(rank_pids(p.pid)[0], signal.SIGINT))
if p:
    rc, o, e, dt = finish(p, 60)
    run = check_final("rank0", out, rc, dt, r"interrupted by SIGINT at \d+\.\d s$")
    summary_cli(out, "rank0", r"interrupted by SIGINT")

# ---- a host rank killed ----
p, out = interrupt_after_start("kill", "127.63.0.1",
                               lambda p: os.kill(rank_pids(p.pid)[2], signal.SIGKILL))
if p:
    rc, o, e, dt = finish(p, 60)
    check(rc != 0, f"kill: mpirun exits non-zero ({rc})")
    check(dt < 15, f"kill: mpirun exits within 15 s ({dt:.1f} s)")
    run = bslib.load_run(out)
    check(run["complete"] is False, "kill: complete is false")
    reason = run.get("reason") or ""
    check(re.match(r"interrupted by SIGTERM at \d+\.\d s; rank 2 silent since \d+\.\d s", reason)
          is not None, f"kill: the reason names the signal and the silent rank ({reason!r})")
    check(run["finished_at"] is None, "kill: the interim run.json (no final gathers)")
    s = run["summary"]
    check(s is not None and s.get("rows_only") is True, "kill: a rows-only summary")
    check(s["t50_s"] is None and "ever_online" not in s,
          "kill: no per-peer figure in a rows-only summary")
    totals_match(out, run, "kill")
    text = summary_cli(out, "kill", r"interrupted by SIGTERM at \d+\.\d s; rank 2 silent")
    check("time to online   n/a" in text, "kill: time to online is n/a, not 'never'")

# ---- the watchdog ----
p, out = start("watchdog", "127.64.0.1", {"BOOTSTORM_WATCHDOG_SCALE": "0.02"},
               ["-x", "BOOTSTORM_WATCHDOG_SCALE"])
if check(wait_for(os.path.join(out, "placement.csv"), p, 120), "watchdog: the keys were made"):
    os.kill(rank_pids(p.pid)[2], signal.SIGSTOP)  # mpirun's kill sequence starts with SIGCONT
rc, o, e, dt = finish(p, 120)
check(rc != 0, f"watchdog: mpirun exits non-zero ({rc})")
m = re.search(r"bootstorm: rank [01]: (.+) did not finish in (\d+) s; aborting", e)
check(m is not None, "watchdog: a waiting rank names the phase and aborts")
check(dt < 60, f"watchdog: within a minute ({dt:.1f} s)")

check.done()
