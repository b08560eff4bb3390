"""bootstorm on EC2: the code behind cloud/aws/up, cloud/aws/plan and cloud/aws/down.

One code path serves `up` and `plan`: every AWS call goes through Aws.call(),
which either runs the AWS CLI and parses its JSON, or (plan mode) prints the
command and hands back a placeholder such as <sg-id> in place of the answer.
So the plan is, by construction, the list of calls `up` makes.

Python 3 standard library only. Exit status: 0 done, 1 failed (an AWS call,
a missing tool), 2 bad command line.
"""
import argparse
import base64
import concurrent.futures
import datetime
import ipaddress
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import sizing

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_STATE = os.path.join(REPO, "cloud", "state")

# scripts/install-deps' PACKAGES minus chromium (only the HTML report test
# needs it) and cloud-init (the instances already run it; install-deps wants
# it for the user-data schema check), without its TEST_SERVER_PACKAGES (the
# tests' own servers), plus what the setup script itself uses.
PACKAGES = ["build-essential", "cmake", "pkg-config", "git", "openmpi-bin", "libopenmpi-dev",
            "libevent-dev", "libmsgpack-dev", "libssl-dev", "openssl", "libyaml-dev",
            "libjansson-dev", "libcmocka-dev", "liblcrq-dev", "libhttp-parser-dev", "python3",
            "python3-msgpack",
            "openssh-client",
            "iproute2", "ca-certificates", "curl"]
# With --deb: what the setup script itself uses; apt-get brings the .deb's
# own Depends (Open MPI, the libraries) when it installs it.
DEB_PACKAGES = ["openmpi-bin", "python3", "openssh-client", "iproute2", "ca-certificates", "curl"]
# Debian publishes its official AMIs (owner 136693071363) under these public
# SSM parameters; {arch} is amd64 or arm64.
DEBIAN_SSM = "/aws/service/debian/release/12/latest/{arch}"
USER_DATA_LIMIT = 16384        # EC2's limit on raw user data
NOFILE = 1048576               # = fs.nr_open's default, the most a hard limit may be
MAX_COUNT = 1000               # a typo guard, not an EC2 limit
ECHO_URLS = ["https://checkip.amazonaws.com", "https://api.ipify.org"]
READY = "/var/lib/bootstorm/ready"
FAILED = "/var/lib/bootstorm/failed"
SRC_DIR = "/home/bootstorm/bootstorm"
# With no --git or --tarball, up ships a `git archive` of this checkout's HEAD:
# over 1 MB, far past the user data's 16 KB, so it goes by ssh once the
# instances run, to this path, where bootstorm-setup waits for it.
ARCHIVE = "/home/bootstorm/bootstorm-src.tar.gz"
DEB_COPY = "/home/bootstorm/bootstorm.deb"   # where up copies a local --deb
COPY_TIMEOUT = 900             # seconds for sshd on every host to let the copy in
PRICES = os.path.join(HERE, "prices.json")
LIVE_STATES = "pending,running,stopping,stopped,shutting-down"


class UsageError(Exception):
    pass


class AwsError(Exception):
    def __init__(self, cmd, rc, stderr):
        super().__init__(stderr.strip() or "exit status %d" % rc)
        self.cmd, self.rc, self.stderr = cmd, rc, stderr
        m = re.search(r"An error occurred \(([A-Za-z0-9_.]+)\)", stderr)
        self.code = m.group(1) if m else ""


def err(prog, msg):
    print("%s: %s" % (prog, msg), file=sys.stderr)


# ---- the executor: run the AWS CLI, or print what would run ----

_SAFE = re.compile(r"(?:[\w@%+=:,./-]|<[a-z0-9-]+>)+")


def show(cmd):
    """One shell-ready line; placeholders such as <sg-id> stay readable."""
    return " ".join(a if _SAFE.fullmatch(a) else shlex.quote(a) for a in cmd)


class Aws:
    """Runs `aws SERVICE OP ... --region R --output json` (dry=False) or prints
    it on `out` (dry=True). In dry mode call() returns the `plan` value given
    by the caller, the placeholder standing for the real answer."""

    def __init__(self, region, dry, out=sys.stdout, echo=None):
        self.region, self.dry, self.out, self.echo = region, dry, out, echo
        self.env = dict(os.environ, AWS_PAGER="")

    def call(self, service, op, *args, plan=None, ok_errors=()):
        cmd = ["aws", service] + op.split() + list(args) + ["--region", self.region, "--output", "json"]
        if self.dry:
            print(show(cmd), file=self.out, flush=True)
            return plan
        if self.echo:
            print("+ " + show(cmd), file=self.echo, flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.env)
        if p.returncode != 0:
            e = AwsError(cmd, p.returncode, p.stderr)
            if e.code and e.code in ok_errors:
                return None
            raise e
        out = p.stdout.strip()
        return json.loads(out) if out else {}


def tags(resource_type, name):
    return ("ResourceType=%s,Tags=[{Key=Name,Value=%s},{Key=bootstorm:run,Value=%s}]"
            % (resource_type, name, name))


# ---- arguments ----

def up_parser(prog):
    ap = argparse.ArgumentParser(
        prog=prog,
        description="Provision a cluster placement group of EC2 instances for a bootstorm run "
                    "and write cloud/state/hostfile. `plan` prints the AWS CLI calls instead "
                    "of making them. See docs/cloud.md.")
    ap.add_argument("--count", type=int, help="number of instances (1-%d); with --peers, the model's "
                                             "count when not given" % MAX_COUNT)
    ap.add_argument("--type", help="instance type, e.g. c6i.4xlarge; with --peers, the model's cheapest "
                                   "type when not given")
    ap.add_argument("--peers", metavar="N", help="size the run for N peers (1000000, 1M): picks --count and "
                                                 "--type when they are not given, and prints the mpirun layout "
                                                 "(docs/cloud.md#sizing-a-run); needs --storm-rate")
    ap.add_argument("--storm-rate", metavar="R/s", help="with --peers: the storm's login rate (20000/s, 20000, 20k/s)")
    ap.add_argument("--figures", metavar="FILE", default=sizing.FIGURES,
                    help="the measured figures the model uses (default bench/figures.json)")
    ap.add_argument("--json", action="store_true", help="with plan --peers: print the sizing as JSON on stdout, "
                                                        "and no AWS call")
    ap.add_argument("--region", help="AWS region (default $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1)")
    ap.add_argument("--key", help="an existing EC2 key pair, for ssh as `admin` (optional: "
                                  "the run's own key logs in as `bootstorm`)")
    ap.add_argument("--name", default="bootstorm",
                    help="run name: tags, group names, state file (default bootstorm)")
    ap.add_argument("--git", metavar="URL", help="build bootstorm from this git repository (https). "
                                                 "Default source: a git archive of this checkout's "
                                                 "HEAD, copied to the hosts over ssh")
    ap.add_argument("--ref", help="branch, tag or commit for --git (default: the remote's HEAD)")
    ap.add_argument("--tarball", metavar="PATH|URL",
                    help="build from a source tarball: an http(s) URL the instances fetch, or a "
                         "local file embedded in the user data if it fits in 16 KB")
    ap.add_argument("--deb", metavar="PATH|URL",
                    help="install this bootstorm .deb (from `make package`) instead of building: an "
                         "http(s) URL the instances fetch, or a local file up copies to them over ssh")
    ap.add_argument("--cidr-ssh", metavar="CIDR",
                    help="who may ssh in (default: this machine's public address/32, "
                         "asked of %s)" % ECHO_URLS[0])
    ap.add_argument("--ami", help="image id (default: the latest official Debian 12 AMI, from SSM)")
    ap.add_argument("--subnet", metavar="SUBNET-ID",
                    help="launch into this subnet (default: the region's default VPC)")
    ap.add_argument("--slots", type=int, help="slots per host in the hostfile (default: vCPUs)")
    ap.add_argument("--state-dir", default=DEFAULT_STATE, help="where the hostfile and state go "
                                                               "(default cloud/state)")
    ap.add_argument("--user-data-out", metavar="FILE", help="also write the cloud-init user data here")
    ap.add_argument("--source-out", metavar="FILE",
                    help="with the default source, also write the archive of HEAD that up ships here")
    ap.add_argument("--hours", type=float, metavar="H",
                    help="expected run length, for the cost estimate of the whole run")
    ap.add_argument("--wait-ready", action="store_true",
                    help="after launch, ssh to every host until %s exists, then copy the "
                         "hostfile to %s/cloud/state/ on each" % (READY, SRC_DIR))
    ap.add_argument("--ready-timeout", type=int, default=1800, metavar="SECONDS",
                    help="for --wait-ready (default 1800)")
    ap.add_argument("--dry-run", action="store_true", help="same as cloud/aws/plan")
    return ap


