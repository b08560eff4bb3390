"""bootstorm-results on real runs of architecture: target (no emulated
servers: the peers log in to a real server). Two small storms under
mpirun -np 3: 200 peers against nginx from scenarios/targets/ (HTTPS login
API, 10 logins/s, 503 with Retry-After above that; a reboot of half the
peers at 5 s so the metastability is judged), and 100 peers against
mosquitto with the rate-limit plugin (CONNACK 3 above 10 CONNECTs/s; each
peer subscribes to the topic it publishes on, so it receives too).

Checked, for both: the summary names the server ("200 peers ->
https://localhost:PORT (127.0.0.1, TLS)"), says "refused" where an emulated
server would say busy, says the login capacity is unknown, has a target line
(requests, accepted, refused, Retry-After, timeouts, errors, failures) and a
presence or keepalive line, for mqtt an mqtt line (subscribed, published,
PUBACKs, received), and the metastable line names the target with capacity
unknown; every number as run.json has it; no 0/s capacity, no peak server
load, no supernodes. nginx's own access log has at least the 503s and 200s
the summary counts. The end-of-run summary printed by `bootstorm run` is the
same text. compare shows the capacity as n/a with the reason (text and
JSON), the refusals as their own figure, nothing of the emulated servers,
and beside an emulated run its real capacity; the report has no
login-server queue, supernode or server-load chart for a target run, no
capacity line, a "capacity unknown" headline card and a target card per run
(answers, peers logging in, presence or PINGREQs, Retry-After for https,
messages for mqtt). export (not changed here) still reads the runs.

Every check compares the tool's output with the run's own run.json (or
with a count that the server's speed cannot make false: nginx admits 10
logins/s, so 200 peers booting within 1 s get refusals), never with a
figure that depends on how fast this machine is."""
import csv
import json
import os
import re
import shutil

import rtlib
import bslib
import targetlib

a = rtlib.parse_args("target")
check = rtlib.Check()
D = a.dir
fc = rtlib.fmt_count
CAP_UNKNOWN = "unknown (an external server: bootstorm sees only its answers)"
REASON = ("a real server's capacity is unknown (architecture target: bootstorm sees only its "
          "answers)")

for prog in ("nginx", "mosquitto"):
    if not check(shutil.which(prog) or os.path.exists(f"/usr/sbin/{prog}"),
                 f"{prog} installed (scripts/install-deps)"):
        check.done()


def storm(name, scenario, sets):
    """One run under mpirun -np 3; returns (the run's directory, its stdout)."""
    out = os.path.join(D, name)
    args = ["run", os.path.join(a.source, "scenarios", scenario), "--out", out, "--quiet",
            # the peers' own addresses: apart from the other tests' runs
            "--set", "network.base=127.84.0.1"]
    for s in sets:
        args += ["--set", s]
    p = bslib.run(bslib.mpirun_cmd(3, a.bin, args), 300)
    ok = check(p.returncode == 0 and os.path.exists(os.path.join(out, "run.json")),
               f"{name}: the run exits 0 and writes run.json")
    if not ok:
        check.done()
    return out, p.stdout


def fields(text):
    """The summary's fields: label -> value, a wrapped value joined back
    with single spaces (the printer wraps between words)."""
    out, last = {}, None
    for ln in text.splitlines():
        if ln.startswith(" " * 17) and last:
            out[last] += " " + ln.strip()
            continue
        if ln.startswith("==") or ln.startswith("  !!") or len(ln) < 17:
            last = None
            continue
        last = ln[:17].strip()
        out[last] = ln[17:]
    return out


def summary_of(run):
    p = rtlib.tool(a, "summary", run)
    check(p.returncode == 0, f"summary {os.path.basename(run)} exits 0")
    return p.stdout


