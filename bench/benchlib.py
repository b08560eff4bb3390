"""bench/benchlib.py: what the benchmarks in bench/ share (Python 3 stdlib only).

- limits(): this machine's own bounds, from build/bin/bootstorm-limits, measured
  in the same invocation as the benchmark (machines differ by 2x between
  sessions, so every benchmark prints its figures as ratios to these);
- run(): one bootstorm run under scripts/mpirun-local, with its wall time, the
  ranks' CPU and peak RSS, and the kernel's socket counts sampled during it;
- fit_line(), loglog_slope(): least squares, for per-peer margins and scaling;
- ranks_for(): the node ranks a number of peers needs under the open-file limit;
- faithful(): the verdict of one run that a search over rates can rely on.

A benchmark reports; it never fails on a slow machine. Only a failed run (a
non-zero exit of bootstorm) or bad command-line input ends it with an error.
"""
import json
import math
import os
import resource
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MPIRUN_LOCAL = os.path.join(ROOT, "scripts", "mpirun-local")
DEFAULT_BIN_DIR = os.path.join(ROOT, "build", "bin")

# The headline figures whose verdict decides a run's validity (docs/results.md,
# summary.fidelity rule 7); faithful() is stricter and looks at every figure.
HEADLINE_FIGURES = ("t50_s", "t95_s", "t99_s", "recovery_s")


def die(prog, msg, status=2):
    """A clear message and exit status 2 (bad input) or another; no traceback."""
    print(f"{prog}: {msg}", file=sys.stderr)
    sys.exit(status)


# ---------------------------------------------------------------- limits


def limits(bin_dir=DEFAULT_BIN_DIR, seconds=None):
    """Run bootstorm-limits --json [--seconds S] and return its figures as a dict:
    tls_handshakes_per_s (full TLS 1.3 handshakes, both ends, on one core),
    tls_client_cpu_us, tls_server_cpu_us, tls_client_new_us, tls_client_hello_us,
    tls_resumed_per_s (resumed TLS 1.3 handshakes, both ends, one core),
    tls_resumed_client_cpu_us, tls_resumed_server_cpu_us, tcp_connect_accept_per_s, udp_send_recv_per_s, ed25519_sign_per_s,
    ed25519_verify_per_s."""
    exe = os.path.join(bin_dir, "bootstorm-limits")
    cmd = [exe, "--json"]
    if seconds is not None:
        cmd += ["--seconds", str(seconds)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        sys.exit(f"bench: cannot run {exe}: {e} (build it with `make build`)")
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed with exit status {p.returncode}:\n"
                 f"{p.stderr[-2000:]}")
    try:
        return json.loads(p.stdout)
    except ValueError:
        sys.exit(f"bench: {' '.join(cmd)} printed no JSON:\n{p.stdout[-2000:]}")


def handshake_bound(d, cores=1):
    """Full TLS handshakes per second (client and server side both emulated) that
    `cores` cores do at most: the ceiling on the login rate an emulator that runs
    real TLS on both ends can reach on this machine."""
    return d["tls_handshakes_per_s"] * cores


def handshake_cpu_us(d):
    """CPU of one full handshake, both ends, in microseconds."""
    return 1e6 / d["tls_handshakes_per_s"]


def print_limits(d, cores):
    """A short block of this machine's bounds, as measured now."""
    hs = d["tls_handshakes_per_s"]
    print(f"limits (bootstorm-limits, one core, measured now; load average "
          f"{os.getloadavg()[0]:.2f}):")
    print(f"  TLS 1.3 full handshakes, both ends  {hs:8.0f} /s per core "
          f"({handshake_cpu_us(d):.0f} us each: client {d['tls_client_cpu_us']:.0f} us, "
          f"server {d['tls_server_cpu_us']:.0f} us)")
    print(f"  handshake bound, {cores} cores         {handshake_bound(d, cores):8.0f} logins/s")
    if "tls_resumed_per_s" in d:
        print(f"  TLS 1.3 resumed handshakes          {d['tls_resumed_per_s']:8.0f} /s per core "
              f"({1e6 / d['tls_resumed_per_s']:.0f} us each: client "
              f"{d['tls_resumed_client_cpu_us']:.0f} us, server "
              f"{d['tls_resumed_server_cpu_us']:.0f} us)")
    print(f"  TCP connect + accept, loopback      {d['tcp_connect_accept_per_s']:8.0f} /s per core")
    print(f"  UDP send + receive, loopback        {d['udp_send_recv_per_s']:8.0f} /s per core")
    print(f"  Ed25519 sign / verify               {d['ed25519_sign_per_s']:8.0f} / "
          f"{d['ed25519_verify_per_s']:.0f} /s per core", flush=True)


