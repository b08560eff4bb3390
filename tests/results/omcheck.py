"""A strict reader of the two text formats bootstorm writes for Prometheus
(docs/metrics.md), for the tests (stdlib only):

- parse_openmetrics(text): the OpenMetrics 1.0.0 text format, checked
  against the specification's rules that matter here (the ABNF of lines,
  names and escapes; metadata before samples; families, metrics and
  samples not interleaved or repeated; the suffixes each type allows; UNIT
  a suffix of the name; # EOF last);
- parse_prometheus(text): the classic text format 0.0.4, more loosely;
- promtool(text): `promtool check metrics` on it: (exit status, complaints).

promtool (2.42, Debian 12) reads the classic format only. On an
OpenMetrics text it takes a counter family's `X_total` samples for an
untyped metric of their own without HELP, so its only complaints about a
valid exposition are `X_total no help text`, one per counter family:
expected_promtool_om() lists them.
"""
import math
import re
import subprocess

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
# a label value: escapes \\ \" \n only (the writer uses no other)
VALUE = r'(?:[^"\\\n]|\\[\\"n])*'
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{LABEL}=\"{VALUE}\"(?:,{LABEL}=\"{VALUE}\")*)?\}})? (\S+)$")
LABEL_PAIR = re.compile(rf'({LABEL})="({VALUE})"')
REALNUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\d*\.\d+(?:[eE][+-]?\d+)?)$")
TYPES = {"counter", "gauge", "histogram", "gaugehistogram", "stateset", "info", "summary",
         "unknown"}
# the sample name suffixes each type allows (OpenMetrics, "Metric types")
SUFFIXES = {"counter": ["_total", "_created"], "gauge": [""], "summary": ["", "_sum", "_count",
            "_created"], "info": ["_info"], "unknown": [""], "stateset": [""],
            "histogram": ["_bucket", "_sum", "_count", "_created"],
            "gaugehistogram": ["_bucket", "_gsum", "_gcount"]}


def unescape(s):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), s)


def number(text):
    """A sample value as the ABNF has it, or None."""
    low = text.lower()
    if low in ("nan",):
        return math.nan
    if low.lstrip("+-") in ("inf", "infinity"):
        return -math.inf if low.startswith("-") else math.inf
    if REALNUMBER.match(text):
        return float(text)
    return None


def _labels(text):
    if not text or text == "{}":
        return {}
    return {k: unescape(v) for k, v in LABEL_PAIR.findall(text[1:-1])}


class Family:
    def __init__(self, name):
        self.name = name
        self.type = None
        self.unit = None
        self.help = None
        self.samples = []  # (sample name, labels dict, value)


def parse_openmetrics(text):
    """Returns (families in order, errors). No error: a valid exposition."""
    errors = []
    fams = []
    by_name = {}
    closed = set()          # families left behind
    seen = set()            # (sample name, labels) already exposed
    cur = None
    if "\r" in text:
        errors.append("a carriage return (line ends must be \\n)")
    if not text.endswith("# EOF\n") and not text.endswith("# EOF"):
        errors.append("does not end with # EOF")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for i, line in enumerate(lines, 1):
        where = f"line {i}"
        if line == "# EOF":
            if i != len(lines):
                errors.append(f"{where}: # EOF before the end")
            break
        if line.startswith("#"):
            m = re.match(rf"^# (TYPE|UNIT|HELP) ({NAME})(?: (.*))?$", line)
            if not m:
                errors.append(f"{where}: a # line that is not TYPE, UNIT, HELP or EOF: {line!r}")
                continue
            kind, name, rest = m.group(1), m.group(2), m.group(3) or ""
            if cur is None or cur.name != name:
                if name in by_name:
                    errors.append(f"{where}: family {name} again (families must not repeat)")
                if cur is not None:
                    closed.add(cur.name)
                cur = Family(name)
                by_name[name] = cur
                fams.append(cur)
            elif cur.samples:
                errors.append(f"{where}: {kind} of {name} after its samples")
            attr = kind.lower()
            if getattr(cur, attr) is not None:
                errors.append(f"{where}: a second {kind} for {name}")
            if kind == "TYPE":
                if rest not in TYPES:
                    errors.append(f"{where}: unknown type {rest!r}")
                cur.type = rest
            elif kind == "UNIT":
                cur.unit = rest
                if rest and not name.endswith("_" + rest):
                    errors.append(f"{where}: unit {rest} is not a suffix of {name}")
            else:
                if re.search(r'\\[^\\"n]', rest) or rest.endswith("\\") and not rest.endswith("\\\\"):
                    errors.append(f"{where}: HELP with an undefined escape")
                cur.help = unescape(rest)
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append(f"{where}: not a sample line: {line!r}")
            continue
        sname, labels, value = m.group(1), _labels(m.group(2)), number(m.group(3))
        if value is None:
            errors.append(f"{where}: {m.group(3)!r} is not a number")
            continue
        fam = cur
        if fam is None or not any(sname == fam.name + s for s in
                                  SUFFIXES.get(fam.type or "unknown", [""])):
            # a sample of a family without metadata: its own unknown family
            if sname in by_name or sname in closed:
                errors.append(f"{where}: {sname} belongs to no open family (interleaved?)")
            if cur is not None:
                closed.add(cur.name)
            cur = fam = Family(sname)
            by_name[sname] = fam
            fams.append(fam)
        key = (sname, tuple(sorted(labels.items())))
        if key in seen:
            errors.append(f"{where}: {sname}{labels} exposed twice")
        seen.add(key)
        if fam.type == "counter" and sname.endswith("_total") and not value >= 0:
            errors.append(f"{where}: counter {sname} is {value}")
        if fam.type == "summary":
            q = labels.get("quantile")
            if (sname == fam.name) != (q is not None):
                errors.append(f"{where}: quantile label on the wrong sample of {fam.name}")
            if q is not None and (number(q) is None or not 0 <= float(q) <= 1):
                errors.append(f"{where}: quantile {q!r}")
            if sname.endswith("_count") and not (value >= 0 and value == int(value)):
                errors.append(f"{where}: {sname} is {value}")
        elif "quantile" in labels or "le" in labels:
            errors.append(f"{where}: a reserved label on a {fam.type} sample")
        if fam.type == "info" and value != 1:
            errors.append(f"{where}: info value {value}")
        fam.samples.append((sname, labels, value))
    # a family's metrics (label sets but quantile) must not interleave
    for fam in fams:
        order = []
        for _, labels, _ in fam.samples:
            ls = tuple(sorted((k, v) for k, v in labels.items() if k != "quantile"))
            if not order or order[-1] != ls:
                if ls in order:
                    errors.append(f"{fam.name}: metric {dict(ls)} interleaved with another")
                order.append(ls)
    return fams, errors


