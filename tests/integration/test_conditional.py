"""Conditional events and stop_when under mpirun.

Run 1: a reboot `when: online >= 0.9` is scheduled by the coordinator only
once an aggregated row meets the condition (and `control.lead` ahead), fires
on every node rank at that time; an event whose condition never holds never
fires. Run 2: `stop_when: online >= 0.99` ends a 60 s run within seconds,
with a complete results directory."""
import os
import re

import bslib

a = bslib.parse_args()
check = bslib.Check()

PEERS = 500
INTERVAL = 0.5

# tests/scenarios/small.yaml with a slower storm (90% online after ~3.5 s)
BASE = """name: conditional
seed: 7
duration: DURATION
STOP_WHENnodes:
  peers: PEERS
  login_servers: 2
  supernodes: 10
  bootstrap: 2
login_server:
  workers: 2
  service_time: 5ms
  queue: 50
peer:
  boot_delay: uniform(100ms, 1s)
  login:
    timeout: 5s
    retry: {policy: exponential, base: 200ms, cap: 4s, jitter: full}
  register:
    timeout: 5s
    retry: {policy: exponential, base: 200ms, cap: 4s, jitter: full}
workload:
  keepalive: 2s
metrics:
  interval: 500ms
events:
  - at: 0s
    boot: {fraction: 1.0, over: 4s}
"""

CONDITIONAL = """  - when: "online >= 0.9"
    reboot: {fraction: 0.5, over: 500ms}
  - when: "gave_up >= 0.5"
    reboot: {fraction: 1.0, over: 500ms}
"""


def scenario(name, duration, stop_when="", more=""):
    path = os.path.join(a.work, name + ".yaml")
    text = (BASE.replace("DURATION", duration).replace("STOP_WHEN", stop_when)
            .replace("PEERS", str(PEERS)) + more)
    with open(path, "w") as f:
        f.write(text)
    return path


def seconds(d):
    """A duration as written in the resolved scenario ("250ms", "1s")."""
    m = re.fullmatch(r"([0-9.]+)(ns|us|ms|s|m|h)", d)
    return float(m.group(1)) * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60,
                                "h": 3600}[m.group(2)]


def storm(name, path, base):
    out = os.path.join(a.work, name)
    p = bslib.run(bslib.mpirun_cmd(3, a.bin, ["run", path, "--out", out, "--quiet",
                                              "--set", "network.base=" + base]), 150)
    check(p.returncode == 0, f"{name}: mpirun exits 0")
    return out, p


# ---- run 1: the conditional reboot, and a condition that never holds ----
out, p = storm("when", scenario("when", "20s", more=CONDITIONAL), "127.26.0.1")
run = bslib.load_run(out)
s = run["summary"]
check(run["complete"] is True, "when: the run is complete")
check(run["stopped_early"] is None, "when: no stop_when, no early stop")
lead = seconds(run["scenario"]["control"]["lead"])
ev = run["events"]
check(len(ev) == 3, "when: three events in run.json")
check(ev[1]["kind"] == "reboot" and ev[1].get("when") == "online >= 0.9",
      f"when: events[1] is the conditional reboot ({ev[1]})")
sched = ev[1]["scheduled_s"]
check(isinstance(sched, (int, float)), f"when: the conditional reboot was scheduled ({sched})")
check(ev[2].get("when") == "gave_up >= 0.5" and ev[2]["scheduled_s"] is None,
      f"when: the condition that never held left events[2] unscheduled ({ev[2]})")

rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
check(len(rows) == 40, f"when: one row per 0.5 s over 20 s ({len(rows)})")
t = lambda r: float(r["t_s"])
online = lambda r: int(r["online"])
if isinstance(sched, (int, float)):
    early = [r for r in rows if t(r) < sched - lead - INTERVAL]
    check(all(online(r) < 0.9 * PEERS for r in early),
          f"when: below 90% online in every row before {sched - lead - INTERVAL:.3f} s "
          f"({len(early)} rows)")
    first = next((r for r in rows if online(r) >= 0.9 * PEERS), None)
    check(first is not None, "when: the condition held at some row")
    if first is not None:
        gap = sched - t(first)
        check(t(first) <= sched, f"when: scheduled ({sched} s) after the condition held "
                                 f"(first row {t(first)} s)")
        check(lead - 1e-6 <= gap <= 1.0,
              f"when: scheduled lead ({lead} s) to 1 s after that row ({gap:.3f} s)")
        check(all(online(r) < 0.9 * PEERS for r in rows if t(r) < t(first)),
              "when: no earlier row met the condition")
    # the reboot hit: counted in the rows after the scheduled time, none before
    check(all(int(r["reboots"]) == 0 for r in rows if t(r) < sched),
          "when: no reboot before the scheduled time")

events = bslib.load_csv(os.path.join(out, "events.csv"))
fired = [e for e in events if e["event"] == "1"]
check(sorted(int(e["rank"]) for e in fired) == [1, 2],
      f"when: the conditional reboot fired on both node ranks ({len(fired)} rows)")
for e in fired:
    check(e["kind"] == "reboot", f"when: rank {e['rank']}: kind reboot")
    if isinstance(sched, (int, float)):
        check(abs(float(e["scheduled_s"]) - sched) < 1e-3,
              f"when: rank {e['rank']}: events.csv scheduled_s = run.json ({e['scheduled_s']})")
        check(abs(float(e["actual_s"]) - sched) < 0.5,
              f"when: rank {e['rank']} fired at {e['actual_s']} s (skew {e['skew_ms']} ms)")
check(not [e for e in events if e["event"] == "2"],
      "when: no events.csv row for the condition that never held")
check(s["reboots"] > 0, f"when: peers rebooted ({s['reboots']})")
selected = sum(int(e["selected"]) for e in fired)
check(abs(selected - PEERS / 2) < 50, f"when: about half the peers selected ({selected})")
check(0 < s["reboots"] <= selected, "when: only selected peers rebooted")
check(s["boots"] == PEERS + s["reboots"], "when: boots = first boots + reboots")

# ---- run 2: stop_when ends the run early ----
out, p = storm("stop", scenario("stop", "60s", stop_when='stop_when: "online >= 0.99"\n'),
               "127.27.0.1")
run = bslib.load_run(out)
s = run["summary"]
stopped = run["stopped_early"]
check(isinstance(stopped, (int, float)) and stopped < 15,
      f"stop: stopped early, at the row where the condition held ({stopped})")
check(run["complete"] is True, "stop: the run is complete")
check(run["scenario"].get("stop_when") == "online >= 0.99",
      f"stop: run.json holds the stop_when ({run['scenario'].get('stop_when')})")
rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
check(0 < len(rows) < 60 / INTERVAL, f"stop: fewer rows than a full 60 s run ({len(rows)})")
if rows:
    check(int(rows[-1]["online"]) >= 0.99 * PEERS,
          f"stop: the last row meets the condition ({rows[-1]['online']} online)")
    check(all(int(r["online"]) < 0.99 * PEERS for r in rows[:-1]),
          "stop: no earlier row met it")
    if isinstance(stopped, (int, float)):
        check(abs(float(rows[-1]["t_s"]) - stopped) < 1e-6,
              f"stop: stopped_early is the last row's time ({rows[-1]['t_s']})")
    check(s["online_final"] == int(rows[-1]["online"]), "stop: online_final = last row")
check(os.path.exists(os.path.join(out, "histograms.json")), "stop: histograms.json written")
check("== conditional (seed" in p.stdout, "stop: the summary is printed")

check.done()