# ---------------------------------------------------------------- runs


def mpi_env(bin_path):
    """The environment for scripts/mpirun-local running the bootstorm binary
    bin_path: Open MPI allowed as root, LeakSanitizer off (an ASan build under
    MPI reports Open MPI's unloaded components; harmless for a Release build).
    Ranks started on this machine inherit it from mpirun."""
    env = dict(os.environ)
    env["BOOTSTORM_BIN"] = bin_path
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    opts = env.get("ASAN_OPTIONS", "")
    if "detect_leaks" not in opts:
        env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "detect_leaks=0"
    return env


SOCKSTAT_KEYS = ("tcp_inuse", "tcp_orphan", "tcp_tw", "tcp_alloc", "tcp_mem_pages",
                 "udp_inuse", "udp_mem_pages")


def read_sockstat(path="/proc/net/sockstat"):
    """The kernel's socket counts of this network namespace: TCP inuse, orphan,
    tw (TIME-WAIT), alloc and mem (pages), UDP inuse and mem (pages). {} when
    the file cannot be read."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                proto, _, rest = line.partition(":")
                w = rest.split()
                kv = dict(zip(w[0::2], w[1::2]))
                if proto == "TCP":
                    for k in ("inuse", "orphan", "tw", "alloc"):
                        out["tcp_" + k] = int(kv.get(k, 0))
                    out["tcp_mem_pages"] = int(kv.get("mem", 0))
                elif proto == "UDP":
                    out["udp_inuse"] = int(kv.get("inuse", 0))
                    out["udp_mem_pages"] = int(kv.get("mem", 0))
    except (OSError, ValueError):
        return {}
    return out


PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

# Kernel slab caches that hold sockets themselves (not their buffers, which
# sockstat's mem counts): the TCP and UDP socket structs, the socket inode,
# half-open and TIME-WAIT minisocks.
SOCK_SLABS = ("TCP", "UDP", "sock_inode_cache", "request_sock_TCP", "tw_sock_TCP")


def read_sock_slab_bytes(path="/proc/slabinfo"):
    """Bytes of the socket slab caches (active objects x object size), or None
    when /proc/slabinfo cannot be read (it needs root)."""
    total = 0
    try:
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) > 3 and w[0] in SOCK_SLABS:
                    total += int(w[1]) * int(w[3])
    except (OSError, ValueError):
        return None
    return total


class _Sampler(threading.Thread):
    """Samples /proc/net/sockstat every `period` s; keeps each key's maximum."""

    def __init__(self, period=1.0):
        super().__init__(daemon=True)
        self.period = period
        self.stop = threading.Event()
        self.base = self.read()
        self.peak = dict(self.base)

    @staticmethod
    def read():
        d = read_sockstat()
        slab = read_sock_slab_bytes()
        if slab is not None:
            d["sock_slab_bytes"] = slab
        return d

    def run(self):
        while not self.stop.wait(self.period):
            self.sample()

    def sample(self):
        for k, v in self.read().items():
            if v > self.peak.get(k, v - 1):
                self.peak[k] = v

    def result(self):
        self.sample()
        return {k: self.peak.get(k, 0) - self.base.get(k, 0) for k in self.base}


