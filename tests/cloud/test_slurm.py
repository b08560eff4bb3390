"""cloud/slurm/bootstorm.sbatch against a real Slurm (Debian's slurm-wlm)
started by this test, plus its --dry-run.

1. Dry runs, no Slurm: the commands the script prints from fake SLURM_*
   variables (one node, three nodes, srun, the ranks per node, the binary it
   picks, the results path) and its refusals.
2. A one-node cluster on this machine: munged with its own key and socket,
   slurmctld and slurmd in the foreground (-D) with their state, spool and
   logs under --work, the node named after `hostname -s` with this machine's
   CPUs and memory (slurmd -C), proctrack/linuxproc, no cgroup controller.
   Jobs: runs under mpirun (the default) and under srun --mpi=pmix, one
   with the whole node and two sharing it at once, whose results must come
   back to the submit directory with a complete run.json and every peer
   online; runs ended by scancel (SIGTERM to the whole job) and by SIGUSR1
   to the batch shell (as sbatch --signal=B:USR1@T does), whose partial
   results must come back too; a fd need above the hard limit, which must
   stop the job with a clear message.
3. Two nodes: two slurmd, each in a network namespace with its own address,
   hostname and /tmp (what separate machines have), one slurmctld. A
   `sbatch --nodes=2` run under mpirun and one under srun, in host mode on
   the namespaces' subnet, with ranks on both nodes; and a job whose fd need
   only the second node cannot meet. Skipped, with the reason, when
   namespaces cannot be made here.

Every daemon runs in a process group of its own and is stopped at the end,
also on failure; the namespaces and the bridge are removed.

Usage: python3 tests/cloud/test_slurm.py --source SRC --work DIR --bin BOOTSTORM
           [--two-nodes auto|yes|no]
Needs root (exit 77 otherwise). Exit 1 when a check fails.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--source", required=True)
ap.add_argument("--work", required=True)
ap.add_argument("--bin", required=True)
ap.add_argument("--two-nodes", choices=["auto", "yes", "no"], default="auto",
                help="the two-node part: auto runs it when namespaces can be made")
A = ap.parse_args()
SRC = os.path.abspath(A.source)
W = os.path.abspath(A.work)
BIN = os.path.abspath(A.bin)
SBATCH = os.path.join(SRC, "cloud/slurm/bootstorm.sbatch")
T0 = time.monotonic()

if os.geteuid() != 0:
    print("SKIP: needs root (slurmd, munged and the namespaces run as root here)")
    sys.exit(77)

shutil.rmtree(W, ignore_errors=True)
os.makedirs(W)

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def note(msg):
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def clean_env(**extra):
    """This environment without any SLURM_*/BS_* variable (the test may run
    inside a job itself), plus extra. LeakSanitizer off, as for every MPI
    run of the tests (Open MPI's components leak; a sanitized build would
    fail its ranks at exit): the jobs inherit it, and the script passes
    ASAN_OPTIONS on to the ranks."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("SLURM_", "SBATCH_", "SRUN_", "SALLOC_", "BS_"))}
    opts = e.get("ASAN_OPTIONS", "")
    e["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "detect_leaks=0"
    e.update({k: str(v) for k, v in extra.items()})
    return e


def run(cmd, env, timeout=60, cwd=None):
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return p


# A small scenario: 40 peers, done in 6 s.
SCEN = write(os.path.join(W, "tiny.yaml"), """\
# test_slurm: a small boot storm
name: tiny
seed: 3
duration: 6s
nodes:
  peers: 40
  login_servers: 1
  supernodes: 4
  bootstrap: 2
login_server:
  workers: 2
  service_time: 5ms
peer:
  boot_delay: uniform(100ms, 1s)
metrics:
  interval: 1s
events:
  - at: 0s
    boot: {fraction: 1.0, over: 1s}
""")
# The same, long enough to be cancelled.
LONG = write(os.path.join(W, "long.yaml"),
             open(SCEN).read().replace("name: tiny", "name: long").replace("duration: 6s", "duration: 60s"))

for tool in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "scancel",
             "srun", "mpirun"):
    if not shutil.which(tool):
        print(f"FAIL  {tool} is not installed (scripts/install-deps installs slurm-wlm and munge)")
        sys.exit(1)

# --------------------------------------------------------------------------
# 1. dry runs
# --------------------------------------------------------------------------
note("part 1: --dry-run")


def dry(args, cwd=W, **env):
    e = clean_env(**env)
    p = run([SBATCH, "--dry-run"] + args, e, cwd=cwd)
    return p


def cmd_line(out, first):
    """The printed command line that starts with `+ first`."""
    for line in out.splitlines():
        if line.startswith("+ ") and re.search(r"(^|\s)" + re.escape(first) + r"(\s|$)", line):
            return line
    return ""


p = dry([SCEN, "--quiet"], BS_BIN=BIN, TMPDIR="/tmp", SLURM_JOB_ID=41, SLURM_JOB_NODELIST="c1",
        SLURM_JOB_NUM_NODES=1, SLURM_JOB_CPUS_PER_NODE=4, SLURM_SUBMIT_DIR="/sub")
print(p.stdout + p.stderr)
mp = cmd_line(p.stdout, "mpirun")
check(p.returncode == 0, "dry run, one node: exit 0")
check("mpirun -np 5 --map-by node --oversubscribe --bind-to none" in mp,
      "one node with 4 CPUs: mpirun -np 5 (4 node ranks + the coordinator), mapped by node")
