"""cloud/local/plan-check: the sized layout of 1,000,000 peers at 20,000
logins/s (cloud/aws/plan's capacity model), scaled down and run over network
namespace hosts on this machine. Asserts that plan-check passes, that the
hosts and ranks are the scaled layout `cloud/aws/plan --json` reports (rank 0
and K node ranks on the first host, K on each other), that every peer of the
scaled-down run came online, that the run was valid, and that nothing is
left behind. About a minute: the boot window is the plan's, 1,000,000 /
20,000 = 50 s. Needs root (CI runs as root); otherwise it reports itself
skipped (exit 77), never passed.

Usage: python3 tests/cloud/test_plan_local.py --source REPO --bin BOOTSTORM --work DIR
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

PEERS, RATE = "1000000", "20000/s"
SUBNET = "10.78.0.0/24"   # its own, away from cloud/local's default and test_multihost's

ap = argparse.ArgumentParser()
ap.add_argument("--source", required=True)
ap.add_argument("--bin", required=True)
ap.add_argument("--work", required=True)
A = ap.parse_args()
if os.geteuid() != 0:
    print("test_plan_local needs root (network namespaces): skipped")
    sys.exit(77)
SRC = os.path.abspath(A.source)
W = os.path.abspath(A.work)
shutil.rmtree(W, ignore_errors=True)
os.makedirs(W)
OUT = os.path.join(W, "run")
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def run(cmd, timeout):
    print("$ " + " ".join(cmd), flush=True)
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(x for x in (env.get("ASAN_OPTIONS"), "detect_leaks=0") if x)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    print(p.stdout[-6000:])
    print(p.stderr[-3000:], file=sys.stderr)
    return p


def leftovers():
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return [l for l in (ns + links).splitlines() if "bs-host" in l or "bs-br0" in l or "bs-veth" in l]


# The scaled layout, as the plan reports it (the same model, the same machine).
p = run([os.path.join(SRC, "cloud/aws/plan"), "--peers", PEERS, "--storm-rate", RATE, "--json"], 60)
doc = json.loads(p.stdout) if p.returncode == 0 else {}
local = doc.get("local_check") or {}
check(p.returncode == 0 and local.get("hosts"), "cloud/aws/plan --json gives the scaled layout: %s" % {
    k: local.get(k) for k in ("hosts", "slots", "np", "peers", "storm_rate", "divisor")})
full = doc.get("chosen") or {}
check(local.get("hosts") == min(4, full.get("instances", 0)) and local.get("np", 99) <= 8
      and local.get("slots") == [local.get("node_ranks_per_host", 0) + 1]
      + [local.get("node_ranks_per_host")] * (local.get("hosts", 1) - 1),
      "the scaled layout: min(4, %s) hosts, at most 8 ranks, the coordinator and K on the first host"
      % full.get("instances"))
check(abs(local.get("window_s", 0) - 1000000 / 20000) < 0.5,
      "peers and rate scaled by one factor: the boot window stays 50 s (%s)" % local.get("window_s"))

# Left over from an interrupted multi-host test: plan-check refuses to start
# over hosts that are up, so clear them as test_multihost does.
run([os.path.join(SRC, "cloud/local/down")], 60)
try:
    p = run([os.path.join(SRC, "cloud/local/plan-check"), "--peers", PEERS, "--storm-rate", RATE,
             "--bin", os.path.abspath(A.bin), "--subnet", SUBNET, "--out", OUT,
             "--work", os.path.join(W, "state")], 400)
    check(p.returncode == 0 and "PASS" in p.stdout, "plan-check exits 0 and says PASS")
    check("scaled down by 1/%d" % local.get("divisor", 0) in p.stdout, "plan-check prints the factor")
    pc = {}
    if os.path.exists(os.path.join(OUT, "plan-check.json")):
        with open(os.path.join(OUT, "plan-check.json")) as f:
            pc = json.load(f)
    check(pc.get("local") == local, "plan-check ran the layout the plan reports")
    check((pc.get("result") or {}).get("pass") is True, "plan-check.json records the pass")

    run_json = {}
    if os.path.exists(os.path.join(OUT, "run.json")):
        with open(os.path.join(OUT, "run.json")) as f:
            run_json = json.load(f)
    s = run_json.get("summary") or {}
    check(s.get("peers") == local.get("peers") and s.get("online_final") == local.get("peers"),
          "every peer of the scaled-down run came online (%s of %s)" % (s.get("online_final"), local.get("peers")))
    check((s.get("fidelity") or {}).get("valid") is True,
          "the run was valid (%s)" % (s.get("fidelity") or {}).get("reason"))
    check(run_json.get("world_size") == local.get("np"), "%s ranks, the plan's -np %s"
          % (run_json.get("world_size"), local.get("np")))
    scn = run_json.get("scenario") or {}
    check((scn.get("network") or {}).get("mode") == "host"
          and (scn.get("network") or {}).get("allowed") == [SUBNET], "host mode on the namespaces' subnet")
    check(scn.get("events", [{}])[0].get("boot", {}).get("over") == "50s",
          "the boot window is the plan's 50 s (%s)" % scn.get("events", [{}])[0].get("boot"))
    ranks = run_json.get("ranks") or []
    hosts = sorted({r["host"] for r in ranks})
    check(hosts == ["bs-host%d" % i for i in range(1, local.get("hosts", 0) + 1)],
          "ranks on %s namespace hosts (%s)" % (local.get("hosts"), hosts))
    k = local.get("node_ranks_per_host")
    per = {h: sum(1 for r in ranks if r["host"] == h and r["role"] != "coordinator") for h in hosts}
    check(all(v == k for v in per.values()), "%s node ranks on each host (%s)" % (k, per))
    check(any(r["rank"] == 0 and r["role"] == "coordinator" and r["host"] == "bs-host1" for r in ranks),
          "rank 0, the coordinator, on the first host")
    check(all(r.get("peers", 0) > 0 for r in ranks if r["role"] != "coordinator"), "every node rank hosts peers")
finally:
    left = leftovers()
    check(not left, "plan-check leaves no namespace, veth or bridge behind (%s)" % left)
    if left:
        run([os.path.join(SRC, "cloud/local/down")], 60)

print()
if failures:
    print("%d check(s) failed:" % len(failures))
    for f in failures:
        print("  - " + f)
    sys.exit(1)
print("all checks passed")
