"""User-space impairment: 100 ms of added latency on the peers' messages
makes their login and registration round trips grow by about that much; a
scheduled partition takes the peers on the cut-off side offline, and they
come back after it ends."""
import json
import os

import bslib

a = bslib.parse_args()
check = bslib.Check()
scenario = os.path.join(a.source, "tests/scenarios/small.yaml")
# 150 peers booting over 3 s keep the ranks idle enough, even in the ASan
# build, that a login p50 is the protocol's round trips and not the CPU.
common = ["--quiet", "--set", "nodes.peers=150", "--set", "duration=10s", "--set", "events.1.at=5s",
          "--set", "events.0.boot.over=3s"]


def run(name, base, *extra):
    out = os.path.join(a.work, name)
    p = bslib.run(bslib.mpirun_cmd(3, a.bin, ["run", scenario, "--out", out,
                                              "--set", f"network.base={base}"] + list(extra)), 300)
    check(p.returncode == 0, f"{name}: exit 0")
    return out


def p50_ms(out, which):
    with open(os.path.join(out, "histograms.json")) as f:
        return json.load(f)[which]["p50"] / 1000


# ---- latency ----
base = run("baseline", "127.29.0.1", *common)
slow = run("latency", "127.30.0.1", *common, "--set", "network.impair.peer.latency=100ms")
for which in ["login", "register"]:
    d = p50_ms(slow, which) - p50_ms(base, which)
    print(f"{which} p50: {p50_ms(base, which):.1f} ms -> {p50_ms(slow, which):.1f} ms (+{d:.1f} ms)")
    check(70 <= d <= 150, f"{which} round trip grew by about 100 ms (+{d:.1f} ms)")
s = bslib.load_run(slow)["summary"]
check(s["online_final"] == 150, "with latency every peer still got online")
check(bslib.load_run(slow)["scenario"]["network"]["impair"]["peer"]["latency"] == "100ms",
      "run.json records the impairment")

# per host group: 40 ms for the peer class plus 60 ms for every node on
# ranks 1 and 2 (all node ranks here, so the supernodes too): the peer's
# REGISTER carries 40 + 60 ms and the supernode's answer 60 ms, ~160 ms
grp = run("groups", "127.36.0.1", *common, "--set", "network.impair.peer.latency=40ms",
          "--set", "network.impair_groups=[{ranks: [1, 2], latency: 60ms}]")
d = p50_ms(grp, "register") - p50_ms(base, "register")
print(f"register p50 with class 40 ms + host group 60 ms: +{d:.1f} ms")
check(130 <= d <= 220, f"class and host-group latencies add up (+{d:.1f} ms, ~160 expected)")

# ---- loss and bandwidth ----
lossy = run("loss", "127.32.0.1", *common, "--set", "network.impair.peer.loss=30%",
            "--set", "peer.login.timeout=1s", "--set", "peer.register.timeout=1s")
s = bslib.load_run(lossy)["summary"]
check(s["login_timeout"] + s["reg_timeout"] > 20,
      f"30% message loss shows up as timeouts ({s['login_timeout']} + {s['reg_timeout']})")
check(s["msgs_recv"] < s["msgs_sent"] * 0.9, "fewer messages arrived than were sent")
# lost keepalives also cost connections, so a few peers are always re-homing
check(s["online_final"] >= 142, f"the retries kept >= 95% online ({s['online_final']})")
thin = run("uplink", "127.33.0.1", *common, "--set", "network.impair.peer.uplink=16kbit")
d = p50_ms(thin, "login") - p50_ms(base, "login")
print(f"login p50 with a 16 kbit/s uplink: +{d:.0f} ms")
check(d > 100, f"a 16 kbit/s uplink slows the TLS login (+{d:.0f} ms)")

# ---- partition ----
# Two node ranks: node 0 (the only login server) lands on rank 1, node 1 (the
# only supernode) on rank 2; peers alternate. Cutting rank 1 from rank 2 cuts
# rank 1's peers off their supernode.
out = run("partition", "127.31.0.1", "--quiet",
          "--set", "nodes.login_servers=1", "--set", "nodes.supernodes=1",
          "--set", "nodes.bootstrap=1", "--set", "nodes.peers=300",
          "--set", "workload.keepalive=1s", "--set", "peer.register.timeout=1s",
          "--set", "duration=30s",
          "--set", "events.1={at: 8s, partition: {groups: [[1], [2]], for: 10s}}")
rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
placement = bslib.load_csv(os.path.join(out, "placement.csv"))
cut = sum(1 for r in placement if r["role"] == "peer" and r["rank"] == "1")
at = lambda t: next(int(r["online"]) for r in rows if abs(float(r["t_s"]) - t) < 0.01)
check(at(7.5) == 300, f"all online before the partition ({at(7.5)})")
during = min(int(r["online"]) for r in rows if 13 <= float(r["t_s"]) <= 18)
check(during <= 300 - cut + 5, f"the {cut} cut-off peers went offline during it (online {during})")
check(during >= 300 - cut - 5, "the peers on the supernode's side stayed online")
check(at(30.0) == 300, f"everyone is back after it ended ({at(30.0)})")
back = next(float(r["t_s"]) for r in rows if float(r["t_s"]) > 18 and int(r["online"]) == 300)
print(f"partition 8..18 s: online {during} at the lowest, all back at {back:.1f} s")
check(back <= 26, "and soon after the end (within 8 s)")
s = bslib.load_run(out)["summary"]
check(s["online_lost"] >= cut - 5, "the cut-off peers lost their connections")
check.done()
