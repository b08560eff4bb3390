"""A boot storm against a real MQTT broker (architecture: target): mosquitto
from scenarios/targets/ on loopback, with its connection-rate plugin
(CONNACK 3 above the rate) and max_connections, and
scenarios/target-mosquitto.yaml aimed at it under mpirun -np 3.

1. 2,000 devices CONNECT at once: every one ends online, subscribed, and
   pinging and publishing at QoS 1;
2. the refusals (CONNACK 3) were counted as login_busy and backed off;
3. the broker's log agrees with bootstorm's counts: CONNACK 0s are
   login_ok, the plugin's refusals login_busy, together every CONNECT
   bootstorm sent (tgt_requests); SUBSCRIBEs are the SUBACKs bootstorm got;
   PINGREQs and PUBLISHes at least bootstorm's (a few leave after its last
   snapshot);
4. max_connections: with 40 allowed and 60 devices, 40 get in and stay, and
   every connection the broker closed unanswered is one login_error that
   the device backed off from;
5. MQTT over TLS 1.3 (the broker's TLS listener, its certificate checked
   against the throwaway CA): 100 devices in, every login a full handshake;
   and with a CA that did not sign it, none gets in."""
import os
import subprocess

import bslib
import targetlib

a = bslib.parse_args()
check = bslib.Check()
scenario = os.path.join(a.source, "scenarios/target-mosquitto.yaml")


def storm(name, srv, peers, sets, timeout=400):
    out = os.path.join(a.work, name)
    args = ["run", scenario, "--out", out, "--quiet",
            "--set", f"nodes.peers={peers}", "--set", f"target.port={srv.port}"]
    for s in sets:
        args += ["--set", s]
    p = bslib.run(bslib.mpirun_cmd(3, a.bin, args), timeout)
    check(p.returncode == 0, f"{name}: exit 0")
    srv.settle()
    return bslib.load_run(out)["summary"]


# ---- 1-3: the storm ----
with targetlib.mosquitto_server(os.path.join(a.work, "mosquitto"), rate=100, burst=50,
                                max_connections=10000) as srv:
    s = storm("storm", srv, 2000,
              ["duration=40s", "events=[{at: 0s, boot: {fraction: 1, over: 5s}}]",
               "peer.login.timeout=30s", "target.mqtt.keepalive=5s",
               "target.mqtt.publish.interval=5s"])
    c = srv.counts()
    check(s["online_final"] == 2000, f"every device online at the end ({s['online_final']})")
    check(s["login_ok"] == 2000, f"2000 CONNACK 0 ({s['login_ok']})")
    check(s["login_busy"] > 0, f"the broker refused some CONNECTs ({s['login_busy']})")
    check(s["login_timeout"] == 0 and s["login_error"] == 0,
          f"no timeout or error ({s['login_timeout']}, {s['login_error']}): every CONNECT "
          "was answered, so the counts must match exactly")
    check(c["accepted"] == s["login_ok"],
          f"the broker's CONNACK 0s ({c['accepted']}) = login_ok ({s['login_ok']})")
    check(c["refused_rate"] == s["login_busy"] and c["refused"] == c["refused_rate"],
          f"the plugin's CONNACK 3s ({c['refused_rate']}, all reasons {c['refused']}) "
          f"= login_busy ({s['login_busy']})")
    check(c["accepted"] + c["refused"] == s["tgt_requests"] == s["login_attempts"],
          f"every CONNECT the broker saw ({c['accepted'] + c['refused']}) is one bootstorm sent "
          f"({s['tgt_requests']})")
    check(c["subscribe"] == 2000 and s["mqtt_subscribed"] == 2000,
          f"2000 SUBSCRIBEs at the broker ({c['subscribe']}), 2000 SUBACKs granted "
          f"({s['mqtt_subscribed']})")
    check(0 < s["keepalives"] <= c["pingreq"] <= s["keepalives"] + 2000,
          f"PINGREQs at the broker ({c['pingreq']}) = keepalives ({s['keepalives']}) "
          "+ at most one each after the last snapshot")
    check(0 < s["mqtt_published"] <= c["publish"] <= s["mqtt_published"] + 2000,
          f"PUBLISHes at the broker ({c['publish']}) = mqtt_published ({s['mqtt_published']}) "
          "+ at most one each after the last snapshot")
    check(s["mqtt_pubacks"] > 0 and s["mqtt_pubacks"] <= s["mqtt_published"],
          f"QoS 1: PUBACKs ({s['mqtt_pubacks']}) for the PUBLISHes ({s['mqtt_published']})")
    check(c["keepalive_timeout"] == 0 and s["online_lost"] == 0,
          f"no device missed its keepalive ({c['keepalive_timeout']}) or lost its session "
          f"({s['online_lost']})")
    tgt = s.get("target", {})
    check(tgt.get("protocol") == "mqtt" and tgt.get("capacity") == "unknown",
          f"summary.target: mqtt, capacity unknown ({tgt.get('capacity')})")

# ---- 4: max_connections ----
with targetlib.mosquitto_server(os.path.join(a.work, "mosquitto-max"), rate=10000, burst=10000,
                                max_connections=40) as srv:
    s = storm("max_connections", srv, 60,
              ["duration=12s", "events=[{at: 0s, boot: {fraction: 1, over: 1s}}]",
               "peer.login.retry.cap=2s", "target.mqtt.publish.topic=",
               "target.mqtt.subscribe.topic="])
    c = srv.counts()
    check(s["online_final"] == 40, f"40 devices in, as max_connections allows ({s['online_final']})")
    check(c["max_connections"] > 0 and s["login_error"] == c["max_connections"],
          f"every connection closed by max_connections ({c['max_connections']}) is a "
          f"login_error ({s['login_error']})")
    check(s["login_error"] >= 20 and s["login_giveup"] == 0,
          f"the 20 left out kept trying, backing off ({s['login_error']} refused connections, "
          f"max {s.get('login_attempts_per_node_max')} attempts for one device)")

# ---- 5: over TLS ----
with targetlib.mosquitto_server(os.path.join(a.work, "mosquitto-tls"), rate=10000, burst=10000,
                                tls=True) as srv:
    tls = ["duration=10s", "events=[{at: 0s, boot: {fraction: 1, over: 1s}}]",
           f"target.port={srv.tls_port}", "target.tls.enabled=true",
           "target.mqtt.publish.topic=", "target.mqtt.keepalive=2s"]
    s = storm("tls", srv, 100, tls + [f"target.tls.ca_file={srv.ca_file}"])
    check(s["online_final"] == 100 and s["login_full"] == s["login_attempts"] == 100,
          f"over TLS: 100 devices in ({s['online_final']}), 100 full handshakes "
          f"({s['login_full']})")
    check(srv.counts()["accepted"] == 100, f"the broker accepted 100 ({srv.counts()['accepted']})")
    other_ca = os.path.join(a.work, "other-ca.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", other_ca + ".key",
                        "-out", other_ca, "-subj", "/CN=not the broker's CA", "-days", "1"],
                       capture_output=True, text=True)
    check(p.returncode == 0, "made another CA")
    s = storm("tls-wrong-ca", srv, 20, tls + [f"target.tls.ca_file={other_ca}", "duration=5s"])
    check(s["online_final"] == 0 and s["login_error"] > 0 and s["login_full"] == 0,
          f"with a CA that did not sign the broker's certificate nobody gets in "
          f"({s['online_final']} online, {s['login_error']} errors, {s['login_full']} handshakes)")

check.done()
