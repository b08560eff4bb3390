"""Hostile clients (issue 13): one small run (tests/scenarios/hostile.yaml),
attacked from this process while it runs, with an msgpack and TLS stack of
its own (Python's msgpack and ssl modules, not bootstorm's codec):

1. junk frames: oversized, zero-length and truncated frames, bytes that are
   not msgpack, deep nesting, huge declared containers, wrong field types,
   to the login server over TLS and to a supernode over TCP;
2. slowloris: connections that send nothing, a ClientHello or a LOGIN_REQ
   or a REGISTER trickled a byte at a time, a client that lingers after its
   answer; each closed by the server's deadline;
3. a flood of connections to a supernode beyond its max_conns;
4. replayed tickets: real peers' REGISTER frames captured off the loopback
   interface (a raw AF_PACKET socket on "lo", IPv4 and TCP parsed here),
   replayed from another address (refused) and from the ticket's own
   address (accepted, replacing the older registration); a replayed
   registration that sends KEEPALIVEs and never reads, dropped by the
   supernode's output bound (its socket's kernel send buffer shrunk first,
   through pidfd_getfd, or megabytes of autotuned buffer come before the
   bound); one that trickles partial frames, dropped as idle;
5. forged GOSSIP: entries naming non-supernodes or wrong addresses;
6. forged UDP answers to the peers' request sockets from addresses that are
   not the service's.

After each attack the node must still serve (a login server answers a
LOGIN_REQ, a supernode a GOSSIP), the real peers stay online, and the
counters of the interval rows written during the attack show it. At 36 s all
peers reboot, so they log in and register again after the attacks; at the
end every peer is online. Needs root (AF_PACKET); exits 77 otherwise."""
import ctypes
import os
import random
import select
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

try:
    import msgpack
except ImportError:
    # Debian's python3-msgpack (scripts/install-deps) is for /usr/bin/python3;
    # another python3 first in PATH (pyenv, a venv) does not see it.
    deb = "/usr/bin/python3"
    if (os.path.exists(deb) and not os.environ.get("BS_HOSTILE_REEXEC")
            and os.path.realpath(sys.executable) != os.path.realpath(deb)):
        os.environ["BS_HOSTILE_REEXEC"] = "1"
        os.execv(deb, [deb] + sys.argv)
    sys.exit("test_hostile: needs the msgpack module (python3-msgpack, scripts/install-deps)")

import bslib

if os.geteuid() != 0:
    print("test_hostile: skipped: capturing on lo (AF_PACKET) needs root")
    sys.exit(77)

a = bslib.parse_args()
check = bslib.Check()
out = os.path.join(a.work, "run")
scenario = os.path.join(a.source, "tests/scenarios/hostile.yaml")
NET = "127.113."             # the run's nodes: 127.113.0.1 and up
BASE = NET + "0.1"
ATTACKER = NET + "9."        # attackers' own addresses: no node has one
SN_PORT, LS_PORT, SVC_PORT = 4431, 4430, 4432
PEERS = 40
DEADLINE, LINGER = 3.0, 1.0  # request_deadline and linger of both servers (hostile.yaml)
SN_MAX_CONNS = 48
KEEPALIVE, REG_TIMEOUT = 2.0, 2.0
IDLE = 3 * KEEPALIVE + REG_TIMEOUT  # a registered client silent this long is closed
REBOOT_AT = 36.0
SLACK = 4.0                  # how late a server may close, on a loaded machine
T_START = time.time()


def log(msg):
    print(f"[{time.time() - T_START:6.1f}s] {msg}", flush=True)


def ip2int(s):
    return struct.unpack(">I", socket.inet_aton(s))[0]


def int2ip(n):
    return socket.inet_ntoa(struct.pack(">I", n))


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def raw_frame(payload):
    return struct.pack(">I", len(payload)) + payload


def frame(obj):
    return raw_frame(pack(obj))


def unpack(payload):
    try:
        return msgpack.unpackb(payload, raw=False, strict_map_key=False)
    except Exception:
        return None


# ---------------------------------------------------------------- capture

ETH_P_IP = 0x0800
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(SockFilter))]


class Flow:
    def __init__(self, t):
        self.t = t
        self.c2s = b""      # the client's first bytes, in order
        self.s2c = b""
        self.c2s_next = None
        self.s2c_next = None
        self.register = None  # (frame bytes, decoded message)
        self.answer = None    # the supernode's first message
        self.closed = False


