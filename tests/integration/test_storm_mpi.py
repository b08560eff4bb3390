"""A real 500-peer boot storm under `mpirun -np 3`: every peer comes online,
the reboot fires at its scheduled time on every rank, and the counters in
run.json, timeseries.csv and events.csv agree with each other."""
import os
import subprocess

import bslib

a = bslib.parse_args()
check = bslib.Check()
out = os.path.join(a.work, "run")
scenario = os.path.join(a.source, "tests/scenarios/small.yaml")
# Own address block, so this test can run beside the others.
p = bslib.run(bslib.mpirun_cmd(3, a.bin, ["run", scenario, "--out", out, "--quiet",
                                          "--set", "network.base=127.20.0.1"]), 400)
check(p.returncode == 0, "mpirun exits 0")
# the results tool's summary (results/summarize.c), read back from the run directory
check("== small (seed 7," in p.stdout and out in p.stdout,
      "the summary is printed, naming the run directory")

run = bslib.load_run(out)
s = run["summary"]
for key in ["format_version", "name", "seed", "version", "commit", "scenario", "ranks", "hosts",
            "started_at", "complete"]:
    check(key in run, f"run.json has {key}")
for key in ["peers", "online_final", "t50_s", "t95_s", "t99_s", "login_attempts",
            "login_attempts_per_node_max", "peak_login_rps", "fidelity"]:
    check(key in s, f"summary has {key}")
for key in ["valid", "lag_p99_ms", "skew_p99_ms"]:
    check(key in s["fidelity"], f"fidelity has {key}")
check(run["complete"] is True, "the run is complete")
check(run["scenario"]["network"]["base"] == "127.20.0.1", "run.json holds the resolved override")
check(run["seed"] == 7 and run["name"] == "small", "seed and name recorded")

# every peer came online
check(s["peers"] == 500, "500 peers")
check(s["online_final"] == 500, f"all peers online at the end ({s['online_final']})")
check(s["ever_online"] == 500, "every peer was online at some point")
check(s["t50_s"] is not None and s["t50_s"] <= s["t95_s"] <= s["t99_s"], "t50 <= t95 <= t99")
check(s["login_attempts_per_node_max"] >= 2, "rebooted peers logged in again")

# ranks: rank 0 coordinates only, the peers are split over ranks 1 and 2
ranks = run["ranks"]
check(len(ranks) == 3, "three ranks recorded")
check(ranks[0]["nodes"] == 0, "rank 0 hosts no nodes")
check(ranks[1]["peers"] + ranks[2]["peers"] == 500, "ranks 1 and 2 host all peers")
check(all(r["clock_rtt_ns"] >= 0 for r in ranks), "every rank has a clock estimate")

# timeseries: the columns, the final level, and the totals
rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
cols = rows[0].keys()
for c in ["t_s", "online", "booting", "logging_in", "login_attempts", "login_ok", "login_busy",
          "login_timeout", "ls_queue", "sn_count", "msgs_sent", "msgs_recv", "lag_p99_ms"]:
    check(c in cols, f"timeseries.csv has {c}")
check(len(rows) == 50, f"one row per 0.5 s interval over 25 s ({len(rows)})")
check(int(rows[-1]["online"]) == 500, "last row: 500 online")
check(all(int(r["sn_count"]) == 10 for r in rows), "10 supernodes throughout")
total = lambda col: sum(int(r[col]) for r in rows)
for c in ["login_attempts", "login_ok", "login_busy", "reg_ok", "boots", "reboots", "msgs_sent"]:
    check(total(c) == s[c], f"sum of timeseries {c} = run.json ({total(c)} vs {s[c]})")
outcomes = sum(s[k] for k in ["login_ok", "login_busy", "login_timeout", "login_error",
                              "login_fail", "login_aborted"])
in_flight = int(rows[-1]["login_in_flight"])
check(s["login_attempts"] == outcomes + in_flight,
      f"login attempts = outcomes + in flight ({s['login_attempts']} = {outcomes} + {in_flight})")