check("--mca btl_tcp_if_include lo --mca oob_tcp_if_include lo" in mp and "network.mode" not in mp,
      "one node: loopback mode, MPI on lo")
check(f"{BIN} run {SCEN} --set network.base=127.42.0.1 --out /tmp/bootstorm-41/run --quiet" in mp,
      "the nodes' loopback addresses in the job's own block (127.42.0.1 for job 41), the run in "
      "scratch (/tmp/bootstorm-JOBID/run), then the run options")
if os.geteuid() == 0:
    check(mp.startswith("+ env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun"),
          "as root, the Open MPI root variables are part of the printed command")
check(f"+ {BIN} check {SCEN}" in p.stdout, "the scenario is checked first (bootstorm check)")
check("copy /tmp/bootstorm-41/run to /sub/runs/slurm-41-tiny" in p.stdout,
      "results go to SUBMIT_DIR/runs/slurm-JOBID-NAME")
check("each rank needs about" in p.stdout and "47 nodes over 4 node ranks" in p.stdout,
      "the fd need is estimated from the scenario's nodes (47 over 4 node ranks)")
check("srun" not in p.stdout, "one node: no srun step")

p = dry([SCEN, "--set", "nodes.peers=30", "--out", "res/x"], BS_BIN=BIN, BS_LAUNCHER_ARGS="--report-bindings",
        SLURM_JOB_ID=42, SLURM_JOB_NODELIST="n[08-10]", SLURM_JOB_NUM_NODES=3,
        SLURM_JOB_CPUS_PER_NODE="8(x2),4", SLURM_SUBMIT_DIR="/sub", BS_SUBNET="10.1.0.0/16",
        BS_SCRATCH="/scratch")
print(p.stdout + p.stderr)
mp = cmd_line(p.stdout, "mpirun")
check(p.returncode == 0, "dry run, three nodes: exit 0")
check("n08 8+coordinator, n09 8, n10 4" in p.stdout,
      "node list n[08-10] expanded with its zero padding; CPUs 8(x2),4 read per node")
check("mpirun -np 21 " in mp, "8+8+4 node ranks + the coordinator: -np 21")
check("--mca btl_tcp_if_include 10.1.0.0/16 --mca oob_tcp_if_include 10.1.0.0/16" in mp,
      "several nodes: MPI on BS_SUBNET")
check("--set network.mode=host --set 'network.allowed=[10.1.0.0/16]' --out /scratch/bootstorm-42/run "
      "--set nodes.peers=30" in mp, "host mode on the subnet, BS_SCRATCH, then the run options")
check("--report-bindings /" in mp, "BS_LAUNCHER_ARGS go before the binary")
check("copy /scratch/bootstorm-42/run to /sub/res/x" in p.stdout, "--out names the final directory")
pre = cmd_line(p.stdout, "srun")
check("srun --nodes=3 --ntasks=3 --ntasks-per-node=1" in pre and BIN in pre,
      "several nodes: one srun task per node checks the fd limit and the binary first")

p = dry([SCEN], BS_BIN=BIN, BS_LAUNCHER="srun", SLURM_JOB_ID=43, SLURM_JOB_NODELIST="a1,a2",
        SLURM_JOB_NUM_NODES=2, SLURM_JOB_CPUS_PER_NODE="2(x2)", SLURM_NTASKS_PER_NODE=3,
        SLURM_SUBMIT_DIR="/sub", BS_SUBNET="192.168.5.0/24", BS_ARGS="--quiet --set nodes.peers=20")
print(p.stdout + p.stderr)
sr = [line for line in p.stdout.splitlines() if line.startswith("+ ") and "--mpi=pmix" in line]
sr = sr[0] if sr else ""
check(p.returncode == 0 and "srun --mpi=pmix --nodes=2 --ntasks=7 --distribution=cyclic --overcommit" in sr,
      "BS_LAUNCHER=srun: srun --mpi=pmix, --ntasks-per-node 3 x 2 nodes + the coordinator = 7, cyclic")
check("OMPI_MCA_btl_tcp_if_include=192.168.5.0/24" in sr and "-u SLURM_NTASKS_PER_NODE" in sr,
      "srun: Open MPI's interface through the environment")
check(sr.endswith("--quiet --set nodes.peers=20") and "mpirun" not in sr, "BS_ARGS appended to the run options")

p = dry([SCEN], BS_BIN=BIN, BS_LOOPBACK_BASE="keep", SLURM_JOB_ID=41)
check("network.base" not in cmd_line(p.stdout, "mpirun"), "BS_LOOPBACK_BASE=keep: the scenario's addresses")
p = dry([SCEN, "--set", "network.base=127.7.0.1"], BS_BIN=BIN, SLURM_JOB_ID=41)
check(cmd_line(p.stdout, "mpirun").count("network.base") == 1, "a network.base of the user's own is kept")
p = dry([SCEN], BS_BIN=BIN, BS_RANKS_PER_NODE=2, SLURM_JOB_ID=44, SLURM_JOB_NODELIST="a1",
        SLURM_JOB_CPUS_PER_NODE=16, SLURM_SUBMIT_DIR="/sub")
check("mpirun -np 3 " in cmd_line(p.stdout, "mpirun"), "BS_RANKS_PER_NODE=2 on one node: -np 3")

p = dry([SCEN], BS_BIN=BIN, SLURM_JOB_ID=45, SLURM_JOB_NODELIST="zz-no-such-node[1-2]",
        SLURM_JOB_NUM_NODES=2, SLURM_JOB_CPUS_PER_NODE="1(x2)")
