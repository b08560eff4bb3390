"""The supernode cascade (Skype, December 2010), scaled down: 3 of 10
supernodes crash at 30 s, their clients re-home onto the survivors, which
fill up, pass their overload threshold and shut down, until none is left and
the network is down. At 50 s, 5 dedicated supernodes are injected, and every
peer comes back online on them. Uses the real preset, with overrides."""
import os

import bslib

a = bslib.parse_args()
check = bslib.Check()

PEERS = 1000
out = os.path.join(a.work, "run")
scenario = os.path.join(a.source, "scenarios/supernode-cascade.yaml")
# The preset's ratios at half the size: 10 SNs x 130 = 1,300 places for
# 1,000 peers (77% load); after 3 crash, 7 x 130 = 910 < 1,000.
p = bslib.run(bslib.mpirun_cmd(3, a.bin, ["run", scenario, "--out", out, "--quiet",
                                          "--set", "network.base=127.25.0.1",
                                          "--set", f"nodes.peers={PEERS}",
                                          "--set", "supernode.max_clients=130",
                                          "--set", "duration=75s",
                                          "--set", "events.2.at=50s"]), 300)
check(p.returncode == 0, "mpirun exits 0")
run = bslib.load_run(out)
s = run["summary"]
check(run["complete"] is True, "the run is complete")
check(s["peers"] == PEERS, f"{PEERS} peers")
ev = run["events"]
check([e["kind"] for e in ev] == ["boot", "crash", "inject_supernodes"], "the preset's 3 events")
check([e["scheduled_s"] for e in ev] == [0.0, 30.0, 50.0], "scheduled at 0, 30 and 50 s")

rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
check(len(rows) == 75, f"one row per second over 75 s ({len(rows)})")
t = lambda r: float(r["t_s"])
num = lambda r, c: int(r[c])
total = lambda col, rs=rows: sum(num(r, col) for r in rs)
for c in ["sn_count", "sn_clients", "sn_redirects", "sn_overload_actions", "sn_crashes",
          "sn_injected"]:
    check(c in rows[0], f"timeseries.csv has {c}")

# before the crash: 10 supernodes, and the whole network online
pre = [r for r in rows if t(r) < 30.0]
check(all(num(r, "sn_count") == 10 for r in pre), "10 supernodes before the crash")
check(max(num(r, "online") for r in pre) == PEERS, "every peer online before the crash")
check(total("sn_overload_actions", pre) == 0, "no overload action before the crash")

# the crash and the cascade
check(total("sn_crashes") == 3, f"the crash took out 3 supernodes ({total('sn_crashes')})")
crash_ev = [e for e in bslib.load_csv(os.path.join(out, "events.csv")) if e["kind"] == "crash"]
check(sum(int(e["selected"]) for e in crash_ev) == 3, "events.csv: 3 supernodes selected")
check(sorted(int(e["rank"]) for e in crash_ev) == [1, 2], "the crash fired on both node ranks")
between = [r for r in rows if 30.0 < t(r) < 50.0]
check(total("sn_overload_actions") >= 5,
      f"the survivors shut down under overload ({total('sn_overload_actions')})")
check(total("sn_overload_actions", between) >= 5, "... between the crash and the injection")
check(total("sn_redirects") > 0, f"full supernodes redirected clients ({total('sn_redirects')})")
down = [r for r in between if num(r, "sn_count") == 0]
check(len(down) > 0, "no supernode left before the injection")
check(min(num(r, "online") for r in between) < 0.05 * PEERS,
      f"the network went down before 50 s (min online {min(num(r, 'online') for r in between)})")
if down:
    print(f"     network down from {t(down[0])} s")

# the injection restores it
check(total("sn_injected") == 5, f"5 supernodes injected ({total('sn_injected')})")
check(all(num(r, "sn_injected") == 0 for r in rows if t(r) < 50.0), "no injection before 50 s")
check(num(rows[-1], "sn_count") == 5, f"5 supernodes at the end ({rows[-1]['sn_count']})")
check(s["online_final"] == PEERS, f"every peer online at the end ({s['online_final']})")
check(s["recovered"] is True, f"recovered ({s['recovered']})")
check(isinstance(s["recovery_s"], (int, float)) and s["recovery_s"] > 15,
      f"recovery took more than 15 s: down from ~35 s until after 50 s ({s['recovery_s']})")
check(s["trigger"]["start_s"] == 30.0 and s["trigger"]["end_s"] == 30.0,
      "the trigger is the crash at 30 s (the injection is not a trigger)")
check(s["metastable"] is False, "not metastable (the login servers were never the problem)")

check.done()