class Sniffer(threading.Thread):
    """Reads every IPv4 packet to or from 127.113.0.0/16 on lo (a classic BPF
    filter in the kernel keeps the rest out): REGISTERs and their answers on
    the supernode port, REQUEST and answer datagrams of the service. While
    forging is on, it answers each REQUEST it sees with a forged datagram at
    once, so the forgery usually reaches the peer before the real answer."""

    def __init__(self):
        super().__init__(daemon=True)
        prefix = ip2int(NET + "0.0")
        prog = [(0x20, 0, 0, 12), (0x54, 0, 0, 0xFFFF0000), (0x15, 4, 0, prefix),
                (0x20, 0, 0, 16), (0x54, 0, 0, 0xFFFF0000), (0x15, 1, 0, prefix),
                (0x06, 0, 0, 0), (0x06, 0, 0, 0x40000)]
        self.insns = (SockFilter * len(prog))(*[SockFilter(*i) for i in prog])
        fprog = SockFprog(len(prog), self.insns)
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0)
        self.s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(fprog))
        self.s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        self.s.bind(("lo", ETH_P_IP))
        self.s.settimeout(0.2)
        self.lock = threading.Lock()
        self.flows = {}
        self.users = {}       # user id -> key of its latest REGISTER's flow
        self.version = None   # the protocol version real peers speak
        self.stopping = False
        self.packets = 0
        self.idx = 0
        # forging UDP answers (attack 6)
        self.svc = None
        self.forge_until = 0.0
        self.forge_max = 0
        self.forged = []      # (key, kind)
        self.forged_seen = {}  # (key, kind) -> capture index
        self.real_seen = {}   # key -> capture index of the service's answer
        self.requests = []    # (peer ip, port, req_id) seen
        self.fake = None
        self.fake_svc = None

    def stop(self):
        self.stopping = True
        self.join(5)
        self.s.close()

    def run(self):
        while not self.stopping:
            try:
                data, addr = self.s.recvfrom(1 << 17)
            except socket.timeout:
                continue
            except OSError:
                return
            if addr[2] != socket.PACKET_HOST:  # lo shows each packet twice
                continue
            try:
                self.handle(data)
            except Exception as e:  # a parser bug must not stop the capture
                log(f"sniffer: {e!r}")

    def handle(self, d):
        if len(d) < 20 or d[0] >> 4 != 4:
            return
        ihl = (d[0] & 15) * 4
        total = struct.unpack_from(">H", d, 2)[0] or len(d)
        proto = d[9]
        src, dst = struct.unpack_from(">II", d, 12)
        self.packets += 1
        self.idx += 1
        if proto == 6:
            sport, dport, seq = struct.unpack_from(">HHI", d, ihl)
            off = (d[ihl + 12] >> 4) * 4
            flags = d[ihl + 13]
            payload = d[ihl + off:total]
            if dport == SN_PORT:
                self.tcp((src, sport, dst, dport), True, seq, flags, payload)
            elif sport == SN_PORT:
                self.tcp((dst, dport, src, sport), False, seq, flags, payload)
        elif proto == 17:
            sport, dport = struct.unpack_from(">HH", d, ihl)
            self.udp(src, sport, dst, dport, d[ihl + 8:total])

    def tcp(self, key, c2s, seq, flags, payload):
        syn, fin, rst = flags & 2, flags & 1, flags & 4
        with self.lock:
            f = self.flows.get(key)
            if syn and c2s:
                f = self.flows[key] = Flow(time.time())
                f.c2s_next = (seq + 1) & 0xFFFFFFFF
                return
            if f is None:
                return
            if syn:
                f.s2c_next = (seq + 1) & 0xFFFFFFFF
                return
            if fin or rst:
                f.closed = True
            if not payload:
                return
            if c2s and seq == f.c2s_next and len(f.c2s) < 4096:
                f.c2s += payload
                f.c2s_next = (seq + len(payload)) & 0xFFFFFFFF
                if f.register is None and len(f.c2s) >= 4:
                    n = struct.unpack_from(">I", f.c2s)[0]
                    if len(f.c2s) >= 4 + n:
                        m = unpack(f.c2s[4:4 + n])
                        if isinstance(m, list) and len(m) == 3 and m[0] == 5:
                            f.register = (f.c2s[:4 + n], m)
                            self.users[m[2][0]] = key
                            if self.version is None:
                                self.version = m[1]
            elif not c2s and seq == f.s2c_next and len(f.s2c) < 4096:
                f.s2c += payload
                f.s2c_next = (seq + len(payload)) & 0xFFFFFFFF
                if f.answer is None and len(f.s2c) >= 4:
                    n = struct.unpack_from(">I", f.s2c)[0]
                    if len(f.s2c) >= 4 + n:
                        f.answer = unpack(f.s2c[4:4 + n])

    def udp(self, src, sport, dst, dport, payload):
        if self.svc is None:
            return
        m = unpack(payload)
        if not isinstance(m, list) or len(m) < 3 or not isinstance(m[2], int):
            return
        svc = self.svc
        if m[0] == 13 and dst == svc and dport == SVC_PORT and len(m) == 4:
            self.requests.append((src, sport, m[3]))
            if time.time() < self.forge_until and len(self.forged) < self.forge_max:
                kind = len(self.forged) % 4
                key = (src, sport, m[3])
                ans = [14, m[1], m[3]] if kind % 2 == 0 else [15, m[1], m[3], 60000]
                sock = self.fake if kind < 2 else self.fake_svc
                sock.sendto(pack(ans), (int2ip(src), sport))
                self.forged.append((key, kind))
        elif m[0] in (14, 15):
            key = (dst, dport, m[2])
            if src == svc and sport == SVC_PORT:
                self.real_seen.setdefault(key, self.idx)
            else:
                kind = (0 if m[0] == 14 else 1) + (2 if src == svc else 0)
                self.forged_seen.setdefault((key, kind), self.idx)

    def live_registrations(self, peer_ips):
        """user -> (key, frame, msg) of each peer whose latest REGISTER
        was answered REGISTER_OK on a connection still open."""
        res = {}
        with self.lock:
            for user, key in self.users.items():
                f = self.flows[key]
                if (key[0] in peer_ips and not f.closed and isinstance(f.answer, list)
                        and f.answer[0] == 6):
                    res[user] = (key, f.register[0], f.register[1])
        return res


# ---------------------------------------------------------------- the run

class Series:
    """timeseries.csv as it grows: only complete lines."""

    def __init__(self, path):
        self.path = path

    def rows(self):
        try:
            with open(self.path) as f:
                text = f.read()
        except OSError:
            return []
        lines = text.split("\n")[:-1]  # the last piece is empty or partial
        if len(lines) < 2:
            return []
        head = lines[0].split(",")
        return [dict(zip(head, ln.split(","))) for ln in lines[1:]]

    def last(self):
        r = self.rows()
        return r[-1] if r else None

    def now(self):
        r = self.last()
        return float(r["t_s"]) if r else 0.0