def common_checks(name, out, f, s, url):
    """What both protocols' summaries must say and must not."""
    t = s["target"]
    check(f.get("nodes") == f"{fc(s['peers'])} peers -> {url}",
          f"{name}: the nodes line names the server ({f.get('nodes')!r})")
    # then ", aborted N" and the like when there were such, and ")"
    want = (f"{fc(s['login_attempts'])} (ok {fc(s['login_ok'])}, refused {fc(s['login_busy'])}, "
            f"timeout {fc(s['login_timeout'])}, error {fc(s['login_error'])}")
    got = f.get("login attempts", "")
    check(got.startswith(want) and got[len(want):len(want) + 1] in (",", ")"),
          f"{name}: login attempts with the server's refusals as refused ({f.get('login attempts')!r})")
    check(f.get("login capacity") == CAP_UNKNOWN,
          f"{name}: login capacity unknown ({f.get('login capacity')!r})")
    check(t["refused"] == s["login_busy"] > 0 and t["capacity"] == "unknown",
          f"{name}: the server refused logins (summary.target.refused {t['refused']})")
    body = out.split("\nresults ")[0]  # the path holds the work directory's name
    for gone in ("peak server load", "supernode", "busy", "login capacity   0", "capacity 0",
                 "login servers"):
        check(gone not in body, f"{name}: nothing of emulated servers in the summary ({gone!r})")
    m = f.get("metastable", "")
    return m


# ---- https: nginx ----
with targetlib.nginx_server(os.path.join(D, "nginx"), rate=10, burst=5, retry_after=1) as srv:
    https, run_out = storm("https", "target-nginx.yaml", [
        "nodes.peers=200", f"target.port={srv.port}", f"target.tls.ca_file={srv.ca_file}",
        "duration=20s", "peer.boot_delay=100ms", "peer.login.timeout=10s",
        "target.https.presence.interval=2s",
        "events=[{at: 0s, boot: {fraction: 1, over: 1s}}, "
        "{at: 5s, reboot: {fraction: 0.5, over: 1s}}]"])
    srv.settle()
    nginx = srv.counts()
    port = srv.port

run = rtlib.load_json(os.path.join(https, "run.json"))
s = run["summary"]
t = s.get("target", {})
check(run["scenario"].get("architecture") == "target" and t.get("protocol") == "https" and
      t.get("port") == port and t.get("tls") is True,
      f"https: run.json is a target run with summary.target ({t})")
out = summary_of(https)
f = fields(out)
meta = common_checks("https", out, f, s, f"https://localhost:{port} (127.0.0.1, TLS)")
want = (f"HTTPS login API: {fc(t['requests'])} login requests: {fc(t['accepted'])} accepted, "
        f"{fc(t['refused'])} refused (HTTP 429/503; {fc(t['refused_with_retry_after'])} with "
        f"Retry-After")
if s["retry_slowed_hint"] > 0:
    want += f", {fc(s['retry_slowed_hint'])} retr{'y' if s['retry_slowed_hint'] == 1 else 'ies'} " \
            "held back to it"
want += (f"), {fc(t['timeouts'])} timed out, {fc(t['errors'])} errors (no connection, or a "
         f"broken one), {fc(t['failed'])} failed (another status)")
check(f.get("target") == want, f"https: the target line\n  want {want!r}\n  got  {f.get('target')!r}")
check(t["refused_with_retry_after"] == t["refused"],
      "https: nginx sends Retry-After with every 503, and the summary counts them all")
want = (f"{fc(t['keepalives'])} presence requests (every 2.00 s): {fc(t['presence_failed'])} failed "
        f"(another status, or no answer in time), {fc(t['online_lost'])} sessions lost")
check(t["keepalives"] > 0 and f.get("presence") == want,
      f"https: the presence line\n  want {want!r}\n  got  {f.get('presence')!r}")
check("mqtt" not in f and "keepalive" not in f, "https: no mqtt lines")
n503, n200 = nginx[("POST", "/login", 503)], nginx[("POST", "/login", 200)]
check(n503 >= t["refused"] and n200 >= t["accepted"],
      f"https: nginx answered at least the refusals ({n503} 503s >= {t['refused']}) and logins "
      f"({n200} 200s >= {t['accepted']}) the summary counts")
md = s.get("metastable_detail", {}).get("target")
check(isinstance(md, dict) and md.get("capacity_rps") is None and
      s.get("metastable_detail", {}).get("login_server") is None,
      f"https: run.json judged the target's metastability without a capacity ({md})")
check(re.match(r"(YES|no): target offered \S+, goodput \S+, capacity unknown \(judged on the "
               r"attempts alone", meta) is not None,
      f"https: the metastable line names the target, capacity unknown ({meta!r})")
tool_lines = [ln for ln in out.splitlines() if ln.strip()]
missing = [ln for ln in tool_lines if ln not in run_out.splitlines()]
check(not missing, f"https: bootstorm run printed the same summary (lines it lacks: {missing})")