check(p.returncode == 1 and "set BS_SUBNET" in p.stderr and "zz-no-such-node1" in p.stderr,
      "nodes without a known address and no BS_SUBNET: exit 1, names the node and BS_SUBNET")
p = dry([SCEN], BS_BIN=BIN, BS_NOFILE=2000000000, SLURM_JOB_ID=46, SLURM_JOB_NODELIST="a1",
        SLURM_JOB_CPUS_PER_NODE=1)
check(p.returncode == 0 and "the run would stop here: the hard limit on open files is" in p.stdout,
      "dry run with a fd need above the hard limit: says the run would stop")
p = dry([os.path.join(W, "missing.yaml")], BS_BIN=BIN)
check(p.returncode == 2 and "missing.yaml" in p.stderr and "not found" in p.stderr,
      "missing scenario: exit 2, named")
p = dry([SCEN, "--set", "nodes.peers=-3"], BS_BIN=BIN)
check(p.returncode == 2 and "nothing was started" in p.stderr and "nodes.peers" in p.stderr,
      "a scenario that does not check: exit 2 with bootstorm's message")
p = dry([SCEN], BS_BIN=BIN, BS_LAUNCHER="ssh")
check(p.returncode == 2 and "BS_LAUNCHER" in p.stderr, "unknown BS_LAUNCHER: exit 2")
p = run([SBATCH, SCEN], clean_env(BS_BIN=BIN))
check(p.returncode == 2 and "not inside a Slurm job" in p.stderr, "outside a job without --dry-run: exit 2")
p = run([SBATCH, "--help"], clean_env())
check(p.returncode == 0 and "BS_RANKS_PER_NODE" in p.stdout and "usage: sbatch" in p.stdout, "--help")
p = dry([SCEN], BS_BIN=BIN)
check(p.returncode == 0 and "job DRYRUN: 1 node" in p.stdout and socket.gethostname().split(".")[0] in p.stdout,
      "no SLURM_* at all: a one-node job on this machine")

# The binary: a checkout's build tree, else the submit directory's, else PATH.
tree = os.path.join(W, "tree")
os.makedirs(os.path.join(tree, "cloud/slurm"))
os.makedirs(os.path.join(tree, "build/bin"))
shutil.copy2(SBATCH, os.path.join(tree, "cloud/slurm/bootstorm.sbatch"))
os.symlink(BIN, os.path.join(tree, "build/bin/bootstorm"))
p = run([os.path.join(tree, "cloud/slurm/bootstorm.sbatch"), "--dry-run", SCEN], clean_env(), cwd=W)
check(p.returncode == 0 and f"binary {tree}/build/bin/bootstorm (the build tree of {tree})" in p.stdout,
      "no BS_BIN: the build tree of the checkout holding the script")
bare = os.path.join(W, "bare")
os.makedirs(os.path.join(bare, "cloud/slurm"))
shutil.copy2(SBATCH, os.path.join(bare, "cloud/slurm/bootstorm.sbatch"))
pathdir = os.path.join(W, "pathbin")
os.makedirs(pathdir)
os.symlink(BIN, os.path.join(pathdir, "bootstorm"))
p = run([os.path.join(bare, "cloud/slurm/bootstorm.sbatch"), "--dry-run", SCEN],
        clean_env(PATH=pathdir + os.pathsep + os.environ.get("PATH", "")), cwd=W)
check(p.returncode == 0 and f"binary {pathdir}/bootstorm (the PATH)" in p.stdout,
      "no build tree: the bootstorm on the PATH (an installed package)")

shellcheck = shutil.which("shellcheck")
if shellcheck:
    p = run([shellcheck, SBATCH], clean_env())
    check(p.returncode == 0, "shellcheck cloud/slurm/bootstorm.sbatch" + ("" if p.returncode == 0 else ":\n" + p.stdout))

# --------------------------------------------------------------------------
# Slurm plumbing
# --------------------------------------------------------------------------
daemons = []      # Popen objects, each the leader of its own process group
namespaces = []   # network namespaces made here
links = []        # links made in the root namespace


def start(name, cmd, log):
    f = open(log, "ab")
    p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True, env=ENV)
    p.bs_name = name
    daemons.append(p)
    note(f"started {name} (pid {p.pid}): {' '.join(cmd)}")
    return p


def stop(p, grace=10.0):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            note(f"{p.bs_name} did not stop within {grace:.0f}s: SIGKILL")
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=10)
    else:
        # The leader is gone; anything left in its group goes too.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if p in daemons:
        daemons.remove(p)


