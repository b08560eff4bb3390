"""Fixture for the results tests: scripts/sweep makes two seeded runs of the
small scenario (10 s, reboot at 5 s) under mpirun -np 3, then prints the compare
table and writes the sweep's report; then one run of the dht scenario (10 s,
a trackerless DHT) for results.integration's dht checks, and one of the settop
scenario (8 s: fountain boxes on lossy links, half of them decoding for real)
for its settop checks. Checks the sweeps' own outputs."""
import os
import subprocess
import sys

import rtlib

a = rtlib.parse_args("runs")
check = rtlib.Check()
sweep = a.sweep
env = rtlib.bslib.env()  # LeakSanitizer off: bootstorm runs under mpirun
env["BOOTSTORM_BIN"] = a.bin
env["BOOTSTORM_RESULTS"] = a.tool
cmd = [sys.executable, os.path.join(a.source, "scripts", "sweep"),
       os.path.join(a.source, "tests", "scenarios", "small.yaml"),
       "--seeds", "2", "--np", "3", "--out", sweep,
       "--set", "duration=10s", "--set", "events.1.at=5s",
       "--set", "network.base=127.81.0.1"]
print("$ " + " ".join(cmd), flush=True)
p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=280)
print(p.stdout[-5000:])
print(p.stderr[-3000:], file=sys.stderr)
check(p.returncode == 0, f"sweep exits 0 ({p.returncode})")
for d in rtlib.RUN_DIRS:
    rj = os.path.join(sweep, d, "run.json")
    check(os.path.exists(rj), f"{d}/run.json written")
    if os.path.exists(rj):
        run = rtlib.load_json(rj)
        check(run["complete"] is True, f"{d} is complete")
        check(str(run["seed"]) == d.split("=")[1], f"{d} ran with its seed")
        check(run["scenario"]["duration"] == "10s", f"{d}: the --set reached the run")
check("[1/2] seed=1 ..." in p.stdout and "[2/2] seed=2 ..." in p.stdout, "progress lines")
check("A (n=2)" in p.stdout and "±" in p.stdout, "the compare table shows group A, mean ± CI")
report = os.path.join(sweep, "report.html")
check(os.path.exists(report) and os.path.getsize(report) > 10000, "the sweep wrote report.html")
manifest = rtlib.load_json(os.path.join(sweep, "sweep.json"))
check(len(manifest["runs"]) == 2 and all(r["status"] == "ok" for r in manifest["runs"]),
      "sweep.json lists both runs as ok")
check(os.path.exists(os.path.join(sweep, "logs", "seed=1.log")), "per-run log kept")

# One real run of architecture: dht (issue 10).
cmd = [sys.executable, os.path.join(a.source, "scripts", "sweep"),
       os.path.join(a.source, "tests", "scenarios", "dht.yaml"),
       "--seeds", "1", "--np", "3", "--out", a.dht_sweep,
       "--set", "duration=10s", "--set", "network.base=127.83.0.1"]
print("$ " + " ".join(cmd), flush=True)
p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
print(p.stdout[-3000:])
print(p.stderr[-3000:], file=sys.stderr)
check(p.returncode == 0, f"dht sweep exits 0 ({p.returncode})")
rj = os.path.join(a.dht_sweep, rtlib.RUN_DIRS[0], "run.json")
check(os.path.exists(rj) and rtlib.load_json(rj)["scenario"]["architecture"] == "dht",
      "the dht run wrote run.json")

# One real run of architecture: settop (issue 11). A fountain carousel (4 Mbit/s
# of the 38 Mbit/s channel, light on a loaded machine) to boxes that lose 5% of
# the symbols; settop.verify 0.5: about half the boxes decode and check the
# image, the others complete by counting symbols.
cmd = [sys.executable, os.path.join(a.source, "scripts", "sweep"),
       os.path.join(a.source, "tests", "scenarios", "settop.yaml"),
       "--seeds", "1", "--np", "3", "--out", a.settop_sweep,
       "--set", "duration=8s", "--set", "settop.method=fountain", "--set", "settop.verify=0.5",
       "--set", "settop.downstream.loss=0.05", "--set", "settop.carousel.bitrate=4mbit",
       "--set", "network.base=127.84.0.1"]
print("$ " + " ".join(cmd), flush=True)
p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
print(p.stdout[-3000:])
print(p.stderr[-3000:], file=sys.stderr)
check(p.returncode == 0, f"settop sweep exits 0 ({p.returncode})")
rj = os.path.join(a.settop_sweep, rtlib.RUN_DIRS[0], "run.json")
run = rtlib.load_json(rj) if os.path.exists(rj) else {"scenario": {}, "summary": {}}
st = run["summary"].get("settop", {})
check(run["scenario"].get("architecture") == "settop" and run.get("complete") is True,
      "the settop run wrote run.json, complete")
check([st.get(k) for k in ("method", "verify_share", "downstream_loss", "carousel_mbps")] ==
      ["fountain", 0.5, 0.05, 4.0], f"the --set values reached the settop run ({st})")
check.done()