# ---- mqtt: mosquitto ----
with targetlib.mosquitto_server(os.path.join(D, "mosquitto"), rate=10, burst=5) as srv:
    mqtt, _ = storm("mqtt", "target-mosquitto.yaml", [
        "nodes.peers=100", f"target.port={srv.port}", "duration=12s", "peer.boot_delay=100ms",
        "peer.login.timeout=10s", "target.mqtt.keepalive=2s", "target.mqtt.publish.interval=1s",
        "target.mqtt.subscribe.topic=devices/{user}/state",
        "events=[{at: 0s, boot: {fraction: 1, over: 1s}}]"])
    srv.settle()
    mq = srv.counts()
    mport = srv.port

run = rtlib.load_json(os.path.join(mqtt, "run.json"))
ms = run["summary"]
mt = ms.get("target", {})
check(mt.get("protocol") == "mqtt" and mt.get("tls") is False,
      f"mqtt: run.json's summary.target ({mt})")
out = summary_of(mqtt)
f = fields(out)
meta = common_checks("mqtt", out, f, ms, f"mqtt://127.0.0.1:{mport} (no TLS)")
want = (f"MQTT broker: {fc(mt['requests'])} CONNECTs: {fc(mt['accepted'])} accepted, "
        f"{fc(mt['refused'])} refused (CONNACK 3), {fc(mt['timeouts'])} timed out, "
        f"{fc(mt['errors'])} errors (no connection, or a broken one), {fc(mt['failed'])} failed "
        f"(another CONNACK code)")
check(f.get("target") == want, f"mqtt: the target line\n  want {want!r}\n  got  {f.get('target')!r}")
check(mq["refused"] >= mt["refused"] and mq["accepted"] >= mt["accepted"],
      f"mqtt: mosquitto refused ({mq['refused']}) and accepted ({mq['accepted']}) at least what "
      f"the summary counts")
want = (f"{fc(mt['keepalives'])} PINGREQs (every 2.00 s): {fc(mt['presence_failed'])} failed (no "
        f"PINGRESP in time), {fc(mt['online_lost'])} sessions lost")
check(f.get("keepalive") == want, f"mqtt: the keepalive line\n  want {want!r}\n  got  {f.get('keepalive')!r}")
want = (f"{fc(ms['mqtt_subscribed'])} subscribed, {fc(ms['mqtt_sub_refused'])} refused (SUBACK "
        f"0x80); {fc(ms['mqtt_published'])} published, {fc(ms['mqtt_pubacks'])} acknowledged "
        f"(PUBACK); {fc(ms['mqtt_received'])} received")
check(ms["mqtt_subscribed"] > 0 and ms["mqtt_published"] > 0 and ms["mqtt_received"] > 0 and
      f.get("mqtt") == want, f"mqtt: the mqtt line\n  want {want!r}\n  got  {f.get('mqtt')!r}")
check("Retry-After" not in out and "presence" not in f, "mqtt: no Retry-After, no presence line")
check(meta == "n/a (no trigger)", f"mqtt: no trigger, no verdict ({meta!r})")

# ---- an emulated run beside them: the https run as a supernode run ----
# Its own capacity (2 login servers of 800/s, all up) must show, the target
# runs' must not borrow it.
p2p = os.path.join(D, "p2p")
shutil.copytree(https, p2p)
with open(os.path.join(p2p, "run.json")) as fh:
    r = json.load(fh)
r["name"] = r["scenario"]["name"] = "p2p"
r["scenario"]["architecture"] = "supernode"
r["scenario"].pop("target")
r["scenario"]["nodes"] = {"peers": 200, "login_servers": 2, "supernodes": 4}
r["summary"].pop("target")
r["summary"]["metastable_detail"].pop("target")
r["capacity"]["login_server"] = [{"t_s": 0.0, "per_server_rps": 800.0, "servers": 2}]
with open(os.path.join(p2p, "run.json"), "w") as fh:
    json.dump(r, fh)
ts = os.path.join(p2p, "timeseries.csv")
with open(ts, newline="") as fh:
    rows = list(csv.DictReader(fh))
for row in rows:
    row["ls_up"] = "2"
with open(ts, "w", newline="") as fh:
    w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)

# ---- compare ----
seed8 = os.path.join(D, "https-seed8")  # the same scenario, another seed: one group of two
shutil.copytree(https, seed8)
with open(os.path.join(seed8, "run.json")) as fh:
    r = json.load(fh)
