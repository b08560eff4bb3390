"""The capacity model behind `cloud/aws/plan --peers N --storm-rate R` and
`cloud/local/plan-check`: how many instances of which type, how many ranks
on each, and what each rank and instance carries, for N peers booting at R
logins/s. Pure functions of the inputs, no AWS, no I/O except reading the two
JSON files. See docs/cloud.md, "Sizing a run".

Inputs:
- the measured figures, bench/figures.json (load_figures): logins/s per core,
  peers per core, bytes per peer, bytes per rank, fds per peer, the fd limit,
  and the planning shares;
- the catalogue, cloud/aws/prices.json (load_catalogue): vCPUs, memory,
  threads per core and architecture of each type ("types"), with its price
  in the region ("regions").

For one type and an instance count n, layout() spreads the run: rank 0 (the
coordinator) on the first host, K node ranks on every host, where K is the
larger of the ranks the fd limit needs, the ranks the storm's CPU needs (a
rank is one event loop, at most one core) and the host's cores, spread over
the n hosts. It then checks six constraints, each monotone in n:

  CPU      the storm: R / n <= cores x logins_per_s_per_core x cpu_headroom
  density  peers per host <= cores x peers_per_core (the density measured
           faithful, steady-state work and a storm included; no headroom)
  memory   peers x peer_bytes + ranks x rank_fixed + os_reserve
           <= memory x memory_headroom
  fds      K + 1 ranks on a host <= vCPUs x max_ranks_per_core, with K fed by
           the fd limit (or by the CPU, when that needs more ranks)
  ports    in host mode a host's nodes listen on ports port_base..65535:
           K x (nodes per rank + 1) <= 65535 - port_base (common/placement.c)

The smallest n meeting all of them is the type's count, and the constraints
whose own smallest n equals it are what it is "bound by". choose() takes the
cheapest type (ties, within TIE_SHARE of the cheapest cost: fewer
instances). Cores are vCPUs / threads_per_core: the figures are per core of
a machine whose guest sees one thread per core, and on Intel and AMD types
two vCPUs share a core.
"""
import json
import math
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIGURES = os.path.join(REPO, "bench", "figures.json")
PRICES = os.path.join(HERE, "prices.json")

GIB = 1 << 30
MIB = 1 << 20
TOP_PORT = 65535
TIE_SHARE = 0.02          # costs within 2% of the cheapest count as a tie
SEARCH_LIMIT = 10 ** 7    # no plan needs more instances than this

# The figures the model reads, with what each must be. A missing or bad one
# is an error naming it: the model never falls back on a number of its own.
FIELDS = {
    "logins_per_s_per_core": ("positive", "faithful logins/s per core"),
    "peers_per_core": ("positive or null", "faithful peers per core (null: no bound)"),
    "peer_bytes_marginal": ("positive", "bytes per added peer"),
    "rank_fixed_bytes": ("non-negative", "fixed bytes per rank"),
    "fds_per_online_peer": ("positive", "open files per online peer"),
    "fd_limit": ("positive", "open files per rank"),
    "fd_headroom": ("share", "usable share of fd_limit"),
    "fd_slack_per_rank": ("non-negative", "open files per rank beside the peers'"),
    "max_ranks_per_core": ("positive", "ranks per vCPU at most"),
    "cpu_headroom": ("share", "usable share of a core"),
    "memory_headroom": ("share", "usable share of an instance's memory"),
    "os_reserve_bytes": ("non-negative", "memory kept for the OS per instance"),
    "port_base": ("port", "first listening port of a host's nodes"),
    "server_nodes_share": ("non-negative", "server nodes per peer"),
}
CONSTRAINTS = ("CPU", "density", "memory", "fds", "ports")


class SizingError(ValueError):
    """Bad input to the model: the message names the option or the field."""


# ---- parsing the command line's numbers ----

_SUFFIX = {"": 1, "k": 1000, "m": 1000 ** 2, "g": 1000 ** 3}


def _number(text):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*([kKmMgG]?)\s*", text.replace("_", "").replace(",", ""))
    if not m:
        return None
    return float(m.group(1)) * _SUFFIX[m.group(2).lower()]


