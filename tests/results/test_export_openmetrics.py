"""bootstorm-results export --format openmetrics (and prometheus) on the real
runs of the results.runs fixture: two seeds of the small scenario, a dht run
and a settop run, exported together.

The OpenMetrics text passes the strict reader (tests/results/omcheck.py) and
ends in one # EOF; promtool says of it only what its classic reading says of
any counter (exit 3), and passes the prometheus text (exit 0, silent). Both
carry the same samples. Each run is one sample per family, labelled with the
tool's run label and its scenario, and its values are the run's own: every
counter of common/metrics.h equals run.json's summary, every gauge the last
timeseries.csv row, the progress figures the rows and the scenario, the
latency summaries histograms.json. Also: one run alone, -o FILE, an
incomplete run, a bad --format, and the reader's own refusals of damaged
texts (so that it can fail).
"""
import json
import math
import os
import shutil

import omcheck
import rtlib

a = rtlib.parse_args("openmetrics")
check = rtlib.Check()
runs = rtlib.fixture_runs(a, check)
for extra in (a.dht_sweep, a.settop_sweep):
    d = os.path.join(extra, rtlib.RUN_DIRS[0])
    if check(os.path.exists(os.path.join(d, "run.json")), f"the fixture made {d}"):
        runs.append(d)
COUNTERS, GAUGES = omcheck.table_names(a.source)


def labels_of(paths):
    """The tool's run labels: directory names, paths where two clash."""
    base = [os.path.basename(p.rstrip("/")) for p in paths]
    return [p if base.count(b) > 1 else b for p, b in zip(paths, base)]