def default_region(given):
    return given or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def check_name(name):
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,30}", name or ""):
        raise UsageError("--name/NAME must be 1-31 letters, digits or '-', starting with a letter: %r" % name)


def check_up_args(a):
    if a.count is None or a.type is None:
        missing = " and ".join(x for x, v in (("--count", a.count), ("--type", a.type)) if v is None)
        raise UsageError("%s %s required (or give --peers N --storm-rate R/s, and the capacity model picks "
                         "them)" % (missing, "are" if " and " in missing else "is"))
    if a.count < 1 or a.count > MAX_COUNT:
        raise UsageError("--count must be between 1 and %d, got %d" % (MAX_COUNT, a.count))
    if not re.fullmatch(r"[a-z][a-z0-9-]*\.[a-z0-9-]+", a.type):
        raise UsageError("--type %r does not look like an instance type (e.g. c6i.4xlarge)" % a.type)
    check_name(a.name)
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", a.region):
        raise UsageError("--region %r does not look like a region (e.g. eu-west-1)" % a.region)
    if [bool(a.git), bool(a.tarball), bool(a.deb)].count(True) > 1:
        raise UsageError("give one source, not two: --git URL [--ref REF], --tarball PATH|URL or --deb PATH|URL "
                         "(or none, to ship this checkout)")
    if not a.git and not a.tarball and not a.deb and not os.path.exists(os.path.join(REPO, ".git")):
        raise UsageError("no source: %s is not a git checkout (no .git), so there is no HEAD to ship; "
                         "give --git URL [--ref REF], --tarball PATH|URL or --deb PATH|URL" % REPO)
    if a.source_out and (a.git or a.tarball or a.deb):
        raise UsageError("--source-out goes with the default source (this checkout), not --git, --tarball "
                         "or --deb")
    if a.deb:
        check_deb(a)
    if a.hours is not None and not 0 < a.hours < 24 * 366:
        raise UsageError("--hours must be a positive number of hours, got %g" % a.hours)
    if a.ref and not a.git:
        raise UsageError("--ref goes with --git")
    if a.git and not re.fullmatch(r"https?://[^\s'\"\\]+", a.git):
        raise UsageError("--git takes an https:// (or http://) URL without spaces or quotes: the "
                         "instances may only reach the web (ports 80 and 443), so no ssh or git://")
    if a.ref and not re.fullmatch(r"[A-Za-z0-9._/+-]+", a.ref):
        raise UsageError("--ref %r is not a plain branch, tag or commit" % a.ref)
    if a.tarball and re.match(r"https?://", a.tarball):
        if not re.fullmatch(r"[^\s'\"\\]+", a.tarball):
            raise UsageError("--tarball URL must not contain spaces, quotes or backslashes")
    elif a.tarball and not os.path.isfile(a.tarball):
        raise UsageError("--tarball %s: no such file (give a local file or an http(s) URL)" % a.tarball)
    if a.cidr_ssh:
        try:
            net = ipaddress.ip_network(a.cidr_ssh, strict=False)
        except ValueError:
            raise UsageError("--cidr-ssh %r is not a CIDR such as 203.0.113.7/32" % a.cidr_ssh)
        if net.version != 4:
            raise UsageError("--cidr-ssh must be IPv4")
        if net.prefixlen == 0:
            raise UsageError("--cidr-ssh 0.0.0.0/0 would open ssh to the whole internet; give your address")
        a.cidr_ssh = str(net)
    if a.ami and not re.fullmatch(r"ami-[0-9a-f]{8,17}", a.ami):
        raise UsageError("--ami %r is not an image id (ami-...)" % a.ami)
    if a.subnet and not re.fullmatch(r"subnet-[0-9a-f]{8,17}", a.subnet):
        raise UsageError("--subnet %r is not a subnet id (subnet-...)" % a.subnet)
    if a.key and not re.fullmatch(r"[\x21-\x7e]{1,255}", a.key):
        raise UsageError("--key %r is not a key pair name" % a.key)
    if a.slots is not None and a.slots < 1:
        raise UsageError("--slots must be at least 1")
    if a.ready_timeout < 1:
        raise UsageError("--ready-timeout must be positive")


def check_deb(a):
    """--deb: a .deb URL, or a local .deb of package bootstorm. Its
    architecture, read from the file (dpkg-deb) or its name
    (bootstorm_0.1.0_amd64.deb), must be the instance type's."""
    if re.match(r"https?://", a.deb):
        if not re.fullmatch(r"[^\s'\"\\]+", a.deb):
            raise UsageError("--deb URL must not contain spaces, quotes or backslashes")
        name = os.path.basename(urllib.parse.urlparse(a.deb).path)
        if not name.endswith(".deb"):
            raise UsageError("--deb %s: the URL's path does not end in .deb" % a.deb)
        arch = None
    else:
        if not os.path.isfile(a.deb):
            raise UsageError("--deb %s: no such file (give a .deb from `make package`, or an http(s) URL)"
                             % a.deb)
        name, arch = os.path.basename(a.deb), None
        if shutil.which("dpkg-deb"):
            p = subprocess.run(["dpkg-deb", "-f", a.deb, "Package", "Architecture"], capture_output=True,
                               text=True, stdin=subprocess.DEVNULL)
            fields = dict(re.findall(r"^(\w+): *(\S+)$", p.stdout, re.M))
            if p.returncode != 0 or fields.get("Package") != "bootstorm":
                raise UsageError("--deb %s is not a bootstorm .deb (%s)" % (
                    a.deb, p.stderr.strip() or "package %s" % fields.get("Package")))
            arch = fields.get("Architecture")
    m = re.search(r"_([a-z0-9]+)\.deb$", name)
    arch = arch or (m.group(1) if m else None)
    if arch and arch != "all" and arch != guess_arch(a.type):
        raise UsageError("--deb %s is an %s package, but %s instances are %s: build the .deb on an %s "
                         "machine (make package)" % (name, arch, a.type, guess_arch(a.type), guess_arch(a.type)))


def guess_arch(itype):
    """Graviton families carry a 'g' after the generation (c7g, m6gd, c7gn,
    t4g, r8g) or are a1. up checks the guess with describe-instance-types."""
    fam = itype.split(".")[0]
    if fam == "a1":
        return "arm64"
    m = re.fullmatch(r"([a-z]+)(\d+)([a-z-]*)", fam)
    return "arm64" if m and "g" in m.group(3) else "amd64"


# ---- cloud-init user data ----

