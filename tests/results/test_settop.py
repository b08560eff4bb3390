"""bootstorm-results on synthetic runs of architecture: settop (issue 11),
without MPI: the summary's settop block (the nodes with the head-end, no login
lines, the head-end's registration load, the method and image, time to image,
head-end egress, carousel cycles or fountain overhead, unicast downloads, what
the boxes received, verified against counted boxes, registrations), compare
(the settop figures, '-' for the other runs and methods, JSON) and the report
(a settop card per settop run with its three panels, the headline cards, no
login or supernode charts for settop runs only). The columns are those a real
run writes: t_s, the gauges and counters of common/metrics.h in their order,
coordinator/rundir.c's fixed columns, and the settop columns that close every
header."""
import json
import os
import re
import shutil

import rtlib

a = rtlib.parse_args("settop")
check = rtlib.Check()
D = a.dir
ROWS = 20  # 0.5 s apart: t_s 0.5 .. 10.0
BOXES = 100
IMAGE = 262144  # 256 KiB in 256 blocks of 1,024 B


def metric_names(macro):
    """The names of an X-macro list of common/metrics.h, in order."""
    with open(os.path.join(a.source, "common", "metrics.h")) as f:
        text = f.read()
    lines = text.split(f"#define {macro}(X)", 1)[1].splitlines()
    body = []
    for ln in lines[1:]:
        body.append(ln)
        if not ln.rstrip().endswith("\\"):
            break
    return re.findall(r'X\(\w+,\s*"([^"]+)"\)', "\n".join(body))


GAUGES = metric_names("METRIC_GAUGES")
COUNTERS = metric_names("METRIC_COUNTERS")
check(len(GAUGES) > 20 and len(COUNTERS) > 40 and "fetching" in GAUGES and
      "he_egress_bytes" in COUNTERS, f"the metrics of common/metrics.h ({GAUGES}, {COUNTERS})")
# coordinator/rundir.c: t_s, gauges, counters, these, then egress_mbps,
# image_p50_ms, image_p99_ms in every run (0 unless settop).
FIXED = ["lag_p99_ms", "lag_max_ms", "cpu_max", "ranks", "emu_stall_ms", "login_emu_p99_ms",
         "server_load"]
SETTOP_COLS = ["egress_mbps", "image_p50_ms", "image_p99_ms"]
COLS = ["t_s"] + GAUGES + COUNTERS + FIXED + SETTOP_COLS


def complete(i, method):
    """Boxes that completed their image in row i: 20 a row in rows 5-9, but
    for 2 unicast boxes that never do."""
    return 18 if method == "unicast" and i == 9 else 20 if 5 <= i <= 9 else 0


def cum(i, method):
    return sum(complete(k, method) for k in range(1, i + 1))


# The busiest interval on the channel (row 3), Mbit/s
PEAK = {"carousel": 36.5, "fountain": 37.2, "unicast": 38.0}