r["seed"] = r["scenario"]["seed"] = 8
with open(os.path.join(seed8, "run.json"), "w") as fh:
    json.dump(r, fh)


def table(text, ncols):
    cells = {}
    for ln in text.splitlines():
        parts = re.split(r"\s{2,}", ln.strip())
        if len(parts) == ncols + 1:
            cells.setdefault(parts[0], parts[1:])
    return cells


p = rtlib.tool(a, "compare", https, mqtt, p2p)
cells = table(p.stdout, 3)
check(p.returncode == 0, "compare of the two target runs and an emulated one exits 0")
for label, want in (("mean login capacity", ["n/a", "n/a", "1.60k/s"]),
                    ("refused by the server", [fc(t["refused"]), fc(mt["refused"]), "-"]),
                    ("logins busy", ["-", "-", fc(s["login_busy"])]),
                    ("refused w/ Retry-After", [fc(t["refused_with_retry_after"]), "-", "-"]),
                    ("requests to the server", [fc(t["requests"]), fc(mt["requests"]), "-"]),
                    ("peak server load", ["-", "-", "0.0%"])):
    check(cells.get(label) == want, f"compare: {label} {want} ({cells.get(label)})")
note = f"mean login capacity n/a for #1 https, #2 mqtt: {REASON}\n"
check(note in p.stdout, f"compare: the reason under the table ({note!r})")

p = rtlib.tool(a, "compare", https, seed8)
check(p.returncode == 0 and "  A   n=2   runs #1 #2" in p.stdout, "compare: two seeds form a group")
check(re.search(r"^mean login capacity\s+n/a \(2 of 2\)$", p.stdout, re.M) and
      re.search(r"^refused by the server\s+" + re.escape(fc(t["refused"])) + "$", p.stdout, re.M)
      and "peak server load" not in p.stdout and "logins busy" not in p.stdout and
      f"mean login capacity n/a for #1 https, #2 https-seed8: {REASON}" in p.stdout,
      f"compare of a target group: capacity n/a with the reason, the refusals ({p.stdout})")

p = rtlib.tool(a, "compare", "--json", https, mqtt, seed8)
j = json.loads(p.stdout) if p.returncode == 0 else {"runs": [{}, {}, {}], "groups": [{}]}
fig = [x.get("figures", {}) for x in j["runs"]]
check(fig[0].get("capacity_rps") == {"value": None, "reason": REASON},
      f"compare --json: capacity null with the reason ({fig[0].get('capacity_rps')})")
check([x.get("target_refused", {}).get("value") for x in fig[:2]] == [t["refused"], mt["refused"]]
      and fig[0].get("target_retry_after", {}).get("value") == t["refused_with_retry_after"] and
      "target_retry_after" not in fig[1] and
      fig[1].get("target_presence_failed", {}).get("value") == mt["presence_failed"],
      "compare --json: the target figures (no Retry-After for mqtt)")
check(not {"login_busy", "peak_server_load_pct"} & (set(fig[0]) | set(fig[1])),
      "compare --json: no logins busy nor server load for target runs")
g = {x["id"]: x for x in j["groups"]}
gcap = g.get("A", {}).get("figures", {}).get("capacity_rps", {})
check(gcap.get("n_null") == 2 and gcap.get("reason") == REASON and gcap.get("mean") is None,
      f"compare --json: the group's capacity null with the reason ({gcap})")


# ---- report ----
def report(name, *runs):
    path = os.path.join(D, name)
    p = rtlib.tool(a, "report", "-o", path, *runs)
    html = open(path).read() if p.returncode == 0 else ""
    check(p.returncode == 0, f"report {name} exits 0")
    return html, re.findall(r'<svg class="chart" id="([^"]+)"', html)


def svg_of(html, cid):
    return html.split(f'id="{cid}"', 1)[-1].split("</svg>", 1)[0]


def series_titles(svg):
    return re.findall(r'<path class="series"[^>]*><title>([^<]*)</title>', svg)


html, ids = report("https.html", https)
check(ids == ["online", "logins", "retries", "lag", "time_to_online", "skew"] +
      [f"target1_{w}" for w in ("answers", "waiting", "presence", "retry_after")],
      f"report of an https run: no login-server queue, supernodes nor server load; the target "
      f"card ({ids})")
check("<h3>Login rate</h3>" in html and "against capacity" not in html and
      not re.search(r">capacity [0-9]", html) and "login capacity of" not in html,
      "report: no capacity line for a real server")
