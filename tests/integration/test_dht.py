"""The DHT architecture with 1,000 nodes under mpirun -np 3:

1. heal: every node comes online through the bootstrap nodes; lookups find
   every user's record in about log2(N) hops or fewer; a reboot of half the
   nodes marks contacts dead, the network heals, and the dead share falls
   back; the rebooted nodes rejoin from their saved tables, without the
   bootstrap nodes.
2. bootstrap down: with the bootstrap nodes crashed, the nodes whose saved
   tables are live come back online after a reboot, and the nodes that
   never ran (empty tables) do not.
3. the wire, from docs/protocol.md alone: while run 2 goes on, this test
   sends a PING and a FIND_NODE to a live node with Python's msgpack and
   decodes the answers, checking the sender's id against the documented
   SHA-256 derivation."""
import hashlib
import math
import os
import random
import socket
import struct
import subprocess
import sys
import time

import bslib

try:
    import msgpack
except ImportError:
    # Debian's python3-msgpack (scripts/install-deps) is for /usr/bin/python3.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("test_dht: needs the msgpack module (python3-msgpack, scripts/install-deps)")

a = bslib.parse_args()
check = bslib.Check()
scenario = os.path.join(a.source, "tests/scenarios/dht.yaml")
N = 1000
SEED = 7  # tests/scenarios/dht.yaml

COMMON = [f"nodes.peers={N}", "dht.rpc_timeout=1s", "dht.republish=10s", "dht.refresh=10s",
          "workload.request_rate=0.2/s"]


def args_for(name, base, sets):
    out = os.path.join(a.work, name)
    args = ["run", scenario, "--out", out, "--quiet", "--set", f"network.base={base}"]
    for s in COMMON + sets:
        args += ["--set", s]
    return out, bslib.mpirun_cmd(3, a.bin, args)


def finish(name, out, p):
    check(p.returncode == 0, f"{name}: exit 0")
    return bslib.load_csv(os.path.join(out, "timeseries.csv")), bslib.load_run(out)


def rows_in(rows, t0, t1):
    return [r for r in rows if t0 < float(r["t_s"]) <= t1]


def total(rows, name, t0=-1.0, t1=1e9):
    return sum(int(r[name]) for r in rows_in(rows, t0, t1))


def found_share(rows, t0, t1):
    ok = total(rows, "req_ok", t0, t1)
    ended = ok + sum(total(rows, k, t0, t1)
                     for k in ("dht_not_found", "dht_lookup_failed", "req_timeout"))
    return ok / ended if ended else 0.0, ended


# ---- 1. heal: boot, lookups, a 50% reboot
REBOOT_AT = 30.0
out, cmd = args_for("heal", "127.52.0.1", [
    "duration=70s",
    f"events=[{{at: 0s, boot: {{fraction: 1, over: 10s}}}},"
    f" {{at: {REBOOT_AT:.0f}s, reboot: {{fraction: 0.5, over: 0s}}}}]"])
rows, run = finish("heal", out, bslib.run(cmd, 500))
s = run["summary"]
# Strictly before: the row at the reboot's own instant may already count it.
before = rows_in(rows, 0, REBOOT_AT - 0.5)
check(int(before[-1]["online"]) == N, f"heal: all {N} nodes online before the reboot "
      f"({before[-1]['online']})")
check(total(rows, "dht_join_bootstrap", t1=REBOOT_AT) >= N and
      total(rows, "boot_served", t1=REBOOT_AT) >= N,
      "heal: the fresh nodes joined through the bootstrap nodes")
share, n = found_share(rows, 22, REBOOT_AT - 1)
check(n >= 500 and share >= 0.99,
      f"heal: once every record was republished, lookups found it ({share:.3f} of {n})")
hops = s.get("lookup_hops_mean")
check(hops is not None and 1 <= hops <= math.log2(N),
      f"heal: lookups took {hops} hops on average, at most log2(N) = {math.log2(N):.1f}")
check(s.get("lookup_hops_p99") is not None and s["lookup_hops_p99"] <= 2 * math.log2(N),
      f"heal: ... and {s.get('lookup_hops_p99')} at p99")
check(total(rows, "dht_query_timeouts", 15, REBOOT_AT - 0.5) == 0,
      "heal: no query timed out in the steady state")

after = rows_in(rows, REBOOT_AT, 1e9)
dead = [float(r["dht_dead_share"]) for r in after]
peak = max(dead)
peak_at = float(after[dead.index(peak)]["t_s"])
check(total(rows, "reboots") >= N * 0.4, f"heal: about half the nodes rebooted "
      f"({total(rows, 'reboots')})")
check(total(rows, "dht_query_timeouts", REBOOT_AT, REBOOT_AT + 5) > 0 and
      peak > float(before[-1]["dht_dead_share"]),
      f"heal: the reboot cost timeouts and dead entries (peak dead share {peak:.4f} at "
      f"{peak_at:.0f} s)")
check(dead[-1] <= peak / 3, f"heal: the dead share fell back ({peak:.4f} -> {dead[-1]:.4f})")
check(int(rows[-1]["online"]) == N, f"heal: all {N} nodes online at the end")
check(total(rows, "dht_join_bootstrap", REBOOT_AT) == 0,
      "heal: the rebooted nodes rejoined from their saved tables, not the bootstrap nodes")
share, n = found_share(rows, 55, 1e9)
check(n >= 300 and share >= 0.98, f"heal: lookups found their records again ({share:.3f} of {n})")