def row(i, method, verify):
    """Row i (1..ROWS). Every box powers on at 0; 20 complete their image in
    each of rows 5-9 (p50 500 i - 250 ms, p99 500 i - 10 ms; unicast: 18 in
    row 9) and are online a row later; 4 registrations refused in row 7.
    Egress 30 Mbit/s (unicast: 20 Mbit/s while boxes fetch), PEAK in row 3;
    server load 30%, 80% in row 7."""
    v = {c: 0 for c in COLS}
    v["t_s"] = f"{i * 0.5:.3f}"
    v["off"] = 0
    v["fetching"] = BOXES - cum(i, method)
    v["online"] = cum(i - 1, method)
    v["img_ok"] = complete(i, method)
    v["img_verified"] = round(complete(i, method) * verify)
    v["he_reg_served"] = v["reg_ok"] = complete(i - 1, method)
    v["reg_attempts"] = complete(i - 1, method) + (4 if i == 7 else 0)
    v["he_reg_refused"] = v["reg_busy"] = 4 if i == 7 else 0
    v["he_reg_wasted"] = 1 if i == 8 else 0
    v["he_up"] = 1
    unicast = method == "unicast"
    mbps = PEAK[method] if i == 3 else (20.0 if unicast and v["fetching"] else 0.0 if unicast else 30.0)
    v["egress_mbps"] = f"{mbps:.3f}"
    v["he_egress_bytes"] = round(mbps * 0.5 * 1e6 / 8)
    v["he_blocks"] = v["he_egress_bytes"] // 1024
    v["he_datagrams"] = 0 if unicast else 3 * v["he_blocks"]  # 3 receiving ranks
    v["he_cycles"] = 0 if unicast else 1 if i % 2 == 0 else 0
    v["he_retransmits"] = 1 if unicast and i in (2, 3, 4) else 0
    v["img_delivered"] = 400 if v["fetching"] else 0
    v["img_lost"] = 20 if v["fetching"] else 0
    v["img_dup"] = 10 if v["fetching"] and not unicast else 0
    v["img_bad"] = 1 if i == 2 else 0
    if complete(i, method):
        v["image_p50_ms"] = f"{500 * i - 250:.3f}"
        v["image_p99_ms"] = f"{500 * i - 10:.3f}"
    else:
        v["image_p50_ms"] = v["image_p99_ms"] = "0.000"
    # verifying boxes hold the image while they rebuild it
    v["box_image_bytes"] = round((BOXES - cum(i, method)) * verify) * IMAGE
    if unicast:
        v["dl_attempts"] = 100 + 12 if i == 1 else 0
        v["dl_busy"] = 10 if i == 1 else 0
        v["dl_timeout"] = 2 if i == 2 else 0
        v["dl_ok"] = complete(i, method)
        v["he_dl_refused"] = v["dl_busy"]
        v["he_sessions"] = v["dl_in_flight"] = v["fetching"]
    if method == "fountain":
        v["fec_decodes"] = v["img_verified"]
        v["fec_decode_failed"] = 1 if i == 6 and verify > 0 else 0
    v["server_load"] = "0.800" if i == 7 else "0.300"
    v["lag_p99_ms"] = "1.500"
    v["ranks"] = 3
    return v


def write_run(name, scn, summary, rows):
    d = os.path.join(D, name)
    os.makedirs(d)
    seed = scn["seed"]
    run = {"format_version": 1, "tool": "bootstorm", "version": "0.1.0", "commit": "test",
           "name": scn["name"], "seed": seed, "started_at": "2026-01-01T00:00:00Z",
           "finished_at": "2026-01-01T00:00:10Z", "complete": True,
           "scenario_file": scn["name"] + ".yaml", "overrides": [f"seed={seed}"],
           "scenario": scn, "world_size": 4, "hosts": ["h"], "ranks": [], "summary": summary,
           "capacity": {"login_server": [{"t_s": 0.0, "per_server_rps": 800.0, "servers": 0}],
                        "service": []}}
    with open(os.path.join(d, "run.json"), "w") as f:
        json.dump(run, f, indent=2)
    with open(os.path.join(d, "timeseries.csv"), "w") as f:
        f.write(",".join(COLS) + "\n")
        for r in rows:
            f.write(",".join(str(r[c]) for c in COLS) + "\n")
    with open(os.path.join(d, "events.csv"), "w") as f:
        f.write("event,kind,rank,scheduled_s,actual_s,skew_ms,selected\n"
                "0,boot,1,0.000000,0.000010,0.010,50\n0,boot,2,0.000000,0.000020,0.020,50\n")
    return d


def base_summary(rows):
    s = {"peers": BOXES, "online_final": rows[-1]["online"], "ever_online": BOXES,
         "t50_s": 3.5, "t95_s": 4.95, "t99_s": 5.0, "login_attempts_per_node_max": 0,
         "peak_login_rps": 0.0, "peak_login_ok_rps": 0.0,
         "fidelity": {"valid": True, "lag_p99_ms": 2.0, "skew_p99_ms": 0.1, "reason": None}}
    s.update({c: sum(int(r[c]) for r in rows) for c in COUNTERS})
    return s


IMAGE_S = {"carousel": {"t50": 3.25, "t95": 4.49, "t99": 4.5, "n": BOXES},
           "fountain": {"t50": 3.1, "t95": 4.2, "t99": 4.4, "n": BOXES},
           "unicast": {"t50": 3.4, "t95": 4.8, "t99": None, "n": BOXES - 2}}