class Run:
    """One finished run: .json (run.json), .out (its directory), .wall_s, .cpu_s
    (all ranks' CPU, summed), .rss_kb (the node ranks' peak RSS, summed), .ranks
    (node ranks), .sockstat_peak (the maximum over 1 s samples of each
    /proc/net/sockstat count during the run, minus its value just before, and
    sock_slab_bytes, the same for the socket slab caches of /proc/slabinfo
    when readable; {} when not sampled). These are the whole machine's (its
    network namespace's): other work on the machine shows in them too."""

    def __init__(self, js, out, wall_s, sockstat_peak):
        self.json = js
        self.out = out
        self.wall_s = wall_s
        self.cpu_s = sum(r.get("cpu_s", 0) for r in js.get("ranks", []))
        hosts = [r for r in js.get("ranks", []) if r.get("nodes", 0) > 0]
        self.ranks = len(hosts)
        self.nodes = sum(r["nodes"] for r in hosts)
        self.rss_kb = sum(r.get("maxrss_kb", 0) for r in hosts)
        self.sockstat_peak = sockstat_peak
        self.summary = js.get("summary") or {}

    def kernel_tcp_mem_bytes(self):
        """Peak growth of the kernel's TCP buffer memory during the run, bytes
        (sockstat's TCP mem: buffers only, not the socket structs)."""
        return self.sockstat_peak.get("tcp_mem_pages", 0) * PAGE_BYTES

    def kernel_sock_slab_bytes(self):
        """Peak growth of the socket slab caches during the run, bytes (the
        kernel's socket structs); None when /proc/slabinfo was not readable."""
        return self.sockstat_peak.get("sock_slab_bytes")


class Failed:
    """A run that ended with a non-zero exit status (run(allow_fail=True))."""

    def __init__(self, status, why, wall_s):
        self.status, self.why, self.wall_s = status, why, wall_s
        self.cpu_s = float("nan")


def run(scenario, np, sets, out, bin_path, sample_sockstat=True, quiet_cmd=False,
        capture=False, prog="bench", wrap=None, allow_fail=False):
    """Run `scripts/mpirun-local -np NP -- run SCENARIO --out OUT --quiet --set
    k=v...` (sets: a list of "k=v" strings) with the bootstorm binary bin_path.
    Returns a Run; exits with a clear message if the run failed (non-zero exit)
    or wrote no run.json. With capture=True bootstorm's output is kept and only
    shown on failure. wrap: a command the run goes under (e.g. perf record
    ... --), or None. allow_fail: a failed run returns a Failed (its exit
    status and last error line) instead of ending the benchmark: a search
    over rates must go on when a rate too high for the machine aborts."""
    cmd = list(wrap or []) + [MPIRUN_LOCAL, "-np", str(np), "--", "run", scenario, "--out", out,
                              "--quiet"]
    for x in sets:
        cmd += ["--set", x]
    if not quiet_cmd:
        print("$ " + " ".join(cmd), flush=True)
    sampler = _Sampler() if sample_sockstat else None
    if sampler:
        sampler.start()
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, env=mpi_env(bin_path), capture_output=capture, text=True)
    finally:
        wall = time.monotonic() - t0
        peak = {}
        if sampler:
            sampler.stop.set()
            sampler.join()
            peak = sampler.result()
    if p.returncode != 0 and allow_fail:
        err = [x for x in ((p.stderr or "") + (p.stdout or "")).splitlines()
               if x.startswith("bootstorm:")]
        return Failed(p.returncode, err[0] if err else "", wall)
    if p.returncode != 0:
        tail = ""
        if capture:
            tail = "\n" + ((p.stdout or "")[-1500:] + (p.stderr or "")[-2500:]).rstrip()
        sys.exit(f"{prog}: the run failed with exit status {p.returncode}: "
                 f"{' '.join(cmd)}{tail}")
    try:
        with open(os.path.join(out, "run.json")) as f:
            js = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"{prog}: the run wrote no readable run.json in {out}: {e}")
    return Run(js, out, wall, peak)


# ---------------------------------------------------------------- fits


def fit_line(xs, ys):
    """Least-squares line through the points: (slope, intercept). With one
    point (or all x equal) the slope is nan."""
    n = len(xs)
    if n == 0 or n != len(ys):
        return float("nan"), float("nan")
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return float("nan"), my
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return slope, my - slope * mx


def loglog_slope(xs, ys):
    """The slope of log(y) against log(x): 1 is linear scaling, above 1 worse
    than linear. Points with x or y <= 0 are left out."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    return fit_line([p[0] for p in pts], [p[1] for p in pts])[0]


# ---------------------------------------------------------------- placement


def fd_limit_now():
    """The open-file limit a rank will have: bootstorm raises its soft limit to
    the hard one at start (coordinator/main.c), so the hard limit when it is
    finite, else the soft one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        return hard
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


