"""cloud/aws without AWS: `plan` prints the AWS CLI calls `up` would make and
writes the cloud-init user data, with no aws binary and no credentials. `up`
and `down` run against a fake `aws` (a small in-memory EC2 kept in a JSON
file), which shows that `up` makes exactly the planned calls, writes the
hostfile and state, and that `down` removes exactly what `up` created.
Without --git or --tarball the source is a git archive of the checkout's
HEAD, checked in a scratch git repository holding a copy of cloud/aws; the
cost estimate is checked against cloud/aws/prices.json. No network.

Usage: python3 tests/cloud/test_aws_plan.py --source REPO --work DIR
"""
import argparse
import base64
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tarfile

ap = argparse.ArgumentParser()
ap.add_argument("--source", required=True)
ap.add_argument("--work", required=True)
A = ap.parse_args()
SRC = os.path.abspath(A.source)
W = os.path.abspath(A.work)
shutil.rmtree(W, ignore_errors=True)
os.makedirs(W)
UP = os.path.join(SRC, "cloud/aws/up")
PLAN = os.path.join(SRC, "cloud/aws/plan")
DOWN = os.path.join(SRC, "cloud/aws/down")

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


# ---- an environment with no aws binary and no AWS_* variables ----

def no_aws_path():
    """PATH without any directory holding an `aws`, plus a directory with
    python3 (in case python3 lived only next to an aws, as with pyenv)."""
    pybin = os.path.join(W, "pybin")
    os.makedirs(pybin, exist_ok=True)
    link = os.path.join(pybin, "python3")
    if not os.path.exists(link):
        os.symlink(os.path.realpath(sys.executable), link)
    dirs = [pybin]
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if d and not os.path.exists(os.path.join(d, "aws")):
            dirs.append(d)
    return os.pathsep.join(dirs)


BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
BASE_ENV["PATH"] = no_aws_path()
BASE_ENV["HOME"] = os.path.join(W, "home")   # no ~/.aws either
os.makedirs(BASE_ENV["HOME"], exist_ok=True)
check(shutil.which("aws", path=BASE_ENV["PATH"]) is None, "the test PATH holds no aws binary")


def run(cmd, env=None, timeout=120):
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    p = subprocess.run(cmd, env=env or BASE_ENV, capture_output=True, text=True, timeout=timeout)
    if p.stderr:
        print(p.stderr[-3000:], file=sys.stderr)
    return p


NAME = "bstest"
GIT = "https://git.example.org/bootstorm.git"
REF = "v1.2.3"
CIDR = "198.51.100.7/32"
REGION = "eu-west-1"
UD = os.path.join(W, "user-data.yaml")
ARGS = ["--count", "3", "--type", "c6i.4xlarge", "--region", REGION, "--key", "ops-key",
        "--name", NAME, "--git", GIT, "--ref", REF, "--cidr-ssh", CIDR]


def calls_of(stdout):
    return [shlex.split(line) for line in stdout.splitlines() if line.strip()]


def opt(argv, name):
    """The values after option `name` (up to the next --option), or None."""
    if name not in argv:
        return None
    i = argv.index(name) + 1
    out = []
    while i < len(argv) and not argv[i].startswith("--"):
        out.append(argv[i])
        i += 1
    return out


def op(argv):
    return " ".join(argv[1:3]) if argv[1:2] != ["ec2"] or argv[2] != "wait" else " ".join(argv[1:4])


# ---- plan: the calls ----

p = run([PLAN] + ARGS + ["--user-data-out", UD])
check(p.returncode == 0, "plan exits 0 without aws on PATH and without credentials")
lines = [l for l in p.stdout.splitlines() if l.strip()]
check(lines and all(l.startswith("aws ") for l in lines), "every plan line is an `aws ...` command")
calls = calls_of(p.stdout)
ops = [op(c) for c in calls]
print("\n".join(ops))
check(all(opt(c, "--region") == [REGION] for c in calls), "every call carries --region " + REGION)
check(not any(re.search(r"terminate|delete", o) for o in ops), "plan makes no terminate/delete call")


def find(pred, start=0):
    for i in range(start, len(calls)):
        if pred(calls[i]):
            return i
    return -1


def is_op(name, pred=lambda c: True):
    return lambda c: op(c) == name and pred(c)


def tagged(c):
    specs = opt(c, "--tag-specifications") or []
    return bool(specs) and all("Key=bootstorm:run,Value=%s" % NAME in s and "Key=Name,Value=%s" % NAME in s
                               for s in specs)


steps = [
    ("ssm get-parameters of the Debian 12 amd64 image",
     is_op("ssm get-parameters", lambda c: opt(c, "--names") == ["/aws/service/debian/release/12/latest/amd64"])),
    ("create-placement-group, strategy cluster, tagged",
     is_op("ec2 create-placement-group", lambda c: opt(c, "--strategy") == ["cluster"]
           and opt(c, "--group-name") == [NAME] and tagged(c))),
    ("create-security-group, tagged",
     is_op("ec2 create-security-group", lambda c: opt(c, "--group-name") == [NAME] and tagged(c))),
    ("authorize-security-group-ingress: all traffic from the group itself",
     is_op("ec2 authorize-security-group-ingress", lambda c: opt(c, "--group-id") == ["<sg-id>"]
           and any("IpProtocol=-1" in x and "UserIdGroupPairs=[{GroupId=<sg-id>" in x
                   for x in opt(c, "--ip-permissions") or []))),
    ("authorize-security-group-ingress: ssh from the operator's CIDR only",
     is_op("ec2 authorize-security-group-ingress", lambda c: any(
         "IpProtocol=tcp" in x and "FromPort=22" in x and "ToPort=22" in x and "CidrIp=%s" % CIDR in x
         for x in opt(c, "--ip-permissions") or []))),
    ("run-instances with count, type, placement group, SG, key, IMDSv2, tags, user data",
     is_op("ec2 run-instances", lambda c: opt(c, "--count") == ["3"]
           and opt(c, "--instance-type") == ["c6i.4xlarge"]
           and opt(c, "--placement") == ["GroupName=%s" % NAME]
           and opt(c, "--security-group-ids") == ["<sg-id>"]
           and opt(c, "--image-id") == ["<ami-id>"]
           and opt(c, "--key-name") == ["ops-key"]
           and "HttpTokens=required" in (opt(c, "--metadata-options") or [""])[0]
           and tagged(c) and any(s.startswith("ResourceType=instance,") for s in opt(c, "--tag-specifications"))
           and opt(c, "--user-data") == ["file://" + UD])),
    ("wait instance-running on the launched ids",
     is_op("ec2 wait instance-running", lambda c: opt(c, "--instance-ids") == ["<instance-ids>"])),
    ("describe-instances of the launched ids",
     is_op("ec2 describe-instances", lambda c: opt(c, "--instance-ids") == ["<instance-ids>"])),
]
at = 0
for what, pred in steps:
    i = find(pred, at)
    check(i >= 0, "in order: " + what)
    if i >= 0:
        at = i + 1
ingress = [c for c in calls if op(c) == "ec2 authorize-security-group-ingress"]
check(len(ingress) == 2 and not any("0.0.0.0/0" in " ".join(c) for c in ingress),
      "exactly two ingress rules, neither open to 0.0.0.0/0")
creates = [c for c in calls if re.match(r"ec2 (create-|run-instances|authorize-)", op(c))]
check(all(tagged(c) for c in creates), "every create/run/authorize call is tagged Name and bootstorm:run=" + NAME)

# ---- plan: the user data ----

check(os.path.isfile(UD), "--user-data-out wrote the user data")
text = open(UD).read() if os.path.isfile(UD) else ""
check(stat.S_IMODE(os.stat(UD).st_mode) == 0o600 if text else False, "the user data (it holds a key) is mode 0600")
check(text.startswith("#cloud-config\n"), "the user data starts with #cloud-config")
check(len(text.encode()) <= 16384, "the user data fits EC2's 16 KB (%d bytes)" % len(text.encode()))
doc = None
try:
    import yaml
except ImportError:
    yaml = None
    print("skip  YAML parse: python3 yaml is not importable (Debian: python3-yaml)")
if yaml:
    try:
        doc = yaml.safe_load(text)
        check(isinstance(doc, dict), "the user data parses as a YAML mapping")
    except yaml.YAMLError as e:
        check(False, "the user data parses as YAML: %s" % e)



def rough_parse(text):
    """Without python3-yaml: read the generator's layout (top-level keys,
    `  - item` lists, write_files entries with `content: |` blocks) well
    enough for the checks below. Only the real YAML parse is skipped."""
    out, key, cur, block = {}, None, None, None
    for line in text.splitlines():
        if block is not None:
            if line.startswith("      ") or not line.strip():
                block.append(line[6:])
                continue
            cur["content"] = "\n".join(block).rstrip("\n") + "\n"
            block = None
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r"^([a-z_]+):\s*(.*)$", line)
        if m:
            key = m.group(1)
            out[key] = m.group(2) or []
            continue
        m = re.match(r"^  - (.*)$", line)
        if m and key == "write_files":
            cur = {}
            out[key].append(cur)
            line = "    " + m.group(1)
        elif m and key == "users":
            cur = {"name": m.group(1)[len("name: "):]} if m.group(1).startswith("name: ") else m.group(1)
            out[key].append(cur)
            continue
        elif m:
            item = m.group(1)
            out[key].append(json.loads(item.replace("[", '["').replace("]", '"]')) if item.startswith("[") else item)
            continue
        m = re.match(r"^    ([a-z_]+): ?(.*)$", line)
        if m and isinstance(cur, dict):
            if m.group(2) == "|":
                block = []
            elif m.group(2) == "":
                cur[m.group(1)] = []
            else:
                cur[m.group(1)] = m.group(2).strip("'\"")
            continue
        m = re.match(r'^      - "(.*)"$', line)
        if m and isinstance(cur, dict):
            cur.setdefault("ssh_authorized_keys", []).append(m.group(1))
    if block is not None:
        cur["content"] = "\n".join(block).rstrip("\n") + "\n"
    return out