def make_settop(name, method, seed=1, loss=0.05, verify=0.25, name_scn=None):
    rows = [row(i, method, verify) for i in range(1, ROWS + 1)]
    tot = {c: sum(int(r[c]) for r in rows) for c in COUNTERS}
    scn = {"name": name_scn or f"settop-{method}", "seed": seed, "duration": "10s",
           "architecture": "settop", "nodes": {"peers": BOXES},
           "settop": {"method": method, "image": {"size": "256KiB", "block": 1024},
                      "channel": {"bitrate": "38mbit"}, "downstream": {"loss": loss},
                      "verify": verify},
           "control": {"max_lag_p99": "50ms"},
           "events": [{"at": "0s", "boot": {"fraction": 1.0}}]}
    summary = base_summary(rows)
    if method == "unicast":
        summary["t99_s"] = None  # 2 boxes never got their image
    summary.update(metastable=False, recovered=None,
                   trigger={"start_s": None, "end_s": None, "online_before": None,
                            "recovered_level": 0.95},
                   metastable_detail={"login_server": None, "service": None,
                                      "headend": {"offered_rps": 40.0, "goodput_rps": 38.0,
                                                  "capacity_rps": 2000.0,
                                                  "metastable": False}})
    st = {"method": method, "boxes": BOXES, "image_bytes": IMAGE, "block_bytes": 1024,
          "blocks": 256, "channel_mbps": 38.0, "carousel_mbps": 32.0,
          "downstream_loss": loss,
          "image_s": IMAGE_S[method],
          "online_s": {k: summary[k + "_s"] for k in ("t50", "t95", "t99")},
          "egress_bytes": tot["he_egress_bytes"],
          "egress_peak_mbps": max(float(r["egress_mbps"]) for r in rows),
          "egress_mean_mbps": tot["he_egress_bytes"] * 8 / 10 / 1e6,
          "datagrams": tot["he_datagrams"], "cycles_sent": tot["he_cycles"],
          "retransmits": tot["he_retransmits"],
          "verify_share": verify, "boxes_verified": tot["img_verified"],
          "boxes_counted": tot["img_ok"] - tot["img_verified"],
          "box_image_bytes_peak": max(r["box_image_bytes"] for r in rows),
          "registration": {"served": tot["he_reg_served"], "refused": tot["he_reg_refused"],
                           "wasted": tot["he_reg_wasted"], "busy_answers": tot["reg_busy"]},
          "img": {"delivered": tot["img_delivered"], "lost": tot["img_lost"],
                  "dup": tot["img_dup"], "bad": tot["img_bad"], "corrupt": 0}}
    if method != "unicast":
        st["cycles_per_box"] = ({"mean": 1.4, "p50": 1.2, "p95": 2.9, "max": 4.1}
                                if method == "carousel" else
                                {"mean": 1.05, "p50": 1.02, "p95": 1.1, "max": 1.2})
    if method == "fountain":
        st["fountain"] = {"decodes": tot["fec_decodes"],
                          "decode_failed": tot["fec_decode_failed"],
                          "overhead_mean": 1.24 if tot["fec_decodes"] else None,
                          "overhead_p95": 3 if tot["fec_decodes"] else None,
                          "overhead_max": 5 if tot["fec_decodes"] else None}
    summary["settop"] = st
    return write_run(name, scn, summary, rows)


def make_p2p(name, seed):
    """A supernode run with the same columns: the settop ones are 0."""
    rows = []
    for i in range(1, ROWS + 1):
        v = {c: 0 for c in COLS}
        v.update(t_s=f"{i * 0.5:.3f}", online=min(BOXES, i * 10), lag_p99_ms="1.500",
                 server_load="0.500", login_attempts=7, login_ok=5, sn_count=2, ls_up=1)
        rows.append(v)
    scn = {"name": "p2p", "seed": seed, "duration": "10s", "architecture": "supernode",
           "nodes": {"peers": BOXES, "login_servers": 1, "supernodes": 2},
           "login_server": {"workers": 2, "service_time": "exp(10ms)"},
           "control": {"max_lag_p99": "50ms"},
           "events": [{"at": "0s", "boot": {"fraction": 1.0}}]}
    summary = base_summary(rows)
    summary.update(t50_s=1.0, t95_s=1.5, login_attempts_per_node_max=3, peak_login_rps=80.0)
    d = write_run(name, scn, summary, rows)
    with open(os.path.join(d, "run.json")) as f:
        run = json.load(f)
    run["capacity"]["login_server"][0]["servers"] = 1
    with open(os.path.join(d, "run.json"), "w") as f:
        json.dump(run, f, indent=2)
    return d


def flat(text):
    return text.replace("\n" + " " * 17, " ")  # wrapped values back on one line