SETUP_SCRIPT = r"""#!/bin/bash
# bootstorm host setup: run once by cloud-init (runcmd) as root.
# Log: /var/log/bootstorm-setup.log. Ends by writing READY, or FAILED
# with the step that failed.
set -Eeuo pipefail
exec >>/var/log/bootstorm-setup.log 2>&1
# shellcheck source=/dev/null
. /etc/bootstorm/setup.env
mkdir -p /var/lib/bootstorm
rm -f READY FAILED
step=start
trap 'echo "bootstorm-setup: failed at step $step"; echo "$step" > FAILED' ERR
echo "bootstorm-setup: start $(date -u +%FT%TZ)"
as_bs() { runuser -u bootstorm -- env HOME=/home/bootstorm "$@"; }

step=limits
# Raise fs.file-max, never lower it (systemd already sets it to the maximum).
if [ "$(cat /proc/sys/fs/file-max)" -lt 16777216 ]; then
    echo "fs.file-max = 16777216" >> /etc/sysctl.d/90-bootstorm.conf
fi
sysctl --system >/dev/null
systemctl daemon-reexec    # picks up DefaultLimitNOFILE

step=packages
# cloud-init's packages module may lose the dpkg lock to unattended-upgrades.
missing=""
for p in $BS_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    # shellcheck disable=SC2086  # a list of package names
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
fi

step=ssh
# mpirun starts its daemons over ssh as bootstorm, from any host to any host:
# every host has the run's key, trusts it, and skips host-key checks inside
# the VPC only. Its CIDR blocks come from the instance metadata (IMDSv2).
h=/home/bootstorm
install -d -m 700 -o bootstorm -g bootstorm $h/.ssh
install -m 600 -o bootstorm -g bootstorm /etc/bootstorm/id_ed25519 $h/.ssh/id_ed25519
install -m 644 -o bootstorm -g bootstorm /etc/bootstorm/id_ed25519.pub $h/.ssh/id_ed25519.pub
grep -qxF "$(cat /etc/bootstorm/id_ed25519.pub)" $h/.ssh/authorized_keys 2>/dev/null ||
    cat /etc/bootstorm/id_ed25519.pub >> $h/.ssh/authorized_keys
chown bootstorm:bootstorm $h/.ssh/authorized_keys
chmod 600 $h/.ssh/authorized_keys
rm -f /etc/bootstorm/id_ed25519
token=$(curl -fsS -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" http://169.254.169.254/latest/api/token)
imds() { curl -fsS -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"; }
mac=$(imds mac)
cidrs=$(imds "network/interfaces/macs/$mac/vpc-ipv4-cidr-blocks" | tr '\n' ' ')
# ssh_config matches host patterns, not CIDRs: 172.31.0.0/16 -> 172.31.*.*
# shellcheck disable=SC2086  # one argument per CIDR block
patterns=$(python3 - $cidrs <<'PY'
import ipaddress, sys
out = []
for c in sys.argv[1:]:
    n = ipaddress.ip_network(c, strict=False)
    p = -(-n.prefixlen // 8) * 8
    for s in (n.subnets(new_prefix=p) if p > n.prefixlen else [n]):
        o = str(s.network_address).split(".")
        out.append(".".join(o[:p // 8] + ["*"] * (4 - p // 8)))
print(" ".join(out))
PY
)
cat > $h/.ssh/config <<EOF
# bootstorm: the hosts of this VPC ($cidrs), for mpirun
Host $patterns
    User bootstorm
    IdentityFile ~/.ssh/id_ed25519
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    LogLevel ERROR
EOF
chown bootstorm:bootstorm $h/.ssh/config
chmod 600 $h/.ssh/config

step=source
src=SRC_DIR
rm -rf "$src"
unpack() {
    local tmp top
    tmp=$(mktemp -d /var/lib/bootstorm/unpack.XXXXXX)
    tar -xf "$1" -C "$tmp"
    if [ -f "$tmp/CMakeLists.txt" ]; then
        mv "$tmp" "$src"
    else
        top=$(find "$tmp" -mindepth 2 -maxdepth 2 -name CMakeLists.txt | head -n 1)
        if [ -z "$top" ]; then
            echo "bootstorm-setup: no CMakeLists.txt at the top of the tarball or one directory down"
            return 1
        fi
        mv "$(dirname "$top")" "$src"
        rm -rf "$tmp"
    fi
    chown -R bootstorm:bootstorm "$src"
}
# Wait for a file cloud/aws/up copies here over ssh once this host runs.
arrival() {
    local waited=0
    while [ ! -f "$1" ]; do
        if [ "$waited" -ge 1800 ]; then
            echo "bootstorm-setup: $1 has not arrived after ${waited} s (cloud/aws/up copies it)"
            return 1
        fi
        sleep 5
        waited=$((waited + 5))
    done
}
case "$BS_SOURCE" in
git)
    as_bs git clone --quiet "$BS_GIT_URL" "$src"
    if [ -n "$BS_GIT_REF" ]; then
        as_bs git -C "$src" fetch --quiet origin "$BS_GIT_REF"
        as_bs git -C "$src" checkout --quiet --detach FETCH_HEAD
    fi
    desc="git $BS_GIT_URL ${BS_GIT_REF:-HEAD} $(as_bs git -C "$src" rev-parse HEAD)"
    ;;
url)
    curl -fsSL --retry 5 -o /var/lib/bootstorm/src.tar "$BS_TARBALL_URL"
    unpack /var/lib/bootstorm/src.tar
    desc="tarball $BS_TARBALL_URL"
    ;;
embedded)
    unpack /var/lib/bootstorm/src.tar
    desc="tarball (embedded) $BS_TARBALL_NAME"
    ;;
copied)
    # cloud/aws/up copies a git archive of its checkout here over ssh once
    # this host runs (it is too big for the user data).
    arrival "$BS_ARCHIVE"
    unpack "$BS_ARCHIVE"
    desc="git archive of commit $BS_COMMIT, copied by cloud/aws/up"
    ;;
deb)
    # A bootstorm .deb: fetched, or copied here by cloud/aws/up like the archive.
    if [ -n "$BS_DEB_URL" ]; then
        curl -fsSL --retry 5 -o /var/lib/bootstorm/bootstorm.deb "$BS_DEB_URL"
        desc="deb $BS_DEB_URL"
    else
        arrival "$BS_DEB_COPY"
        install -m 644 "$BS_DEB_COPY" /var/lib/bootstorm/bootstorm.deb
        desc="deb $BS_DEB_NAME, copied by cloud/aws/up"
    fi
    ;;
esac

if [ "$BS_SOURCE" = deb ]; then
    step=install
    # apt-get, not dpkg -i: it installs the package's Depends too.
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends /var/lib/bootstorm/bootstorm.deb
    desc="$desc, bootstorm $(dpkg-query -W -f='${Version}' bootstorm)"
    # A checkout's layout pointing into the package, so that the commands
    # stay the same: cd bootstorm && cloud/launch scenarios/quickstart.yaml
    as_bs mkdir -p "$src/build/bin" "$src/cloud"
    as_bs ln -sfn /usr/share/bootstorm/scenarios "$src/scenarios"
    as_bs ln -sfn /usr/share/bootstorm/scripts "$src/scripts"
    as_bs ln -sfn /usr/share/bootstorm/cloud/launch "$src/cloud/launch"
    as_bs ln -sfn /usr/bin/bootstorm "$src/build/bin/bootstorm"
    as_bs ln -sfn /usr/bin/bootstorm-results "$src/build/bin/bootstorm-results"
else
    step=build
    cd "$src"
    as_bs cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
    as_bs cmake --build build -j "$(nproc)"
fi
test -x "$src/build/bin/bootstorm"
# cloud/aws/up --wait-ready copies the run's hostfile to $src/cloud/state/hostfile.
as_bs mkdir -p "$src/cloud/state"

step=finish
printf 'ready %s\nsource %s\nbinary %s\n' "$(date -u +%FT%TZ)" "$desc" "$src/build/bin/bootstorm" > READY
echo "bootstorm-setup: ready $(date -u +%FT%TZ)"
""".replace("READY", READY).replace("FAILED", FAILED).replace("SRC_DIR", SRC_DIR)


def block(text, indent):
    pad = " " * indent
    return "".join(pad + line + "\n" if line else "\n" for line in text.rstrip("\n").split("\n"))


