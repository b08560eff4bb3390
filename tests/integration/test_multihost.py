"""The real multi-host path on one machine: 3 network-namespace hosts made by
cloud/local, a 1,000-peer run through cloud/launch with the ranks spread over
them, nodes bound to their host's address. Asserts that nodes on different
hosts talked over the bridge, that every peer came online and that event skew
is recorded; tears everything down, and checks nothing is left, even when a
check fails. Needs root (CI runs as root); otherwise it reports itself
skipped (exit 77), never passed."""
import json
import os
import subprocess
import sys

import bslib

SUBNET = "10.79.0.0/24"  # its own subnet, away from cloud/local's default

if os.geteuid() != 0:
    print("test_multihost needs root (network namespaces): skipped")
    sys.exit(77)

a = bslib.parse_args()
check = bslib.Check()
src = a.source
out = os.path.join(a.work, "run")


def sh(cmd, timeout=120):
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=bslib.env())
    print(p.stdout[-3000:])
    print(p.stderr[-3000:], file=sys.stderr)
    return p


def bridge_bytes():
    """Bytes through the bridge's ports: the root-side ends of the hosts'
    veth pairs (the bridge device's own counters see only traffic for its
    own address, not what it forwards between hosts)."""
    p = subprocess.run(["ip", "-s", "-j", "link", "show", "master", "bs-br0"],
                       capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout.strip():
        return 0
    return sum(l["stats64"]["rx"]["bytes"] for l in json.loads(p.stdout))


def leftovers():
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return [l for l in (ns + links).splitlines() if "bs-host" in l or "bs-br0" in l or "bs-veth" in l]


sh([os.path.join(src, "cloud/local/down")])
try:
    p = sh([os.path.join(src, "cloud/local/up"), "3", "--subnet", SUBNET])
    check(p.returncode == 0, "cloud/local/up 3 brings up three namespace hosts")
    before = bridge_bytes()
    p = sh([os.path.join(src, "cloud/launch"), "--bin", a.bin, "--np", "4",
            os.path.join(src, "tests/scenarios/small.yaml"), "--out", out, "--quiet",
            "--set", "nodes.peers=1000", "--set", "events.0.boot.over=5s",
            "--set", "peer.login.timeout=10s", "--set", "duration=30s",
            "--set", "events.1.at=15s"], timeout=400)
    moved = bridge_bytes() - before
    check(p.returncode == 0, "cloud/launch runs the scenario to the end (exit 0)")

    run = bslib.load_run(out)
    s = run["summary"]
    check(run["scenario"]["network"]["mode"] == "host", "nodes ran in host mode")
    check(len(set(run["hosts"])) == 3, f"ranks ran on three hosts ({run['hosts']})")
    check(s["online_final"] == 1000, f"every peer online at the end ({s['online_final']})")
    check(s["sn_refused_forged"] == 0 and s["malformed"] == 0, "no forged tickets, no malformed")

    rows = bslib.load_csv(os.path.join(out, "placement.csv"))
    check(len(rows) == run["scenario"]["nodes"]["peers"] + 2 + 10, "placement.csv lists every node")
    hosts_of = {}
    for r in rows:
        hosts_of.setdefault(r["role"], set()).add(r["host"])
    check(len(hosts_of.get("peer", ())) == 3 and len(hosts_of.get("supernode", ())) == 3,
          f"peers and supernodes on all three hosts ({hosts_of})")
    check(all(r["address"].startswith("10.79.0.") for r in rows),
          "every node bound its host's address on the bridge subnet")
    check(len({r["address"] for r in rows}) == len(rows), "every node has its own ip:port")
    ls_hosts = {r["host"] for r in rows if r["role"] == "login_server"}
    peer_hosts = {r["host"] for r in rows if r["role"] == "peer"}
    check(bool(peer_hosts - ls_hosts), "some peers logged in to a login server on another host")
    check(moved > 500_000, f"the traffic crossed the bridge ({moved} bytes)")

    ev = bslib.load_csv(os.path.join(out, "events.csv"))
    check(len(ev) == 2 * 3, "both events fired on all three node ranks")
    check(all(e["skew_ms"] not in ("", None) for e in ev), "every firing has its skew")
    f = s["fidelity"]
    print(f"event skew across 3 namespace hosts: p50 {f['skew_p50_ms']:.3f} ms, "
          f"p99 {f['skew_p99_ms']:.3f} ms, max {f['skew_max_ms']:.3f} ms")
    check(isinstance(f["skew_p99_ms"], (int, float)), "skew p99 in run.json")
    check(all(isinstance(r["clock_rtt_ns"], int) and r["clock_rtt_ns"] >= 0 for r in run["ranks"]),
          "each rank's clock offset was estimated")
finally:
    p = sh([os.path.join(src, "cloud/local/down")])
    check(p.returncode == 0, "cloud/local/down succeeds")
    left = leftovers()
    check(not left, f"nothing left behind ({left})")
check.done()