def ours():
    """Processes this test left behind: a working directory, command line or
    open file under the work directory (batch shells, mpirun, ranks,
    slurmstepd), other than this process."""
    mine = set()   # this process and its ancestors (a wrapper's command line may name W)
    pid = os.getpid()
    while pid > 1 and pid not in mine:
        mine.add(pid)
        try:
            pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in mine:
            continue
        try:
            cmd = open(f"/proc/{d}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
            hit = W in cmd
            if not hit:
                try:
                    hit = os.readlink(f"/proc/{d}/cwd").startswith(W)
                except OSError:
                    pass
            if not hit and "slurmstepd" in cmd:
                for fd in os.listdir(f"/proc/{d}/fd"):
                    try:
                        if os.readlink(f"/proc/{d}/fd/{fd}").startswith(W):
                            hit = True
                            break
                    except OSError:
                        pass
            if hit:
                found.append((int(d), cmd.strip()))
        except OSError:
            continue
    return found


def free_ports():
    """A base port B below 20000 (bootstorm's nodes listen from 20000 up)
    with B, B+1 and B+10..B+99 free on this machine."""
    for base in range(17000, 19900, 100):
        ok = True
        for port in [base, base + 1] + list(range(base + 10, base + 100)):
            s = socket.socket()
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", port))
            except OSError:
                ok = False
            finally:
                s.close()
            if not ok:
                break
        if ok:
            return base
    raise SystemExit("FAIL  no free ports for Slurm between 17000 and 19999")


HOST = socket.gethostname().split(".")[0]
MUNGE = os.path.join(W, "munge")
SOCK = os.path.join(MUNGE, "run/munge.socket")
ENV = clean_env()


def node_line():
    """NodeName=HOST CPUs=... RealMemory=... as slurmd -C sees this machine."""
    p = run(["slurmd", "-C"], ENV)
    m = re.search(r"^NodeName=\S+ (.*RealMemory=\d+)", p.stdout, re.M)
    if m:
        return m.group(1)
    mem = 1024
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    return f"CPUs={os.cpu_count() or 1} RealMemory={mem}"


def slurm_conf(d, cluster, ctld, nodes, base):
    """slurm.conf (+ cgroup.conf) in d/etc; nodes: [(name, addr)]."""
    hw = node_line()
    lines = f"""\
# written by tests/cloud/test_slurm.py
ClusterName={cluster}
SlurmctldHost={HOST}({ctld})
SlurmUser=root
SlurmdUser=root
SlurmctldPort={base}
SlurmdPort={base + 1}
SrunPortRange={base + 10}-{base + 99}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={SOCK}
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool/%n
SlurmctldPidFile={d}/run/slurmctld.pid
SlurmdPidFile={d}/run/slurmd-%n.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups: processes tracked by their parentage, no task confinement
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# the node lines below are this machine's, whatever slurmd detects
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=10
MinJobAge=600
Waittime=0
"""
    for name, addr in nodes:
        lines += f"NodeName={name} NodeAddr={addr} {hw} State=UNKNOWN\n"
    lines += f"PartitionName=test Nodes={','.join(n for n, _ in nodes)} Default=YES MaxTime=INFINITE State=UP\n"
    for sub in ("state", "run", "log", "etc") + tuple("spool/" + n for n, _ in nodes):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    conf = write(os.path.join(d, "etc/slurm.conf"), lines)
    # Slurm 22.05's slurmd loads a cgroup plugin even when no cgroup
    # controller is used, and its autodetection fails where /sys/fs/cgroup is
    # not mounted (a container, a namespace): name the v1 plugin, which then
    # stays idle (nothing here asks it for a controller).
    write(os.path.join(d, "etc/cgroup.conf"), "CgroupPlugin=cgroup/v1\n")
    return conf


def wait_idle(n, timeout=60.0):
    """Until sinfo shows n nodes idle; returns the seconds it took or None."""
    t = time.monotonic()
    last = ""
    while time.monotonic() - t < timeout:
        p = run(["sinfo", "-h", "-N", "-o", "%N %T"], ENV, timeout=20)
        last = p.stdout.strip() + p.stderr.strip()
        states = [line.split()[1] for line in p.stdout.splitlines() if len(line.split()) == 2]
        if len(states) == n and all(s == "idle" for s in states):
            return time.monotonic() - t
        time.sleep(0.2)
    note(f"nodes not idle after {timeout:.0f}s: {last}")
    return None


def sbatch(args, cwd, **env):
    e = dict(ENV)
    e.update({k: str(v) for k, v in env.items()})
    cmd = ["sbatch", "--parsable"] + args
    note("$ " + " ".join(f"{k}={v}" for k, v in env.items()) + (" " if env else "") + " ".join(cmd))
    p = run(cmd, e, cwd=cwd)
    if p.returncode != 0:
        check(False, f"sbatch {' '.join(args)}: {p.stderr.strip()}")
        return None
    return p.stdout.strip().split(";")[0]


def job_info(jid):
    p = run(["scontrol", "show", "job", "-o", jid], ENV)
    info = {}
    for m in re.finditer(r"(\w+)=(\S*)", p.stdout):
        info.setdefault(m.group(1), m.group(2))
    return info


def wait_jobs(jids, timeout=180.0):
    t = time.monotonic()
    pending = set(j for j in jids if j)
    while pending and time.monotonic() - t < timeout:
        for j in list(pending):
            p = run(["squeue", "-h", "-j", j, "-o", "%T"], ENV)
            if p.returncode == 0 and not p.stdout.strip():
                pending.discard(j)
        if pending:
            time.sleep(0.5)
    if pending:
        note(f"jobs {sorted(pending)} still queued or running after {timeout:.0f}s: cancelling")
        run(["scancel"] + sorted(pending), ENV)
    return not pending


def job_log(submit, jid):
    path = os.path.join(submit, f"bootstorm-{jid}.out")
    try:
        return open(path, errors="replace").read()
    except OSError:
        return ""


def show_log(submit, jid, lines=60):
    text = job_log(submit, jid)
    print(f"---- bootstorm-{jid}.out (last {lines} lines) ----")
    print("\n".join(text.splitlines()[-lines:]))
    print("----")


def check_results(submit, jid, name, peers, what, hosts=None, complete=True):
    out = os.path.join(submit, "runs", f"slurm-{jid}-{name}")
    rj = os.path.join(out, "run.json")
    if not check(os.path.isfile(rj), f"{what}: results copied to the submit directory ({out}/run.json)"):
        show_log(submit, jid)
        return None
    with open(rj) as f:
        run_json = json.load(f)
    s = run_json.get("summary") or {}
    if complete:
        check(run_json.get("complete") is True and isinstance(s, dict) and s.get("peers") == peers,
              f"{what}: run.json complete, with a summary of {peers} peers")
        check(s.get("online_final") == peers, f"{what}: {s.get('online_final')}/{peers} peers online at the end")
        check(os.path.isfile(os.path.join(out, "histograms.json")) and
              os.path.isfile(os.path.join(out, "timeseries.csv")), f"{what}: timeseries.csv and histograms.json too")
    slurm_txt = os.path.join(out, "slurm.txt")
    check(os.path.isfile(slurm_txt) and f"job {jid}" in open(slurm_txt).read(),
          f"{what}: slurm.txt records the job and its command")
    if hosts is not None:
        check(sorted(run_json.get("hosts") or []) == sorted(hosts),
              f"{what}: ranks ran on {sorted(hosts)} (run.json hosts: {run_json.get('hosts')})")
    return run_json


def start_munge():
    for sub, mode in (("etc", 0o700), ("run", 0o755), ("lib", 0o700), ("log", 0o700)):
        os.makedirs(os.path.join(MUNGE, sub), exist_ok=True)
        os.chmod(os.path.join(MUNGE, sub), mode)
    key = os.path.join(MUNGE, "etc/munge.key")
    with open(key, "wb") as f:
        f.write(os.urandom(1024))
    os.chmod(key, stat.S_IRUSR | stat.S_IWUSR)
    # --force: run even if a directory above the key is group-writable (a
    # checkout made with umask 002); the key itself is 0600 in a 0700 dir.
    p = start("munged", ["munged", "--foreground", "--force", f"--key-file={key}", f"--socket={SOCK}",
                         f"--pid-file={MUNGE}/run/munged.pid", f"--log-file={MUNGE}/log/munged.log",
                         f"--seed-file={MUNGE}/lib/munged.seed"], os.path.join(MUNGE, "log/munged.out"))
    t = time.monotonic()
    while time.monotonic() - t < 15:
        if p.poll() is not None:
            break
        if os.path.exists(SOCK):
            q = subprocess.run(f"munge -n -S '{SOCK}' | unmunge -S '{SOCK}'", shell=True,
                               capture_output=True, text=True, env=ENV)
            if q.returncode == 0:
                return True
        time.sleep(0.1)
    print(open(os.path.join(MUNGE, "log/munged.out"), errors="replace").read())
    return False


def tail(path, n=30):
    try:
        lines = open(path, errors="replace").read().splitlines()
    except OSError:
        return f"({path}: none)"
    return f"---- {path} ----\n" + "\n".join(lines[-n:])


# --------------------------------------------------------------------------
# 2. one node
# --------------------------------------------------------------------------
def one_node():
    global ENV
    note("part 2: a one-node Slurm cluster on this machine")
    d = os.path.join(W, "slurm1")
    base = free_ports()
    conf = slurm_conf(d, "bstest1", "127.0.0.1", [(HOST, "127.0.0.1")], base)
    ENV = clean_env(SLURM_CONF=conf)
    t = time.monotonic()
    ctld = start("slurmctld", ["slurmctld", "-D", "-i", "-f", conf], os.path.join(d, "log/slurmctld.out"))
    slurmd = start("slurmd", ["slurmd", "-D", "-N", HOST, "-f", conf], os.path.join(d, "log/slurmd.out"))
    took = wait_idle(1)
    if not check(took is not None, f"slurmctld and slurmd up, node {HOST} idle"):
        for f in ("log/slurmctld.out", "log/slurmd.out", f"log/slurmd-{HOST}.log", "log/slurmctld.log"):
            print(tail(os.path.join(d, f)))
        return
    note(f"node {HOST} idle {time.monotonic() - t:.1f}s after starting the daemons")
    submit = os.path.join(W, "submit1")
    os.makedirs(submit)

    # A: as submitted plainly: the whole node (--exclusive), mpirun, the
    #    default scratch (/tmp).
    # Then, sharing the node (--oversubscribe), side by side:
    # B: srun --mpi=pmix, extra run options through BS_ARGS;
    # B2: mpirun, at the same time as B on the same node;
    # D: an fd need no node can give.
    ja = sbatch([SBATCH, SCEN, "--quiet"], submit, BS_BIN=BIN)
    jb = sbatch(["--oversubscribe", SBATCH, SCEN], submit, BS_BIN=BIN, BS_LAUNCHER="srun",
                BS_ARGS="--quiet --set nodes.peers=30", BS_SCRATCH=os.path.join(W, "scratch1"))
    jb2 = sbatch(["--oversubscribe", SBATCH, SCEN, "--quiet"], submit, BS_BIN=BIN)
    jd = sbatch(["--oversubscribe", SBATCH, SCEN], submit, BS_BIN=BIN, BS_NOFILE=2000000000)
    wait_jobs([ja, jb, jb2, jd])
    note("jobs A, B, B2, D ended")
    cpus = None
    if ja:
        info = job_info(ja)
        log = job_log(submit, ja)
        cpus = info.get("NumCPUs")
        check(info.get("JobState") == "COMPLETED" and info.get("ExitCode") == "0:0",
              f"A (mpirun): job {ja} COMPLETED, exit 0 (state {info.get('JobState')}, {info.get('ExitCode')})")
        check(info.get("OverSubscribe") == "NO", f"A: the script's #SBATCH --exclusive took the whole node "
              f"({info.get('NumCPUs')} CPUs, OverSubscribe={info.get('OverSubscribe')})")
        np_a = int(cpus) + 1 if (cpus or "").isdigit() else -1
        check(re.search(r"^\+ env .*mpirun -np " + str(np_a) + " .*" + re.escape(BIN) + " run " + re.escape(SCEN),
                        log, re.M) is not None,
              f"A: the job log shows the mpirun command it ran (-np {np_a}: a node rank per CPU + the coordinator)")
        check(f"results in {submit}/runs/slurm-{ja}-tiny" in log, "A: the log says where the results are")
        check_results(submit, ja, "tiny", 40, "A (mpirun)", hosts=[HOST])
        check(not os.path.exists(f"/tmp/bootstorm-{ja}"), "A: the scratch copy in /tmp is removed after the copy")
    if jb2:
        info = job_info(jb2)
        check(info.get("JobState") == "COMPLETED" and info.get("ExitCode") == "0:0",
              f"B2 (mpirun, sharing the node): job {jb2} COMPLETED, exit 0 ({info.get('JobState')}, {info.get('ExitCode')})")
        check_results(submit, jb2, "tiny", 40, "B2 (mpirun, sharing the node)")
        ib = job_info(jb) if jb else {}
        both = ib.get("StartTime", "x") <= info.get("EndTime", "") and info.get("StartTime", "x") <= ib.get("EndTime", "")
        print(f"      B ran {ib.get('StartTime')} .. {ib.get('EndTime')}, B2 {info.get('StartTime')} .. {info.get('EndTime')}"
              + ("" if both else " (not at the same time: this machine's CPUs did not fit both)"))
    if jb:
        info = job_info(jb)
        log = job_log(submit, jb)
        check(info.get("JobState") == "COMPLETED" and info.get("ExitCode") == "0:0",
              f"B (srun): job {jb} COMPLETED, exit 0 (state {info.get('JobState')}, {info.get('ExitCode')})")
        check(re.search(r"^\+ env .*srun --mpi=pmix --nodes=1 --ntasks=\d+ ", log, re.M) is not None,
              "B: the job log shows the srun command")
        check_results(submit, jb, "tiny", 30, "B (srun, BS_ARGS --set nodes.peers=30)")
        check(not os.path.exists(os.path.join(W, "scratch1", f"bootstorm-{jb}")),
              "B: the BS_SCRATCH copy is removed after the copy")
    if jd:
        info = job_info(jd)
        log = job_log(submit, jd)
        check(info.get("JobState") == "FAILED" and info.get("ExitCode") == "1:0",
              f"D (fd need above the hard limit): job {jd} FAILED, exit 1 ({info.get('JobState')}, {info.get('ExitCode')})")
        check("the hard limit on open files is" in log and "BS_NOFILE" in log and "mpirun -np" not in log.split("open files:")[-1],
              "D: the log says the hard fd limit is too low, and nothing was launched")
        check(not os.path.exists(os.path.join(submit, "runs", f"slurm-{jd}-tiny")), "D: no results directory")
        if failures:
            show_log(submit, jd, 20)

    # Ended while they run, side by side on the shared node; the partial
    # results still come back, with the final run.json and histograms.
    # C: mpirun, scancel (Slurm's SIGTERM to every process of the job, as
    #    at the time limit).
    # C2: srun, scancel --signal=USR1 --batch (only the batch shell, as
    #    "sbatch --signal=B:USR1@T" does ahead of the time limit).
    # C3: mpirun, the same.
    scratch = os.path.join(W, "scratch1")
    jc = sbatch(["--oversubscribe", SBATCH, LONG, "--quiet"], submit, BS_BIN=BIN, BS_SCRATCH=scratch)
    jc2 = sbatch(["--oversubscribe", SBATCH, LONG, "--quiet"], submit, BS_BIN=BIN, BS_SCRATCH=scratch,
                 BS_LAUNCHER="srun")
    # (BS_GRACE=2: mpirun's teardown after the signal takes 2 x BS_GRACE)
    jc3 = sbatch(["--oversubscribe", SBATCH, LONG, "--quiet"], submit, BS_BIN=BIN, BS_SCRATCH=scratch,
                 BS_GRACE=2)
    ended = ((jc, "C (mpirun, scancel)", [], "SIGTERM", "CANCELLED"),
             (jc2, "C2 (srun, USR1 to the batch shell)", ["--signal=USR1", "--batch"], "SIGUSR1", "FAILED"),
             (jc3, "C3 (mpirun, USR1 to the batch shell)", ["--signal=USR1", "--batch"], "SIGUSR1", "FAILED"))
    for jid, what, how, sig, state in ended:
        if not jid:
            continue
        provisional = os.path.join(scratch, f"bootstorm-{jid}", "run", "run.json")
        t = time.monotonic()
        while time.monotonic() - t < 60 and not os.path.exists(provisional):
            if not job_info(jid).get("JobState", "").startswith(("PENDING", "RUNNING", "CONFIGURING")):
                break
            time.sleep(0.2)
        check(os.path.exists(provisional), f"{what}: the run started (run.json in scratch)")
        time.sleep(3)
        note(f"$ scancel {' '.join(how + [jid])}")
        run(["scancel"] + how + [jid], ENV)
    wait_jobs([jc, jc2, jc3], timeout=120)
    for jid, what, how, sig, state in ended:
        if not jid:
            continue
        info = job_info(jid)
        log = job_log(submit, jid)
        check(info.get("JobState") == state, f"{what}: job {jid} {state} ({info.get('JobState')}, "
              f"{info.get('ExitCode')}; {info.get('StartTime')} .. {info.get('EndTime')})")
        check(f"got {sig}" in log, f"{what}: the script saw the {sig}")
        rj = check_results(submit, jid, "long", 40, what, complete=False)
        if rj:
            check(rj.get("complete") is False and "interrupted by SIGTERM" in str(rj.get("reason")),
                  f"{what}: run.json says incomplete, interrupted by SIGTERM ({rj.get('reason')})")
            check(isinstance(rj.get("summary"), dict) and rj["summary"].get("peers") == 40 and
                  os.path.isfile(os.path.join(submit, "runs", f"slurm-{jid}-long", "histograms.json")),
                  f"{what}: the run ended the normal way: the summary of the part that ran, histograms.json")
    stop(slurmd)
    stop(ctld)
    check(ctld.returncode is not None and slurmd.returncode is not None, "one node: slurmctld and slurmd stopped")


# --------------------------------------------------------------------------
# 3. two nodes in network namespaces
# --------------------------------------------------------------------------
NET = "10.79.0"
BR = "bss-br0"


def sh(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def make_namespaces():
    """bss-br0 (NET.1) and namespaces bss-n1, bss-n2 (NET.11, NET.12).
    Returns None or the reason it cannot be done here."""
    for what, path in (("the work directory", W), ("the binary", BIN)):
        if path == "/tmp" or path.startswith("/tmp/"):
            return f"{what} is under /tmp, which each node gets a private copy of"
    if not shutil.which("ip") or not shutil.which("unshare"):
        return "ip (iproute2) or unshare (util-linux) is missing"
    for ns in ("bss-n1", "bss-n2"):
        if os.path.exists(f"/var/run/netns/{ns}"):
            return f"namespace {ns} exists already (another run of this test?)"
    if sh(["ip", "-4", "route", "show", f"{NET}.0/24"]).stdout.strip():
        return f"{NET}.0/24 is routed here already"
    p = sh(["unshare", "--uts", "--mount", "--propagation", "private", "true"])
    if p.returncode != 0:
        return f"unshare --uts --mount: {p.stderr.strip()}"
    steps = [["ip", "link", "add", BR, "type", "bridge"]]
    for cmd in steps:
        p = sh(cmd)
        if p.returncode != 0:
            return f"{' '.join(cmd)}: {p.stderr.strip()}"
    links.append(BR)
    steps = [["ip", "addr", "add", f"{NET}.1/24", "dev", BR], ["ip", "link", "set", BR, "up"]]
    for k in (1, 2):
        ns = f"bss-n{k}"
        steps += [["ip", "netns", "add", ns]]
        steps += [["ip", "link", "add", f"bss-v{k}", "type", "veth", "peer", "name", "eth0", "netns", ns],
                  ["ip", "link", "set", f"bss-v{k}", "master", BR, "up"],
                  ["ip", "-n", ns, "addr", "add", f"{NET}.1{k}/24", "dev", "eth0"],
                  ["ip", "-n", ns, "link", "set", "eth0", "up"],
                  ["ip", "-n", ns, "link", "set", "lo", "up"]]
    for cmd in steps:
        p = sh(cmd)
        if p.returncode != 0:
            return f"{' '.join(cmd)}: {p.stderr.strip()}"
        if cmd[:3] == ["ip", "netns", "add"]:
            namespaces.append(cmd[3])
    return None


def remove_namespaces():
    for ns in list(namespaces):
        sh(["ip", "netns", "del", ns])
        namespaces.remove(ns)
    for link in list(links):
        sh(["ip", "link", "del", link])
        links.remove(link)


def two_nodes():
    global ENV
    note("part 3: two nodes, each in a network namespace")
    if A.two_nodes == "no":
        note("skipped (--two-nodes no)")
        return
    why = make_namespaces()
    if why:
        remove_namespaces()
        if A.two_nodes == "yes":
            check(False, f"two-node cluster: cannot make the namespaces: {why}")
        else:
            print(f"SKIP  two-node part: cannot make the namespaces here: {why}")
        return
    d = os.path.join(W, "slurm2")
    base = free_ports()
    nodes = [("bsn1", f"{NET}.11"), ("bsn2", f"{NET}.12")]
    conf = slurm_conf(d, "bstest2", f"{NET}.1", nodes, base)
    ENV = clean_env(SLURM_CONF=conf)
    t = time.monotonic()
    ctld = start("slurmctld (2 nodes)", ["slurmctld", "-D", "-i", "-f", conf], os.path.join(d, "log/slurmctld.out"))
    slurmds = []
    # bsn2 gets half this machine's hard fd limit, so that a need between
    # the two is refused on bsn2 only (job G).
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    low = hard // 2 if hard != resource.RLIM_INFINITY else 65536
    for k, (name, _) in enumerate(nodes, 1):
        tmp = os.path.join(W, "nodes", name, "tmp")
        os.makedirs(tmp)
        os.chmod(tmp, 0o1777)
        # Its own hostname (Open MPI tells nodes apart by it) and its own
        # /tmp (PMIx and Open MPI keep per-node files there), as a machine.
        prog = (f"mount --bind '{tmp}' /tmp && hostname {name} && "
                + (f"ulimit -n {low} && " if name == "bsn2" else "")
                + f"exec slurmd -D -N {name} -f '{conf}'")
        slurmds.append(start(f"slurmd {name}", ["ip", "netns", "exec", f"bss-n{k}", "unshare", "--uts", "--mount",
                                                "--propagation", "private", "sh", "-c", prog],
                             os.path.join(d, f"log/slurmd-{name}.out")))
    took = wait_idle(2)
    if not check(took is not None, "two-node cluster: bsn1 and bsn2 idle"):
        for f in ("log/slurmctld.out", "log/slurmd-bsn1.out", "log/slurmd-bsn1.log", "log/slurmctld.log"):
            print(tail(os.path.join(d, f)))
    else:
        note(f"bsn1 and bsn2 idle {time.monotonic() - t:.1f}s after starting the daemons")
        submit = os.path.join(W, "submit2")
        os.makedirs(submit)
        # Both have whole nodes (the script's --exclusive), so they run one
        # after the other: in host mode two runs on one node would take the
        # same ports.
        je = sbatch(["--nodes=2", SBATCH, SCEN, "--quiet"], submit, BS_BIN=BIN)
        jf = sbatch(["--nodes=2", SBATCH, SCEN, "--quiet"], submit, BS_BIN=BIN, BS_LAUNCHER="srun")
        # G: sharing its nodes, and a fd need that bsn1 meets but bsn2 not.
        jg = sbatch(["--nodes=2", "--oversubscribe", SBATCH, SCEN], submit, BS_BIN=BIN, BS_NOFILE=low + 1)
        wait_jobs([je, jf, jg])
        note("jobs E, F, G ended")
        if jg:
            info = job_info(jg)
            log = job_log(submit, jg)
            check(info.get("JobState") == "FAILED" and info.get("ExitCode") == "1:0",
                  f"G: job {jg} FAILED, exit 1 ({info.get('JobState')}, {info.get('ExitCode')})")
            check("warning: this job may share its nodes" in log,
                  "G (--oversubscribe over 2 nodes): warns that host-mode runs sharing a node collide")
            check(f"the hard limit on open files is {low} on bsn2" in log and "mpirun -np" not in log,
                  f"G: the check through srun finds bsn2's hard fd limit ({low}) below the need, names "
                  "the node, and nothing is launched")
            if failures:
                show_log(submit, jg, 20)
        for jid, what, launch in ((je, "E (--nodes=2, mpirun)", r"mpirun -np \d+ "),
                                  (jf, "F (--nodes=2, srun)", r"srun --mpi=pmix --nodes=2 --ntasks=\d+ ")):
            if not jid:
                continue
            info = job_info(jid)
            log = job_log(submit, jid)
            check(info.get("JobState") == "COMPLETED" and info.get("ExitCode") == "0:0",
                  f"{what}: job {jid} COMPLETED, exit 0 ({info.get('JobState')}, {info.get('ExitCode')})")
            check(f"network: host mode on {NET}.0/24" in log and "nodes ok: " in log,
                  f"{what}: host mode on the subnet derived from NodeAddr; both nodes checked through srun")
            check(re.search(r"^\+ env .*" + launch, log, re.M) is not None,
                  f"{what}: the log shows '{launch.strip()}'")
            rj = check_results(submit, jid, "tiny", 40, what, hosts=["bsn1", "bsn2"])
            if rj:
                ov = rj.get("overrides") or []
                check("network.mode=host" in ov and f"network.allowed=[{NET}.0/24]" in ov,
                      f"{what}: run.json overrides name host mode and the subnet ({ov})")
                ranks = {r.get("rank"): r.get("host") for r in rj.get("ranks") or []}
                check(ranks.get(0) == "bsn1", f"{what}: rank 0 (the coordinator) on bsn1, the batch host")
            check(not os.path.exists(os.path.join(W, "nodes/bsn1/tmp", f"bootstorm-{jid}")),
                  f"{what}: bsn1's own /tmp scratch removed after the copy")
    for p in slurmds:
        stop(p)
    stop(ctld)


# --------------------------------------------------------------------------
def main():
    # SIGTERM (a runner's timeout) and Ctrl-C unwind through the cleanup below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    note("munged with its own key and socket")
    if not check(start_munge(), "munged answers on its socket"):
        return
    one_node()
    two_nodes()


try:
    main()
finally:
    # Jobs first (their steps hold processes), then the daemons, munged last.
    for p in list(daemons):
        if p.bs_name.startswith("slurmctld") and p.poll() is None:
            run(["scancel", "--full", "-u", "root"], ENV, timeout=20)
    for p in list(reversed(daemons)):
        stop(p)
    left = ours()
    if left:
        for pid, cmd in left:
            note(f"left behind: {pid} {cmd[:160]}: SIGKILL")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.5)
    check(not left, "no process of this test left behind (batch shells, mpirun, ranks, slurmstepd)")
    remove_namespaces()
    check(not any(os.path.exists(f"/var/run/netns/bss-n{k}") for k in (1, 2)) and
          sh(["ip", "link", "show", BR]).returncode != 0, "namespaces and bridge removed")
    note(f"done in {time.monotonic() - T0:.1f}s")

if failures:
    print(f"{len(failures)} check(s) failed:")
    for f in failures:
        print("  " + f)
    sys.exit(1)
print("all checks passed")