def user_data(a, pub_key, priv_key, tarball_b64=None):
    """The #cloud-config document, as text (written by hand: no YAML library
    in the standard library). Everything variable is quoted or validated."""
    packages = DEB_PACKAGES if a.deb else PACKAGES
    if a.git:
        source = "git"
    elif a.deb:
        source = "deb"
    elif getattr(a, "checkout", None):
        source = "copied"
    elif tarball_b64 is None:
        source = "url"
    else:
        source = "embedded"
    env = {
        "BS_RUN": a.name,
        "BS_SOURCE": source,
        "BS_GIT_URL": a.git or "",
        "BS_GIT_REF": a.ref or "",
        "BS_TARBALL_URL": a.tarball if source == "url" else "",
        "BS_TARBALL_NAME": os.path.basename(a.tarball) if source == "embedded" else "",
        "BS_ARCHIVE": ARCHIVE if source == "copied" else "",
        "BS_COMMIT": a.checkout["commit"] if source == "copied" else "",
        "BS_DEB_URL": a.deb if source == "deb" and re.match(r"https?://", a.deb) else "",
        "BS_DEB_COPY": DEB_COPY if source == "deb" and not re.match(r"https?://", a.deb) else "",
        "BS_DEB_NAME": os.path.basename(a.deb) if source == "deb" else "",
        "BS_PACKAGES": " ".join(packages),
    }
    env_text = "".join("%s=%s\n" % (k, shlex.quote(v)) for k, v in env.items())
    limits = ("# bootstorm: one socket per emulated node, thousands per rank\n"
              "*    soft nofile %d\n*    hard nofile %d\n"
              "root soft nofile %d\nroot hard nofile %d\n") % ((NOFILE,) * 4)
    systemd = "[Manager]\nDefaultLimitNOFILE=%d\n" % NOFILE
    sysctl = ("# bootstorm: many connections and listeners per host\n"
              "net.core.somaxconn = 65535\n"
              "net.ipv4.tcp_max_syn_backlog = 65535\n"
              "net.core.netdev_max_backlog = 65535\n"
              "# Ephemeral ports stay below the nodes' listening ports (network.port_base,\n"
              "# 20000 and up, one per node of this host), so they never collide.\n"
              "net.ipv4.ip_local_port_range = 1024 19999\n"
              "net.ipv4.tcp_tw_reuse = 1\n"
              "# fs.file-max is raised by bootstorm-setup (only if below 16777216)\n")
    out = []
    w = out.append
    w("#cloud-config\n")
    w("# bootstorm host for run %s, generated by cloud/aws/up. See docs/cloud.md.\n" % a.name)
    if a.deb:
        w("# Installs what the setup uses, raises the fd limits and sysctls, creates\n")
        w("# the mpirun user `bootstorm` with the run's ssh key, then\n")
        w("# /usr/local/sbin/bootstorm-setup installs the bootstorm .deb, lays out\n")
        w("# %s as a checkout pointing into it, and writes\n" % SRC_DIR)
    else:
        w("# Installs the build dependencies, raises the fd limits and sysctls, creates\n")
        w("# the mpirun user `bootstorm` with the run's ssh key, then\n")
        w("# /usr/local/sbin/bootstorm-setup builds bootstorm in %s and writes\n" % SRC_DIR)
    w("# %s (or %s on error).\n" % (READY, FAILED))
    w("package_update: true\n")
    w("packages:\n")
    for p in packages:
        w("  - %s\n" % p)
    w("users:\n")
    w("  - default\n")
    w("  - name: bootstorm\n")
    w("    gecos: bootstorm mpirun user\n")
    w("    shell: /bin/bash\n")
    w("    lock_passwd: true\n")
    w("    ssh_authorized_keys:\n")
    w("      - %s\n" % json.dumps(pub_key.strip()))
    w("write_files:\n")

    def file(path, perms, content, encoding=None):
        w("  - path: %s\n" % path)
        w("    owner: root:root\n")
        w("    permissions: '%s'\n" % perms)
        if encoding:
            w("    encoding: %s\n" % encoding)
            w("    content: %s\n" % json.dumps(content))
        else:
            w("    content: |\n")
            w(block(content, 6))

    file("/etc/security/limits.d/90-bootstorm.conf", "0644", limits)
    file("/etc/systemd/system.conf.d/90-bootstorm.conf", "0644", systemd)
    file("/etc/sysctl.d/90-bootstorm.conf", "0644", sysctl)
    file("/etc/bootstorm/setup.env", "0644", env_text)
    file("/etc/bootstorm/id_ed25519", "0600", priv_key)
    file("/etc/bootstorm/id_ed25519.pub", "0644", pub_key)
    if tarball_b64 is not None:
        file("/var/lib/bootstorm/src.tar", "0644", tarball_b64, encoding="b64")
    file("/usr/local/sbin/bootstorm-setup", "0755", SETUP_SCRIPT)
    w("runcmd:\n")
    w("  - [/usr/local/sbin/bootstorm-setup]\n")
    w("final_message: \"bootstorm: cloud-init done after $UPTIME s, see %s\"\n" % READY)
    return "".join(out)


def make_keypair(name, dry):
    """The run's own ssh key: mpirun between the hosts, and the operator's
    login as `bootstorm`. Returns (private, public) text."""
    if not shutil.which("ssh-keygen"):
        if dry:
            return ("<ed25519 private key generated by up>\n", "ssh-ed25519 <public-key> bootstorm-" + name)
        raise RuntimeError("ssh-keygen not found (Debian: apt-get install openssh-client)")
    with tempfile.TemporaryDirectory() as d:
        k = os.path.join(d, "id")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bootstorm-" + name, "-f", k],
                       check=True, stdin=subprocess.DEVNULL)
        with open(k) as f:
            priv = f.read()
        with open(k + ".pub") as f:
            pub = f.read().strip()
    return priv, pub


def operator_cidr():
    for url in ECHO_URLS:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                ip = r.read().decode().strip()
            return str(ipaddress.IPv4Address(ip)) + "/32"
        except (OSError, ValueError):
            continue
    raise RuntimeError("could not find this machine's public address (asked %s); pass --cidr-ssh CIDR"
                       % ", ".join(ECHO_URLS))


# ---- state ----

def write_private(path, text, mode=0o600):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


class State:
    """cloud/state/aws-NAME.json: every resource `up` created, saved after
    each creation so that `down` can clean up after a failed `up`."""

    def __init__(self, state_dir, name):
        self.dir = state_dir
        self.path = os.path.join(state_dir, "aws-%s.json" % name)
        self.data = {}

    def load(self):
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.data = json.load(f)
        return self.data

    def save(self, **kw):
        self.data.update(kw)
        os.makedirs(self.dir, exist_ok=True)
        write_private(self.path, json.dumps(self.data, indent=2) + "\n", 0o644)


# ---- the default source: a git archive of this checkout ----