def parse_prometheus(text):
    """The classic format: (families in order, errors), families by their
    TYPE/HELP names (a counter's is its sample name, X_total)."""
    errors = []
    fams = []
    by_name = {}
    cur = None
    for i, line in enumerate(text.split("\n"), 1):
        if line == "":
            continue
        if line.startswith("#"):
            m = re.match(rf"^# (TYPE|HELP) ({NAME}) ?(.*)$", line)
            if not m:
                errors.append(f"line {i}: a comment: {line!r}")
                continue
            name = m.group(2)
            if cur is None or cur.name != name:
                if name in by_name:
                    errors.append(f"line {i}: family {name} again")
                cur = Family(name)
                by_name[name] = cur
                fams.append(cur)
            if m.group(1) == "TYPE":
                cur.type = m.group(3)
            else:
                cur.help = m.group(3).replace("\\n", "\n").replace("\\\\", "\\")
            continue
        m = SAMPLE.match(line)
        if not m or number(m.group(3)) is None:
            errors.append(f"line {i}: not a sample line: {line!r}")
            continue
        if cur is None:
            errors.append(f"line {i}: a sample before any TYPE")
            continue
        cur.samples.append((m.group(1), _labels(m.group(2)), number(m.group(3))))
    return fams, errors


def samples(fams):
    """{(sample name, labels as a sorted tuple): value} of parsed families."""
    out = {}
    for fam in fams:
        for name, labels, value in fam.samples:
            out[(name, tuple(sorted(labels.items())))] = value
    return out


def promtool(text):
    """`promtool check metrics` on text: (exit status, complaint lines)."""
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    lines = [x for x in (p.stdout + p.stderr).split("\n") if x.strip()]
    return p.returncode, lines


def expected_promtool_om(fams):
    """What promtool says of a valid OpenMetrics text (see the module doc)."""
    return sorted(f"{f.name}_total no help text" for f in fams if f.type == "counter")


def table_names(source_dir):
    """The counter and gauge names of common/metrics.h, in table order."""
    import os
    text = open(os.path.join(source_dir, "common", "metrics.h")).read()
    c = text[text.index("#define METRIC_COUNTERS"):text.index("#define METRIC_GAUGES")]
    g = text[text.index("#define METRIC_GAUGES"):text.index("#define X_ENUM")]
    pat = re.compile(r'X\(\w+, "(\w+)"\)')
    return pat.findall(c), pat.findall(g)


RESERVED = ("_count", "_sum", "_bucket", "_total", "_created", "_info", "_gcount", "_gsum")


def family_of(table_name):
    """docs/metrics.md's rule: (family name, factor to the exported value)."""
    if table_name.endswith(RESERVED):
        return f"bootstorm_{table_name}_value", 1.0
    for suffix, scale in (("_us", 1e-6), ("_ms", 1e-3), ("_ns", 1e-9)):
        if table_name.endswith(suffix):
            return f"bootstorm_{table_name[:-len(suffix)]}_seconds", scale
    return f"bootstorm_{table_name}", 1.0
