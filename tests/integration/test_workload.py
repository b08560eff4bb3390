"""The steady-state workload: open-loop UDP requests from online peers to a
central service, through its capacity model. The metastable-retry story,
scaled down: a short outage at 90% load leaves a lasting overload (clients
retry after timeouts, the service answers requests already given up on); at
25% load the same outage heals."""
import json
import os

import bslib

a = bslib.parse_args()
check = bslib.Check()
scenario = os.path.join(a.source, "scenarios/metastable-retry.yaml")
scale = ["--quiet", "--set", "nodes.peers=300", "--set", "nodes.supernodes=6",
         "--set", "duration=40s", "--set", "events.1.at=12s", "--set", "events.1.outage.for=3s"]


def run(name, base, rate):
    out = os.path.join(a.work, name)
    p = bslib.run(bslib.mpirun_cmd(3, a.bin, ["run", scenario, "--out", out,
                                              "--set", f"network.base={base}",
                                              "--set", f"workload.request_rate={rate}"] + scale), 300)
    check(p.returncode == 0, f"{name}: exit 0")
    return out


# capacity: 4 workers x 10 ms = 400 requests/s; 300 peers x 1.2/s = 360/s (90%)
high = run("high", "127.34.0.1", "1.2/s")
low = run("low", "127.35.0.1", "0.33/s")

for name, out in [("high", high), ("low", low)]:
    rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
    s = bslib.load_run(out)["summary"]
    before = [r for r in rows if 6 <= float(r["t_s"]) < 12]
    check(sum(int(r["req_ok"]) for r in before) > 0, f"{name}: requests answered before the outage")
    check(all(int(r["svc_up"]) == 1 for r in before), f"{name}: the service is up before it")
    check(any(int(r["svc_up"]) == 0 for r in rows if 12 < float(r["t_s"]) <= 15),
          f"{name}: the outage took the service down")
    check(int(rows[-1]["svc_up"]) == 1, f"{name}: and it came back")
    h = json.load(open(os.path.join(out, "histograms.json")))
    check(h["svc_queue"]["count"] > 0 and h["svc_service"]["count"] > 0,
          f"{name}: queue and service times are recorded")
    total = lambda c: sum(int(r[c]) for r in rows)
    check(total("req_sent") == s["req_sent"] and total("req_ok") == s["req_ok"],
          f"{name}: request counters add up")
    check(s["online_final"] == 300, f"{name}: the peers themselves stay online")

sh = bslib.load_run(high)["summary"]
sl = bslib.load_run(low)["summary"]
m = sh["metastable_detail"]["service"]
print(f"high: offered {m['offered_rps']:.0f}/s, goodput {m['goodput_rps']:.0f}/s, "
      f"capacity {m['capacity_rps']:.0f}/s; late answers {sh['svc_wasted']}")
check(sh["metastable"] is True, "90% load: the overload outlives the outage (metastable)")
check(m["offered_rps"] >= m["capacity_rps"], "offered load stays at or above capacity")
check(sh["svc_wasted"] > 0, "the service answered requests their clients had given up on")
check(sh["req_giveup"] > 0, "clients gave up after 3 attempts")
check(sl["metastable"] is False, "25% load: the same outage heals (not metastable)")
ml = sl["metastable_detail"]["service"]
check(ml["goodput_rps"] >= 0.9 * ml["offered_rps"], "and goodput matches the offered load again")
check.done()