carousel = make_settop("m/carousel", "carousel")
fountain = make_settop("m/fountain", "fountain", verify=1.0)
unicast = make_settop("m/unicast", "unicast", verify=1.0)  # unicast boxes all verify
counted = make_settop("counted", "fountain", verify=0.0)  # no box decodes
p2p = make_p2p("p2p", 1)
seeds = [make_settop(f"seeds/seed={k}", "carousel", seed=k) for k in (1, 2)]


def summary_of(d):
    p = rtlib.tool(a, "summary", d)
    check(p.returncode == 0, f"summary of {d} exits 0")
    check(all(len(ln) <= 80 for ln in p.stdout.splitlines() if not ln.startswith("results ")),
          f"summary of {d} fits 80 columns ({p.stdout})")
    return flat(p.stdout)


def has(out, line, what):
    check(line in out, f"{what} ({line!r} in {out!r})")


# ---- summary ----
out = summary_of(carousel)
has(out, "nodes            101 (100 set-top boxes, 1 head-end)\n",
    "nodes: the boxes and the head-end, no login servers or supernodes")
has(out, "login            none (set-top boxes register with the head-end)\n",
    "settop: one line says there is no login")
for gone in ("login attempts", "amplification", "peak login rate", "login capacity",
             "lookups", "bootstrap", "downloads", "fountain  "):
    check(gone not in out, f"a carousel run: no {gone!r} line")
has(out, "peak server load 80.0% (head-end registration, busiest interval; 100% = saturated)\n",
    "peak server load: the head-end's registration server")
has(out, "settop           carousel: 100 boxes; image 256 KiB in 256 blocks of 1,024 B; channel "
    "38.0 Mbit/s, carousel 32.0 Mbit/s; downstream loss 5.0%\n",
    "the settop line: method, boxes, image geometry, channel and carousel, loss")
has(out, "time to image    t50 3.25 s   t95 4.49 s   t99 4.50 s   (100/100 boxes)\n",
    "time to image: run.json's image_s and how many boxes completed it")
# 19 rows at 30 Mbit/s (1,875,000 B a row) and one at 36.5 (2,281,250 B):
# 37,906,250 B = 36.2 MiB, mean 30.3 Mbit/s over 10 s; datagrams: 3 a block
# (3 receiving ranks), 111,048; a cycle every other row.
has(out, "head-end egress  36.2 MiB, peak 36.5 of the channel's 38.0 Mbit/s, mean 30.3 Mbit/s; "
    "111k datagrams, 10 cycles\n", "head-end egress: total, peak against the channel, mean")
has(out, "cycles per box   mean 1.40, p50 1.20, p95 2.90, max 4.10 (channel cycles a box heard "
    "until its image was complete)\n", "cycles per box")
has(out, "blocks at boxes  3,200 delivered, 160 lost (the box's downstream loss), 80 duplicates, "
    "1 bad (wrong image, index or size)\n", "what the boxes received")
has(out, "image check      25 verified (stitched and SHA-256 checked), 75 counted only (complete "
    "by the count of blocks: not stitched, not checked); settop.verify 25.0%; boxes held at "
    "most 6.25 MiB of image bytes at once\n",
    "image check: verified and counted boxes told apart, the verify share, the memory held")
has(out, "registration     100 served, 4 refused (BUSY), 1 wasted (served after the box's "
    "timeout)\n", "registration: served, refused, wasted")
has(out, "metastable       no: head-end registration offered 40.0/s, goodput 38.0/s, capacity "
    "2.00k/s\n", "metastable: the head-end's registration load behind the verdict")
check(out.index("settop   ") < out.index("time to image") < out.index("head-end egress") <
      out.index("cycles per box") < out.index("blocks at boxes") < out.index("image check") <
      out.index("registration  "), "the settop block in order")

out = summary_of(fountain)
has(out, "settop           fountain: 100 boxes; image 256 KiB, K = 256 source symbols of 1,024 B; "
    "channel 38.0 Mbit/s, carousel 32.0 Mbit/s; downstream loss 5.0%\n",
    "fountain: K source symbols")
has(out, "fountain         100 decodes, 1 failed; overhead mean 1.24, p95 3, max 5 symbols beyond "
    "K (real decodes only)\n", "fountain: decodes and their overhead")
