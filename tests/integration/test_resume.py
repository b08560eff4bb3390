"""TLS session resumption (peer.login.resume: ticket): every peer boots and
logs in with a full handshake, then all reboot at 8 s. With
session_on_reboot: keep the second logins offer the ticket of the first and
are resumed (at whichever login server a peer picks: the servers share their
ticket keys); with lose they are full handshakes again; with resume: none
nothing is ever resumed. Only counts are checked, no timings, so a loaded
machine only makes it slower."""
import os

import bslib

a = bslib.parse_args()
check = bslib.Check()
scenario = os.path.join(a.source, "tests/scenarios/small.yaml")
PEERS = 200
# small.yaml has 2 login servers; its second event becomes a reboot of all.
common = ["--quiet", "--set", f"nodes.peers={PEERS}", "--set", "duration=16s",
          "--set", "events.1.at=8s", "--set", "events.1.reboot.fraction=1.0"]


def run(name, base, *extra):
    out = os.path.join(a.work, name)
    p = bslib.run(bslib.mpirun_cmd(3, a.bin, ["run", scenario, "--out", out,
                                              "--set", f"network.base={base}"] + common +
                                   list(extra)), 300)
    check(p.returncode == 0, f"{name}: exit 0")
    doc = bslib.load_run(out)
    s = doc["summary"]
    print(f"{name}: login_ok {s['login_ok']}, full {s['login_full']}, "
          f"resumed {s['login_resumed']}, reboots {s['reboots']}, online {s['online_final']}")
    check(s["reboots"] == PEERS, f"{name}: every peer rebooted ({s['reboots']})")
    check(s["online_final"] >= PEERS * 0.95, f"{name}: the peers are back online "
          f"({s['online_final']})")
    # Every completed handshake is one or the other.
    check(s["login_full"] + s["login_resumed"] >= s["login_ok"],
          f"{name}: full + resumed handshakes cover the successful logins")
    return doc


# ---- keep: the reboot logins resume ----
doc = run("keep", "127.41.0.1", "--set", "peer.login.resume=ticket",
          "--set", "peer.login.session_on_reboot=keep")
s = doc["summary"]
login = doc["scenario"]["peer"]["login"]
check(login["resume"] == "ticket" and login["session_on_reboot"] == "keep",
      "run.json records the resumption mode")
# First boot: full handshakes (about one per peer, plus any retries).
check(PEERS <= s["login_full"] <= PEERS * 1.2,
      f"the first boot's logins are full ({s['login_full']}, ~{PEERS})")
# After the reboot: a peer's first login offers its ticket. A retry after a
# failed attempt may still resume (a later ticket) or be full (none yet).
check(s["login_resumed"] >= PEERS * 0.9,
      f"the logins after the reboot are resumed ({s['login_resumed']} of ~{PEERS})")
rows = bslib.load_csv(os.path.join(a.work, "keep", "timeseries.csv"))
check("login_resumed" in rows[0] and "login_full" in rows[0],
      "timeseries.csv has the login_full and login_resumed columns")
before = [r for r in rows if float(r["t_s"]) <= 7.5]
# Before the reboot only a retry can resume: a peer whose first attempt got
# its TLS session ticket but not its login (busy, or timed out under load)
# offers that ticket on the next attempt. First attempts are all full.
resumed_before = sum(int(r["login_resumed"]) for r in before)
retries_before = sum(int(r["login_attempts"]) for r in before) - PEERS
check(resumed_before <= max(0, retries_before),
      f"before the reboot only retries resumed ({resumed_before} resumed, "
      f"{retries_before} retries)")
check(sum(int(r["login_resumed"]) for r in rows) == s["login_resumed"],
      "the column adds up to run.json's login_resumed")

# ---- lose: the reboot forgets the ticket, so each boot's first login is full ----
# A retry within one boot (after BUSY, say) may resume with the ticket the
# failed attempt's handshake brought: that is a real client's behaviour too,
# so only logins beyond each boot's first may resume.
s = run("lose", "127.42.0.1", "--set", "peer.login.resume=ticket",
        "--set", "peer.login.session_on_reboot=lose")["summary"]
check(s["login_full"] >= 2 * PEERS, f"both boots' first logins are full ({s['login_full']})")
retries = s["login_attempts"] - 2 * PEERS
check(s["login_resumed"] <= max(retries, 0),
      f"after a reboot that lost the ticket only retries within a boot resume "
      f"({s['login_resumed']} resumed, {retries} retries)")

# ---- none: no tickets at all ----
doc = run("none", "127.43.0.1")
s = doc["summary"]
check(s["login_resumed"] == 0, "resume: none never resumes")
check(s["login_full"] >= 2 * PEERS, f"every login is full ({s['login_full']})")
check("session_on_reboot" not in doc["scenario"]["peer"]["login"],
      "session_on_reboot is left out of run.json when it does not apply")
check.done()
