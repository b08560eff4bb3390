"""A login server driven past its capacity: the queue fills, BUSY answers and
timeouts happen (queued clients give up and disconnect mid-queue), and the
retry policy still gets every peer online. Runs as one process, so the
sanitizers see the whole login-server lifecycle, teardown included.

Half the peers reboot at 15 s. Their 100 logins need 2 s of the worker, and
a peer that drew BUSY a few times waits up to 4 s (small.yaml's retry cap)
between tries: 5 s to the end left one peer still logging in on a loaded
machine (199 of 200 online). The run goes on to 28 s, so that the check
"every peer online" is about the retry policy, not the machine's speed."""
import os

import bslib

a = bslib.parse_args()
check = bslib.Check()
out = os.path.join(a.work, "run")
DURATION_S = 28
scenario = os.path.join(a.source, "tests/scenarios/small.yaml")
p = bslib.run([a.bin, "run", scenario, "--out", out, "--quiet",
               "--set", "network.base=127.22.0.1",
               "--set", "nodes.peers=200", "--set", "nodes.login_servers=1",
               "--set", "login_server.workers=1", "--set", "login_server.service_time=20ms",
               "--set", "login_server.queue=10",
               "--set", "peer.login.timeout=400ms",
               "--set", "peer.boot_delay=10ms",
               "--set", "events.0.boot={fraction: 1.0, over: 200ms}",
               "--set", "events.1.at=15s",
               "--set", f"duration={DURATION_S}s"], 300)
check(p.returncode == 0, "the run exits 0")
s = bslib.load_run(out)["summary"]
rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
check(s["login_busy"] > 0, f"the full queue answered BUSY ({s['login_busy']})")
check(s["login_timeout"] > 0, f"queued clients timed out ({s['login_timeout']})")
check(max(int(r["ls_queue"]) for r in rows) > 0, "the queue filled up")
check(max(int(r["ls_queue"]) for r in rows) <= 10, "the queue never exceeded its 10 places")
check(max(int(r["ls_busy"]) for r in rows) <= 1, "never more than the 1 worker busy")
check(s["ls_rejected"] >= s["login_busy"],
      "BUSY received <= BUSY sent (a client may leave before its BUSY arrives)")
check(s["ls_served"] <= DURATION_S * 50 + 10, "served no faster than 1 worker x 20 ms allows")
check(s["online_final"] == 200, f"every peer got online in the end ({s['online_final']})")
in_flight = int(rows[-1]["login_in_flight"])
outcomes = sum(s[k] for k in ["login_ok", "login_busy", "login_timeout", "login_error",
                              "login_fail", "login_aborted"])
check(s["login_attempts"] == outcomes + in_flight,
      f"attempts = outcomes + in flight ({s['login_attempts']} = {outcomes} + {in_flight})")
check(s["login_attempts"] > 200, "the retries are visible as extra attempts")
check.done()