reg_outcomes = sum(s[k] for k in ["reg_ok", "reg_fail", "reg_timeout", "reg_error", "reg_aborted"])
check(s["reg_attempts"] == reg_outcomes + int(rows[-1]["reg_in_flight"]),
      "registration attempts = outcomes + in flight")
check(s["login_ok"] == s["reg_ok"] == s["sn_registered"],
      "every login led to one registration, each accepted by a supernode")
check(s["ls_served"] >= s["login_ok"], "the login servers served every successful login")
check(s["boots"] == 500 + s["reboots"], "boots = first boots + reboots")
# Each rank's last snapshot is its own instant (a late timer under load), so
# messages in flight at the end can fall on either side: equal within a few.
check(abs(s["msgs_recv"] - s["msgs_sent"]) <= 0.02 * s["msgs_sent"],
      f"messages received ~ sent ({s['msgs_recv']} vs {s['msgs_sent']})")
check(s["malformed"] == 0 and s["sn_refused_forged"] == 0, "no malformed frames, no forged tickets")

# events: scheduled vs actual, per rank
ev = bslib.load_csv(os.path.join(out, "events.csv"))
check(len(ev) == 4, "2 events x 2 node ranks in events.csv")
reboot = [e for e in ev if e["kind"] == "reboot"]
check(sorted(int(e["rank"]) for e in reboot) == [1, 2], "the reboot fired on both node ranks")
for e in reboot:
    check(float(e["scheduled_s"]) == 12.0, "reboot scheduled at 12 s")
    check(abs(float(e["actual_s"]) - 12.0) < 0.25,
          f"rank {e['rank']} fired the reboot at {e['actual_s']} s (skew {e['skew_ms']} ms)")
selected = sum(int(e["selected"]) for e in reboot)
check(abs(selected - 250) < 50, f"about half the peers selected for the reboot ({selected})")
check(s["reboots"] == selected, "every selected peer rebooted (all were up)")
dip = min(int(r["online"]) for r in rows if 12.0 < float(r["t_s"]) <= 14.0)
before = [int(r["online"]) for r in rows if 11.0 <= float(r["t_s"]) <= 12.0]
# Under ASan beside other tests the ranks can be short of CPU for seconds
# (seen in make test: 500 ms of stall per 500 ms row for 9 s, the last
# peers online at 12.0 s). Then the storm's timing is the emulator's, and
# the run must say so; a valid run has every peer up well before 12 s.
check(all(v == 500 for v in before) or not s["fidelity"]["valid"],
      f"all online just before the reboot, or the run is marked not valid ({before})")
check(min(before) >= 400, f"most peers online just before the reboot ({before})")
check(dip < 500 - selected * 0.5, f"online dipped after the reboot (min {dip})")
# The sweep runs from 12.0 to 12.5 s, the row at 12.5 s closes its interval:
# a reboot due just before 12.5 s whose timer a busy rank runs a few ms late
# lands in the next row (seen once in CI, with the run marked not valid).
# So: counted by the end of the interval after the sweep's.
reboot_rows = [r for r in rows if 12.0 < float(r["t_s"]) <= 13.0]
check(sum(int(r["reboots"]) for r in reboot_rows) == selected,
      "the reboots were counted by the end of the interval after the sweep (12-13 s)")

# the results directory is complete
pem = open(os.path.join(out, "ca.pem")).read()
check(pem.startswith("-----BEGIN CERTIFICATE-----"), "ca.pem holds the run's CA")
check(os.path.exists(os.path.join(out, "histograms.json")), "histograms.json written")
check(not [f for f in os.listdir(out) if f.endswith(".tmp")], "no temporary files left")

# nothing left running
left = subprocess.run(["pgrep", "-f", out], capture_output=True, text=True).stdout.strip()
check(left == "", "no stray bootstorm processes")

check.done()