has(out, "symbols at boxes 3,200 delivered,", "fountain: the boxes received symbols")
has(out, "image check      100 verified (decoded and SHA-256 checked); settop.verify 100.0%; boxes "
    "held at most 25.0 MiB of image bytes at once\n", "fountain: every box decoded and checked")
has(out, "head-end egress  36.2 MiB, peak 37.2 of the channel's 38.0 Mbit/s,", "fountain: egress")
has(out, "cycles per box   mean 1.05, p50 1.02, p95 1.10, max 1.20", "fountain: cycles per box")

out = summary_of(counted)
has(out, "fountain         0 decodes, 0 failed; overhead n/a (no real decode)\n",
    "no decode: no overhead claimed")
has(out, "image check      none verified: 100 counted only (complete by the count of symbols: not "
    "decoded, not checked); settop.verify 0.0%; boxes held at most 0 B of image bytes at once\n",
    "counted boxes are never called verified")

out = summary_of(unicast)
has(out, "settop           unicast: 100 boxes; image 256 KiB in 256 blocks of 1,024 B; channel "
    "38.0 Mbit/s; downstream loss 5.0%\n", "unicast: no carousel rate")
has(out, "time to image    t50 3.40 s   t95 4.80 s   t99 never   (98/100 boxes)\n",
    "unicast: t99 never reached, 98 of 100 boxes")
# 19 rows at 20 Mbit/s (1,250,000 B) and one at 38.0 (2,375,000 B): 26.125 MB
has(out, "head-end egress  24.9 MiB, peak 38.0 of the channel's 38.0 Mbit/s, mean 20.9 Mbit/s; "
    "3 lost segments sent again\n", "unicast egress: the segments sent again")
has(out, "downloads        112 attempts: 98 ok, 10 busy, 2 timed out, 0 failed, 0 aborted, 0 gave "
    "up\n", "unicast: the download attempts by outcome")
has(out, "image check      98 verified (downloaded and SHA-256 checked); boxes held at most "
    "25.0 MiB of image bytes at once\n", "unicast: every box verifies, settop.verify not shown")
check("cycles per box" not in out and "fountain  " not in out,
      "unicast: no cycles nor fountain line")

# A run killed before its final gathers: the per-box figures are null in
# its rows-only summary, which means unknown, not never.
rows_only = os.path.join(D, "rows-only")
shutil.copytree(fountain, rows_only)
with open(os.path.join(rows_only, "run.json")) as f:
    run = json.load(f)
run.update(complete=False, reason="interrupted by SIGTERM at 10.0 s")
sm = run["summary"]
sm.update(rows_only=True, t50_s=None, t95_s=None, t99_s=None)
st = sm["settop"]
st["image_s"] = {"t50": None, "t95": None, "t99": None}
st["online_s"] = {"t50": None, "t95": None, "t99": None}
st["cycles_per_box"] = {k: None for k in ("mean", "p50", "p95", "max")}
st["fountain"].update(overhead_mean=None, overhead_p95=None, overhead_max=None)
with open(os.path.join(rows_only, "run.json"), "w") as f:
    json.dump(run, f)
out = summary_of(rows_only)
has(out, "time to image    n/a (the run ended before its final gathers)\n",
    "rows-only: time to image unknown, not never")
has(out, "cycles per box   n/a (the run ended before its final gathers)\n",
    "rows-only: cycles per box unknown")
has(out, "fountain         100 decodes, 1 failed; overhead n/a (the run ended before its final "
    "gathers)\n", "rows-only: the decodes counted, the overhead unknown")
p = rtlib.tool(a, "compare", "--json", rows_only)
j = json.loads(p.stdout) if p.returncode == 0 else {"runs": [{"figures": {}}]}
figs = j["runs"][0]["figures"]
check(not {"image_t95_s", "online_t95_s", "cycles_mean", "overhead_mean"} & set(figs) and
      figs.get("egress_peak_mbps", {}).get("value") == 37.2,
      f"compare of a rows-only run: no per-box settop figure, the egress from the rows ({figs})")

p = rtlib.tool(a, "summary", p2p)
out = p.stdout.split("\nresults ")[0]  # the path has "settop" in it
check(p.returncode == 0 and not any(w in out for w in (
    "set-top", "head-end", "time to image", "image check", "registration  ", "settop")),
    "a supernode run: no settop lines")

