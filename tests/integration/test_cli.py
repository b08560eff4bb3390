"""The command line: help, version, and bad input refused with a located
message and exit status 2, with nothing started."""
import os
import re

import bslib

a = bslib.parse_args()
check = bslib.Check()
B = a.bin
W = a.work
small = os.path.join(a.source, "tests/scenarios/small.yaml")


def write(name, text):
    path = os.path.join(W, name)
    with open(path, "w") as f:
        f.write(text)
    return path


p = bslib.run([B, "--help"], 30, leaks=True)
check(p.returncode == 0 and "usage: bootstorm run" in p.stdout, "--help prints usage, exit 0")
p = bslib.run([B, "--version"], 30, leaks=True)
check(p.returncode == 0 and re.match(r"bootstorm \d+\.\d+\.\d+", p.stdout), "--version")
p = bslib.run([B], 30, leaks=True)
check(p.returncode == 2 and "usage" in p.stderr, "no arguments: usage on stderr, exit 2")
p = bslib.run([B, "explode"], 30, leaks=True)
check(p.returncode == 2 and "unknown command" in p.stderr, "unknown command: exit 2")
p = bslib.run([B, "run", small, "--bogus"], 30, leaks=True)
check(p.returncode == 2 and "unknown option" in p.stderr, "unknown option: exit 2")
p = bslib.run([B, "run", small, "--set"], 30, leaks=True)
check(p.returncode == 2 and "needs a value" in p.stderr, "option without value: exit 2")
p = bslib.run([B, "run"], 30, leaks=True)
check(p.returncode == 2 and "scenario file" in p.stderr, "run without a file: exit 2")

# check: resolved scenario with overrides
p = bslib.run([B, "check", small, "--set", "nodes.peers=123", "--set", "login_server.service_time=7ms"],
              30, leaks=True)
check(p.returncode == 0 and '"peers": 123' in p.stdout and "7ms" in p.stdout,
      "check prints the resolved scenario with overrides applied")

# bad scenario files: FILE:LINE:COL and exit 2, for `run`, with no results dir
base = open(small).read()
cases = {
    "unknown_key.yaml": (base.replace("  peers: 500", "  peers: 500\n  peer: 3"), r":\d+:\d+: .*peer"),
    "negative.yaml": (base.replace("peers: 500", "peers: -5"), r":\d+:\d+: .*nodes\.peers"),
    "fraction.yaml": (base.replace("fraction: 0.5", "fraction: 1.5"), r":\d+:\d+: .*fraction"),
    "duration.yaml": (base.replace("duration: 25s", "duration: 5 parsecs"), r":\d+:\d+: .*duration"),
    "unit.yaml": (base.replace("duration: 25s", "duration: 25"), r":\d+:\d+: .*duration"),
    "missing.yaml": (base.replace("name: small\n", ""), r":\d+:\d+: .*name"),
    "type.yaml": (base.replace("peers: 500", "peers: [1, 2]"), r":\d+:\d+: .*nodes\.peers"),
    "syntax.yaml": (base.replace("nodes:", "nodes: : ["), r":\d+:\d+: "),
}
for name, (text, pattern) in cases.items():
    path = write(name, text)
    out = os.path.join(W, "out-" + name)
    p = bslib.run([B, "run", path, "--out", out], 60)
    first = p.stderr.strip().splitlines()[0] if p.stderr.strip() else ""
    check(p.returncode == 2, f"{name}: exit 2")
    check(first.startswith(path + ":") and re.search(pattern, first) is not None,
          f"{name}: message '{first}' names FILE:LINE:COL and the key")
    check(not os.path.exists(out), f"{name}: nothing started (no results directory)")

p = bslib.run([B, "run", os.path.join(W, "nope.yaml")], 60)
check(p.returncode == 2 and "nope.yaml" in p.stderr, "missing file: exit 2, names the file")

p = bslib.run([B, "run", small, "--set", "nodes.peers=abc", "--out", os.path.join(W, "o1")], 60)
check(p.returncode == 2 and p.stderr.startswith("--set nodes.peers=abc:"),
      "bad --set value: message starts with the override")
p = bslib.run([B, "run", small, "--set", "nodes.nope=1", "--out", os.path.join(W, "o2")], 60)
check(p.returncode == 2 and "nope" in p.stderr, "unknown key via --set: exit 2")

# the safety interlock: node addresses outside the allowed networks
p = bslib.run([B, "run", small, "--set", "network.allowed=[127.0.0.0/24]",
               "--set", "network.base=127.0.0.1", "--out", os.path.join(W, "o3")], 60)
check(p.returncode == 2 and "allowed" in p.stderr and not os.path.exists(os.path.join(W, "o3")),
      "addresses outside network.allowed are refused before anything starts")

# the same refusal from a multi-rank job: every rank exits, mpirun reports 2
out = os.path.join(W, "out-mpi")
p = bslib.run(bslib.mpirun_cmd(3, B, ["run", write("bad_mpi.yaml", cases["negative.yaml"][0]),
                                      "--out", out]), 120)
check(p.returncode == 2, "under mpirun -np 3 a bad file also exits 2")
check(re.search(r"bad_mpi\.yaml:\d+:\d+: ", p.stderr) is not None, "and prints FILE:LINE:COL")
check(not os.path.exists(out), "and starts nothing")

check.done()