def parse_peers(text, option="--peers"):
    """1000000, 1,000,000, 1_000_000, 1M, 250k -> int > 0."""
    v = _number(str(text))
    if v is None or v != int(v):
        raise SizingError("%s %r is not a whole number of peers (such as 1000000, 1M or 250k)" % (option, text))
    if v <= 0:
        raise SizingError("%s must be at least 1, got %s" % (option, text))
    return int(v)


def parse_rate(text, option="--storm-rate"):
    """20000/s, 20000, 20k/s, 1.5k -> logins per second, > 0."""
    s = str(text).strip()
    body = s[:-2] if s.endswith("/s") else s
    v = _number(body) if body else None
    if v is None:
        raise SizingError("%s %r is not a rate in logins per second (such as 20000/s, 20000 or 20k/s)"
                          % (option, text))
    if v <= 0:
        raise SizingError("%s must be above 0 logins/s, got %s" % (option, text))
    return v


# ---- the two input files ----

def load_figures(path=FIGURES):
    try:
        with open(path) as f:
            fig = json.load(f)
    except OSError as e:
        raise SizingError("--figures %s: cannot read it (%s)" % (path, e.strerror or e))
    except ValueError as e:
        raise SizingError("--figures %s: not valid JSON (%s)" % (path, e))
    if not isinstance(fig, dict):
        raise SizingError("--figures %s: not a JSON object" % path)
    for name, (kind, what) in FIELDS.items():
        if name not in fig:
            raise SizingError("--figures %s: no field %r (%s)" % (path, name, what))
        v = fig[name]
        if v is None and kind == "positive or null":
            continue
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        if ok and kind.startswith("positive"):
            ok = v > 0
        elif ok and kind == "non-negative":
            ok = v >= 0
        elif ok and kind == "share":
            ok = 0 < v <= 1
        elif ok and kind == "port":
            ok = v == int(v) and 1 <= v < TOP_PORT
        if not ok:
            raise SizingError("--figures %s: %s must be %s (%s), got %r"
                              % (path, name, "a number in (0, 1]" if kind == "share" else
                                 "a port number" if kind == "port" else "a %s number" % kind, what, v))
    usable = math.floor(fig["fd_limit"] * fig["fd_headroom"]) - fig["fd_slack_per_rank"]
    if usable < fig["fds_per_online_peer"]:
        raise SizingError("--figures %s: fd_limit x fd_headroom - fd_slack_per_rank leaves no room for one peer"
                          % path)
    fig = dict(fig)
    fig["path"] = path
    return fig


def load_catalogue(path=PRICES, region="us-east-1"):
    """{type: {vcpus, memory_gib, threads_per_core, arch, price}}, in the
    table's order, for the types with both an entry under "types" and a
    price; the region's prices, else the first region's. Returns
    (catalogue, region used)."""
    try:
        with open(path) as f:
            table = json.load(f)
    except (OSError, ValueError) as e:
        raise SizingError("cannot read the instance table %s: %s" % (path, e))
    regions = table.get("regions") or {}
    if not regions:
        raise SizingError("%s has no prices (\"regions\")" % path)
    used = region if region in regions else next(iter(regions))
    prices = regions[used]
    out = {}
    for name, t in (table.get("types") or {}).items():
        price = prices.get(name)
        try:
            vcpus, mem, tpc = int(t["vcpus"]), float(t["memory_gib"]), int(t.get("threads_per_core", 1))
        except (KeyError, TypeError, ValueError):
            continue
        if vcpus < 1 or mem <= 0 or tpc < 1 or not isinstance(price, (int, float)) or price <= 0:
            continue
        out[name] = {"vcpus": vcpus, "memory_gib": mem, "threads_per_core": tpc,
                     "arch": t.get("arch", "amd64"), "price": float(price)}
    return out, used


def type_entry(catalogue, name):
    return catalogue.get(name)


# ---- the model ----

def cores_of(t):
    return t["vcpus"] / t["threads_per_core"]


def usable_fds(fig):
    return math.floor(fig["fd_limit"] * fig["fd_headroom"]) - fig["fd_slack_per_rank"]


def ranks_needed(peers, rate, fig):
    """(node ranks the fd limit needs, node ranks the storm's CPU needs)."""
    fd_ranks = math.ceil(peers * fig["fds_per_online_peer"] / usable_fds(fig))
    cpu_ranks = math.ceil(rate / (fig["logins_per_s_per_core"] * fig["cpu_headroom"]))
    return fd_ranks, cpu_ranks