class Window:
    """The counters of the rows written from its start until two rows after
    its end: an attack's effects, as the run counted them."""

    def __init__(self, series, name):
        self.series = series
        self.name = name
        self.n0 = len(series.rows())
        self.rows = []

    def close(self, settle=2, timeout=15):
        n1 = len(self.series.rows())
        end = time.time() + timeout
        while len(self.series.rows()) < n1 + settle and time.time() < end:
            time.sleep(0.1)
        self.rows = self.series.rows()[self.n0:]
        return self

    def d(self, col):
        """The column's sum over the window; None when the run has no such
        column (a counter that does not exist yet)."""
        if not self.rows or col not in self.rows[0]:
            return None
        return sum(int(r[col]) for r in self.rows)

    def at_least(self, col, n, what):
        v = self.d(col)
        return check(v is not None and v >= n,
                     f"{self.name}: {what}: {col} +{v} (expected >= {n})")

    def exactly(self, col, n, what):
        v = self.d(col)
        return check(v == n, f"{self.name}: {what}: {col} +{v} (expected {n})")


def wait_for(cond, timeout, step=0.1):
    """cond's first true value within timeout; gives up when the run ends."""
    end = time.time() + timeout
    while time.time() < end and proc.poll() is None:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


# ---------------------------------------------------------------- clients