if doc is None and text:
    doc = rough_parse(text)

with open(os.path.join(SRC, "scripts/install-deps")) as f:
    m = re.search(r'PACKAGES="([^"]*)"', f.read())
want = set(m.group(1).split()) - {"chromium", "cloud-init"} if m else set()
check(len(want) >= 10, "read the package list of scripts/install-deps (%d packages)" % len(want))
for pkg in ["openmpi-bin", "libevent-dev", "libmsgpack-dev", "libssl-dev", "libyaml-dev", "libjansson-dev"]:
    check(pkg in want, "scripts/install-deps lists " + pkg)
if doc is not None:
    pk = set(doc.get("packages") or [])
    check(want <= pk, "packages: all of install-deps minus chromium and cloud-init (missing: %s)" % sorted(want - pk))
    check("chromium" not in pk, "packages: no chromium")
    files = {f["path"]: f for f in doc.get("write_files") or []}
    lim = [f["content"] for p, f in files.items() if p.startswith("/etc/security/limits.d/")]
    check(lim and re.search(r"^\*\s+hard\s+nofile\s+\d{6,}", lim[0], re.M), "limits.d raises the hard nofile")
    sysd = [f["content"] for p, f in files.items() if p.startswith("/etc/systemd/system.conf.d/")]
    check(sysd and "DefaultLimitNOFILE=" in sysd[0], "systemd DefaultLimitNOFILE is raised")
    sc = "".join(f["content"] for p, f in files.items() if p.startswith("/etc/sysctl.d/"))
    for key in ["net.core.somaxconn", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_max_syn_backlog"]:
        check(re.search(r"^%s\s*=" % re.escape(key), sc, re.M), "sysctl.d sets " + key)
    setup = (files.get("/usr/local/sbin/bootstorm-setup") or {}).get("content", "")
    check(setup.startswith("#!/bin/bash") and files["/usr/local/sbin/bootstorm-setup"]["permissions"] == "0755",
          "write_files has the executable setup script")
    check("fs.file-max" in setup, "the setup script raises fs.file-max")
    check(["/usr/local/sbin/bootstorm-setup"] in (doc.get("runcmd") or []), "runcmd runs the setup script")
    env = (files.get("/etc/bootstorm/setup.env") or {}).get("content", "")
    check(re.search(r"^BS_GIT_URL='?%s'?$" % re.escape(GIT), env, re.M)
          and re.search(r"^BS_GIT_REF='?%s'?$" % re.escape(REF), env, re.M),
          "the build takes the given git URL and ref")
    for s in ['git clone --quiet "$BS_GIT_URL"', 'fetch --quiet origin "$BS_GIT_REF"',
              "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release", "cmake --build build -j"]:
        check(s in setup, "the setup script runs: " + s)
    if shutil.which("bash"):
        p = subprocess.run(["bash", "-n"], input=setup, capture_output=True, text=True)
        check(p.returncode == 0, "the setup script is valid bash (bash -n) " + p.stderr.strip())
    # ssh between the hosts for mpirun
    users = [u for u in doc.get("users") or [] if isinstance(u, dict) and u.get("name") == "bootstorm"]
    pub = (users[0].get("ssh_authorized_keys") or [""])[0] if users else ""
    check(users and pub.startswith("ssh-ed25519 "), "user `bootstorm` with the run's public key authorized")
    priv = (files.get("/etc/bootstorm/id_ed25519") or {})
    check(priv.get("permissions") == "0600" and "BEGIN OPENSSH PRIVATE KEY" in priv.get("content", ""),
          "the run's private key is written mode 0600")
    if shutil.which("ssh-keygen") and priv.get("content"):
        kf = os.path.join(W, "key")
        with open(os.open(kf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(priv["content"])
        p = subprocess.run(["ssh-keygen", "-y", "-f", kf], capture_output=True, text=True)
        check(p.returncode == 0 and p.stdout.split()[:2] == pub.split()[:2],
              "the private key matches the authorized public key")
    for s in ["StrictHostKeyChecking no", "authorized_keys", "vpc-ipv4-cidr-blocks", "X-aws-ec2-metadata-token"]:
        check(s in setup, "ssh setup: " + s)
    check("/var/lib/bootstorm/ready" in setup and "/var/lib/bootstorm/failed" in setup,
          "the setup script writes the ready (or failed) marker")
    check("cloud/state/hostfile" in setup or "cloud/state" in setup, "the setup script prepares cloud/state for the hostfile")

# The schema check, where Debian's cloud-init package is installed.
ci = shutil.which("cloud-init")
if ci:
    p = run([ci, "schema", "--config-file", UD], env=dict(os.environ))
    check(p.returncode == 0 and "Valid cloud-config" in p.stdout + p.stderr,
          "cloud-init schema accepts the user data: " + (p.stdout + p.stderr).strip()[-300:])
else:
    print("skip  cloud-init schema: cloud-init is not installed (Debian package cloud-init)")

# ---- plan: variants ----

p = run([PLAN] + [a for a in ARGS if a not in ("--cidr-ssh", CIDR)])
check(p.returncode == 0 and "CidrIp=<operator-ip>/32" in p.stdout,
      "without --cidr-ssh, plan shows <operator-ip>/32 and asks no echo service")
p = run([PLAN, "--count", "2", "--type", "c6i.large", "--git", GIT, "--ami", "ami-0123456789abcdef0",
         "--cidr-ssh", CIDR])
check(p.returncode == 0 and "ssm get-parameters" not in p.stdout and "--image-id ami-0123456789abcdef0" in p.stdout,
      "--ami skips the SSM lookup and is used as --image-id")
check("--region us-east-1" in p.stdout and "--key-name" not in p.stdout,
      "no --region and no AWS_REGION: us-east-1; no --key: no --key-name")
p = run([PLAN, "--count", "2", "--type", "c7g.2xlarge", "--git", GIT, "--cidr-ssh", CIDR])
check(p.returncode == 0 and "/aws/service/debian/release/12/latest/arm64" in p.stdout,
      "a Graviton type (c7g) gets the arm64 Debian image")
p = run([UP, "--dry-run"] + ARGS + ["--user-data-out", UD])
check(p.returncode == 0 and [op(c) for c in calls_of(p.stdout)] == ops, "up --dry-run prints the same calls as plan")

URL = "https://downloads.example.org/bootstorm-1.2.3.tar.gz"
ud2 = os.path.join(W, "ud-url.yaml")
p = run([PLAN, "--count", "2", "--type", "c6i.large", "--tarball", URL, "--cidr-ssh", CIDR, "--user-data-out", ud2])
t2 = open(ud2).read() if os.path.exists(ud2) else ""
check(p.returncode == 0 and "BS_SOURCE=url" in t2 and URL in t2 and 'curl -fsSL --retry 5 -o' in t2,
      "--tarball URL: the instances fetch it with curl")
small = os.path.join(W, "small.tar.gz")
os.makedirs(os.path.join(W, "tiny"), exist_ok=True)
with open(os.path.join(W, "tiny/CMakeLists.txt"), "w") as f:
    f.write("cmake_minimum_required(VERSION 3.16)\nproject(tiny C)\n")
subprocess.run(["tar", "-czf", small, "-C", W, "tiny"], check=True)
ud3 = os.path.join(W, "ud-embedded.yaml")
p = run([PLAN, "--count", "2", "--type", "c6i.large", "--tarball", small, "--cidr-ssh", CIDR, "--user-data-out", ud3])
ok = p.returncode == 0 and os.path.exists(ud3)
if ok and yaml:
    d3 = yaml.safe_load(open(ud3))
    emb = [f for f in d3["write_files"] if f["path"] == "/var/lib/bootstorm/src.tar"]
    ok = bool(emb) and emb[0].get("encoding") == "b64" and base64.b64decode(emb[0]["content"]) == open(small, "rb").read()
check(ok, "--tarball small local file: embedded base64 in write_files, byte for byte")
big = os.path.join(W, "big.tar.gz")
with open(big, "wb") as f:
    f.write(os.urandom(20000))
p = run([PLAN, "--count", "2", "--type", "c6i.large", "--tarball", big, "--cidr-ssh", CIDR])
check(p.returncode == 2 and "too big" in p.stderr and p.stdout == "",
      "--tarball too big to embed: exit 2, says so, plans nothing")

if ci:
    for f in (ud2, ud3):
        p = run([ci, "schema", "--config-file", f], env=dict(os.environ))
        check(p.returncode == 0, "cloud-init schema accepts " + os.path.basename(f))

# ---- plan: the cost estimate, from the price table in the repo ----

with open(os.path.join(SRC, "cloud/aws/prices.json")) as f:
    PRICES = json.load(f)
check(re.fullmatch(r"\d{4}(-\d\d){0,2}", str(PRICES.get("as_of", ""))) and "aws.amazon.com" in PRICES.get("source", ""),
      "prices.json names its date (%s) and its source" % PRICES.get("as_of"))
east = PRICES["regions"]["us-east-1"]
for t in ["c6i.4xlarge", "c7i.4xlarge", "m6i.4xlarge", "c7g.4xlarge", "c6in.4xlarge", "c6i.large"]:
    check(isinstance(east.get(t), (int, float)) and 0 < east[t] < 20, "prices.json has us-east-1 %s" % t)
COST = re.compile(r"cost: (\d+) x (\S+) at \$([\d.]+)/h = \$([\d.]+)/h")


def cost_of(stderr):
    m = COST.search(stderr)
    return (int(m.group(1)), m.group(2), float(m.group(3)), float(m.group(4))) if m else None


p = run([PLAN, "--count", "3", "--type", "c6i.4xlarge", "--region", "us-east-1", "--git", GIT,
         "--cidr-ssh", CIDR, "--hours", "2"])
c = cost_of(p.stderr)
price = east["c6i.4xlarge"]
check(p.returncode == 0 and c is not None and c[:2] == (3, "c6i.4xlarge") and abs(c[2] - price) < 1e-4
      and abs(c[3] - 3 * price) < 0.006, "plan prints 3 x c6i.4xlarge at the table's $%g/h = $%g/h: %s"
      % (price, 3 * price, c))
check("as of %s" % PRICES["as_of"] in p.stderr and "estimate" in p.stderr,
      "the cost line says it is an estimate, and its date")
m = re.search(r"for 2 h: about \$([\d.]+)", p.stderr)
ipv4 = PRICES.get("public_ipv4_per_hour", 0)
check(m and abs(float(m.group(1)) - 2 * 3 * (price + ipv4)) < 0.006,
      "--hours 2: the run's cost, 2 x 3 x (price + public IPv4): %s" % (m and m.group(0)))
check(all(l.startswith("aws ") for l in p.stdout.splitlines() if l.strip()),
      "the cost goes to stderr: stdout stays the calls")
p = run([PLAN, "--count", "2", "--type", "x9z.4xlarge", "--region", "us-east-1", "--git", GIT, "--cidr-ssh", CIDR,
         "--hours", "1"])
check(p.returncode == 0 and "2 x x9z.4xlarge: price unknown" in p.stderr and "describe-instance-types" in p.stdout,
      "a type missing from the table: \"price unknown\", and the plan goes on")
p = run([PLAN, "--count", "2", "--type", "c6i.4xlarge", "--git", GIT, "--cidr-ssh", CIDR])
c = cost_of(p.stderr)
check(p.returncode == 0 and c and abs(c[2] - price) < 1e-4 and "eu-west-1" not in p.stderr,
      "default region us-east-1 is in the table")
p = run([PLAN, "--count", "2", "--type", "c6i.4xlarge", "--region", REGION, "--git", GIT, "--cidr-ssh", CIDR])
check(p.returncode == 0 and cost_of(p.stderr) and "%s is not in the price table" % REGION in p.stderr,
      "a region not in the table: its us-east-1 price, saying so")
p = run([PLAN, "--count", "2", "--type", "c6i.4xlarge", "--git", GIT, "--cidr-ssh", CIDR, "--hours", "-1"])
check(p.returncode == 2 and "--hours" in p.stderr and p.stdout == "", "--hours -1: exit 2")

# ---- plan: the default source, a git archive of the checkout's HEAD ----

GIT_BIN = shutil.which("git")


def scratch_copy(root):
    """A copy of cloud/aws (the scripts find their repository from where
    they are) under root, with a tiny tree to build."""
    os.makedirs(os.path.join(root, "cloud/aws"))
    for f in os.listdir(os.path.join(SRC, "cloud/aws")):
        path = os.path.join(SRC, "cloud/aws", f)
        if os.path.isfile(path):
            shutil.copy2(path, os.path.join(root, "cloud/aws", f))
    with open(os.path.join(root, "CMakeLists.txt"), "w") as f:
        f.write("cmake_minimum_required(VERSION 3.16)\nproject(scratch C)\n")
    return [os.path.join(root, "cloud/aws", x) for x in ("plan", "up", "down")]


GENV = {k: v for k, v in BASE_ENV.items() if not k.startswith("GIT_")}


def git(repo, *args):
    return subprocess.run([GIT_BIN, "-C", repo, "-c", "user.name=bootstorm test", "-c", "user.email=test@example.org"]
                          + list(args), env=GENV, capture_output=True, text=True, check=True).stdout


def members(path):
    with tarfile.open(path) as t:
        return {m.name.rstrip("/"): m for m in t.getmembers()}


def member_text(path, name):
    with tarfile.open(path) as t:
        return t.extractfile(name).read().decode()


# Outside a git checkout the default cannot apply: the error names the flags.
nogit = os.path.join(W, "nogit")
NG_PLAN = scratch_copy(nogit)[0]
p = run([NG_PLAN, "--count", "2", "--type", "c6i.large", "--cidr-ssh", CIDR])
check(p.returncode == 2 and "not a git checkout" in p.stderr and "--git URL" in p.stderr and "--tarball" in p.stderr
      and p.stdout == "", "no source outside a git checkout: exit 2, names --git and --tarball")

CO = os.path.join(W, "checkout")
if not GIT_BIN:
    print("skip  the default source: git is not installed")
else:
    CO_PLAN, CO_UP, CO_DOWN = scratch_copy(CO)
    git(CO, "init", "-q")
    git(CO, "add", "-A")
    git(CO, "commit", "-q", "-m", "scratch tree for test_aws_plan")
    head = git(CO, "rev-parse", "HEAD").strip()
    tracked = set(git(CO, "ls-files").split())
    arc = os.path.join(W, "checkout.tar.gz")
    udc = os.path.join(W, "ud-checkout.yaml")
    CO_PLAN_ARGS = [x for x in ARGS if x not in ("--git", GIT, "--ref", REF)]
    p = run([CO_PLAN] + CO_PLAN_ARGS + ["--source-out", arc, "--user-data-out", udc], env=GENV)
    check(p.returncode == 0, "plan without --git or --tarball in a git checkout: exit 0")
    check("git archive of HEAD" in p.stderr and head in p.stderr, "plan says it ships HEAD, commit " + head[:12])
    check("warning" not in p.stderr, "a clean tree: no warning")
    check([op(c) for c in calls_of(p.stdout)] == ops and "ssh" in p.stderr,
          "the same AWS calls as with --git, plus a note that up copies the archive over ssh")
    names = set()
    if os.path.exists(arc):
        mem = members(arc)
        names = {n[len("bootstorm/"):] for n in mem if n.startswith("bootstorm/") and mem[n].isfile()}
    check(names == tracked,
          "--source-out: the archive holds exactly the committed files under bootstorm/ (%d)" % len(names))
    check(names and member_text(arc, "bootstorm/CMakeLists.txt") == open(os.path.join(CO, "CMakeLists.txt")).read(),
          "... with their committed content")
    tc = open(udc).read() if os.path.exists(udc) else ""
    check(re.search(r"^\s*BS_SOURCE=copied$", tc, re.M) and re.search(r"^\s*BS_COMMIT=%s$" % head, tc, re.M)
          and "BS_ARCHIVE=/home/bootstorm/bootstorm-src.tar.gz" in tc,
          "the user data: source `copied`, the commit, and where the archive lands")
    check('unpack "$BS_ARCHIVE"' in tc and len(tc.encode()) <= 16384,
          "the setup script waits for the copied archive and unpacks it; the user data still fits 16 KB")
    if ci:
        r = run([ci, "schema", "--config-file", udc], env=dict(os.environ))
        check(r.returncode == 0, "cloud-init schema accepts the user data for the copied source")

    # A dirty tree: warned about, and not shipped.
    with open(os.path.join(CO, "CMakeLists.txt"), "a") as f:
        f.write("# an uncommitted edit\n")
    with open(os.path.join(CO, "notes.txt"), "w") as f:
        f.write("untracked\n")
    arc2 = os.path.join(W, "checkout-dirty.tar.gz")
    p = run([CO_PLAN] + CO_PLAN_ARGS + ["--source-out", arc2], env=GENV)
    check(p.returncode == 0
          and re.search(r"warning: .*uncommitted.*CMakeLists\.txt.*1 untracked.*NOT shipped", p.stderr),
          "a dirty tree: plan warns, names the changed file, counts the untracked one, says they are NOT shipped")
    ok = os.path.exists(arc2)
    if ok:
        mem = members(arc2)
        ok = ("bootstorm/notes.txt" not in mem
              and "uncommitted" not in member_text(arc2, "bootstorm/CMakeLists.txt")
              and open(arc2, "rb").read() == open(arc, "rb").read())
    check(ok, "... and the archive is still HEAD's, byte for byte: no edit, no untracked file")
    git(CO, "checkout", "-q", "--", "CMakeLists.txt")
    os.remove(os.path.join(CO, "notes.txt"))
    p = run([CO_PLAN, "--count", "3", "--type", "c6i.4xlarge", "--git", GIT, "--source-out", arc2], env=GENV)
    check(p.returncode == 2 and "--source-out" in p.stderr, "--source-out with --git: exit 2")

# ---- plan: --deb, a bootstorm .deb installed instead of a build ----


def user_data_parts(path):
    """(packages, {path: write_files entry}) of a user data file."""
    text = open(path).read() if os.path.exists(path) else ""
    d = (yaml.safe_load(text) if yaml else rough_parse(text)) if text else {}
    return set(d.get("packages") or []), {f["path"]: f for f in d.get("write_files") or []}, text


def make_deb(root, package, arch):
    """A minimal .deb (control file only) with dpkg-deb, or None without it."""
    if not shutil.which("dpkg-deb"):
        return None
    os.makedirs(os.path.join(root, "DEBIAN"))
    with open(os.path.join(root, "DEBIAN", "control"), "w") as f:
        f.write("Package: %s\nVersion: 0.1.0\nArchitecture: %s\nMaintainer: t <t@example.org>\n"
                "Description: a test package\n" % (package, arch))
    out = root + ".deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", root, out], check=True, capture_output=True)
    return out


DEB_URL = "https://downloads.example.org/bootstorm_0.1.0_amd64.deb"
DEB_ARGS = [x for x in ARGS if x not in ("--git", GIT, "--ref", REF)]
udd = os.path.join(W, "ud-deb-url.yaml")
p = run([PLAN] + DEB_ARGS + ["--deb", DEB_URL, "--user-data-out", udd])
check(p.returncode == 0 and [op(c) for c in calls_of(p.stdout)] == ops,
      "--deb URL: exit 0, the same AWS calls as with --git")
pk, files, td = user_data_parts(udd)
env = (files.get("/etc/bootstorm/setup.env") or {}).get("content", "")
setup = (files.get("/usr/local/sbin/bootstorm-setup") or {}).get("content", "")
check(re.search(r"^BS_SOURCE='?deb'?$", env, re.M) and re.search(r"^BS_DEB_URL='?%s'?$" % re.escape(DEB_URL), env, re.M)
      and re.search(r"^BS_DEB_COPY=(''|)$", env, re.M), "--deb URL: the setup env has source deb and the URL")
check('curl -fsSL --retry 5 -o /var/lib/bootstorm/bootstorm.deb "$BS_DEB_URL"' in setup,
      "--deb URL: the setup script fetches it with curl")
check(re.search(r"apt-get .*install -y .*/var/lib/bootstorm/bootstorm\.deb", setup)
      and "cmake --build" in setup and re.search(r'if \[ "\$BS_SOURCE" = deb \]', setup),
      "the setup installs the .deb with apt-get (its Depends too), and builds only without --deb")
for link in ['ln -sfn /usr/bin/bootstorm "$src/build/bin/bootstorm"',
             'ln -sfn /usr/share/bootstorm/scenarios "$src/scenarios"',
             'ln -sfn /usr/share/bootstorm/cloud/launch "$src/cloud/launch"']:
    check(link in setup, "the setup lays out the checkout's paths into the package: " + link)
check({"openmpi-bin", "curl", "python3", "openssh-client"} <= pk and not pk & {"build-essential", "cmake",
                                                                              "libevent-dev", "libopenmpi-dev"},
      "--deb: packages are what the setup uses, no compiler or -dev package (%s)" % sorted(pk))
check(0 < len(td.encode()) <= 16384, "--deb: the user data fits 16 KB (%d bytes)" % len(td.encode()))
if shutil.which("bash") and setup:
    r = subprocess.run(["bash", "-n"], input=setup, capture_output=True, text=True)
    check(r.returncode == 0, "the setup script with the --deb branch is valid bash " + r.stderr.strip())
if ci:
    r = run([ci, "schema", "--config-file", udd], env=dict(os.environ))
    check(r.returncode == 0, "cloud-init schema accepts the --deb user data")
p = run([PLAN] + DEB_ARGS + ["--deb", DEB_URL + "?X-Amz-Expires=3600&X-Amz-Signature=0ab1"])
check(p.returncode == 0, "--deb: a presigned S3 URL (a query after .deb) is accepted")

# A local .deb: checked with dpkg-deb, then copied to the hosts over ssh by up.
good_deb = make_deb(os.path.join(W, "deb-good"), "bootstorm", "amd64")
if not good_deb:   # without dpkg-deb only the file name is read
    good_deb = os.path.join(W, "bootstorm_0.1.0_amd64.deb")
    with open(good_deb, "wb") as f:
        f.write(b"!<arch>\n")
udl = os.path.join(W, "ud-deb-local.yaml")
p = run([PLAN] + DEB_ARGS + ["--deb", good_deb, "--user-data-out", udl])
check(p.returncode == 0 and "copies %s to /home/bootstorm/bootstorm.deb" % good_deb in p.stderr,
      "--deb PATH: exit 0, and plan says up copies it to every host over ssh")
pk, files, tl = user_data_parts(udl)
env = (files.get("/etc/bootstorm/setup.env") or {}).get("content", "")
check(re.search(r"^BS_DEB_COPY='?/home/bootstorm/bootstorm\.deb'?$", env, re.M)
      and re.search(r"^BS_DEB_URL=(''|)$", env, re.M), "--deb PATH: the setup waits for the copy, fetches nothing")
check(open(good_deb, "rb").read() not in tl.encode(), "--deb PATH: the .deb is not in the user data")

bad_deb = [
    (["--deb", DEB_URL, "--git", GIT], "one source", "--deb and --git"),
    (["--deb", DEB_URL, "--tarball", URL], "one source", "--deb and --tarball"),
    (["--deb", "/nonexistent/bootstorm_0.1.0_amd64.deb"], "no such file", "a missing --deb file"),
    (["--deb", "https://downloads.example.org/bootstorm.tar.gz"], ".deb", "--deb URL that is no .deb"),
    (["--deb", DEB_URL, "--source-out", os.path.join(W, "x.tgz")], "--source-out", "--deb with --source-out"),
]
other = make_deb(os.path.join(W, "deb-other"), "hello", "amd64")
if other:
    bad_deb.append((["--deb", other], "not a bootstorm .deb", "a .deb of another package"))
arm = make_deb(os.path.join(W, "deb-arm"), "bootstorm", "arm64")
if arm:
    bad_deb.append((["--deb", arm], "arm64", "an arm64 .deb (read by dpkg-deb) for c6i"))
for argv, word, what in bad_deb:
    p = run([PLAN] + DEB_ARGS + argv)
    check(p.returncode == 2 and word in p.stderr and p.stdout == "", "plan, %s: exit 2, says %s" % (what, word))
p = run([PLAN, "--count", "2", "--type", "c7g.2xlarge", "--deb", DEB_URL, "--cidr-ssh", CIDR])
check(p.returncode == 2 and "amd64" in p.stderr and "arm64" in p.stderr and p.stdout == "",
      "an amd64 .deb for Graviton (c7g) instances: exit 2, names both architectures")

# ---- bad arguments ----

bad = [
    (["--type", "c6i.large", "--git", GIT], "--count", "missing --count"),
    (["--count", "3", "--git", GIT], "--type", "missing --type"),
    (["--count", "0", "--type", "c6i.large", "--git", GIT], "--count", "--count 0"),
    (["--count", "-2", "--type", "c6i.large", "--git", GIT], "--count", "--count -2"),
    (["--count", "three", "--type", "c6i.large", "--git", GIT], "--count", "--count three"),
    (["--count", "3", "--type", "c6i.large", "--git", GIT, "--tarball", URL], "--git", "two sources"),
    (["--count", "3", "--type", "big", "--git", GIT], "--type", "bad --type"),
    (["--count", "3", "--type", "c6i.large", "--git", "git@github.com:x/y.git"], "https://", "ssh git URL"),
    (["--count", "3", "--type", "c6i.large", "--git", GIT, "--cidr-ssh", "nope"], "--cidr-ssh", "bad --cidr-ssh"),
    (["--count", "3", "--type", "c6i.large", "--git", GIT, "--cidr-ssh", "0.0.0.0/0"], "internet", "ssh from anywhere"),
    (["--count", "3", "--type", "c6i.large", "--git", GIT, "--name", "no spaces"], "--name", "bad --name"),
    (["--count", "3", "--type", "c6i.large", "--git", GIT, "--region", "mars"], "--region", "bad --region"),
    (["--count", "3", "--type", "c6i.large", "--tarball", "/nonexistent.tgz"], "no such file", "missing tarball"),
]
for argv, word, what in bad:
    p = run([PLAN] + argv)
    check(p.returncode == 2 and word in p.stderr and p.stdout == "", "plan, %s: exit 2, names %s" % (what, word))
p = run([UP] + ["--type", "c6i.large", "--git", GIT])
check(p.returncode == 2 and "--count" in p.stderr, "up without --count: exit 2 with a message")
p = run([DOWN])
check(p.returncode == 2 and "NAME" in p.stderr, "down without NAME: exit 2 with a message")
p = run([DOWN, "bad name"])
check(p.returncode == 2, "down with a bad NAME: exit 2")
nostate = os.path.join(W, "state-noaws")
p = run([UP] + ARGS + ["--state-dir", nostate])
check(p.returncode == 1 and "AWS CLI" in p.stderr and not os.path.exists(nostate),
      "up without the aws CLI: exit 1, says so, creates nothing")
p = run([DOWN, NAME, "--state-dir", nostate])
check(p.returncode == 1 and "AWS CLI" in p.stderr, "down without the aws CLI: exit 1, says so")

# ---- plan --peers N --storm-rate R: the capacity model picks --count and --type ----

with open(os.path.join(SRC, "bench/figures.json")) as f:
    FIG = json.load(f)
TYPES = PRICES.get("types") or {}
check(all(isinstance(t.get("vcpus"), int) and t["vcpus"] > 0 and t.get("memory_gib", 0) > 0
          and t.get("threads_per_core") in (1, 2) and t.get("arch") in ("amd64", "arm64") for t in TYPES.values())
      and {"c6i.4xlarge", "c6i.8xlarge", "c6i.16xlarge", "m6i.8xlarge", "c7g.4xlarge"} <= set(TYPES),
      "prices.json types: vCPUs, memory, threads per core and arch for %d types" % len(TYPES))
check(all(t in east for t in TYPES), "every type in the types table has a us-east-1 price")
for k in ("commit", "measured", "machine", "logins_per_s_per_core", "handshakes_per_s_per_core", "peer_bytes_marginal",
          "rank_fixed_bytes", "fds_per_online_peer", "fd_limit", "fd_headroom", "max_ranks_per_core"):
    check(k in FIG and (k in ("commit", "measured", "machine") or k in FIG.get("sources", {})),
          "bench/figures.json has %s%s" % (k, "" if k in ("commit", "measured", "machine") else " and its source"))
SIZE = ["--peers", "1000000", "--storm-rate", "20000/s"]
SZ_BASE = ["--region", "us-east-1", "--git", GIT, "--cidr-ssh", CIDR]


def sizing_json(*extra, figures=None):
    argv = [PLAN] + list(extra) + ["--json"] + (["--figures", figures] if figures else [])
    p = run(argv)
    try:
        return p, json.loads(p.stdout)
    except ValueError:
        return p, {}


p = run([PLAN] + SIZE + SZ_BASE)
check(p.returncode == 0, "plan --peers 1000000 --storm-rate 20000/s: exit 0 without aws and credentials, no --count "
      "or --type")
check(all(l.startswith("aws ") for l in p.stdout.splitlines() if l.strip()),
      "with --peers the stdout is still only the aws calls (the sizing goes to stderr)")
text = p.stderr
sized_calls = calls_of(p.stdout)
pj, doc = sizing_json(*SIZE)
check(pj.returncode == 0 and doc.get("chosen") and pj.stderr == "", "plan --peers ... --json: the sizing as JSON, "
      "nothing on stderr")
check(not any(l.startswith("aws ") for l in pj.stdout.splitlines()), "--json makes no AWS call")
ch = doc.get("chosen") or {}
n, itype = ch.get("instances", 0), ch.get("type", "?")
t = TYPES.get(itype, {})
cores = t.get("vcpus", 0) / t.get("threads_per_core", 1)
K = ch.get("node_ranks_per_instance", 0)
print("sizing: %d x %s, %d node ranks per instance, -np %s, bound by %s" % (n, itype, K, ch.get("np"), ch.get("bound_by")))
check(t.get("arch") == FIG.get("arch") and 1 <= n <= 1000, "the chosen type %s is in the table, of the figures' "
      "architecture, and the count %d within 1..1000" % (itype, n))
check(n * t.get("vcpus", 0) * FIG["logins_per_s_per_core"] >= 20000
      and n * cores * FIG["logins_per_s_per_core"] * FIG["cpu_headroom"] >= 20000,
      "CPU: %d x %s vCPUs (%g cores) x %s logins/s per core cover 20,000/s with the headroom"
      % (n, t.get("vcpus"), cores, FIG["logins_per_s_per_core"]))
if FIG.get("peers_per_core"):
    check(n * cores * FIG["peers_per_core"] >= 1000000, "density: %d x %g cores x %s peers per core hold 1,000,000"
          % (n, cores, FIG["peers_per_core"]))
mem = (-(-1000000 // n) * FIG["peer_bytes_marginal"] + (K + 1) * FIG["rank_fixed_bytes"] + FIG["os_reserve_bytes"])
check(mem <= t.get("memory_gib", 0) * 2 ** 30 * FIG["memory_headroom"] and abs(mem - ch.get("memory_bytes_per_instance", 0)) < 1,
      "memory: %.2f GiB per instance fits %s GiB x %s" % (mem / 2 ** 30, t.get("memory_gib"), FIG["memory_headroom"]))
check(ch.get("node_ranks") == n * K and n * K * FIG["fd_limit"] * FIG["fd_headroom"] >= 2 * 1000000
      and ch.get("peers_per_rank", 0) * FIG["fds_per_online_peer"] + FIG["fd_slack_per_rank"] <= FIG["fd_limit"],
      "fds: %d node ranks x %s open files cover %s per peer for 1,000,000 peers" % (n * K, FIG["fd_limit"],
                                                                                 FIG["fds_per_online_peer"]))
check(K + 1 <= t.get("vcpus", 0) * FIG["max_ranks_per_core"], "ranks per instance: %d + the coordinator <= %s x %s"
      % (K, t.get("vcpus"), FIG["max_ranks_per_core"]))
nodes = -(-1000000 * (1 + FIG["server_nodes_share"]) // 1)
check(K * (int(nodes) // (n * K) + 1) <= 65535 - FIG["port_base"], "ports: the nodes of a host fit ports %d..65535"
      % FIG["port_base"])
check(abs(ch.get("cost_per_h", 0) - n * east.get(itype, 0)) < 0.01 and all(
      ch["cost_per_h"] <= r["cost_per_h"] * 1.02 + 1e-6 for r in doc.get("alternatives", [])),
      "cost: %d x the table's price, within 2%% of every alternative's" % n)
check(ch.get("bound_by") and set(ch["bound_by"]) <= {"CPU", "CPU (ranks)", "density", "memory", "fds", "ports"}
      and "bound by" in text, "the plan says what bounds it (%s)" % ch.get("bound_by"))
m = re.search(r"mpirun --hostfile \S+ -np (\d+) ", text)
check(m and int(m.group(1)) == 1 + n * K == ch.get("np"), "the printed mpirun layout's -np is 1 + node ranks (%s)"
      % (m and m.group(1)))
m2 = re.search(r"cloud/launch --np (\d+) ", text)
check(m2 and int(m2.group(1)) == 1 + n * K, "the printed cloud/launch command has the same --np")
check(re.search(r"<ip-1> slots=%d\b" % (K + 1), text) and re.search(r"<ip-2> slots=%d\b" % K, text),
      "the printed hostfile: the first host %d slots (rank 0 and %d node ranks), the others %d" % (K + 1, K, K))
check(re.search(r"ulimit -Hn must be at least %d" % ch.get("ulimit_n", -1), text)
      and ch.get("ulimit_n", 0) >= ch.get("fds_per_rank", 1), "the printed ulimit -n per rank covers its %s fds"
      % ch.get("fds_per_rank"))
check(re.search(r"^\s+\* %s\s+%d\s" % (re.escape(itype), n), text, re.M) and len(doc.get("alternatives", [])) >= 2,
      "the sizing table: the chosen type marked, and the next cheapest alternatives")
ri = [c for c in sized_calls if op(c) == "ec2 run-instances"]
check(ri and opt(ri[0], "--count") == [str(n)] and opt(ri[0], "--instance-type") == [itype],
      "run-instances uses the chosen --count %d and --type %s" % (n, itype))
check(any(op(c) == "ec2 describe-instance-types" and opt(c, "--instance-types") == [itype] for c in sized_calls),
      "describe-instance-types checks the chosen type")
c = cost_of(text)
check(c and c[:2] == (n, itype), "the cost estimate is for the chosen %d x %s" % (n, itype))
loc = doc.get("local_check") or {}
check(loc.get("hosts") == min(4, n) and loc.get("np", 99) <= 8 and abs(loc.get("window_s", 0) - 50) < 1e-6
      and "cloud/local/plan-check" in text, "the scaled-down local check: %s hosts, -np %s, the same 50 s window"
      % (loc.get("hosts"), loc.get("np")))
for alt in ("20000", "20k/s", "20K", "20000.0/s"):
    _, d2 = sizing_json("--peers", "1M", "--storm-rate", alt)
    check((d2.get("chosen") or {}).get("type") == itype and d2["chosen"]["instances"] == n,
          "--storm-rate %s (and --peers 1M) gives the same plan" % alt)
p = run([UP, "--dry-run"] + SIZE + SZ_BASE)
check(p.returncode == 0 and calls_of(p.stdout) == sized_calls,
      "up --dry-run --peers ... sizes the same way and prints the same calls (the same parser)")

# Given --count and --type win; the model says whether they suffice.
p = run([PLAN] + SIZE + SZ_BASE + ["--type", "c6i.4xlarge"])
ri = [c for c in calls_of(p.stdout) if op(c) == "ec2 run-instances"]
_, d4 = sizing_json(*SIZE, "--type", "c6i.4xlarge")
n4 = (d4.get("chosen") or {}).get("instances")
check(p.returncode == 0 and ri and opt(ri[0], "--instance-type") == ["c6i.4xlarge"] and opt(ri[0], "--count") == [str(n4)]
      and "finds %s x c6i.4xlarge enough" % n4 in p.stderr,
      "--type c6i.4xlarge given: the model picks its count (%s) and says it is enough" % n4)
p = run([PLAN] + SIZE + SZ_BASE + ["--type", "c6i.large", "--count", "2"])
ri = [c for c in calls_of(p.stdout) if op(c) == "ec2 run-instances"]
check(p.returncode == 0 and ri and opt(ri[0], "--count") == ["2"] and opt(ri[0], "--instance-type") == ["c6i.large"]
      and "NOT enough" in p.stderr and "SHORT" in p.stderr,
      "--count 2 --type c6i.large given: they win, and the model says they are NOT enough, and what is short")
p = run([PLAN] + SIZE + SZ_BASE + ["--type", "x9z.large", "--count", "3"])
check(p.returncode == 0 and "cannot check it" in p.stderr and "--instance-type x9z.large" in p.stdout,
      "a given type outside the table: the plan goes on as given, saying the model cannot check it")

# Bad input: exit 2, the option named, nothing planned.
bad_sizing = [
    (["--peers", "0", "--storm-rate", "20000/s"], "--peers", "--peers 0"),
    (["--peers", "-5", "--storm-rate", "20000/s"], "--peers", "--peers -5"),
    (["--peers", "lots", "--storm-rate", "20000/s"], "--peers", "--peers lots"),
    (["--peers", "1.5", "--storm-rate", "20000/s"], "--peers", "--peers 1.5"),
    (["--peers", "20000000", "--storm-rate", "20000/s"], "--peers", "--peers above 10,000,000"),
    (["--peers", "1000000", "--storm-rate", "0"], "--storm-rate", "--storm-rate 0"),
    (["--peers", "1000000", "--storm-rate", "-5/s"], "--storm-rate", "--storm-rate -5/s"),
    (["--peers", "1000000", "--storm-rate", "fast"], "--storm-rate", "--storm-rate fast"),
    (["--peers", "1000000", "--storm-rate", "20000/min"], "--storm-rate", "--storm-rate 20000/min"),
    (["--peers", "1000000", "--storm-rate", "/s"], "--storm-rate", "--storm-rate /s"),
    (["--storm-rate", "20000/s"], "--peers", "a rate without --peers"),
    (["--peers", "1000000"], "--storm-rate", "--peers without a rate"),
    (["--peers", "10000000", "--storm-rate", "50000000/s"], "limit of 1000", "more instances than MAX_COUNT"),
    (["--peers", "1000000", "--storm-rate", "20000/s", "--type", "x9z.large"], "--type", "an unknown type, no count"),
    (["--peers", "1000000", "--storm-rate", "20000/s", "--figures", os.path.join(W, "nope.json")], "--figures",
     "a missing figures file"),
    (["--json"], "--json", "--json without --peers"),
]
for argv, word, what in bad_sizing:
    p = run([PLAN] + argv + SZ_BASE)
    check(p.returncode == 2 and word in p.stderr and p.stdout == "" and "Traceback" not in p.stderr,
          "plan, %s: exit 2, names %s" % (what, word))
p = run([UP] + SIZE + SZ_BASE + ["--json"])
check(p.returncode == 2 and "--json" in p.stderr and p.stdout == "", "up --json: exit 2 (the sizing alone is plan's)")
badfig = os.path.join(W, "figures-bad.json")
with open(badfig, "w") as f:
    json.dump(dict(FIG, fd_headroom=1.5), f)
p = run([PLAN] + SIZE + SZ_BASE + ["--figures", badfig])
check(p.returncode == 2 and "fd_headroom" in p.stderr and p.stdout == "", "figures with fd_headroom 1.5: exit 2, "
      "names the field")
nofield = os.path.join(W, "figures-short.json")
with open(nofield, "w") as f:
    json.dump({k: v for k, v in FIG.items() if k != "logins_per_s_per_core"}, f)
p = run([PLAN] + SIZE + SZ_BASE + ["--figures", nofield])
check(p.returncode == 2 and "logins_per_s_per_core" in p.stderr, "figures without logins_per_s_per_core: exit 2, "
      "names it (the model has no number of its own)")

# The figures drive the plan: read from the file, never built in.
def figures_copy(name, **change):
    path = os.path.join(W, name)
    with open(path, "w") as f:
        json.dump(dict(FIG, **change), f)
    return path


cpu_args = ("--peers", "100000", "--storm-rate", "16000/s", "--type", "c6i.4xlarge")
base = figures_copy("figures-base.json", peers_per_core=None)
half = figures_copy("figures-half.json", peers_per_core=None, logins_per_s_per_core=FIG["logins_per_s_per_core"] / 2)
_, d_base = sizing_json(*cpu_args, figures=base)
_, d_half = sizing_json(*cpu_args, figures=half)
b, h = d_base.get("chosen") or {}, d_half.get("chosen") or {}
check(b.get("bound_by") == ["CPU"] and h.get("bound_by") == ["CPU"] and b.get("instances", 0) > 1
      and h.get("instances") == 2 * b.get("instances", -1),
      "halving logins_per_s_per_core doubles a CPU-bound plan's instances (%s -> %s x c6i.4xlarge)"
      % (b.get("instances"), h.get("instances")))
_, d_free = sizing_json(*SIZE, figures=figures_copy("figures-free.json", logins_per_s_per_core=
                                                      FIG["logins_per_s_per_core"] * 2))
_, d_slow = sizing_json(*SIZE, figures=half)
check((d_slow.get("chosen") or {}).get("cost_per_h", 0) >= ch.get("cost_per_h", 1)
      and (d_free.get("chosen") or {}).get("cost_per_h", 1e9) <= ch.get("cost_per_h", 0),
      "a slower core never makes the 1M plan cheaper, a faster one never dearer")
fdh = figures_copy("figures-fd.json", fd_limit=FIG["fd_limit"] // 2)
_, d_fd = sizing_json(*SIZE, figures=fdh)
check((d_fd.get("chosen") or {}).get("fd_ranks") == 2 * ch.get("fd_ranks", -1)
      or (d_fd.get("chosen") or {}).get("fd_ranks", 0) >= 2 * ch.get("fd_ranks", 1) - 1,
      "halving fd_limit doubles the ranks the fd limit needs (%s -> %s)"
      % (ch.get("fd_ranks"), (d_fd.get("chosen") or {}).get("fd_ranks")))
memh = figures_copy("figures-mem.json", peer_bytes_marginal=FIG["peer_bytes_marginal"] * 200, peers_per_core=None)
_, d_mem = sizing_json("--peers", "1000000", "--storm-rate", "1000/s", "--type", "c6i.2xlarge", figures=memh)
dm = d_mem.get("chosen") or {}
check("memory" in (dm.get("bound_by") or []) and dm.get("memory_bytes_per_instance", 1e30)
      <= dm.get("memory_gib", 0) * 2 ** 30 * FIG["memory_headroom"],
      "200 x the bytes per peer: the plan is memory-bound, and fits (%s x c6i.2xlarge)" % dm.get("instances"))
check(d_base.get("figures", {}).get("path") == base, "the JSON names the figures file it used")

# ---- up and down against a fake aws ----

FAKE = r'''#!PYTHON
"""A fake `aws` for tests: a tiny EC2 in $FAKE_AWS_DIR/ec2.json; logs argv."""
import json, os, re, sys
D = os.environ["FAKE_AWS_DIR"]
argv = sys.argv[1:]
with open(os.path.join(D, "calls.jsonl"), "a") as f:
    f.write(json.dumps(argv) + "\n")
path = os.path.join(D, "ec2.json")
db = json.load(open(path)) if os.path.exists(path) else {"n": 0, "pg": {}, "sg": {}, "i": {}}
def opt(name):
    if name not in argv:
        return []
    i = argv.index(name) + 1; out = []
    while i < len(argv) and not argv[i].startswith("--"):
        out.append(argv[i]); i += 1
    return out
def fail(code, msg="fake"):
    sys.stderr.write("\nAn error occurred (%s) when calling the operation: %s\n" % (code, msg)); sys.exit(254)
def done(obj=None):
    json.dump(db, open(path, "w"))
    if obj is not None:
        print(json.dumps(obj))
    sys.exit(0)
def run_of(specs):
    m = re.search(r"Key=bootstorm:run,Value=([A-Za-z0-9-]+)", " ".join(specs))
    return m.group(1) if m else None
def filters():
    out = {}
    for f in opt("--filters"):
        k, v = f.split(",Values=", 1)
        out[k[len("Name="):]] = v.split(",")
    return out
def match(obj, fs, idkey):
    for k, vals in fs.items():
        if k == "tag:bootstorm:run" and obj.get("run") not in vals: return False
        if k in ("instance-id", "group-id", "group-name") and obj[idkey] not in vals: return False
        if k == "instance-state-name" and obj["state"] not in vals: return False
    return True
assert argv[-4:-2] == ["--region", "eu-west-1"] and argv[-2:] == ["--output", "json"], argv
svc, o = argv[0], argv[1]
if o == os.environ.get("FAKE_AWS_FAIL"):
    fail("InsufficientInstanceCapacity", "We currently do not have sufficient capacity")
if (svc, o) == ("sts", "get-caller-identity"):
    done({"Account": "123456789012", "UserId": "AIDAFAKE", "Arn": "arn:aws:iam::123456789012:user/t"})
if o == "describe-instance-types":
    t = opt("--instance-types")[0]
    if t != "c6i.4xlarge": fail("InvalidInstanceType")
    done({"InstanceTypes": [{"InstanceType": t, "VCpuInfo": {"DefaultVCpus": 16, "DefaultCores": 8},
                             "ProcessorInfo": {"SupportedArchitectures": ["x86_64"]}}]})
if o == "get-parameters":
    done({"Parameters": [{"Name": opt("--names")[0], "Value": "ami-0fa0fa0fa0fa0fa01"}], "InvalidParameters": []})
if o == "describe-key-pairs":
    done({"KeyPairs": [{"KeyName": opt("--key-names")[0]}]})
if o == "describe-vpcs":
    done({"Vpcs": [{"VpcId": "vpc-0fa0fa0fa0fa0fa01", "CidrBlock": "172.31.0.0/16", "IsDefault": True}]})
if o == "create-placement-group":
    n = opt("--group-name")[0]
    if n in db["pg"]: fail("InvalidPlacementGroup.Duplicate")
    db["pg"][n] = {"name": n, "id": "pg-0fa0fa0fa0fa0fa01", "run": run_of(opt("--tag-specifications")), "state": "available"}
    done({"PlacementGroup": {"GroupName": n, "GroupId": "pg-0fa0fa0fa0fa0fa01", "Strategy": "cluster"}})
if o == "create-security-group":
    db["n"] += 1
    g = "sg-0fa0fa0fa0fa0%03d" % db["n"]
    db["sg"][g] = {"id": g, "name": opt("--group-name")[0], "run": run_of(opt("--tag-specifications")), "state": "ok"}
    done({"GroupId": g})
if o in ("authorize-security-group-ingress", "authorize-security-group-egress", "revoke-security-group-egress"):
    if opt("--group-id")[0] not in db["sg"]: fail("InvalidGroup.NotFound")
    done({"Return": True})
if o == "run-instances":
    uf = opt("--user-data")[0]
    assert uf.startswith("file://") and open(uf[7:]).read().startswith("#cloud-config"), uf
    insts = []
    for k in range(int(opt("--count")[0])):
        db["n"] += 1
        iid = "i-0fa0fa0fa0fa0%04d" % db["n"]
        db["i"][iid] = {"id": iid, "run": run_of(opt("--tag-specifications")), "state": "pending", "k": k,
                        "ip": "172.31.5.%d" % (10 + db["n"]), "pub": "203.0.113.%d" % (10 + db["n"]),
                        "sg": opt("--security-group-ids")[0], "pg": opt("--placement")[0].split("=")[1]}
        insts.append({"InstanceId": iid, "AmiLaunchIndex": k})
    done({"Instances": insts})
if o == "wait":
    for iid in opt("--instance-ids"):
        if argv[2] == "instance-running": db["i"][iid]["state"] = "running"
        if argv[2] == "instance-terminated": db["i"][iid]["state"] = "terminated"
    done()
if o == "describe-instances":
    ids = opt("--instance-ids")
    for iid in ids:
        if iid not in db["i"]: fail("InvalidInstanceID.NotFound")
    fs = filters()
    sel = [x for x in db["i"].values() if (x["id"] in ids if ids else match(x, fs, "id"))]
    done({"Reservations": [{"Instances": [{"InstanceId": x["id"], "AmiLaunchIndex": x["k"],
        "PrivateIpAddress": x["ip"], "PublicIpAddress": x["pub"], "State": {"Name": x["state"]},
        "Placement": {"AvailabilityZone": "eu-west-1a", "GroupName": x["pg"]}} for x in sel]}] if sel else []})
if o == "terminate-instances":
    ids = opt("--instance-ids")
    if any(i not in db["i"] for i in ids): fail("InvalidInstanceID.NotFound")
    for i in ids: db["i"][i]["state"] = "shutting-down"
    done({"TerminatingInstances": [{"InstanceId": i} for i in ids]})
if o == "describe-security-groups":
    fs = filters()
    done({"SecurityGroups": [{"GroupId": g["id"], "GroupName": g["name"]} for g in db["sg"].values() if match(g, fs, "id")]})
if o == "delete-security-group":
    g = opt("--group-id")[0]
    if g not in db["sg"]: fail("InvalidGroup.NotFound")
    if any(x["sg"] == g and x["state"] != "terminated" for x in db["i"].values()): fail("DependencyViolation")
    del db["sg"][g]; done()
if o == "describe-placement-groups":
    fs = filters()
    done({"PlacementGroups": [{"GroupName": g["name"], "GroupId": g["id"]} for g in db["pg"].values() if match(g, fs, "name")]})
if o == "delete-placement-group":
    n = opt("--group-name")[0]
    if n not in db["pg"]: fail("InvalidPlacementGroup.Unknown")
    if any(x["pg"] == n and x["state"] != "terminated" for x in db["i"].values()): fail("InvalidPlacementGroup.InUse")
    del db["pg"][n]; done()
fail("InvalidAction", "fake aws does not know " + " ".join(argv[:2]))
'''
fakebin = os.path.join(W, "fakebin")
fakedir = os.path.join(W, "fake")
os.makedirs(fakebin)
os.makedirs(fakedir)
with open(os.path.join(fakebin, "aws"), "w") as f:
    f.write(FAKE.replace("#!PYTHON", "#!" + os.path.realpath(sys.executable)))
os.chmod(os.path.join(fakebin, "aws"), 0o755)
FENV = dict(BASE_ENV, PATH=fakebin + os.pathsep + BASE_ENV["PATH"], FAKE_AWS_DIR=fakedir)
STATE = os.path.join(W, "state")
LOG = os.path.join(fakedir, "calls.jsonl")


def logged():
    if not os.path.exists(LOG):
        return []
    with open(LOG) as f:
        out = [json.loads(l) for l in f]
    os.remove(LOG)
    return out


def fake_db():
    with open(os.path.join(fakedir, "ec2.json")) as f:
        return json.load(f)


p = run([UP] + ARGS + ["--state-dir", STATE], env=FENV)
check(p.returncode == 0, "up against the fake aws: exit 0")
made = logged()
db = fake_db()
sg_id = next(iter(db["sg"]), "?")
ids = sorted(db["i"])
subst = {"<sg-id>": sg_id, "<ami-id>": "ami-0fa0fa0fa0fa0fa01", "<vpc-id>": "vpc-0fa0fa0fa0fa0fa01"}


def normal(argv):
    out = []
    for a in argv:
        if a == "<instance-ids>":
            out += ids
            continue
        if a.startswith("file://"):
            a = "file://USER-DATA"
        for k, v in subst.items():
            a = a.replace(k, v)
        out.append(a)
    return out


planned = [normal(c[1:]) for c in calls]
executed = [normal(c) for c in made]
check(planned == executed, "up makes exactly the calls plan printed (%d calls)" % len(planned))
if planned != executed:
    for x, y in zip(planned, executed):
        if x != y:
            print("  plan: %s\n  up:   %s" % (x, y))
            break
check(len(ids) == 3 and all(x["state"] == "running" for x in db["i"].values()), "3 instances running in the fake")
hf = os.path.join(STATE, "hostfile")
hosts = open(hf).read().splitlines() if os.path.exists(hf) else []
want_hosts = ["%s slots=16" % db["i"][i]["ip"] for i in sorted(db["i"], key=lambda i: db["i"][i]["k"])]
check(hosts == want_hosts, "hostfile: one `PRIVATE-IP slots=VCPUS` line per instance: %s" % hosts)
sf = os.path.join(STATE, "aws-%s.json" % NAME)
st = json.load(open(sf)) if os.path.exists(sf) else {}
check(st.get("region") == REGION and sorted(st.get("instance_ids", [])) == ids and st.get("security_group_id") == sg_id
      and (st.get("placement_group") or {}).get("name") == NAME,
      "state file records the region, instance ids, security group and placement group")
key = os.path.join(STATE, "aws-%s.id_ed25519" % NAME)
check(os.path.exists(key) and stat.S_IMODE(os.stat(key).st_mode) == 0o600, "the run's ssh key is kept, mode 0600")
p = run([UP] + ARGS + ["--state-dir", STATE], env=FENV)
check(p.returncode == 1 and "down" in p.stderr and not [c for c in logged() if "create" in c[1]],
      "up again with the same name: refused before any call")

p = run([DOWN, NAME, "--state-dir", STATE], env=FENV)
gone = logged()
gops = [" ".join(c[:2]) for c in gone]
term = [c for c in gone if c[1] == "terminate-instances"]
check(p.returncode == 0, "down: exit 0")
check(len(term) == 1 and sorted(opt(term[0], "--instance-ids")) == ids, "down terminates exactly the 3 instances")
check(["ec2", "wait", "instance-terminated"] in [c[:3] for c in gone], "down waits for instance-terminated")
check(["ec2", "delete-security-group", "--group-id", sg_id] in [c[:4] for c in gone], "down deletes the security group")
check(["ec2", "delete-placement-group", "--group-name", NAME] in [c[:4] for c in gone], "down deletes the placement group")
check(gops.index("ec2 terminate-instances") < gops.index("ec2 delete-security-group")
      < gops.index("ec2 delete-placement-group") if term else False, "down goes instances, then SG, then placement group")
db = fake_db()
check(not db["sg"] and not db["pg"] and all(x["state"] == "terminated" for x in db["i"].values()),
      "nothing of the run is left in the fake EC2")
check(not os.path.exists(sf) and not os.path.exists(hf) and not os.path.exists(key),
      "down removes the state file, the hostfile and the key")
# The state file is gone now, so the region comes from --region.
p = run([DOWN, NAME, "--state-dir", STATE, "--region", REGION], env=FENV)
again = logged()
check(p.returncode == 0 and not [c for c in again if re.match(r"terminate|delete", c[1])],
      "down again: exit 0, nothing to remove")

# A failed up leaves a record; down cleans up from it, or from the tags alone.
p = run([UP] + ARGS + ["--state-dir", STATE], env=dict(FENV, FAKE_AWS_FAIL="run-instances"))
check(p.returncode == 1 and "InsufficientInstanceCapacity" in p.stderr and "cloud/aws/down %s" % NAME in p.stderr,
      "up failing at run-instances: exit 1, shows the AWS error and the way out")
st = json.load(open(sf)) if os.path.exists(sf) else {}
db = fake_db()
check(st.get("security_group_id") in db["sg"] and NAME in db["pg"], "the state file records the SG and placement group made so far")
logged()
p = run([DOWN, NAME, "--state-dir", STATE], env=FENV)
db = fake_db()
check(p.returncode == 0 and not db["sg"] and not db["pg"] and not os.path.exists(sf), "down after a failed up removes them")
p = run([UP] + ARGS + ["--state-dir", STATE], env=FENV)
os.remove(sf)
logged()
p = run([DOWN, NAME, "--state-dir", STATE, "--region", REGION], env=FENV)
db = fake_db()
check(p.returncode == 0 and not db["sg"] and not db["pg"] and all(x["state"] == "terminated" for x in db["i"].values()),
      "down without the state file finds everything by the bootstorm:run tag")
check(not os.path.exists(key), "... and removes the run's key")

# --wait-ready: ssh to each host until its ready marker exists, then copy
# the hostfile to each (fake ssh and scp; say "failed: build" to fail).
FAKE_SSH = """#!PYTHON
import json, os, sys
with open(os.path.join(os.environ["FAKE_AWS_DIR"], "ssh.jsonl"), "a") as f:
    f.write(json.dumps([os.path.basename(sys.argv[0])] + sys.argv[1:]) + "\\n")
if os.path.basename(sys.argv[0]) == "ssh" and "cat >" in sys.argv[-1]:
    # the source copy: keep what arrives on stdin, per host
    data = sys.stdin.buffer.read()
    with open(os.path.join(os.environ["FAKE_AWS_DIR"], "copied-" + sys.argv[-2]), "wb") as f:
        f.write(data)
    sys.exit(int(os.environ.get("FAKE_SSH_COPY_RC", "0")))
if os.path.basename(sys.argv[0]) == "ssh":
    print(os.environ.get("FAKE_SSH_SAY", "ready"))
"""
for tool in ("ssh", "scp"):
    with open(os.path.join(fakebin, tool), "w") as f:
        f.write(FAKE_SSH.replace("#!PYTHON", "#!" + os.path.realpath(sys.executable)))
    os.chmod(os.path.join(fakebin, tool), 0o755)
SSHLOG = os.path.join(fakedir, "ssh.jsonl")
p = run([UP] + ARGS + ["--state-dir", STATE, "--wait-ready"], env=FENV)
ssh = [json.loads(l) for l in open(SSHLOG)] if os.path.exists(SSHLOG) else []
db = fake_db()
live = [x for x in db["i"].values() if x["state"] == "running"]
polled = sorted(c[-2] for c in ssh if c[0] == "ssh")
copied = sorted(c[-1] for c in ssh if c[0] == "scp")
check(p.returncode == 0 and polled == sorted("bootstorm@" + x["pub"] for x in live)
      and all(c[c.index("-i") + 1] == key for c in ssh),
      "--wait-ready polls every host's public IP as bootstorm with the run's key")
check(copied == sorted("bootstorm@%s:/home/bootstorm/bootstorm/cloud/state/hostfile" % x["pub"] for x in live)
      and all(c[-2] == hf for c in ssh if c[0] == "scp"),
      "--wait-ready copies the hostfile to every host")
p = run([DOWN, NAME, "--state-dir", STATE], env=FENV)
os.remove(SSHLOG)
p = run([UP] + ARGS + ["--state-dir", STATE, "--wait-ready"], env=dict(FENV, FAKE_SSH_SAY="failed: build"))
check(p.returncode == 1 and "failed: build" in p.stderr and "bootstorm-setup.log" in p.stderr,
      "--wait-ready: a host whose setup failed is named, with the step and the log")
p = run([DOWN, NAME, "--state-dir", STATE], env=FENV)
db = fake_db()
check(p.returncode == 0 and not db["sg"] and not db["pg"], "down after that removes everything")

# up with the default source: launches, then copies HEAD's archive to every
# host over ssh as bootstorm with the run's key.
if GIT_BIN:
    if os.path.exists(SSHLOG):
        os.remove(SSHLOG)
    st2 = os.path.join(W, "state-checkout")
    arc3 = os.path.join(W, "checkout-up.tar.gz")
    CO_ARGS = ["--count", "3", "--type", "c6i.4xlarge", "--region", REGION, "--name", NAME, "--cidr-ssh", CIDR,
               "--state-dir", st2]
    CO_ENV = {k: v for k, v in FENV.items() if not k.startswith("GIT_")}
    p = run([CO_UP] + CO_ARGS + ["--source-out", arc3], env=CO_ENV)
    db = fake_db()
    live = [x for x in db["i"].values() if x["state"] == "running"]
    ssh = [json.loads(l) for l in open(SSHLOG)] if os.path.exists(SSHLOG) else []
    copies = [c for c in ssh if c[0] == "ssh" and "cat >" in c[-1]]
    check(p.returncode == 0 and len(live) == 3
          and sorted(c[-2] for c in copies) == sorted("bootstorm@" + x["pub"] for x in live)
          and all(c[c.index("-i") + 1] == os.path.join(st2, "aws-%s.id_ed25519" % NAME) for c in copies),
          "up without a source: copies the archive to each host's public IP, as bootstorm, with the run's key")
    got = [open(os.path.join(fakedir, "copied-bootstorm@" + x["pub"]), "rb").read()
           if os.path.exists(os.path.join(fakedir, "copied-bootstorm@" + x["pub"])) else b"" for x in live]
    check(os.path.exists(arc3) and len(got) == 3 and all(g == open(arc3, "rb").read() for g in got)
          and all("/home/bootstorm/bootstorm-src.tar.gz" in c[-1] for c in copies),
          "every host receives the archive of HEAD, byte for byte, at /home/bootstorm/bootstorm-src.tar.gz")
    check(os.path.exists(arc3) and open(arc3, "rb").read() == open(arc, "rb").read(),
          "... the same archive plan --source-out showed")
    sf2 = os.path.join(st2, "aws-%s.json" % NAME)
    st = json.load(open(sf2)) if os.path.exists(sf2) else {}
    check(((st.get("source") or {}).get("checkout") or {}).get("commit") == head,
          "the state file records the shipped commit")
    p = run([CO_DOWN, NAME, "--state-dir", st2], env=FENV)
    check(p.returncode == 0, "down after that")
    p = run([CO_UP] + CO_ARGS, env=dict(CO_ENV, FAKE_SSH_COPY_RC="1"))
    check(p.returncode == 1 and "copying the source to" in p.stderr and "cloud/aws/down %s" % NAME in p.stderr,
          "a failed copy: up exits 1, names the host, and the way out")
    p = run([CO_DOWN, NAME, "--state-dir", st2], env=FENV)
    db = fake_db()
    check(p.returncode == 0 and not db["sg"] and not db["pg"], "down after the failed copy removes everything")

# up --peers: the hostfile carries the layout's slots (rank 0's host one more).
st4 = os.path.join(W, "state-sized")
SIZE5 = ["--peers", "200000", "--storm-rate", "4000/s", "--type", "c6i.4xlarge"]   # the fake knows this type
_, d5 = sizing_json(*SIZE5)
c5 = d5.get("chosen") or {}
p = run([UP] + SIZE5 + ["--region", REGION, "--name", NAME, "--git", GIT, "--cidr-ssh", CIDR, "--state-dir", st4],
        env=FENV)
hf4 = os.path.join(st4, "hostfile")
lines4 = open(hf4).read().splitlines() if os.path.exists(hf4) else []
slots4 = [int(l.split("slots=")[1]) for l in lines4]
check(p.returncode == 0 and len(lines4) == c5.get("instances") and slots4
      and slots4 == [c5["slots_first"]] + [c5["slots_other"]] * (len(slots4) - 1) and sum(slots4) == c5.get("np"),
      "up --peers 200000 --storm-rate 4000/s --type c6i.4xlarge: %s hosts, slots %s: the first carries rank 0, "
      "and the sum is -np %s"
      % (c5.get("instances"), slots4, c5.get("np")))
p = run([DOWN, NAME, "--state-dir", st4], env=FENV)
db = fake_db()
check(p.returncode == 0 and not db["sg"] and not db["pg"], "down after up --peers removes everything")

# up with a local --deb: launches, then copies the .deb to every host.
if os.path.exists(SSHLOG):
    os.remove(SSHLOG)
st3 = os.path.join(W, "state-deb")
p = run([UP] + DEB_ARGS + ["--deb", good_deb, "--state-dir", st3], env=FENV)
db = fake_db()
live = [x for x in db["i"].values() if x["state"] == "running"]
ssh = [json.loads(l) for l in open(SSHLOG)] if os.path.exists(SSHLOG) else []
copies = [c for c in ssh if c[0] == "ssh" and "cat >" in c[-1]]
check(p.returncode == 0 and len(live) == 3
      and sorted(c[-2] for c in copies) == sorted("bootstorm@" + x["pub"] for x in live)
      and all("/home/bootstorm/bootstorm.deb" in c[-1] for c in copies),
      "up --deb PATH: copies the .deb to /home/bootstorm/bootstorm.deb on each host, as bootstorm")
got = [open(os.path.join(fakedir, "copied-bootstorm@" + x["pub"]), "rb").read()
       if os.path.exists(os.path.join(fakedir, "copied-bootstorm@" + x["pub"])) else b"" for x in live]
check(len(got) == 3 and all(g == open(good_deb, "rb").read() for g in got), "... byte for byte")
sf3 = os.path.join(st3, "aws-%s.json" % NAME)
st = json.load(open(sf3)) if os.path.exists(sf3) else {}
check((st.get("source") or {}).get("deb") == good_deb, "the state file records the .deb")
p = run([DOWN, NAME, "--state-dir", st3], env=FENV)
db = fake_db()
check(p.returncode == 0 and not db["sg"] and not db["pg"], "down after up --deb removes everything")

print()
if failures:
    print("%d check(s) failed:" % len(failures))
    for f in failures:
        print("  - " + f)
    sys.exit(1)
print("all checks passed")