def layout(peers, rate, fig, t, n, name="?"):
    """Spread the run over n instances of type t; every figure of the plan,
    and for each constraint whether it holds."""
    cores = cores_of(t)
    fd_ranks, cpu_ranks = ranks_needed(peers, rate, fig)
    k = max(1, math.ceil(max(fd_ranks, cpu_ranks) / n), math.ceil(cores))
    ranks = k * n
    peers_rank = math.ceil(peers / ranks)
    peers_host = math.ceil(peers / n)
    nodes = math.ceil(peers * (1 + fig["server_nodes_share"]))
    ports_host = k * (nodes // ranks + 1)
    ports_room = TOP_PORT - int(fig["port_base"])
    fds_rank = peers_rank * fig["fds_per_online_peer"] + fig["fd_slack_per_rank"]
    mem_need = peers_host * fig["peer_bytes_marginal"] + (k + 1) * fig["rank_fixed_bytes"] + fig["os_reserve_bytes"]
    mem_have = t["memory_gib"] * GIB
    cpu_need = rate / n / fig["logins_per_s_per_core"]        # cores busy with the storm
    ppc = fig["peers_per_core"]
    ok = {
        "CPU": cpu_need <= cores * fig["cpu_headroom"] + 1e-9,
        "density": ppc is None or peers_host <= cores * ppc,
        "memory": mem_need <= mem_have * fig["memory_headroom"],
        "fds": k + 1 <= t["vcpus"] * fig["max_ranks_per_core"] and fds_rank <= fig["fd_limit"] * fig["fd_headroom"],
        "ports": ports_host <= ports_room,
    }
    ulimit = min(int(fig["fd_limit"]), int(math.ceil(fds_rank / fig["fd_headroom"] / 1024.0) * 1024))
    return {
        "type": name, "instances": n, "vcpus": t["vcpus"], "cores": cores, "memory_gib": t["memory_gib"],
        "arch": t["arch"], "price_per_h": t["price"], "cost_per_h": round(n * t["price"], 4),
        "node_ranks_per_instance": k, "node_ranks": ranks, "np": ranks + 1,
        "coordinator": {"rank": 0, "host": 1},
        "slots_first": k + 1, "slots_other": k,
        "peers_per_rank": peers_rank, "peers_per_instance": peers_host,
        "fds_per_rank": fds_rank, "ulimit_n": ulimit, "fd_limit": fig["fd_limit"],
        "fd_ranks": fd_ranks, "cpu_ranks": cpu_ranks,
        "memory_bytes_per_instance": mem_need, "memory_share": mem_need / mem_have,
        "cpu_cores_per_instance": cpu_need, "cpu_share": cpu_need / cores,
        "density_share": (peers_host / (cores * ppc)) if ppc else None,
        "ports_per_instance": ports_host, "ports_room": ports_room, "ports_share": ports_host / ports_room,
        "ok": ok, "suffices": all(ok.values()),
    }


def _first_ok(peers, rate, fig, t, constraint, hi=SEARCH_LIMIT):
    """The smallest n at which `constraint` holds (each is monotone in n),
    or None when even hi instances do not meet it."""
    if not layout(peers, rate, fig, t, hi)["ok"][constraint]:
        return None
    lo = 1
    while lo < hi:
        mid = (lo + hi) // 2
        if layout(peers, rate, fig, t, mid)["ok"][constraint]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def minimum(peers, rate, fig, t, name="?"):
    """The type's smallest instance count and why: (layout or None, {constraint: n or None})."""
    mins = {c: _first_ok(peers, rate, fig, t, c) for c in CONSTRAINTS}
    if any(v is None for v in mins.values()):
        return None, mins
    n = max(mins.values())
    lay = layout(peers, rate, fig, t, n, name)
    lay["min_instances"] = mins
    lay["bound_by"] = bound_by(lay, mins)
    return lay, mins


def bound_by(lay, mins):
    n = lay["instances"]
    if n == 1 and all(v == 1 for v in mins.values()):
        return ["one instance holds it"]
    out = []
    for c in CONSTRAINTS:
        if mins[c] == n:
            if c == "fds" and lay["cpu_ranks"] > lay["fd_ranks"]:
                out.append("CPU (ranks)")
            else:
                out.append(c)
    return out


def shortfalls(lay):
    """What a given count falls short on, in words."""
    out = []
    mins = lay.get("min_instances") or {}
    for c in CONSTRAINTS:
        if not lay["ok"][c]:
            need = mins.get(c)
            out.append("%s (needs %s)" % (c, "%d instances" % need if need else "another type"))
    return out


def evaluate(peers, rate, fig, catalogue, name, count=None):
    """One type: its minimum layout, or the layout at a given count with
    the minimum counts it is checked against."""
    t = catalogue[name]
    lay, mins = minimum(peers, rate, fig, t, name)
    if count is None:
        return lay, mins
    at = layout(peers, rate, fig, t, count, name)
    at["min_instances"] = mins
    at["bound_by"] = lay["bound_by"] if lay else []
    at["needed_instances"] = lay["instances"] if lay else None
    return at, mins


def choose(peers, rate, fig, catalogue, itype=None, count=None, limit=None, alternatives=3):
    """The plan: {"chosen": layout, "alternatives": [layouts], "skipped": [...]}.

    itype and count, when given, win: the layout is theirs, with
    "suffices" saying whether it meets every constraint. Without itype,
    the types of the figures' architecture are candidates (others are
    listed as skipped: the figures were not measured on them)."""
    arch = fig.get("arch")
    rows, skipped, over = [], [], None
    for name, t in catalogue.items():
        if arch and t["arch"] != arch and name != itype:
            skipped.append(name)
            continue
        if count is None:
            lay, _ = minimum(peers, rate, fig, t, name)
            if lay is not None and limit and lay["instances"] > limit:
                if over is None or lay["instances"] < over["instances"]:
                    over = lay
                continue
            if lay is None:
                continue
        else:
            lay, _ = evaluate(peers, rate, fig, catalogue, name, count)
        rows.append(lay)
    if itype is not None:
        if itype not in catalogue:
            raise SizingError("--type %s is not in the instance table (\"types\" of %s): give a type from it, "
                              "or --count too" % (itype, os.path.relpath(PRICES, REPO)))
        chosen = next((r for r in rows if r["type"] == itype), None)
        if chosen is None:      # no count meets it within the limit
            lay, mins = minimum(peers, rate, fig, catalogue[itype], itype)
            if lay is None:
                raise SizingError("--type %s cannot hold this run at any count (%s)"
                                  % (itype, ", ".join(c for c in CONSTRAINTS if mins[c] is None)))
            raise SizingError("--type %s needs %d instances (bound by %s), above the limit of %d"
                              % (itype, lay["instances"], ", ".join(lay["bound_by"]), limit))
    else:
        pool = [r for r in rows if r["suffices"]] if count is not None else rows
        if not pool and count is not None:
            # No type meets every constraint at this count: the count wins,
            # on the type that needs the fewest instances.
            pool = sorted(rows, key=lambda r: (r.get("needed_instances") or SEARCH_LIMIT, r["cost_per_h"]))[:1]
        if not pool:
            return {"chosen": None, "alternatives": [], "skipped": skipped, "over_limit": over}
        cheapest = min(r["cost_per_h"] for r in pool)
        ties = [r for r in pool if r["cost_per_h"] <= cheapest * (1 + TIE_SHARE) + 1e-9]
        chosen = min(ties, key=lambda r: (r["instances"], r["cost_per_h"]))
    others, seen = [], {_shape(chosen)}
    for r in sorted((r for r in rows if r is not chosen and r["suffices"]),
                    key=lambda r: (r["cost_per_h"], r["instances"])):
        if _shape(r) not in seen:       # c5.2xlarge beside c6i.2xlarge tells nothing new
            seen.add(_shape(r))
            others.append(r)
    return {"chosen": chosen, "alternatives": others[:alternatives], "skipped": skipped, "over_limit": over}


def _shape(r):
    return (r["instances"], r["vcpus"], r["memory_gib"], r["cost_per_h"])


# ---- the scaled-down layout for cloud/local/plan-check ----

def scale_down(lay, peers, rate, fig, local_cores, max_peers=2000, max_hosts=4, max_ranks=8):
    """The same layout in small: min(instances, max_hosts) namespace hosts,
    the same pattern (the coordinator and K node ranks on host 1, K on the
    others) with K capped so that the run has at most max_ranks ranks, and
    peers and rate scaled by one factor, so that the boot window (peers /
    rate) stays the plan's: the factor is the largest that keeps the peers
    at most max_peers and the rate, the density and the open files within
    what this machine's local_cores hold by the same figures."""
    hosts = max(1, min(lay["instances"], max_hosts))
    k = max(1, min(lay["node_ranks_per_instance"], (max_ranks - 1) // hosts))
    ranks = hosts * k
    caps = [1.0, max_peers / peers,
            local_cores * fig["logins_per_s_per_core"] * fig["cpu_headroom"] / rate,
            ranks * usable_fds(fig) / (peers * fig["fds_per_online_peer"])]
    if fig["peers_per_core"]:
        caps.append(local_cores * fig["peers_per_core"] / peers)
    factor = min(caps)
    # A factor of 1/D with D whole keeps the numbers readable; never above the caps.
    if factor < 1:
        factor = 1.0 / math.ceil(1.0 / factor - 1e-9)
    lpeers = max(1, int(math.floor(peers * factor + 1e-9)))
    return {
        "hosts": hosts, "node_ranks_per_host": k, "node_ranks": ranks, "np": ranks + 1,
        "slots": [k + 1] + [k] * (hosts - 1),
        "factor": factor, "divisor": round(1.0 / factor) if factor < 1 else 1,
        "peers": lpeers, "storm_rate": rate * factor, "window_s": lpeers / (rate * factor),
        "peers_per_rank": math.ceil(lpeers / ranks), "local_cores": local_cores,
    }


# ---- output ----

def fmt_int(x):
    return "{:,}".format(int(round(x)))


def fmt_rate(x):
    return fmt_int(x) if x >= 100 or x == int(x) else ("%.3g" % x)


def fmt_bytes(b):
    if b >= GIB:
        return "%.1f GiB" % (b / GIB)
    return "%.0f MiB" % (b / MIB)


def usd(x):
    s = ("%.4f" % x).rstrip("0")
    return "$" + s + "0" * (2 - len(s.split(".")[1]))


def usd2(x):
    return "$%.2f" % x if x >= 1 else usd(x)


def table_lines(plan, picked=True):
    rows = [plan["chosen"]] + plan["alternatives"]
    head = "  %-14s %5s %5s %6s %7s %11s %9s  %s" % ("type", "count", "vCPU", "cores", "mem GiB",
                                                     "ranks/host", "cost/h", "bound by / short of")
    out = [head]
    for i, r in enumerate(rows):
        why = ", ".join(r["bound_by"]) if r["suffices"] else "SHORT: " + "; ".join(shortfalls(r))
        out.append("%s %-14s %5d %5d %6g %7g %11d %9s  %s" % (
            "*" if i == 0 else " ", r["type"], r["instances"], r["vcpus"], r["cores"], r["memory_gib"],
            r["node_ranks_per_instance"], usd2(r["cost_per_h"]), why))
    low = min(rows, key=lambda r: r["cost_per_h"])
    if picked and low is not rows[0] and rows[0]["suffices"] and low["suffices"]:
        out.append("  (* within %d%% of the cheapest, %s for %d x %s, with fewer instances)"
                   % (round(100 * TIE_SHARE), usd2(low["cost_per_h"]), low["instances"], low["type"]))
    return out


def layout_lines(lay, peers, rate, fig, scenario="SCENARIO", hostfile="cloud/state/hostfile"):
    """The hostfile, the launch command and the per-rank and per-instance
    figures of a layout, as text."""
    n, k = lay["instances"], lay["node_ranks_per_instance"]
    out = ["hostfile (%s; cloud/aws/up writes it with these slots, private IPs in launch order):" % hostfile,
           "    <ip-1> slots=%d        # rank 0 (the coordinator) and %d node ranks" % (k + 1, k)]
    if n == 2:
        out.append("    <ip-2> slots=%d" % k)
    elif n > 2:
        out.append("    <ip-2> slots=%d" % k)
        out.append("    ...                # %d more hosts, <ip-3> .. <ip-%d>, slots=%d each" % (n - 2, n, k))
    out += [
        "on every host, as bootstorm: ulimit -Hn must be at least %d (cloud/aws/up's instances: %s; each rank "
        "raises its soft limit to it)" % (lay["ulimit_n"], fmt_int(1048576)),
        "on host 1, as bootstorm (events.0 being the scenario's boot, and its duration covering the %g s):"
        % round(peers / rate, 3),
        "    cloud/launch --np %d %s --set nodes.peers=%d --set events.0.boot.over=%gs"
        % (lay["np"], scenario, peers, round(peers / rate, 3)),
        "    # runs: mpirun --hostfile %s -np %d --map-by node --oversubscribe --bind-to none ... bootstorm run ..."
        % (hostfile, lay["np"]),
        "    # --map-by node deals the ranks round robin over the hosts: rank 0 on host 1, then %d node ranks on "
        "each" % k,
        "per rank: %s peers, %s open files (%s peers x %g + %g): ulimit -n %d (the plan allows %s), %s logins/s"
        % (fmt_int(lay["peers_per_rank"]), fmt_int(lay["fds_per_rank"]), fmt_int(lay["peers_per_rank"]),
           fig["fds_per_online_peer"], fig["fd_slack_per_rank"], lay["ulimit_n"],
           fmt_int(fig["fd_limit"]), fmt_rate(rate / lay["node_ranks"])),
        "per instance: %s peers; memory %s of %g GiB (%.0f%%); CPU %.2f of %g cores at %s logins/s (%.0f%%)%s; "
        "ports %s of %s (%.0f%%)"
        % (fmt_int(lay["peers_per_instance"]), fmt_bytes(lay["memory_bytes_per_instance"]), lay["memory_gib"],
           100 * lay["memory_share"], lay["cpu_cores_per_instance"], lay["cores"], fmt_rate(rate / n),
           100 * lay["cpu_share"],
           ("; density %.0f%% of %s peers per core" % (100 * lay["density_share"], fmt_int(fig["peers_per_core"]))
            if lay["density_share"] is not None else ""),
           fmt_int(lay["ports_per_instance"]), fmt_int(lay["ports_room"]), 100 * lay["ports_share"]),
        "vCPU quota: %d x %d = %s vCPUs (L-1216C47A, see docs/cloud.md#quotas)"
        % (n, lay["vcpus"], fmt_int(n * lay["vcpus"])),
    ]
    return out


def fmt_plain(x):
    return "%d" % x if x == int(x) else "%s" % x


def local_lines(sc, peers, rate):
    return ["local check (cloud/local/plan-check --peers %d --storm-rate %s/s): %d namespace hosts, slots %s, "
            "-np %d; peers and rate scaled by 1/%s: %s peers at %s logins/s, booting over %g s"
            % (peers, fmt_plain(rate), sc["hosts"], ",".join(str(s) for s in sc["slots"]), sc["np"], fmt_int(sc["divisor"]),
               fmt_int(sc["peers"]), fmt_rate(sc["storm_rate"]), round(sc["window_s"], 3))]


def figures_line(fig):
    return ("figures: %s (commit %s, measured %s): %s logins/s per core (%.2f of the %s full handshakes/s), "
            "%s peers per core, %.1f KiB per peer, %s MiB per rank, %g fds per peer, fd limit %s"
            % (os.path.relpath(fig["path"], REPO) if fig["path"].startswith(REPO) else fig["path"],
               fig.get("commit", "?"), fig.get("measured", "?"), fmt_rate(fig["logins_per_s_per_core"]),
               fig["logins_per_s_per_core"] / fig["handshakes_per_s_per_core"]
               if fig.get("handshakes_per_s_per_core") else 0, fmt_int(fig.get("handshakes_per_s_per_core") or 0),
               fmt_int(fig["peers_per_core"]) if fig["peers_per_core"] else "no bound on",
               fig["peer_bytes_marginal"] / 1024, "%g" % (fig["rank_fixed_bytes"] / MIB),
               fig["fds_per_online_peer"], fmt_int(fig["fd_limit"])))


def to_json(plan, peers, rate, fig, local=None, region=None):
    def clean(lay):
        return None if lay is None else dict(lay)
    return {
        "peers": peers, "storm_rate": rate, "window_s": peers / rate, "region": region,
        "figures": {k: fig.get(k) for k in ["path", "commit", "measured", "machine", "arch"] + list(FIELDS)
                    + ["handshakes_per_s_per_core"]},
        "chosen": clean(plan["chosen"]),
        "alternatives": [clean(r) for r in plan["alternatives"]],
        "skipped_types": plan["skipped"],
        "local_check": local,
    }