def seconds(text):
    for unit, f in (("ms", 1e-3), ("us", 1e-6), ("s", 1.0), ("min", 60.0)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * f
    raise ValueError(text)


def same(x, y):
    if x is None or y is None:
        return False
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return abs(x - y) <= 1e-9 * max(1.0, abs(y))


p = rtlib.tool(a, "export", "--format", "openmetrics", *runs)
om = p.stdout
check(p.returncode == 0 and om, f"export --format openmetrics of {len(runs)} runs exits 0")
fams, errors = omcheck.parse_openmetrics(om)
check(not errors, f"the strict reader accepts it ({errors[:3]})")
check(om.endswith("\n# EOF\n") and om.count("# EOF") == 1, "one # EOF, at the end")
pp = rtlib.tool(a, "export", "--format", "prometheus", *runs)
pfams, perrors = omcheck.parse_prometheus(pp.stdout)
check(pp.returncode == 0 and not perrors and "# EOF" not in pp.stdout,
      "export --format prometheus: the classic text, no # EOF")
check(omcheck.samples(fams).keys() == omcheck.samples(pfams).keys()
      and all(same(v, omcheck.samples(pfams)[k]) for k, v in omcheck.samples(fams).items()),
      "both formats carry the same samples and values")

rc, said = omcheck.promtool(pp.stdout)
check(rc == 0 and said == [], f"promtool check metrics on the prometheus text: exit 0, silent "
      f"({rc}, {said[:3]})")
rc, said = omcheck.promtool(om)
unexpected = [x for x in said if x not in omcheck.expected_promtool_om(fams)]
check(rc == 3 and sorted(said) == omcheck.expected_promtool_om(fams),
      f"promtool on the OpenMetrics text: exit 3, only 'X_total no help text' for each of the "
      f"{len(COUNTERS)} counters ({rc}, {unexpected[:3]})")

by_name = {f.name: f for f in fams}
labels = labels_of(runs)
check(len(set(labels)) == len(runs), f"the runs' labels are distinct ({labels})")


def value(name, run, scenario, **extra):
    f = [x for x in fams if name.startswith(x.name)]
    want = dict({"run": run, "scenario": scenario}, **extra)
    for fam in f:
        for sname, lab, v in fam.samples:
            if sname == name and lab == want:
                return v
    return None


# one sample per run in every family (a summary: 5 per run)
per_run = all(len(f.samples) == len(runs) * (5 if f.type == "summary" else 1) for f in fams)
check(per_run, "every family has one sample per run (a summary five)")
check("bootstorm_run_elapsed_seconds" not in by_name, "no run clock in an export (live only)")
check(len([f for f in fams if f.type == "counter"]) == len(COUNTERS),
      f"one counter family per counter of common/metrics.h ({len(COUNTERS)})")

for path, label in zip(runs, labels):
    run = rtlib.load_json(os.path.join(path, "run.json"))
    hist = rtlib.load_json(os.path.join(path, "histograms.json"))
    rows = rtlib.bslib.load_csv(os.path.join(path, "timeseries.csv"))
    s, name, last = run["summary"], run["name"], rows[-1]
    bad = []
    for c in COUNTERS:
        fam, scale = omcheck.family_of(c)
        if not same(value(fam + "_total", label, name), s[c] * scale):
            bad.append(f"{fam}_total {value(fam + '_total', label, name)} != {s[c]}")
    for g in GAUGES:
        fam, scale = omcheck.family_of(g)
        if not same(value(fam, label, name), float(last[g]) * scale):
            bad.append(f"{fam} {value(fam, label, name)} != {last[g]}")
    check(not bad, f"{label}: every counter is run.json's total, every gauge the last row's "
          f"({bad[:3]})")
    scn = run["scenario"]
    interval = seconds(scn["metrics"]["interval"])
    duration = seconds(scn["duration"])
    want = {"bootstorm_run_seconds": float(last["t_s"]),
            "bootstorm_run_duration_seconds": duration,
            "bootstorm_run_interval_seconds": interval,
            "bootstorm_run_interval": len(rows),
            "bootstorm_run_intervals_planned": math.ceil(duration / interval - 1e-9),
            "bootstorm_run_ranks": float(last["ranks"]),
            "bootstorm_run_peers": s["peers"],
            "bootstorm_run_complete": 1 if run["complete"] else 0,
            "bootstorm_timer_lag_p99_seconds": float(last["lag_p99_ms"]) / 1e3,
            "bootstorm_timer_lag_max_seconds": float(last["lag_max_ms"]) / 1e3,
            "bootstorm_cpu_max_ratio": float(last["cpu_max"])}
    bad = [f"{k} {value(k, label, name)} != {v}" for k, v in want.items()
           if not same(value(k, label, name), v)]
    check(not bad, f"{label}: the progress figures are the rows' and the scenario's ({bad[:3]})")
    info = value("bootstorm_run_info", label, name, architecture=scn.get("architecture"),
                 version=run["version"], seed=str(run["seed"]))
    check(info == 1, f"{label}: bootstorm_run_info names the architecture "
          f"({scn.get('architecture')}), version and seed")
    bad = []
    for key, fam in (("login", "bootstorm_login_latency_seconds"),
                     ("register", "bootstorm_register_latency_seconds"),
                     ("image", "bootstorm_image_time_seconds")):
        h = hist.get(key, {"count": 0})
        n = h["count"]
        got = [value(fam, label, name, quantile=q) for q in ("0.5", "0.95", "0.99")]
        want_q = [h[k] / 1e6 if n else math.nan for k in ("p50", "p95", "p99")]
        if not all(same(x, y) for x, y in zip(got, want_q)):
            bad.append(f"{fam} quantiles {got} != {want_q}")
        if value(fam + "_count", label, name) != n:
            bad.append(f"{fam}_count {value(fam + '_count', label, name)} != {n}")
        if not same(value(fam + "_sum", label, name), h["mean"] * n / 1e6 if n else 0.0):
            bad.append(f"{fam}_sum")
    check(not bad, f"{label}: the latency summaries are histograms.json's ({bad[:3]})")
settop_name = rtlib.load_json(os.path.join(runs[-1], "run.json"))["name"]
check((value("bootstorm_image_time_seconds_count", labels[-1], settop_name) or 0) > 0,
      "the settop run's image summary has its images")

# one run alone: its directory name; -o FILE: the same bytes
out = os.path.join(a.dir, "one.om")
p = rtlib.tool(a, "export", "--format", "openmetrics", "-o", out, runs[1])
text = open(out).read() if os.path.exists(out) else ""
check(p.returncode == 0 and p.stdout == "" and text.endswith("# EOF\n")
      and 'run="seed=2",scenario="small"' in text
      and not omcheck.parse_openmetrics(text)[1], "one run, -o FILE: labelled by its directory")
p2 = rtlib.tool(a, "export", "--format", "openmetrics", runs[1])
check(p2.stdout == text, "-o FILE holds what stdout gets")

# an incomplete run (its run.json says so): complete 0
inc = os.path.join(a.dir, "incomplete")
shutil.copytree(runs[1], inc)
j = rtlib.load_json(os.path.join(inc, "run.json"))
j.update(complete=False, reason="interrupted by SIGTERM at 7.0 s")
with open(os.path.join(inc, "run.json"), "w") as f:
    json.dump(j, f)
p = rtlib.tool(a, "export", "--format", "openmetrics", "-q", inc)
check(p.returncode == 0 and 'bootstorm_run_complete{run="incomplete",scenario="small"} 0\n'
      in p.stdout, "an incomplete run: bootstorm_run_complete 0")

p = rtlib.tool(a, "export", "--format", "openmetricz", runs[0])
check(p.returncode == 2 and 'unknown format "openmetricz" (csv, json, jsonl, openmetrics or '
      'prometheus)' in p.stderr, "a bad --format names the formats")

# the reader refuses damaged texts (it can fail)
lines = om.split("\n")
counter_at = next(i for i, x in enumerate(lines) if x.startswith("# TYPE bootstorm_boots "))
damaged = {
    "no # EOF": om.replace("# EOF\n", ""),
    "a family twice": om.replace("# EOF\n", "\n".join(lines[counter_at:counter_at + 3]) +
                                 "\n# EOF\n"),
    "a counter sample without _total": om.replace("bootstorm_boots_total{", "bootstorm_boots{"),
    "an undefined escape": om.replace('scenario="small"', 'scenario="sm\\all"', 1),
    "a sample after # EOF": om + "x 1\n",
    "a line that is not a sample": om.replace("# EOF", "bootstorm_x 1 2 3\n# EOF"),
    "a NaN counter": om.replace(lines[counter_at + 2], lines[counter_at + 2].rsplit(" ", 1)[0]
                                + " NaN"),
}
for what, text in damaged.items():
    check(omcheck.parse_openmetrics(text)[1] != [], f"the reader refuses {what}")
check.done()