# ---- 2. the bootstrap nodes down: saved tables still work, empty ones do not
def node_addr(out, role, index=0):
    """ip, port of the index-th node of a role, from placement.csv."""
    rows = bslib.load_csv(os.path.join(out, "placement.csv"))
    r = [x for x in rows if x["role"] == role][index]
    ip, port = r["address"].rsplit(":", 1)
    return int(r["node_id"]), ip, int(port)


def node_id(seed, node):
    """docs/protocol.md: SHA-256("bootstorm-dht-node" || be64(seed) || be32(node))[:20]."""
    return hashlib.sha256(b"bootstorm-dht-node" + struct.pack(">QI", seed, node)).digest()[:20]


def ask(sock, dst, msg):
    sock.sendto(msgpack.packb(msg, use_bin_type=True), dst)
    data, src = sock.recvfrom(2048)
    return msgpack.unpackb(data, raw=False), src


CRASH_AT = 15.0  # the first 60% boot over 5 s and are online long before
out, cmd = args_for("bootdown", "127.53.0.1", [
    "duration=45s", "workload.request_rate=0/s",
    "events=[{at: 0s, boot: {fraction: 0.6, over: 5s}},"
    " {at: 15s, crash: {role: dht_bootstrap, fraction: 1}},"
    " {at: 16s, reboot: {fraction: 0.5, over: 2s}},"
    " {at: 16s, boot: {fraction: 1, over: 2s}}]"])
print("$ " + " ".join(cmd), flush=True)
proc = subprocess.Popen(cmd, env=bslib.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True)

# 3. While it runs: a PING and a FIND_NODE to a node that came online.
wire_ok = False
deadline = time.time() + 120
ts = os.path.join(out, "timeseries.csv")
while time.time() < deadline and proc.poll() is None:
    time.sleep(0.5)
    try:
        live = bslib.load_csv(ts)
    except (OSError, ValueError):
        continue
    if live and int(live[-1]["online"]) >= 100:
        break
placement = bslib.load_csv(os.path.join(out, "placement.csv"))
peers = [r for r in placement if r["role"] == "peer"]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.53.255.250", 0))  # inside the run's network, no node's address
sock.settimeout(0.5)
me = hashlib.sha256(b"test_dht").digest()[:20]
for r in random.Random(1).sample(peers, 40):
    ip, port = r["address"].rsplit(":", 1)
    nid, dst = int(r["node_id"]), (ip, int(port))
    try:
        pong, src = ask(sock, dst, [19, 1, 4242, me])
        nodes, src2 = ask(sock, dst, [21, 1, 4343, me, node_id(SEED, nid)])
    except (socket.timeout, ConnectionRefusedError):
        continue  # not booted (yet): try another
    check(pong[:3] == [20, 1, 4242] and pong[3] == node_id(SEED, nid) and src == dst,
          f"wire: PONG [20, 1, txid, sender] from node {nid}, sender = SHA-256 node id")
    check(nodes[0] == 22 and nodes[1] == 1 and nodes[2] == 4343 and len(nodes) == 5 and
          0 < len(nodes[4]) <= 8, f"wire: NODES [22, 1, txid, sender, contacts] ({len(nodes[4])})")
    by_id = {node_id(SEED, int(x["node_id"])): x["address"] for x in peers}
    good = all(len(c) == 3 and isinstance(c[0], bytes) and len(c[0]) == 20 and
               by_id.get(c[0]) == "%s:%d" % (socket.inet_ntoa(struct.pack(">I", c[1])), c[2])
               for c in nodes[4])
    check(good, "wire: each contact is [id(bin20), ipv4 uint32, port] of a real peer")
    wire_ok = True
    break
check(wire_ok, "wire: a live node answered the Python client")
sock.close()

try:
    stdout, stderr = proc.communicate(timeout=400)
except subprocess.TimeoutExpired:
    proc.kill()
    stdout, stderr = proc.communicate()
print(stdout[-3000:])
print(stderr[-3000:], file=sys.stderr)
rows, run = finish("bootdown", out, proc)
s = run["summary"]
crash_at = CRASH_AT
n0 = int(rows_in(rows, 0, crash_at - 0.5)[-1]["online"])
check(total(rows, "boots", t1=crash_at - 0.5) == n0, f"bootdown: the {n0} nodes booted first were all "
      f"online before the crash")
check(n0 >= 0.5 * N and total(rows, "dht_join_bootstrap", t1=crash_at) >= n0,
      f"bootdown: {n0} nodes joined through the bootstrap nodes first")
check(total(rows, "boot_served", crash_at) == 0 and int(rows[-1]["boot_up"]) == 0,
      "bootdown: then the bootstrap nodes were down")
check(total(rows, "reboots") >= n0 * 0.4, f"bootdown: about half the online nodes rebooted "
      f"({total(rows, 'reboots')} of {n0})")
check(int(rows[-1]["online"]) == n0,
      f"bootdown: every node with a saved table came back online ({rows[-1]['online']} of {n0})")
check(s["ever_online"] == n0,
      f"bootdown: none of the {N - n0} nodes with empty tables came online "
      f"(ever online {s['ever_online']})")
check(total(rows, "dht_join_bootstrap", crash_at) >= N - n0 and
      total(rows, "reg_timeout", crash_at) > 0,
      "bootdown: the empty-table nodes tried the bootstrap nodes, and timed out")

check.done()