# ---- bad settop objects in run.json ----
def damaged(name, edit, message):
    d = os.path.join(D, "bad", name)
    os.makedirs(os.path.dirname(d), exist_ok=True)
    shutil.copytree(carousel, d)
    path = os.path.join(d, "run.json")
    with open(path) as f:
        run = json.load(f)
    edit(run["summary"])
    with open(path, "w") as f:
        json.dump(run, f)
    p = rtlib.tool(a, "summary", d)
    check(p.returncode == 2 and message in p.stderr,
          f"damaged settop object ({name}): exit 2, {message!r} ({p.returncode}, {p.stderr!r})")


damaged("array", lambda s: s.update(settop=[1]),
        "summary.settop should be an object, not an array")
damaged("t95", lambda s: s["settop"]["image_s"].update(t95="4.5s"),
        "summary.settop.image_s.t95 should be a number or null, not a string")
damaged("peak", lambda s: s["settop"].update(egress_peak_mbps=True),
        "summary.settop.egress_peak_mbps should be a number or null, not a boolean")
damaged("cycles", lambda s: s["settop"].update(cycles_per_box=3),
        "summary.settop.cycles_per_box should be an object or null, not an integer")
damaged("method", lambda s: s["settop"].update(method=3),
        "summary.settop.method should be a string, not an integer")

# ---- compare ----
p = rtlib.tool(a, "compare", p2p, carousel, fountain, unicast)
out = p.stdout
check(p.returncode == 0 and "  #2   carousel   settop-carousel   seed 1   settop      group B" in out,
      f"compare: settop in the run list ({out[:800]})")
cells = {}
for ln in out.splitlines():
    parts = re.split(r"\s{2,}", ln.strip())
    if len(parts) == 5:
        cells[parts[0]] = parts[1:]
for label, want in (("image t95 (95% have it)", ["-", "4.49 s", "4.20 s", "4.80 s"]),
                    ("boxes online t95", ["-", "4.95 s", "4.95 s", "4.95 s"]),
                    ("peak head-end egress", ["-", "36.5 Mbit/s", "37.2 Mbit/s", "38.0 Mbit/s"]),
                    ("cycles per box (mean)", ["-", "1.40", "1.05", "-"]),
                    ("fountain overhead (mean)", ["-", "-", "1.24", "-"]),
                    ("login attempts", ["140", "-", "-", "-"])):
    check(cells.get(label) == want, f"compare: {label} {want} ({cells.get(label)})")
p = rtlib.tool(a, "compare", "--json", p2p, carousel, fountain, unicast, counted)
j = json.loads(p.stdout) if p.returncode == 0 else {"runs": [], "groups": [], "figures": []}
units = {f["key"]: f["unit"] for f in j["figures"]}
check([units.get(k) for k in ("image_t95_s", "online_t95_s", "egress_peak_mbps", "cycles_mean",
                              "overhead_mean")] == ["s", "s", "Mbit/s", "number", "number"],
      f"compare --json: the settop figures and their units ({units})")


def values(key):
    return [x["figures"].get(key, {}).get("value", "absent") for x in j["runs"]]


check(values("image_t95_s") == ["absent", 4.49, 4.2, 4.8, 4.2],
      f"compare --json: image_t95_s ({values('image_t95_s')})")
check(values("egress_peak_mbps") == ["absent", 36.5, 37.2, 38.0, 37.2],
      f"compare --json: egress_peak_mbps ({values('egress_peak_mbps')})")
check(values("cycles_mean") == ["absent", 1.4, 1.05, "absent", 1.05],
      f"compare --json: cycles_mean, absent for unicast ({values('cycles_mean')})")
check(values("overhead_mean") == ["absent", "absent", 1.24, "absent", None],
      f"compare --json: overhead_mean for fountain only, null without a decode "
      f"({values('overhead_mean')})")
check(values("login_attempts") == [140, "absent", "absent", "absent", "absent"],
      f"compare --json: no login figures under settop ({values('login_attempts')})")
check([x.get("architecture") for x in j["runs"]] == ["supernode"] + ["settop"] * 4,
      "compare --json: each run's architecture")
p = rtlib.tool(a, "compare", "--json", p2p)
j = json.loads(p.stdout) if p.returncode == 0 else {"figures": [{"key": "image_t95_s"}]}
check(not {f["key"] for f in j["figures"]} & {"image_t95_s", "online_t95_s", "egress_peak_mbps",
                                                "cycles_mean", "overhead_mean"},
      "compare of a supernode run: no settop figures")