class Conn:
    """A client connection, plain TCP or TLS, with a frame reader."""

    def __init__(self, ip, port, src=None, tls=None, clamp=False, timeout=5):
        self.t0 = time.time()
        self.buf = b""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if clamp:  # a tiny receive window, with room behind it (no shrinking)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_WINDOW_CLAMP, 1)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.bind((src or ATTACKER + "1", 0))
        s.settimeout(timeout)
        s.connect((ip, port))
        self.t0 = time.time()
        if tls:
            s = tls.wrap_socket(s, server_hostname=ip)
        self.s = s

    def send(self, data):
        self.s.sendall(data)

    def read_frame(self, timeout=5):
        """The next message; None if the server closed the connection."""
        end = time.time() + timeout
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack_from(">I", self.buf)[0]
                if len(self.buf) >= 4 + n:
                    m = unpack(self.buf[4:4 + n])
                    self.buf = self.buf[4 + n:]
                    return m
            left = end - time.time()
            if left <= 0:
                raise TimeoutError("no answer")
            self.s.settimeout(left)
            try:
                b = self.s.recv(65536)
            except (ConnectionError, ssl.SSLError):
                return None
            if not b:
                return None
            self.buf += b

    def closed_within(self, timeout):
        """Wait until the server closes; returns the seconds since connect,
        or None if it is still open after timeout."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                self.s.settimeout(max(0.01, end - time.time()))
                b = self.s.recv(65536)
            except socket.timeout:
                continue
            except (ConnectionError, ssl.SSLError, OSError):
                return time.time() - self.t0
            if not b:
                return time.time() - self.t0
        return None

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def tls_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(os.path.join(out, "ca.pem"))
    return ctx  # check_hostname is on: the certificate must name the LS's IP


def login_req(ver):
    """A LOGIN_REQ of a user that does not exist: answered LOGIN_FAIL."""
    return frame([1, ver, 999999, os.urandom(32)])


# ---------------------------------------------------------------- start

sniffer = Sniffer()
sniffer.start()
cmd = bslib.mpirun_cmd(3, a.bin, ["run", scenario, "--out", out, "--quiet",
                                  "--set", f"network.base={BASE}"])
log("$ " + " ".join(cmd))
proc = subprocess.Popen(cmd, env=bslib.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True)
series = Series(os.path.join(out, "timeseries.csv"))
nodes = []
stash = []  # sockets held open on purpose


def read_placement():
    path = os.path.join(out, "placement.csv")
    if not os.path.exists(path) or not os.path.exists(os.path.join(out, "ca.pem")):
        return None
    rows = bslib.load_csv(path)
    return rows if len(rows) >= PEERS + 4 else None


def role(r):
    return [(int(n["node_id"]), n["address"].split(":")[0], int(n["address"].split(":")[1]))
            for n in nodes if n["role"] == r]


def online():
    r = series.last()
    return int(r["online"]) if r else 0


# ---------------------------------------------------------------- probes

def ls_serves(what):
    """A login server that still works: TLS 1.3 with its certificate, a
    LOGIN_REQ answered LOGIN_FAIL (bad credentials)."""
    try:
        c = Conn(LS[1], LS[2], tls=TLS)
        c.send(login_req(V))
        m = c.read_frame(10)
        c.close()
    except (OSError, TimeoutError, ssl.SSLError) as e:
        m = repr(e)
    return check(isinstance(m, list) and m[:3] == [4, V, 1],
                 f"{what}: the login server still answers a LOGIN_REQ ({m})")


def sn_serves(sn, what):
    """A supernode that still works: a GOSSIP answered with a GOSSIP."""
    try:
        c = Conn(sn[1], sn[2])
        c.send(frame([12, V, []]))
        m = c.read_frame(10)
        c.close()
    except (OSError, TimeoutError) as e:
        m = repr(e)
    return check(isinstance(m, list) and m[0] == 12,
                 f"{what}: supernode {sn[0]} still answers a GOSSIP ({str(m)[:60]})")


def peers_online(what, timeout=15):
    n = wait_for(lambda: online() == PEERS and online(), timeout, 0.2)
    return check(n == PEERS, f"{what}: all {PEERS} real peers online ({online()})")


def too_late(name):
    t = series.now()
    if proc.poll() is not None:
        check(False, f"{name}: the run has ended already")
        return True
    if t > REBOOT_AT - 3:
        check(False, f"{name}: no time left before the reboot at {REBOOT_AT:g}s (run at {t}s)")
        return True
    log(f"--- {name} (run time {t:.1f}s)")
    return False


# ---------------------------------------------------------------- attacks

JUNK = [
    ("not msgpack (0xc1)", b"\xc1\xc1\xc1\xc1"),
    ("truncated array", b"\x93\x01\x01"),
    ("truncated bin32", b"\x94\x01\x01\x05\xc4\x20" + b"x" * 5),
    ("trailing bytes", None),  # filled per target: a valid message + 1 byte
    ("array32 of 2^32-1 elements", b"\xdd\xff\xff\xff\xff\x01"),
    ("map32 of 2^32-1 pairs", b"\xdf\xff\xff\xff\xff\x01\x01"),
    ("str32 longer than the frame", b"\xdb\x7f\xff\xff\xff" + b"a" * 16),
    ("arrays nested 65535 deep (a 64 KiB frame)", b"\x91" * 65535 + b"\xc0"),
    ("maps nested 20000 deep", b"\x81\x00" * 20000 + b"\xc0"),
    ("a map, not an array", pack({"type": 1})),
    ("one element", pack([1])),
    ("bad version", None),
    ("unknown type", None),
    ("string for a uint", None),
    ("negative uint", None),
    ("float type", pack([1.5, 1])),
    ("too many fields", None),
]


def junk_frames(ver, valid):
    """Each (what, payload): a whole frame whose payload must be refused."""
    res = []
    for what, p in JUNK:
        if what == "trailing bytes":
            p = valid + b"\x00"
        elif what == "bad version":
            p = pack([8, ver + 7, 1])
        elif what == "unknown type":
            p = pack([99, ver])
        elif what == "string for a uint":
            p = pack([8, ver, "1"])
        elif what == "negative uint":
            p = pack([8, ver, -1])
        elif what == "too many fields":
            p = pack([8, ver, 1, 2])
        res.append((what, p))
    return res


def closes_at_once(target, data, what, tls=None):
    """Send data that the stream cannot survive: the server closes."""
    try:
        c = Conn(target[1], target[2], tls=tls)
        t = time.time()
        c.send(data)
        c.t0 = t
        dt = c.closed_within(DEADLINE + SLACK)
        c.close()
    except (OSError, ssl.SSLError) as e:
        dt = f"{e!r}"
    check(isinstance(dt, float) and dt < DEADLINE * 0.8,
          f"{what}: the server closes the connection at once ({dt})")


def attack_junk_ls():
    if too_late("1a: junk frames to the login server over TLS"):
        return
    w = Window(series, "1a junk to LS")
    valid = pack([8, V, 1])
    frames = junk_frames(V, valid)
    c = Conn(LS[1], LS[2], tls=TLS)
    for what, p in frames:
        c.send(raw_frame(p))
    c.send(login_req(V))
    m = c.read_frame(10)
    c.close()
    check(isinstance(m, list) and m[:3] == [4, V, 1],
          f"1a: after {len(frames)} junk frames the same TLS connection gets LOGIN_FAIL "
          f"for its LOGIN_REQ: the stream stayed in sync ({m})")
    closes_at_once(LS, struct.pack(">I", 65537) + b"x" * 100, "1a: oversized prefix (65537)", TLS)
    closes_at_once(LS, struct.pack(">I", 0xFFFFFFFF), "1a: oversized prefix (2^32-1)", TLS)
    closes_at_once(LS, struct.pack(">I", 0) + b"\x90", "1a: zero-length prefix", TLS)
    c = Conn(LS[1], LS[2], tls=TLS)  # a frame cut short by the client's close
    c.send(struct.pack(">I", 1000) + b"\x94\x01" + b"y" * 20)
    c.close()
    ls_serves("1a")
    w.close()
    w.at_least("malformed", len(frames) + 3, "every junk frame and oversized prefix counted")
    w.at_least("ls_served", 1, "LOGIN_REQs served")


def attack_junk_sn(sn):
    if too_late("1b: junk frames to a supernode over TCP"):
        return
    w = Window(series, "1b junk to SN")
    frames = junk_frames(V, pack([8, V, 1]))
    c = Conn(sn[1], sn[2])
    for what, p in frames:
        c.send(raw_frame(p))
    c.send(frame([5, V, forged_ticket(ATTACKER + "1")]))
    m = c.read_frame(10)
    c.close()
    check(isinstance(m, list) and m[:3] == [7, V, 2],
          f"1b: after {len(frames)} junk frames the same connection gets REGISTER_FAIL "
          f"FORGED_TICKET for a forged ticket: the stream stayed in sync ({m})")
    closes_at_once(sn, struct.pack(">I", 65537) + b"x" * 100, "1b: oversized prefix (65537)")
    closes_at_once(sn, struct.pack(">I", 0), "1b: zero-length prefix")
    c = Conn(sn[1], sn[2])
    c.send(struct.pack(">I", 500) + b"\x93\x05")
    c.close()
    sn_serves(sn, "1b")
    w.close()
    w.at_least("malformed", len(frames) + 2, "every junk frame and oversized prefix counted")
    w.at_least("sn_refused_forged", 1, "the forged ticket refused")
    w.at_least("sn_served", 1, "the supernodes kept serving their clients' keepalives")
    peers_online("1b")


def forged_ticket(src):
    """A real peer's ticket with its address changed to src (if tickets carry
    one) and a flipped signature bit."""
    t = list(next(iter(REGS.values()))[2][2])
    if len(t) == 4:
        t[2] = ip2int(src)
    sig = bytearray(t[-1])
    sig[0] ^= 1
    t[-1] = bytes(sig)
    return t


def attack_gossip(sn, other):
    if too_late("5: forged GOSSIP to a supernode"):
        return
    w = Window(series, "5 forged gossip")
    peer = PEER_NODES[0]
    svc = role("service")[0]
    forged = [
        ("a peer", [peer[0], ip2int(peer[1]), SN_PORT]),
        ("the login server", [LS[0], ip2int(LS[1]), LS[2]]),
        ("the service", [svc[0], ip2int(svc[1]), SN_PORT]),
        ("a supernode at a wrong address", [other[0], ip2int(ATTACKER + "9"), SN_PORT]),
        ("a supernode at a wrong port", [other[0], ip2int(other[1]), SN_PORT + 68]),
        ("a node that does not exist", [100000, ip2int(other[1]), SN_PORT]),
        ("an address outside network.allowed", [other[0], ip2int("10.1.2.3"), SN_PORT]),
    ]
    valid = [[other[0], ip2int(other[1]), other[2]], [sn[0], ip2int(sn[1]), sn[2]]]
    c = Conn(sn[1], sn[2])
    c.send(frame([12, V, [e for _, e in forged] + valid]))
    m = c.read_frame(10)
    c.close()
    real = {(s[0], ip2int(s[1]), s[2]) for s in SNS}
    ok = isinstance(m, list) and m[0] == 12 and isinstance(m[2], list)
    check(ok, f"5: the supernode answers the GOSSIP with its own ({str(m)[:80]})")
    if ok:
        bad = [e for e in m[2] if tuple(e) not in real]
        check(not bad, f"5: its answer names only real supernodes at their addresses ({bad})")
    c = Conn(sn[1], sn[2])  # and it learned none of them
    c.send(frame([12, V, []]))
    m2 = c.read_frame(10)
    c.close()
    bad = [e for e in (m2[2] if isinstance(m2, list) else []) if tuple(e) not in real]
    check(isinstance(m2, list) and m2[0] == 12 and not bad,
          f"5: a second exchange: still no forged entry ({m2})")
    w.close()
    w.exactly("gossip_refused", len(forged),
              "each forged entry refused (" + ", ".join(what for what, _ in forged) + ")")
    w.at_least("gossip_exchanges", 2, "both exchanges handled")
    peers_online("5")


def attack_udp():
    if too_late("6: forged answers to the peers' request sockets"):
        return
    svc = role("service")[0]
    sniffer.fake = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sniffer.fake.bind((ATTACKER + "30", 0))
    sniffer.fake_svc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sniffer.fake_svc.bind((svc[1], 0))  # the service's address, another port
    w = Window(series, "6 forged UDP")
    sniffer.forge_max = 160
    sniffer.forge_until = time.time() + 4
    time.sleep(4.2)
    sniffer.forge_until = 0
    junk = 0
    with sniffer.lock:
        reqs = list(sniffer.requests[-5:])
    for ip, port, _ in reqs:  # not msgpack at all
        sniffer.fake.sendto(b"\xc1junk", (int2ip(ip), port))
        junk += 1
    time.sleep(0.5)
    forged = list(sniffer.forged)
    early = late = unknown = late_resp = unknown_resp = 0
    for key, kind in forged:
        fi = sniffer.forged_seen.get((key, kind))
        ri = sniffer.real_seen.get(key)
        if fi is None or ri is None:
            unknown += 1
            unknown_resp += kind % 2 == 0
        elif fi < ri:
            early += 1
        else:
            late += 1
            late_resp += kind % 2 == 0
    log(f"forged {len(forged)} answers: {early} reached their peer before the real one, "
        f"{late} after it, {unknown} not seen both ways")
    w.close()
    check(len(forged) >= 20, f"6: forged answers sent ({len(forged)})")
    check(early >= 10, f"6: forged answers that reached a peer while its request was "
          f"outstanding ({early})")
    w.at_least("malformed", early + junk, "forged answers and junk datagrams refused")
    w.exactly("req_busy", 0, "no forged REQ_BUSY taken for the service's")
    wasted, timeouts = w.d("svc_wasted"), w.d("req_timeout") or 0
    check(wasted is not None and wasted <= timeouts,
          f"6: no forged RESPONSE taken for the service's, not even as a late one: "
          f"svc_wasted +{wasted} <= timeouts ({timeouts}) (forged RESPONSEs after the real "
          f"one: {late_resp}, unseen: {unknown_resp})")
    w.at_least("req_ok", 20, "the real answers were still taken")
    # A forged RESPONSE for an id no request has: refused, not counted as
    # work a service wasted (it was, before the source check came first).
    w2 = Window(series, "6 unknown ids")
    if reqs:
        ip, port, rid = reqs[-1]
        for i in range(5):
            sniffer.fake.sendto(pack([14, V, (rid + 1000000 + i) & 0xFFFFFFFF]),
                                (int2ip(ip), port))
    w2.close()
    if reqs:
        w2.at_least("malformed", 5, "forged RESPONSEs for unused request ids refused")
        wasted2, timeouts2 = w2.d("svc_wasted"), w2.d("req_timeout") or 0
        check(wasted2 is not None and wasted2 <= timeouts2,
              f"6: and not counted as work a service wasted: svc_wasted +{wasted2} <= "
              f"timeouts ({timeouts2})")
    peers_online("6")


def attack_slowloris():
    if too_late("2: slowloris against the login server and a supernode"):
        return
    w = Window(series, "2 slowloris")
    results = {}

    def run(name, fn):
        try:
            results[name] = fn()
        except Exception as e:
            results[name] = repr(e)

    def trickle(c, data, period=0.25):
        """Send data a byte at a time until the server closes. Returns
        (seconds from connect to the close, bytes sent) or None."""
        end = c.t0 + DEADLINE + SLACK
        sent = 0
        while time.time() < end:
            r, _, _ = select.select([c.s], [], [], period)
            if r or (isinstance(c.s, ssl.SSLSocket) and c.s.pending()):
                dt = c.closed_within(0.05)
                if dt is not None:
                    return dt, sent
            if sent < len(data):
                try:
                    c.s.send(data[sent:sent + 1])
                    sent += 1
                except (OSError, ssl.SSLError):
                    return time.time() - c.t0, sent
        return None, sent

    def ls_silent():
        c = Conn(LS[1], LS[2])
        return c.closed_within(DEADLINE + SLACK), 0

    def ls_hello():
        inc, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = TLS.wrap_bio(inc, outb, server_hostname=LS[1])
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = outb.read()
        c = Conn(LS[1], LS[2])
        return trickle(c, hello)

    def ls_login():
        c = Conn(LS[1], LS[2], tls=TLS)
        return trickle(c, login_req(V))

    def ls_linger():
        c = Conn(LS[1], LS[2], tls=TLS)
        c.send(login_req(V))
        m = c.read_frame(10)
        c.t0 = time.time()  # the linger runs from the answer
        return c.closed_within(LINGER + SLACK), m

    def sn_silent():
        c = Conn(SNS[0][1], SNS[0][2])
        return c.closed_within(DEADLINE + SLACK), 0

    def sn_register():
        c = Conn(SNS[1][1], SNS[1][2])
        return trickle(c, frame([5, V, forged_ticket(ATTACKER + "1")]))

    tests = [("silent TCP to the login server", ls_silent),
             ("ClientHello trickled to the login server", ls_hello),
             ("LOGIN_REQ trickled after the TLS handshake", ls_login),
             ("silent TCP to a supernode", sn_silent),
             ("REGISTER trickled to a supernode", sn_register)]
    threads = [threading.Thread(target=run, args=t) for t in tests + [("linger", ls_linger)]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    closed = 0
    for name, _ in tests:
        r = results.get(name)
        dt, sent = r if isinstance(r, tuple) else (r, 0)
        ok = isinstance(dt, float) and DEADLINE * 0.8 <= dt <= DEADLINE + SLACK
        closed += ok
        check(ok, f"2: {name}: closed by the {DEADLINE:g}s request deadline "
              f"({dt if not isinstance(dt, float) else round(dt, 2)} s after connect, "
              f"{sent} bytes trickled)")
    r = results.get("linger")
    dt, m = r if isinstance(r, tuple) else (r, None)
    ok = isinstance(dt, float) and dt <= LINGER + SLACK and isinstance(m, list) and m[0] == 4
    closed += ok
    check(ok, f"2: a client that keeps its login connection after LOGIN_FAIL is closed after "
          f"the {LINGER:g}s linger ({dt if not isinstance(dt, float) else round(dt, 2)} s; {m})")
    ls_serves("2")
    sn_serves(SNS[0], "2")
    sn_serves(SNS[1], "2")
    w.close()
    w.at_least("conn_deadline", closed, "each of these closes counted")
    peers_online("2")


def attack_flood(sn):
    if too_late(f"3: a flood of connections to supernode {sn[0]}"):
        return
    w = Window(series, "3 flood")
    n = SN_MAX_CONNS + 16
    conns = []
    try:
        for i in range(n):
            conns.append(Conn(sn[1], sn[2], src=ATTACKER + "3"))
    except OSError as e:
        check(False, f"3: connect number {len(conns) + 1} failed: {e!r}")
    capped, held = [], []
    end = time.time() + 1.5
    pending = list(conns)
    while pending and time.time() < end:
        r, _, _ = select.select([c.s for c in pending], [], [], 0.1)
        for c in [c for c in pending if c.s in r]:
            dt = c.closed_within(0.01)
            if dt is not None:
                capped.append(dt)
                pending.remove(c)
    held = pending
    log(f"flood: {len(conns)} connections, {len(capped)} closed at once, {len(held)} held")
    extra = None
    if held:  # at the cap: one more is closed at once
        try:
            x = Conn(sn[1], sn[2], src=ATTACKER + "4")
            extra = x.closed_within(1.5)
            x.close()
        except OSError as e:
            extra = repr(e)
    check(len(capped) >= n - SN_MAX_CONNS,
          f"3: {n} connections to a supernode with max_conns {SN_MAX_CONNS}: at least "
          f"{n - SN_MAX_CONNS} accepted and closed at once ({len(capped)})")
    check(0 < len(held) <= SN_MAX_CONNS, f"3: the others held, at most the cap ({len(held)})")
    check(isinstance(extra, float), f"3: while the cap is reached, one more connection is "
          f"closed at once ({extra})")
    # The held ones never send a request: the deadline closes them.
    late = [c.closed_within(max(0.01, c.t0 + DEADLINE + SLACK - time.time())) for c in held]
    ok = [dt for dt in late if dt is not None and dt >= DEADLINE * 0.8]
    check(len(ok) == len(held), f"3: the held connections closed by the request deadline "
          f"({len(ok)} of {len(held)})")
    for c in conns:
        c.close()
    sn_serves(sn, "3")
    w.close()
    w.at_least("conn_capped", len(capped) + (1 if isinstance(extra, float) else 0),
               "the capped connections counted")
    w.at_least("conn_deadline", len(ok), "the held ones closed by the deadline")
    w.at_least("sn_served", 1, "the supernodes kept serving their clients' keepalives")
    peers_online("3")


def attack_replay():
    if too_late("4: replayed tickets"):
        return
    (u1, (k1, f1, m1)), (u2, (k2, f2, _)) = VICTIMS[0], VICTIMS[1]
    ip1, sn1 = int2ip(k1[0]), SN_BY_IP[k1[2]]
    ip2, sn2 = int2ip(k2[0]), SN_BY_IP[k2[2]]
    other2 = [s for s in SNS if s != sn2][0]
    t = m1[2]
    if len(t) == 4:
        check(t[2] == k1[0], f"4: the captured ticket names its peer's address "
              f"({int2ip(t[2])} = {ip1})")
    else:
        check(False, f"4: the captured ticket names its peer's address (old 3-field ticket {t[:2]})")

    w = Window(series, "4a replay from another address")
    c = Conn(sn1[1], sn1[2], src=ATTACKER + "5")
    c.send(f1)
    m = c.read_frame(10)
    c.close()
    check(isinstance(m, list) and m[0] == 7 and m[2] == 5,
          f"4a: peer {u1}'s REGISTER replayed from {ATTACKER}5 to supernode {sn1[0]}: "
          f"REGISTER_FAIL WRONG_ADDRESS (5) ({m})")
    sn_serves(sn1, "4a")
    w.close()
    w.at_least("sn_refused_replay", 1, "the replay refused")
    w.exactly("online_lost", 0, "the real peer kept its registration")

    w = Window(series, "4b replay from the ticket's address")
    c = Conn(sn1[1], sn1[2], src=ip1)
    c.send(f1)
    m = c.read_frame(10)
    check(isinstance(m, list) and m[0] == 6,
          f"4b: peer {u1}'s REGISTER replayed from its own address {ip1} to its supernode "
          f"{sn1[0]}: REGISTER_OK ({str(m)[:60]})")
    time.sleep(0.5)
    c.close()
    w.close()
    w.at_least("sn_replaced", 1, "the older registration (the real peer's) replaced")
    w.at_least("online_lost", 1, "the real peer lost its registration")
    peers_online("4b: the victim registered again and")

    w = Window(series, "4c a replayed registration that never reads")
    c = Conn(other2[1], other2[2], src=ip2, clamp=True)
    c.send(f2)
    m = c.read_frame(10)
    check(isinstance(m, list) and m[0] == 6,
          f"4c: peer {u2}'s REGISTER replayed from {ip2} to supernode {other2[0]}: "
          f"REGISTER_OK ({str(m)[:60]})")
    # The kernel's send buffer sits in front of the supernode's own output
    # bound, autotuned (BBR, tcp_wmem) to megabytes: 12-byte ACKs would take
    # minutes to fill it. So, as the unit test does in-process, shrink the
    # supernode's end of this connection (its socket, borrowed with
    # pidfd_getfd), then the bound is what drops the client.
    srv = server_end(other2[1], other2[2], ip2, c.s.getsockname()[1])
    if srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        srv.close()  # our duplicate only
    check(srv is not None, "4c: the supernode's end of the connection found and its send "
          "buffer shrunk to 4 KiB")
    seq = 0x80000000
    sent, dropped = 0, None
    t_ka = time.time()
    end = t_ka + 20
    c.s.settimeout(0.5)
    ka = [struct.pack(">I", 8) + b"\x93\x08" + bytes([V]) + b"\xce" + struct.pack(">I", s)
          for s in range(seq, seq + 4096)]
    # One KEEPALIVE at a time, paced, so that each is a read of its own and
    # gets an ACK of its own (keepalives read together are answered once).
    while time.time() < end and dropped is None:
        try:
            c.s.send(ka[sent % len(ka)])
            sent += 1
        except socket.timeout:
            continue
        except OSError as e:
            dropped = repr(e)
        time.sleep(0.0001)
    c.close()
    log(f"keepalives sent without reading: {sent} in {time.time() - t_ka:.1f}s, then {dropped}")
    check(dropped is not None, f"4c: the supernode dropped the client after {sent} unread "
          f"KEEPALIVEs ({dropped})")
    sn_serves(other2, "4c")
    w.close()
    w.at_least("conn_overflow", 1, "the output bound counted")
    peers_online("4c")


def server_end(ip, port, peer_ip, peer_port):
    """The server's socket of the connection ip:port <- peer_ip:peer_port,
    duplicated into this process (pidfd_getfd, as root), or None."""
    def hexaddr(a, p):
        return "%08X:%04X" % (struct.unpack("<I", socket.inet_aton(a))[0], p)
    want = (hexaddr(ip, port), hexaddr(peer_ip, peer_port))
    inode = None
    with open("/proc/net/tcp") as f:
        for ln in f.readlines()[1:]:
            p = ln.split()
            if (p[1], p[2]) == want:
                inode = p[9]
    if inode is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    for pid in [d for d in os.listdir("/proc") if d.isdigit()]:
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "bootstorm":
                    continue
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") != f"socket:[{inode}]":
                    continue
                pidfd = os.pidfd_open(int(pid))
                try:
                    n = libc.syscall(438, pidfd, int(fd), 0)  # SYS_pidfd_getfd (x86_64)
                finally:
                    os.close(pidfd)
                return socket.socket(fileno=n) if n >= 0 else None
        except OSError:
            continue
    return None


def start_idle(sn, victim):
    """A replayed registration that sends a GOSSIP (refused on a client's
    connection), then trickles a frame that never completes: closed as idle
    after 3 keepalive intervals + the registration timeout."""
    user, (key, f, m) = victim
    res = {}
    c = Conn(sn[1], sn[2], src=int2ip(key[0]))
    c.send(f)
    res["reg"] = c.read_frame(10)
    c.send(frame([12, V, [[PEER_NODES[1][0], ip2int(PEER_NODES[1][1]), SN_PORT]]]))
    t_last = time.time()  # the last complete frame
    part = struct.pack(">I", 200) + b"\x93"

    def run():
        i = 0
        end = t_last + IDLE + SLACK + 2
        while time.time() < end:
            try:
                c.s.send((part + b"z" * 200)[i:i + 1])
                i += 1
            except OSError:
                break
            r, _, _ = select.select([c.s], [], [], 1.0)
            if r:
                break
        c.t0 = t_last
        res["closed"] = c.closed_within(max(0.1, end - time.time()))
        res["bytes"] = i
        c.close()

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th, res, user


# ---------------------------------------------------------------- main

def guard(fn, *args):
    """One attack: an exception fails it, not the ones after it."""
    try:
        fn(*args)
    except Exception as e:
        check(False, f"{fn.__name__}: {e!r}")


def setup():
    global nodes, LS, SNS, SN_BY_IP, PEER_NODES, TLS, REGS, V, VICTIMS
    nodes = wait_for(read_placement, 90, 0.2) or []
    if not check(bool(nodes), "placement.csv and ca.pem written"):
        return False
    LS = role("login_server")[0]
    SNS = role("supernode")
    SN_BY_IP = {ip2int(s[1]): s for s in SNS}
    PEER_NODES = role("peer")
    peer_ips = {ip2int(p[1]) for p in PEER_NODES}
    sniffer.svc = ip2int(role("service")[0][1])
    TLS = tls_ctx()
    log(f"login server {LS}, supernodes {SNS}, {len(PEER_NODES)} peers")
    n = wait_for(lambda: online() == PEERS and online(), 60, 0.2)
    check(n == PEERS, f"all {PEERS} peers online before the attacks ({online()})")
    REGS = wait_for(lambda: (lambda r: r if len(r) >= PEERS - 2 else None)(
        sniffer.live_registrations(peer_ips)), 10, 0.2) or sniffer.live_registrations(peer_ips)
    if not check(len(REGS) >= 3, f"REGISTER frames captured off lo for {len(REGS)} live "
                 f"registrations ({sniffer.packets} packets)"):
        return False
    V = sniffer.version
    log(f"protocol version {V}; a captured REGISTER: {next(iter(REGS.values()))[2]}")
    VICTIMS = random.Random(13).sample(sorted(REGS.items()), 3)
    return True


def attack_idle_start():
    """4d, started here and judged at the end (it takes IDLE seconds)."""
    victim = VICTIMS[2]
    sn = [s for s in SNS if ip2int(s[1]) != victim[1][0][2]][0]
    w = Window(series, "4d idle")
    th, res, user = start_idle(sn, victim)
    w.close()
    check(isinstance(res["reg"], list) and res["reg"][0] == 6,
          f"4d: peer {user}'s REGISTER replayed from its address to supernode "
          f"{sn[0]}: REGISTER_OK ({str(res['reg'])[:60]})")
    w.exactly("malformed", 1, "a GOSSIP on a client's registration refused")
    w.exactly("gossip_refused", 0, "and its entries not even looked at")
    return th, res


def attack_idle_end(th, res):
    th.join(IDLE + 2 * SLACK + 5)
    dt = res.get("closed")
    check(isinstance(dt, float) and IDLE * 0.8 <= dt <= IDLE + SLACK,
          f"4d: a registered client that trickles {res.get('bytes')} bytes of a frame it "
          f"never completes is closed as idle ~{IDLE:g}s after its last complete frame "
          f"({dt if not isinstance(dt, float) else round(dt, 2)} s)")


idle_job = None
try:
    if setup():
        guard(attack_junk_ls)
        guard(attack_junk_sn, SNS[0])
        try:
            idle_job = attack_idle_start()
        except Exception as e:
            check(False, f"attack_idle_start: {e!r}")
        guard(attack_gossip, SNS[0], SNS[1])
        guard(attack_udp)
        guard(attack_slowloris)
        guard(attack_flood, SNS[1])
        guard(attack_replay)
        if idle_job:
            guard(attack_idle_end, *idle_job)
        log(f"attacks done at run time {series.now():.1f}s")
finally:
    try:
        stdout, stderr = proc.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    sniffer.stop()
    print(stdout[-2000:])
    print(stderr[-3000:], file=sys.stderr)

check(proc.returncode == 0, f"the run exits 0 ({proc.returncode})")
try:
    run = bslib.load_run(out)
except (OSError, ValueError):
    run = {}
s = run.get("summary") or {}
rows = series.rows()
check(run.get("complete") is True, "the run is complete, with its run.json")
check(s.get("online_final") == PEERS, f"every peer online at the end ({s.get('online_final')})")
after = [r for r in rows if float(r["t_s"]) > REBOOT_AT]
login_ok = sum(int(r["login_ok"]) for r in after)
reg_ok = sum(int(r["reg_ok"]) for r in after)
check(login_ok >= PEERS and reg_ok >= PEERS,
      f"after the reboot at {REBOOT_AT:g}s every peer logged in and registered again "
      f"(login_ok {login_ok}, reg_ok {reg_ok})")
for col in ["malformed", "gossip_refused", "sn_refused_forged", "conn_capped", "conn_deadline",
            "conn_idle", "conn_overflow", "sn_replaced", "sn_refused_replay"]:
    total = sum(int(r.get(col, 0)) for r in rows)
    check(col in s and s[col] == total and total > 0,
          f"run.json total {col} = {s.get(col)} = the column's sum ({total}), not 0")
check(s.get("accept_errors") == 0, f"no accept errors ({s.get('accept_errors')})")
log(f"wall time {time.time() - T_START:.1f}s")
check.done()