def git_env():
    """git run on REPO itself, whatever GIT_DIR and friends the caller has set."""
    return {k: v for k, v in os.environ.items()
            if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY")}


def size_text(n):
    return "%.1f MB" % (n / 1e6) if n >= 1e5 else "%.1f KB" % (n / 1e3)


def archive_checkout(prog, dest):
    """Write `git archive` of HEAD (a .tar.gz with the tree under bootstorm/)
    to dest and say on stderr which commit it is, and what it leaves out:
    uncommitted changes are not shipped. Returns {commit, subject, dirty, path, bytes}."""
    how = "give --git URL [--ref REF] or --tarball PATH|URL instead"
    if not shutil.which("git"):
        raise UsageError("no source given, and shipping this checkout needs git, which is not on PATH; " + how)

    def git(*args):
        p = subprocess.run(["git", "-C", REPO] + list(args), capture_output=True, text=True,
                           env=git_env(), stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise UsageError("no source given, and `git %s` failed in %s: %s; %s"
                             % (" ".join(args), REPO, p.stderr.strip() or "exit %d" % p.returncode, how))
        return p.stdout

    commit = git("rev-parse", "--verify", "HEAD^{commit}").strip()
    subject = git("log", "-1", "--format=%s", commit).strip()
    if len(subject) > 60:
        subject = subject[:57] + "..."
    changed, untracked = [], []
    for line in git("status", "--porcelain").splitlines():
        (untracked if line.startswith("??") else changed).append(line[3:])
    git("archive", "--format=tar.gz", "--prefix=bootstorm/", "-o", os.path.abspath(dest), commit)
    size = os.path.getsize(dest)
    print("%s: source: this checkout (%s), git archive of HEAD = commit %s \"%s\", %s; "
          "up copies it to every host over ssh once they run" % (prog, REPO, commit, subject, size_text(size)),
          file=sys.stderr)
    if changed or untracked:
        parts = []
        if changed:
            parts.append("%d changed file(s): %s%s" % (len(changed), ", ".join(changed[:5]),
                                                       ", ..." if len(changed) > 5 else ""))
        if untracked:
            parts.append("%d untracked file(s)" % len(untracked))
        print("%s: warning: the working tree has uncommitted changes (%s): they are NOT shipped, the "
              "hosts build commit %s as committed. Commit them first to ship them."
              % (prog, "; ".join(parts), commit[:12]), file=sys.stderr)
    return {"commit": commit, "subject": subject, "dirty": bool(changed or untracked),
            "path": dest, "bytes": size}


# ---- cost estimate ----

def usd(x):
    """$0.68, $2.04, $0.0363: two decimals, or up to four for small amounts."""
    s = "%.4f" % x
    s = s.rstrip("0")
    return "$" + (s + "0" * (2 - len(s.split(".")[1])))


def cost_estimate(prog, a, prices_path=PRICES):
    """Print the estimated on-demand cost of the run from the price table
    in the repo: per hour, and for the whole run with --hours. Estimates
    only, and never fatal: a type or region not in the table says so."""
    try:
        with open(prices_path) as f:
            table = json.load(f)
        regions = table["regions"]
    except (OSError, ValueError, KeyError) as e:
        print("%s: cost: price unknown (cannot read the price table %s: %s)" % (prog, prices_path, e),
              file=sys.stderr)
        return
    name = os.path.relpath(prices_path, REPO)
    source = table.get("source", "the EC2 pricing page")
    region = a.region if a.region in regions else next(iter(regions))
    price = regions[region].get(a.type)
    if not isinstance(price, (int, float)) or price <= 0:
        print("%s: cost: %d x %s: price unknown (not in %s for %s; see %s)"
              % (prog, a.count, a.type, name, region, source), file=sys.stderr)
        return
    hourly = price * a.count
    ipv4 = float(table.get("public_ipv4_per_hour", 0)) * a.count if not a.subnet else 0.0
    extra = (", plus %s/h for %d public IPv4 addresses" % (usd(ipv4), a.count)) if ipv4 else ""
    print("%s: cost: %d x %s at %s/h = %s/h%s (an estimate: %s on-demand Linux prices as of %s, "
          "from %s, kept in %s)" % (prog, a.count, a.type, usd(price), usd(hourly), extra, region,
                                    table.get("as_of", "?"), source, name), file=sys.stderr)
    if region != a.region:
        print("%s: cost: %s is not in the price table, so these are %s prices; other regions are "
              "usually 5-25%% dearer" % (prog, a.region, region), file=sys.stderr)
    if a.hours is not None:
        print("%s: cost: for %g h: about %s (%d x %s x %g h%s); billing runs until `cloud/aws/down %s`"
              % (prog, a.hours, usd((hourly + ipv4) * a.hours), a.count, usd(price), a.hours,
                 " + addresses" if ipv4 else "", a.name), file=sys.stderr)
    else:
        print("%s: cost: add --hours H for the whole run's estimate; billing runs until `cloud/aws/down %s`"
              % (prog, a.name), file=sys.stderr)


# ---- sizing: --peers N --storm-rate R ----

def size_run(a, prog, command):
    """Run the capacity model (sizing.py) for --peers and --storm-rate: fill
    in --count and --type where they are not given, print the sizing table
    and the mpirun layout on stderr (stdout stays the AWS calls), and keep
    the layout in a.layout for the hostfile up writes. With --json, print
    the sizing on stdout and return "json": no AWS call follows."""
    if a.peers is None:
        raise UsageError("%s goes with --peers N: the model sizes a run for N peers at a storm rate"
                         % ("--storm-rate" if a.storm_rate is not None else "--json"))
    if a.storm_rate is None:
        raise UsageError("--peers needs --storm-rate R/s (the storm's logins per second, e.g. 20000/s)")
    if a.json and command != "plan":
        raise UsageError("--json prints the sizing only: use cloud/aws/plan --peers N --storm-rate R --json")
    try:
        peers = sizing.parse_peers(a.peers)
        rate = sizing.parse_rate(a.storm_rate)
        if peers > 10000000:
            raise sizing.SizingError("--peers %s is above the 10,000,000 a scenario takes (nodes.peers)" % a.peers)
        if a.count is not None and not 1 <= a.count <= MAX_COUNT:
            raise UsageError("--count must be between 1 and %d, got %d" % (MAX_COUNT, a.count))
        fig = sizing.load_figures(a.figures)
        catalogue, price_region = sizing.load_catalogue(PRICES, a.region)
        known = a.type is None or a.type in catalogue
        if not known and a.count is None:
            raise UsageError("--type %s is not in the instance table (\"types\" of %s), so the model cannot "
                             "size it: give --count too, or a type from the table"
                             % (a.type, os.path.relpath(PRICES, REPO)))
        plan = sizing.choose(peers, rate, fig, catalogue, itype=a.type if known else None,
                             count=a.count, limit=MAX_COUNT)
    except sizing.SizingError as e:
        raise UsageError(str(e))
    lay = plan["chosen"]
    if lay is None:
        over = plan.get("over_limit")
        raise UsageError("--peers %s --storm-rate %s: the type that needs the fewest instances needs %s%s, above the limit "
                         "of %d (MAX_COUNT in %s); split the storm or raise the limit"
                         % (a.peers, a.storm_rate, sizing.fmt_int(over["instances"]) if over else "more",
                            " (%s, bound by %s)" % (over["type"], ", ".join(over["bound_by"])) if over else "",
                            MAX_COUNT, os.path.relpath(__file__, REPO)))
    local = sizing.scale_down(lay, peers, rate, fig, os.cpu_count() or 1)
    if a.json:
        doc = sizing.to_json(plan, peers, rate, fig, local, price_region)
        doc["given"] = {"count": a.count, "type": a.type if known else None}
        print(json.dumps(doc, indent=2))
        return "json"

    def say(line=""):
        print(("%s: %s" % (prog, line)) if line and not line.startswith(" ") else line, file=sys.stderr)

    given = [x for x, v in (("--count %s" % a.count, a.count), ("--type %s" % a.type, a.type)) if v is not None]
    say("sizing: %s peers, storm %s logins/s (boot over %g s); %s"
        % (sizing.fmt_int(peers), sizing.fmt_rate(rate), round(peers / rate, 3), sizing.figures_line(fig)))
    if price_region != a.region:
        say("sizing: prices of %s (%s is not in the price table)" % (price_region, a.region))
    if not known:
        say("sizing: %s is not in the instance table, so the model cannot check it: %d x %s as given"
            % (a.type, a.count, a.type))
        say("sizing: for comparison, the cheapest at --count %d:" % a.count)
    elif given:
        say("sizing: %s given; the model %s" % (" and ".join(given), (
            "finds %d x %s enough" % (lay["instances"], lay["type"])) if lay["suffices"] else
            "finds %d x %s NOT enough: short of %s" % (lay["instances"], lay["type"],
                                                       "; ".join(sizing.shortfalls(lay)))))
    for line in sizing.table_lines(plan, picked=not given):
        say("  " + line)
    if plan["skipped"]:
        say("  (not considered: %d %s types such as %s; the figures were measured on %s; give --type to size one)"
            % (len(plan["skipped"]), "other-architecture", plan["skipped"][0], fig.get("arch")))
    if a.type and known and catalogue[a.type]["arch"] != fig.get("arch"):
        say("sizing: warning: %s is %s and the figures were measured on %s: its per-core figures may differ"
            % (a.type, catalogue[a.type]["arch"], fig.get("arch")))
    if not known:
        return "text"
    say("layout: %d x %s, %d node ranks (%d per instance) + the coordinator: -np %d"
        % (lay["instances"], lay["type"], lay["node_ranks"], lay["node_ranks_per_instance"], lay["np"]))
    for line in sizing.layout_lines(lay, peers, rate, fig):
        say("  " + line)
    for line in sizing.local_lines(local, peers, rate):
        say("  " + line)
    a.layout = lay
    if a.count is None:
        a.count = lay["instances"]
    if a.type is None:
        a.type = lay["type"]
    if a.slots:
        say("sizing: --slots %d given: the hostfile gets %d slots per host, not the layout's %d/%d"
            % (a.slots, a.slots, lay["slots_first"], lay["slots_other"]))
    return "text"


# ---- up / plan ----

def up(a, prog):
    with tempfile.TemporaryDirectory(prefix="bsaws-") as tmp:
        return up_in(a, prog, tmp)


def up_in(a, prog, tmp):
    dry = a.dry_run
    name, state_dir = a.name, a.state_dir
    aws = Aws(a.region, dry, echo=sys.stderr)
    if not dry and not shutil.which("aws"):
        raise RuntimeError("the AWS CLI (`aws`) is not on PATH. Install it (Debian: apt-get install "
                           "awscli, or AWS CLI v2 from aws.amazon.com/cli), configure credentials, "
                           "and retry. `cloud/aws/plan` shows the calls without it.")
    state = State(state_dir, name)
    if not dry and os.path.exists(state.path):
        raise RuntimeError("run %r already has a state file (%s): run `cloud/aws/down %s` first, "
                           "or choose another --name" % (name, state.path, name))

    # Everything local first: the source, the key, the user data, the operator's address.
    a.checkout = None
    deb_copy = a.deb and not re.match(r"https?://", a.deb)
    if not a.git and not a.tarball and not a.deb:
        a.checkout = archive_checkout(prog, os.path.join(tmp, "bootstorm-src.tar.gz"))
        if a.source_out:
            shutil.copyfile(a.checkout["path"], a.source_out)
    cost_estimate(prog, a)
    priv, pub = make_keypair(name, dry)
    tarball_b64 = None
    if a.tarball and not re.match(r"https?://", a.tarball):
        with open(a.tarball, "rb") as f:
            tarball_b64 = base64.b64encode(f.read()).decode()
    ud = user_data(a, pub, priv, tarball_b64)
    if len(ud.encode()) > USER_DATA_LIMIT:
        if tarball_b64 is not None:
            raise UsageError("--tarball %s is too big to embed: the user data would be %d bytes, EC2 takes "
                             "%d. Use --git URL --ref REF, give no source to ship this checkout's HEAD "
                             "over ssh, or put the tarball where the instances can fetch it and pass its "
                             "https URL (for S3: aws s3 cp FILE s3://BUCKET/ && "
                             "aws s3 presign s3://BUCKET/FILE)" % (a.tarball, len(ud.encode()), USER_DATA_LIMIT))
        raise RuntimeError("user data is %d bytes, over EC2's %d" % (len(ud.encode()), USER_DATA_LIMIT))
    if a.user_data_out:
        write_private(a.user_data_out, ud)
    if dry:
        ud_path = os.path.abspath(a.user_data_out) if a.user_data_out else "<user-data-file>"
        cidr = a.cidr_ssh or "<operator-ip>/32"
    else:
        os.makedirs(state_dir, exist_ok=True)
        ignore = os.path.join(state_dir, ".gitignore")
        if not os.path.exists(ignore):   # the state holds a private key: keep it out of git
            with open(ignore, "w") as f:
                f.write("# made by cloud/aws/up: run state, not for git\n*\n")
        ud_path = os.path.join(state_dir, "aws-%s.user-data" % name)
        write_private(ud_path, ud)
        key_path = os.path.join(state_dir, "aws-%s.id_ed25519" % name)
        write_private(key_path, priv)
        write_private(key_path + ".pub", pub + "\n", 0o644)
        cidr = a.cidr_ssh or operator_cidr()

    # Read-only checks: credentials, the instance type, the image, the network.
    ident = aws.call("sts", "get-caller-identity", plan={"Account": "<account>"})
    itypes = aws.call("ec2", "describe-instance-types", "--instance-types", a.type,
                      plan={"InstanceTypes": [{"VCpuInfo": {"DefaultVCpus": "<vcpus>"}}]})
    info = (itypes.get("InstanceTypes") or [None])[0]
    if info is None:
        raise RuntimeError("instance type %s is not offered in %s" % (a.type, a.region))
    vcpus = info["VCpuInfo"]["DefaultVCpus"]
    arch = guess_arch(a.type)
    if not dry:
        archs = info.get("ProcessorInfo", {}).get("SupportedArchitectures", [])
        if "x86_64" in archs:
            arch = "amd64"
        elif "arm64" in archs:
            arch = "arm64"
        else:
            raise RuntimeError("%s supports %s; Debian 12 images are amd64 or arm64" % (a.type, archs))
    ami = a.ami
    if not ami:
        p = aws.call("ssm", "get-parameters", "--names", DEBIAN_SSM.format(arch=arch),
                     plan={"Parameters": [{"Value": "<ami-id>"}]})
        if not p.get("Parameters"):
            raise RuntimeError("no Debian 12 %s image found at SSM %s in %s; pass --ami"
                               % (arch, DEBIAN_SSM.format(arch=arch), a.region))
        ami = p["Parameters"][0]["Value"]
    if a.key:
        aws.call("ec2", "describe-key-pairs", "--key-names", a.key, plan={})
    if a.subnet:
        s = aws.call("ec2", "describe-subnets", "--subnet-ids", a.subnet,
                     plan={"Subnets": [{"VpcId": "<vpc-id>"}]})
        vpc = s["Subnets"][0]["VpcId"]
    else:
        v = aws.call("ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true",
                     plan={"Vpcs": [{"VpcId": "<vpc-id>"}]})
        if not v.get("Vpcs"):
            raise RuntimeError("region %s has no default VPC: pass --subnet SUBNET-ID" % a.region)
        vpc = v["Vpcs"][0]["VpcId"]
    if not dry:
        # The state file appears just before the first resource does.
        state.save(name=name, region=a.region, status="creating",
                   created=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   account=ident.get("Account"), instance_type=a.type, count=a.count, ami=ami,
                   arch=arch, vcpus=vcpus, vpc_id=vpc, cidr_ssh=cidr, key_name=a.key,
                   source={"git": a.git, "ref": a.ref, "tarball": a.tarball, "deb": a.deb,
                           "checkout": a.checkout and {"repo": REPO, "commit": a.checkout["commit"],
                                                       "dirty": a.checkout["dirty"]}},
                   files={"ssh_key": key_path, "user_data": ud_path})

    # Create, recording each id as soon as it exists.
    pg = aws.call("ec2", "create-placement-group", "--group-name", name, "--strategy", "cluster",
                  "--tag-specifications", tags("placement-group", name), plan={})
    if not dry:
        state.save(placement_group={"name": name, "id": (pg.get("PlacementGroup") or {}).get("GroupId")})
    sg = aws.call("ec2", "create-security-group", "--group-name", name, "--vpc-id", vpc,
                  "--description", "bootstorm run %s: all traffic within the group, ssh from the operator" % name,
                  "--tag-specifications", tags("security-group", name), plan={"GroupId": "<sg-id>"})
    sg_id = sg["GroupId"]
    if not dry:
        state.save(security_group_id=sg_id)
    self_rule = "IpProtocol=-1,UserIdGroupPairs=[{GroupId=%s,Description=bootstorm-run-%s}]" % (sg_id, name)
    aws.call("ec2", "authorize-security-group-ingress", "--group-id", sg_id, "--ip-permissions", self_rule,
             "--tag-specifications", tags("security-group-rule", name), plan={})
    aws.call("ec2", "authorize-security-group-ingress", "--group-id", sg_id, "--ip-permissions",
             "IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=%s,Description=operator-ssh}]" % cidr,
             "--tag-specifications", tags("security-group-rule", name), plan={})
    # Outbound: only the group itself and the web (apt, git, the tarball URL).
    aws.call("ec2", "revoke-security-group-egress", "--group-id", sg_id, "--ip-permissions",
             "IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]", plan={})
    aws.call("ec2", "authorize-security-group-egress", "--group-id", sg_id, "--ip-permissions", self_rule,
             "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=0.0.0.0/0,Description=apt-http}]",
             "IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0,Description=https}]",
             "--tag-specifications", tags("security-group-rule", name), plan={})

    run = ["--image-id", ami, "--instance-type", a.type, "--count", str(a.count),
           "--placement", "GroupName=%s" % name, "--security-group-ids", sg_id]
    if a.subnet:
        run += ["--subnet-id", a.subnet]
    if a.key:
        run += ["--key-name", a.key]
    run += ["--metadata-options", "HttpTokens=required,HttpEndpoint=enabled,HttpPutResponseHopLimit=1",
            "--instance-initiated-shutdown-behavior", "terminate",
            "--tag-specifications", tags("instance", name), tags("volume", name),
            tags("network-interface", name),
            "--user-data", "file://" + ud_path]
    r = aws.call("ec2", "run-instances", *run, plan={"Instances": [{"InstanceId": "<instance-ids>"}]})
    ids = [i["InstanceId"] for i in r["Instances"]]
    if not dry:
        state.save(instance_ids=ids)
    aws.call("ec2", "wait instance-running", "--instance-ids", *ids, plan={})
    d = aws.call("ec2", "describe-instances", "--instance-ids", *ids, plan=None)
    if dry:
        if a.checkout:
            print("%s: then up copies the archive of %s to %s on every host over ssh (no AWS call)"
                  % (prog, a.checkout["commit"][:12], ARCHIVE), file=sys.stderr)
        if deb_copy:
            print("%s: then up copies %s to %s on every host over ssh (no AWS call)"
                  % (prog, a.deb, DEB_COPY), file=sys.stderr)
        if a.wait_ready:
            print("%s: --wait-ready then polls each host over ssh for %s (no AWS call)" % (prog, READY),
                  file=sys.stderr)
        return 0

    insts = [i for res in d.get("Reservations", []) for i in res.get("Instances", [])]
    insts.sort(key=lambda i: (i.get("AmiLaunchIndex", 0), i["InstanceId"]))
    hosts = [{"id": i["InstanceId"], "private_ip": i.get("PrivateIpAddress"),
              "public_ip": i.get("PublicIpAddress"),
              "az": (i.get("Placement") or {}).get("AvailabilityZone")} for i in insts]
    if any(not h["private_ip"] for h in hosts):
        raise RuntimeError("an instance has no private IP yet: %s" % hosts)
    slots = a.slots or vcpus
    host_slots = [slots] * len(hosts)
    if a.layout and not a.slots:
        # The sized layout: rank 0 and K node ranks on the first host, K on each
        # other, so that cloud/launch's default -np (the slots' sum) is the plan's.
        slots = a.layout["slots_other"]
        host_slots = [a.layout["slots_first"]] + [slots] * (len(hosts) - 1)
    hostfile_text = "".join("%s slots=%d\n" % (h["private_ip"], k) for h, k in zip(hosts, host_slots))
    hostfile = os.path.join(state_dir, "hostfile")
    with open(hostfile, "w") as f:
        f.write(hostfile_text)
    state.save(instances=hosts, hostfile=hostfile, hostfile_text=hostfile_text, slots=slots, status="running")
    print("%s: %d x %s running in %s (placement group %s, security group %s)"
          % (prog, len(hosts), a.type, hosts[0]["az"], name, sg_id), file=sys.stderr)
    print("%s: hostfile %s (%s); state %s" % (
        prog, hostfile, "%d slots each" % slots if len(set(host_slots)) == 1 else
        "%d slots on the first host, %d on the others" % (host_slots[0], slots), state.path), file=sys.stderr)
    if a.checkout:
        copy_source(prog, state, hosts, key_path, a.checkout["path"])
        state.save(status="source copied")
    if deb_copy:
        copy_source(prog, state, hosts, key_path, a.deb, dest=DEB_COPY, what="the .deb")
        state.save(status="deb copied")
    if a.wait_ready:
        wait_ready(prog, state, hosts, key_path, hostfile, a.ready_timeout)
    first = hosts[0]["public_ip"] or hosts[0]["private_ip"]
    print("%s: next: ssh -i %s bootstorm@%s   (cloud-init %s bootstorm in a few minutes; "
          "%s appears when done)" % (prog, key_path, first, "installs" if a.deb else "builds", READY),
          file=sys.stderr)
    print("%s: remove everything with: cloud/aws/down %s" % (prog, name), file=sys.stderr)
    return 0


def ssh_opts(state, key_path):
    kh = os.path.join(state.dir, "aws-%s.known_hosts" % state.data["name"])
    return ["-i", key_path, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
            "-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=" + kh]


def copy_source(prog, state, hosts, key_path, archive, timeout=COPY_TIMEOUT, dest=ARCHIVE, what="the source"):
    """Copy the source archive (or a --deb) to dest on every host, as bootstorm, over
    ssh with the run's key; bootstorm-setup there waits for it. A fresh
    instance refuses ssh until sshd runs and cloud-init has made the user
    (exit 255): retry until the timeout. A few hosts at a time."""
    if any(not h["public_ip"] for h in hosts):
        raise RuntimeError("copying %s to the hosts needs their public IPs, and some have none "
                           "(--subnet without public IPs?): use --git URL, --tarball URL or --deb URL"
                           % ("this checkout" if what == "the source" else what))
    opts = ssh_opts(state, key_path)
    deadline = time.monotonic() + timeout
    # Written under another name, then renamed: the setup never sees half a file.
    remote = "cat > {0}.part && mv -f {0}.part {0}".format(dest)

    def one(h):
        while True:
            with open(archive, "rb") as f:
                p = subprocess.run(["ssh"] + opts + ["bootstorm@" + h["public_ip"], remote],
                                   stdin=f, capture_output=True, text=True)
            if p.returncode == 0:
                return
            if p.returncode != 255 or time.monotonic() > deadline:
                raise RuntimeError("copying %s to %s (%s) failed: %s" % (
                    what, h["public_ip"], h["id"], p.stderr.strip() or "exit %d" % p.returncode))
            time.sleep(10)

    with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(hosts))) as pool:
        for _ in pool.map(one, hosts):
            pass
    print("%s: %s (%s) copied to %s on all %d hosts"
          % (prog, what, size_text(os.path.getsize(archive)), dest, len(hosts)), file=sys.stderr)