p = rtlib.tool(a, "compare", *seeds)
out = p.stdout
check(p.returncode == 0 and "  A   n=2   runs #1 #2" in out, "compare: two seeds form a group")
check(re.search(r"^image t95 \(95% have it\)\s+4\.49 s$", out, re.M) and
      re.search(r"^peak head-end egress\s+36\.5 Mbit/s$", out, re.M),
      f"compare: a settop group's figures ({out})")

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


html, ids = report("mixed.html", p2p, carousel, fountain, unicast)
check(ids[:1] == ["online_arch"] and "logins" in ids and "sn_count" in ids,
      f"report of P2P and settop runs: the architecture chart first, the login charts ({ids})")
check(series_titles(svg_of(html, "online_arch")) ==
      ["supernode", "settop: #2 carousel", "settop: #3 fountain", "settop: #4 unicast"],
      "report: the settop runs in 'Peers online by architecture'")
check(series_titles(svg_of(html, "logins")) == ["p2p", "p2p"],
      "report: no login series for settop runs")
card = [i for i in ids if i.startswith("settop")]
check(card == [f"settop{n}_{w}" for n in (2, 3, 4) for w in ("egress", "boxes", "image")],
      f"report: a settop card per settop run: egress, boxes, time to image ({card})")
check('id="fig-settop2"' in html and "Set-top boxes of run #2 carousel (carousel)" in html and
      'id="fig-settop1"' not in html, "report: the card's title, none for the P2P run")
eg = svg_of(html, "settop2_egress")
check(series_titles(eg) == ["egress Mbit/s"] and ">channel 38 Mbit/s<" in eg and
      ">carousel 32 Mbit/s<" in eg, "report: the egress against the channel and the carousel")
eg = svg_of(html, "settop4_egress")
check(">channel 38 Mbit/s<" in eg and "carousel 32" not in eg,
      "report: a unicast run's egress against the channel only")
check(series_titles(svg_of(html, "settop2_boxes")) == ["fetching", "online"],
      "report: boxes fetching and online")
im = svg_of(html, "settop2_image")
check(series_titles(im) == ["p50", "p99"], "report: time to image p50 and p99")
# p99 of rows 5-9 in s, steps from 2.0 s to 4.5 s: one stretch (rows without
# a completed image are gaps, not zeros)
paths = re.findall(r'<path class="series"[^>]* d="([^"]+)"', im)
check(len(paths) == 2 and all(d.count("M") == 1 for d in paths),
      f"report: time to image only where boxes completed it ({paths})")
sub = html.split('id="fig-settop2"', 1)[-1].split("</p>", 1)[0]
check("Verified: 25 of the 100 boxes that completed their image stitched it and checked its "
      "SHA-256; the other 75 completed by counting blocks, with nothing stitched or checked "
      "(settop.verify 25.0%)." in sub, f"report: the card says which boxes verified ({sub})")
sub = html.split('id="fig-settop4"', 1)[-1].split("</p>", 1)[0]
check("Verified: 98 of the 98 boxes that completed their image downloaded it and checked its "
      "SHA-256." in sub, f"report: unicast boxes verify, no settop.verify ({sub})")

html, ids = report("settop.html", carousel, fountain, unicast, counted)
check(ids == ["online", "server_load", "lag", "time_to_online", "skew"] +
      [f"settop{n}_{w}" for n in (1, 2, 3, 4) for w in ("egress", "boxes", "image")],
      f"report of settop runs: no login, supernode or architecture charts; a card each ({ids})")
sub = html.split('id="fig-settop4"', 1)[-1].split("</p>", 1)[0]
check("Verified: none; the 100 boxes that completed their image did so by counting symbols, with "
      "nothing decoded or checked (settop.verify 0.0%)." in sub,
      f"report: no verification claimed for counted boxes ({sub})")
html, ids = report("seeds.html", *seeds)
cards = re.findall(r'<div class="k">([^<]*)</div>', html)
check("t95: 95% have the image" in cards and "peak head-end egress" in cards and
      "amplification" not in cards and "mean login capacity" not in cards,
      f"report: the headline cards of a settop scenario ({cards})")
html, ids = report("p2p.html", p2p)
cards = re.findall(r'<div class="k">([^<]*)</div>', html)
check(not [i for i in ids if i.startswith("settop")] and "peak head-end egress" not in cards and
      "Set-top" not in html, f"report of a supernode run: nothing of settop ({ids}, {cards})")
check.done()
