"""The skype-2007 pair, scaled down to under a minute each: the same mass
reboot tips the unmitigated network into a state it does not leave (not
recovered, metastable, retries amplifying the load), while the mitigated
preset (jitter, retry budget, shed admission with retry-after, LIFO) gets
every peer back online. Both use the real preset files, with overrides."""
import os

import bslib

a = bslib.parse_args()
check = bslib.Check()

PEERS = 600
# 600 peers boot over 15 s; at 20 s, 80% reboot within 2 s. 2 login servers
# x 1 worker / 40 ms = 50 logins/s; the clients give up after 3 s.
SCALE = ["--set", f"nodes.peers={PEERS}",
         "--set", "login_server.service_time=40ms",
         "--set", "events.0.boot.over=15s",
         "--set", "events.1.at=20s",
         "--set", "events.1.reboot.over=2s",
         "--set", "duration=50s",
         "--set", "peer.login.timeout=3s"]


def storm(preset, base):
    """Runs one preset (sequentially: CPU is tight in CI) and returns run.json."""
    out = os.path.join(a.work, preset)
    scenario = os.path.join(a.source, "scenarios", preset + ".yaml")
    p = bslib.run(bslib.mpirun_cmd(3, a.bin, ["run", scenario, "--out", out, "--quiet",
                                              "--set", "network.base=" + base] + SCALE), 180)
    check(p.returncode == 0, f"{preset}: mpirun exits 0")
    run = bslib.load_run(out)
    s = run["summary"]
    check(run["complete"] is True, f"{preset}: the run is complete")
    check(run["stopped_early"] is None, f"{preset}: ran to the end (no stop_when)")
    check(s["peers"] == PEERS, f"{preset}: {PEERS} peers")
    ev = run["events"]
    check(len(ev) == 2 and ev[1]["kind"] == "reboot" and ev[1]["scheduled_s"] == 20.0,
          f"{preset}: the reboot was scheduled at 20 s ({ev})")
    t = s["trigger"]
    check(t["start_s"] == 20.0 and t["end_s"] == 22.0,
          f"{preset}: the trigger is the reboot window 20-22 s ({t['start_s']}-{t['end_s']})")
    check(t["online_before"] is not None and t["online_before"] >= 0.95 * PEERS,
          f"{preset}: nearly all peers online before the trigger ({t['online_before']})")
    for key in ["overall", "peak"]:
        check(key in s["amplification"], f"{preset}: amplification has {key}")
    rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
    check(len(rows) == 50, f"{preset}: one row per second over 50 s ({len(rows)})")
    check(int(rows[-1]["online"]) == s["online_final"], f"{preset}: online_final = last row")
    dip = min(int(r["online"]) for r in rows if 20.0 < float(r["t_s"]) <= 23.0)
    check(dip < 0.5 * PEERS, f"{preset}: the reboot knocked most peers offline (min {dip})")
    return s


u = storm("skype-2007", "127.23.0.1")
m = storm("skype-2007-mitigated", "127.24.0.1")

# unmitigated: the collapse outlives the trigger
check(u["recovered"] is False, f"skype-2007: NOT recovered ({u['recovered']})")
check(u["recovery_s"] is None, "skype-2007: no recovery time")
check(u["metastable"] is True, f"skype-2007: metastable ({u['metastable_detail']})")
ls = u["metastable_detail"]["login_server"]
check(ls is not None and ls["metastable"] is True and ls["offered_rps"] >= ls["capacity_rps"],
      "skype-2007: the login servers are offered at least their capacity after the trigger")
before = u["trigger"]["online_before"]
check(u["online_final"] < 0.85 * before,
      f"skype-2007: online at the end well below the level before ({u['online_final']} vs {before})")
check(u["login_timeout"] > 0, f"skype-2007: logins timed out ({u['login_timeout']})")
check(u["ls_wasted"] > 0,
      f"skype-2007: the servers served clients that had already left ({u['ls_wasted']})")
check(u["amplification"]["overall"] > 2,
      f"skype-2007: retries amplify the load (overall {u['amplification']['overall']:.2f})")

# mitigated: the same storm recovers
check(m["recovered"] is True, f"mitigated: recovered ({m['recovered']})")
check(isinstance(m["recovery_s"], (int, float)) and m["recovery_s"] >= 0,
      f"mitigated: recovery_s is a time ({m['recovery_s']})")
check(m["metastable"] is False, f"mitigated: not metastable ({m['metastable_detail']})")
check(m["online_final"] == PEERS, f"mitigated: every peer online at the end ({m['online_final']})")
check(m["login_busy"] > 0, f"mitigated: shed answered BUSY ({m['login_busy']})")
check(m["retry_slowed_hint"] > 0,
      f"mitigated: clients obeyed the retry-after hint ({m['retry_slowed_hint']})")
check(m["amplification"]["overall"] < u["amplification"]["overall"],
      f"mitigated amplification below unmitigated ({m['amplification']['overall']:.2f} < "
      f"{u['amplification']['overall']:.2f})")

check.done()