# Open files a node rank holds besides its peers' sockets: Open MPI (shared
# memory segments, its TCP and OOB sockets, pipes), libevent, the listeners of
# the servers it hosts (one per login server and supernode), logs. Generous.
RANK_FD_RESERVE = 500


def ranks_for(peers, fds_per_peer=2, fd_limit=None):
    """Node ranks (not counting the coordinator) that `peers` peers need so that
    no rank passes its open-file limit. Each online peer holds fds_per_peer
    sockets somewhere (its own and its supernode's end of the registration;
    peers and supernodes are dealt round robin over the ranks, so the ends
    spread evenly). A rank gets 90% of fd_limit (default: the process limit,
    see fd_limit_now()) minus RANK_FD_RESERVE for listeners and MPI: the 10%
    headroom covers the sockets of logins and registrations in flight. At
    least 2 ranks."""
    limit = fd_limit if fd_limit is not None else fd_limit_now()
    budget = max(1, int(limit * 0.9) - RANK_FD_RESERVE)
    per_rank = max(1, budget // max(1, fds_per_peer))
    return max(2, -(-int(peers) // per_rank))


# ---------------------------------------------------------------- verdicts


def valid_all_online(run_json):
    """(True, "valid") when summary.fidelity.valid is true (every rule of
    docs/results.md summary.fidelity: timer lag, CPU, skew, completeness, and
    no headline figure emulator-bound) and every peer is online at the end;
    else (False, why). Emulator-bound latency percentiles are named in `why`
    of a valid run too, as information."""
    ok, why = _valid_and_online(run_json)
    if not ok:
        return ok, why
    ok, why = faithful(run_json)
    return True, "valid" + ("" if ok else f" ({why})")


def _valid_and_online(run_json):
    s = run_json.get("summary") or {}
    if not s:
        return False, "no summary in run.json (run incomplete?)"
    f = s.get("fidelity") or {}
    if not f.get("valid"):
        return False, "not valid: " + str(f.get("reason") or "no reason given")
    peers, online = s.get("peers", 0), s.get("online_final", 0)
    if online != peers:
        return False, f"only {online} of {peers} peers online at the end"
    return True, "valid"


def faithful(run_json):
    """(True, "faithful") when this run's figures are the system's, else (False,
    why). A run is faithful when summary.fidelity.valid is true (every rule of
    docs/results.md summary.fidelity), every peer is online at the end
    (online_final == peers) and no figure of summary.figures, headline or
    latency percentile, is emulator-bound (docs/results.md "Emulator share").
    Stricter than `valid`, which ignores emulator-bound latency percentiles."""
    ok, why = _valid_and_online(run_json)
    if not ok:
        return ok, why
    s, f = run_json["summary"], run_json["summary"].get("fidelity") or {}
    bound = []
    for name, fig in (s.get("figures") or {}).items():
        if isinstance(fig, dict) and fig.get("verdict") == "emulator-bound":
            share = fig.get("emulator_share")
            bound.append(f"{name} {100 * share:.0f}%" if share is not None else name)
    if bound:
        limit = f.get("max_emulator_share")
        lim = f" (limit {100 * limit:.0f}%)" if limit is not None else ""
        return False, "emulator-bound: " + ", ".join(bound) + lim
    return True, "faithful"


# ---------------------------------------------------------------- options


def parse_sizes(prog, opt, text):
    """A comma-separated list of positive integers (underscores allowed), or
    exit 2 naming the option."""
    try:
        sizes = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        die(prog, f"{opt}: expected comma-separated whole numbers, got {text!r}")
    if not sizes or any(n <= 0 for n in sizes):
        die(prog, f"{opt}: expected positive whole numbers, got {text!r}")
    return sizes


def fmt_s(v):
    return "-" if v is None else f"{v:.2f}"


def parse_duration_s(text):
    """A scenario duration ("60s", "1500ms", "2m", "1h", or a number of
    seconds) in seconds; None when it is not one."""
    t = str(text).strip()
    for unit, mult in (("ms", 1e-3), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if t.endswith(unit):
            try:
                return float(t[:-len(unit)]) * mult
            except ValueError:
                return None
    try:
        return float(t)
    except ValueError:
        return None