cards = dict(zip(re.findall(r'<div class="k">([^<]*)</div>', html),
                 re.findall(r'<div class="v">(.*?)</div>', html)))
check(cards.get("login capacity (a real server)") == "unknown" and
      "mean login capacity" not in cards and
      cards.get("refused by the server") == fc(t["refused"]),
      f"report: the headline cards say the capacity is unknown, and the refusals ({cards})")
check(f"mean login capacity n/a for #1 https: {REASON}".replace("'", "&#39;") in html,
      "report: the reason under the summary table")
card = html.split('id="fig-target1"', 1)[-1].split("</figure>", 1)[0]
check(f"Target of run #1 https (https://localhost:{port})" in card and
      f"Retry-After: on {fc(t['refused_with_retry_after'])} of the {fc(t['refused'])} refusals."
      in card, "report: the target card names the server and the Retry-After share")
check(series_titles(svg_of(html, "target1_answers")) ==
      ["accepted/s", "refused (HTTP 429/503)/s", "timed out/s", "errors + other statuses/s"] and
      series_titles(svg_of(html, "target1_waiting")) ==
      ["in flight (connecting or awaiting the answer)", "waiting to retry"],
      "report: the login requests by answer, the peers logging in")
check("refused + timeout/s" in html and "busy" not in html.split("<h2>Run details</h2>")[0],
      "report: refusals, not busy answers")

html, ids = report("mqtt.html", mqtt)
check([i for i in ids if i.startswith("target")] ==
      [f"target1_{w}" for w in ("answers", "waiting", "presence", "messages")],
      f"report of an mqtt run: the target card with the messages panel ({ids})")
check(series_titles(svg_of(html, "target1_messages")) == ["published/s", "PUBACKs/s", "received/s"]
      and f"(mqtt://127.0.0.1:{mport})" in html, "report: the mqtt card")

html, ids = report("mixed.html", p2p, https)
check("ls_queue" in ids and "sn_count" in ids and "server_load" in ids and
      ids[-4:] == [f"target2_{w}" for w in ("answers", "waiting", "presence", "retry_after")],
      f"report of an emulated and a target run: the emulated run's charts, the target card ({ids})")
for cid in ("ls_queue", "sn_count", "server_load"):
    check(series_titles(svg_of(html, cid)) == ["p2p"],
          f"report: {cid} only for the run that has such servers "
          f"({series_titles(svg_of(html, cid))})")
logins = svg_of(html, "logins")
check("capacity 1.6k/s" in logins and not re.search(r">capacity 0", logins) and
      "(none for #2: a real server of unknown capacity, architecture target)" in html,
      "report: the emulated run's capacity line, none for the target run")

# ---- a damaged summary.target is an error naming the key ----
def damaged(name, edit, message):
    d = os.path.join(D, "bad", name)
    os.makedirs(os.path.dirname(d), exist_ok=True)
    shutil.copytree(https, d)
    path = os.path.join(d, "run.json")
    with open(path) as fh:
        r = json.load(fh)
    edit(r["summary"])
    with open(path, "w") as fh:
        json.dump(r, fh)
    p = rtlib.tool(a, "summary", d)
    check(p.returncode == 2 and message in p.stderr,
          f"damaged summary.target ({name}): exit 2, {message!r} ({p.returncode}, {p.stderr!r})")


damaged("array", lambda s: s.update(target=[1]),
        "summary.target should be an object, not an array")
damaged("refused", lambda s: s["target"].update(refused="many"),
        "summary.target.refused should be a non-negative integer, not a string")
damaged("tls", lambda s: s["target"].update(tls="yes"),
        "summary.target.tls should be true or false, not a string")

# ---- export (results/export.c): still reads target runs ----
p = rtlib.tool(a, "export", "--format", "csv", https, mqtt)
header = p.stdout.split("\n", 1)[0].split(",")
check(p.returncode == 0 and {"tgt_requests", "tgt_retry_after", "mqtt_published",
                             "mqtt_received"} <= set(header),
      "export csv: the target counters are columns")
p = rtlib.tool(a, "export", "--format", "prometheus", mqtt)
check(p.returncode == 0 and re.search(r'^bootstorm_mqtt_received_total\{[^}]*\} ' +
                                      str(ms["mqtt_received"]) + "$", p.stdout, re.M),
      "export prometheus: the mqtt counters' totals")
check.done()