def wait_ready(prog, state, hosts, key_path, hostfile, timeout):
    """Poll every host over ssh (as bootstorm, with the run's key) until its
    ready marker exists, then copy the hostfile to each."""
    opts = ssh_opts(state, key_path)
    deadline = time.monotonic() + timeout
    pending = [h for h in hosts]
    if any(not h["public_ip"] for h in hosts):
        raise RuntimeError("--wait-ready needs public IPs, and some hosts have none")
    while pending:
        for h in list(pending):
            p = subprocess.run(["ssh"] + opts + ["bootstorm@" + h["public_ip"],
                               "if [ -f %s ]; then echo ready; elif [ -f %s ]; then echo failed: $(cat %s); "
                               "else echo waiting; fi" % (READY, FAILED, FAILED)],
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
            status = p.stdout.strip()
            if status == "ready":
                pending.remove(h)
                print("%s: %s ready" % (prog, h["private_ip"]), file=sys.stderr)
            elif status.startswith("failed"):
                raise RuntimeError("host %s (%s): bootstorm-setup %s; see /var/log/bootstorm-setup.log there"
                                   % (h["public_ip"], h["id"], status))
        if pending:
            if time.monotonic() > deadline:
                raise RuntimeError("not ready after %d s: %s" % (timeout, ", ".join(h["public_ip"] for h in pending)))
            time.sleep(15)
    for h in hosts:
        subprocess.run(["scp", "-q"] + opts + [hostfile, "bootstorm@%s:%s/cloud/state/hostfile"
                                               % (h["public_ip"], SRC_DIR)], check=True, stdin=subprocess.DEVNULL)
    state.save(status="ready")
    print("%s: all %d hosts ready; hostfile copied to %s/cloud/state/hostfile on each"
          % (prog, len(hosts), SRC_DIR), file=sys.stderr)


# ---- down ----

def down_parser(prog):
    ap = argparse.ArgumentParser(
        prog=prog,
        description="Remove exactly what `cloud/aws/up --name NAME` created: the instances "
                    "(found by tag and by the recorded ids), the security group and the "
                    "placement group. Idempotent: what is already gone is skipped.")
    ap.add_argument("name", metavar="NAME", help="the run name given to up (default there: bootstorm)")
    ap.add_argument("--region", help="default: the region recorded by up, else $AWS_REGION, "
                                     "$AWS_DEFAULT_REGION, us-east-1")
    ap.add_argument("--state-dir", default=DEFAULT_STATE)
    ap.add_argument("--dry-run", action="store_true", help="print the calls (lookups with placeholders)")
    return ap


def down(a, prog):
    check_name(a.name)
    name = a.name
    state = State(a.state_dir, name)
    rec = state.load()
    region = a.region or rec.get("region") or default_region(None)
    if not rec:
        err(prog, "no state file %s: looking for run %s by its tag in %s (--region to change)"
            % (state.path, name, region))
    if a.dry_run:
        aws = Aws(region, True)
    else:
        if not shutil.which("aws"):
            raise RuntimeError("the AWS CLI (`aws`) is not on PATH: install it (Debian: apt-get install awscli)")
        aws = Aws(region, False, echo=sys.stderr)
    tag_filter = "Name=tag:bootstorm:run,Values=%s" % name

    def ids_of(resp, plural, key, ph):
        if resp is None:
            return [ph] if a.dry_run else []
        return [x[key] for x in resp.get(plural, [])]

    # Instances: by tag, and the recorded ids (in case a tag was removed).
    found = []
    r = aws.call("ec2", "describe-instances", "--filters", tag_filter,
                 "Name=instance-state-name,Values=" + LIVE_STATES, plan=None)
    found += [i["InstanceId"] for res in (r or {}).get("Reservations", []) for i in res["Instances"]]
    if rec.get("instance_ids"):
        r = aws.call("ec2", "describe-instances", "--filters",
                     "Name=instance-id,Values=" + ",".join(rec["instance_ids"]),
                     "Name=instance-state-name,Values=" + LIVE_STATES, plan=None)
        found += [i["InstanceId"] for res in (r or {}).get("Reservations", []) for i in res["Instances"]]
    ids = sorted(set(found)) if not a.dry_run else ["<instance-ids>"]
    if ids:
        aws.call("ec2", "terminate-instances", "--instance-ids", *ids, plan={},
                 ok_errors=("InvalidInstanceID.NotFound",))
        aws.call("ec2", "wait instance-terminated", "--instance-ids", *ids, plan={})

    # Security groups: by tag and recorded id. Network interfaces take a
    # moment to let go after termination (DependencyViolation): retry.
    sgs = []
    r = aws.call("ec2", "describe-security-groups", "--filters", tag_filter, plan=None)
    sgs += ids_of(r, "SecurityGroups", "GroupId", "<sg-id>")
    if rec.get("security_group_id"):
        r = aws.call("ec2", "describe-security-groups", "--filters",
                     "Name=group-id,Values=" + rec["security_group_id"], plan=None)
        sgs += ids_of(r, "SecurityGroups", "GroupId", "<sg-id>")
    for sg in sorted(set(sgs)):
        for attempt in range(24):
            try:
                aws.call("ec2", "delete-security-group", "--group-id", sg, plan={},
                         ok_errors=("InvalidGroup.NotFound",))
                break
            except AwsError as e:
                if e.code != "DependencyViolation" or attempt == 23:
                    raise
                time.sleep(5)

    pgs = []
    r = aws.call("ec2", "describe-placement-groups", "--filters", tag_filter, plan=None)
    pgs += ids_of(r, "PlacementGroups", "GroupName", "<placement-group>")
    if (rec.get("placement_group") or {}).get("name"):
        r = aws.call("ec2", "describe-placement-groups", "--filters",
                     "Name=group-name,Values=" + rec["placement_group"]["name"], plan=None)
        pgs += ids_of(r, "PlacementGroups", "GroupName", "<placement-group>")
    for pg in sorted(set(pgs)):
        aws.call("ec2", "delete-placement-group", "--group-name", pg, plan={},
                 ok_errors=("InvalidPlacementGroup.Unknown",))
    if a.dry_run:
        return 0

    # Local files: the state, the key, and the hostfile if it is still ours.
    files = rec.get("files") or {}
    mine = [os.path.join(a.state_dir, "aws-%s.%s" % (name, x))
            for x in ("id_ed25519", "id_ed25519.pub", "user-data", "known_hosts")]
    for p in mine + [files.get("ssh_key"), (files.get("ssh_key") or "") + ".pub", files.get("user_data")]:
        if p and os.path.isfile(p):
            os.remove(p)
    hf = rec.get("hostfile")
    if hf and os.path.isfile(hf):
        with open(hf) as f:
            if f.read() == rec.get("hostfile_text"):
                os.remove(hf)
    if os.path.exists(state.path):
        os.remove(state.path)
    print("%s: run %s removed from %s (%d instances, %d security groups, %d placement groups)"
          % (prog, name, region, len(ids), len(set(sgs)), len(set(pgs))), file=sys.stderr)
    return 0


# ---- entry points ----

def main(command, argv):
    prog = "cloud/aws/" + command
    try:
        if command == "down":
            a = down_parser(prog).parse_args(argv)
            return down(a, prog)
        a = up_parser(prog).parse_args(argv)
        if command == "plan":
            a.dry_run = True
        a.region = default_region(a.region)
        a.layout = None
        if a.peers is not None or a.storm_rate is not None or a.json:
            if size_run(a, prog, command) == "json":
                return 0
        check_up_args(a)
        return up(a, prog)
    except UsageError as e:
        err(prog, str(e))
        return 2
    except AwsError as e:
        err(prog, "AWS call failed: %s\n%s" % (show(e.cmd), e.stderr.strip()))
        if "Unable to locate credentials" in e.stderr or "ExpiredToken" in e.stderr:
            err(prog, "configure credentials (aws configure, AWS_PROFILE or aws sso login)")
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        err(prog, str(e))
    except KeyboardInterrupt:
        err(prog, "interrupted")
    if command == "up" and os.path.exists(os.path.join(a.state_dir, "aws-%s.json" % a.name)):
        err(prog, "what exists of run %s is recorded in %s/aws-%s.json; remove it with: "
                  "cloud/aws/down %s" % (a.name, a.state_dir, a.name, a.name))
    return 1
