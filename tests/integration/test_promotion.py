"""Peers step up as supernodes when the network lacks them, and step down
when dedicated supernodes arrive and make them surplus."""
import os

import bslib

a = bslib.parse_args()
check = bslib.Check()
out = os.path.join(a.work, "run")
scenario = os.path.join(a.source, "tests/scenarios/small.yaml")
p = bslib.run(bslib.mpirun_cmd(3, a.bin, [
    "run", scenario, "--out", out, "--quiet", "--set", "network.base=127.28.0.1",
    "--set", "nodes.supernodes=4",
    "--set", "supernode.promote={target_ratio: 0.05, min_uptime: 3s, capable: 0.3, check: 1s,"
             " max_clients: 50, demote_below: 0.2, demote_for: 2s}",
    "--set", "supernode.gossip={interval: 1s}",
    "--set", "duration=30s",  # demotions take longer on a loaded machine (9 of 21 by 25 s once, under ASan with other tests)
    "--set", "events.1={at: 12s, inject_supernodes: {count: 30, max_clients: 100}}"]), 300)
check(p.returncode == 0, "the run exits 0")
s = bslib.load_run(out)["summary"]
rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
before = [r for r in rows if float(r["t_s"]) < 12]
total = lambda col: sum(int(r[col]) for r in rows)
check(int(rows[0]["sn_count"]) == 4, "4 dedicated supernodes at the start")
check(total("sn_promotions") >= 10, f"peers were promoted ({total('sn_promotions')})")
peak = max(int(r["sn_count"]) for r in before)
# target: 5% of 500 online = 25 SNs
check(20 <= peak <= 40, f"the SN count rose towards the target of 25 ({peak})")
check(total("gossip_exchanges") > 0, "supernodes gossiped")
check(total("sn_injected") == 30, "30 dedicated supernodes were injected at 12 s")
# Promoted SNs step down while the SN count is over twice the target (50).
# On an idle machine every rank acts on the same stale count within one
# check and all of them step down (22 of 22, 34 SNs left); on a loaded one
# the checks spread out, the count is fresh, and the demotions stop at 50
# (8 of the 10 this test asked for once, in CI): both follow the rule.
sn_before = int(before[-1]["sn_count"])
surplus = sn_before + 30 - 50
check(total("sn_demotions") >= min(10, surplus),
      f"surplus promoted SNs stepped down ({total('sn_demotions')}, surplus {surplus})")
check(int(rows[-1]["sn_count"]) <= 52,
      f"the SN count fell back to about twice the target ({rows[-1]['sn_count']})")
check(s["online_final"] == 500, "every peer is online at the end")
check(s["sn_promotions"] == total("sn_promotions") and s["sn_demotions"] == total("sn_demotions"),
      "promotions and demotions are in run.json")
check.done()
