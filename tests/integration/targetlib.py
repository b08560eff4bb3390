"""Real servers for the target architecture's integration tests (stdlib only).

    with targetlib.nginx_server(work_dir, rate=1, burst=5) as srv:
        ... point peers at srv.host / srv.address, srv.port, srv.ca_file ...
        srv.settle()
        srv.count(method="POST", prefix="/login", status=503)

    with targetlib.mosquitto_server(work_dir, rate=0.01, burst=3) as srv:
        ... srv.counts()["accepted"] ...

Each context manager starts the server through scenarios/targets/serve (in
the foreground, its own process group), waits until it is ready, and stops it
on exit, exceptions included (SIGTERM, then SIGKILL to the group after 10 s).
scenarios/targets/README.md says what each server does over its numbers.
"""
import collections
import contextlib
import os
import re
import signal
import socket
import subprocess
import time

SOURCE = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SERVE = os.path.join(SOURCE, "scenarios", "targets", "serve")
HOST = "127.0.0.1"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _tail(path, n=4000):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-n:]
    except OSError:
        return "(no " + path + ")"


class Server:
    """A running target: where it is, its logs, and stop()."""

    kind = None

    def __init__(self, work_dir, port, numbers):
        self.dir = os.path.abspath(work_dir)
        self.port = port
        self.address = HOST          # what to connect to (target.address)
        self.host = HOST             # the name to use (target.host)
        self.ca_file = None          # the CA that signed the TLS certificate
        self.output = os.path.join(self.dir, "serve.out")  # serve's own output
        self.numbers = dict(numbers)
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def _command(self):
        cmd = [SERVE, self.kind, "--dir", self.dir, "--port", str(self.port)]
        for k, v in sorted(self.numbers.items()):
            cmd += ["--" + k.replace("_", "-"), str(v)]
        return cmd

    def start(self, timeout=15):
        os.makedirs(self.dir, exist_ok=True)
        for p in self._fresh_logs():
            if os.path.exists(p):
                os.remove(p)
        with open(self.output, "w") as out:
            self.proc = subprocess.Popen(self._command(), stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self._fail(f"exited with status {self.proc.returncode} before it was ready")
            if self._ready():
                return self
            if time.monotonic() > deadline:
                self.stop()
                self._fail(f"not ready after {timeout} s")
            time.sleep(0.05)

    def _fail(self, why):
        raise RuntimeError(f"{self.kind} on {HOST}:{self.port} {why}\n"
                           f"--- {self.output}\n{_tail(self.output)}\n"
                           + "".join(f"--- {p}\n{_tail(p)}\n" for p in self._fresh_logs()))

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL to the whole process group (nginx's worker
        too); returns the server's exit status."""
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else None
        try:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # leftovers of the group, if any
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        return self.proc.returncode

    def settle(self, quiet=0.3, timeout=10):
        """Wait until the log has not grown for `quiet` seconds: a server
        writes a request's line after answering it."""
        last, since = -1, time.monotonic()
        deadline = since + timeout
        while time.monotonic() < deadline:
            try:
                size = os.path.getsize(self.log)
            except OSError:
                size = 0
            now = time.monotonic()
            if size != last:
                last, since = size, now
            elif now - since >= quiet:
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.log} still growing after {timeout} s")

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


class Nginx(Server):
    """nginx: self.log is access.log, one line per request:
    msec method request_uri status request_time connection
    connection_requests client_id (scenarios/targets/nginx.conf)."""

    kind = "nginx"
    Request = collections.namedtuple(
        "Request", "msec method uri status request_time connection connection_requests client_id")

    def __init__(self, work_dir, port, numbers):
        super().__init__(work_dir, port, numbers)
        self.host = "localhost"      # the certificate's name (also IP:127.0.0.1)
        self.ca_file = os.path.join(self.dir, "ca.pem")
        self.log = self.access_log = os.path.join(self.dir, "access.log")
        self.error_log = os.path.join(self.dir, "error.log")
        self.url = f"https://localhost:{port}"

    def _fresh_logs(self):
        return [self.access_log, self.error_log]

    def _ready(self):
        if "start worker process" not in _tail(self.error_log, 100000):
            return False
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5):
                return True  # a bare connection leaves no line in access.log
        except OSError:
            return False

    def requests(self):
        """Every request in access.log, in order (Request tuples; status,
        connection and connection_requests as ints; "-" for what was empty)."""
        out = []
        for line in self.log_text().splitlines():
            f = line.split(" ", 7)
            if len(f) < 8:
                continue
            out.append(self.Request(float(f[0]), f[1], f[2], int(f[3]), float(f[4]),
                                    int(f[5]), int(f[6]), f[7]))
        return out

    def count(self, method=None, prefix=None, status=None):
        """Requests whose method is `method`, whose URI (path and query as
        sent) starts with `prefix` and whose status is `status`; None matches
        anything."""
        return sum(1 for r in self.requests()
                   if (method is None or r.method == method)
                   and (prefix is None or r.uri.startswith(prefix))
                   and (status is None or r.status == status))

    def counts(self, prefixes=("/login", "/presence")):
        """Counter of (method, prefix, status): the first of `prefixes` that
        the URI starts with, else the URI's path."""
        c = collections.Counter()
        for r in self.requests():
            p = next((p for p in prefixes if r.uri.startswith(p)), r.uri.split("?")[0])
            c[(r.method, p, r.status)] += 1
        return c

    def connections(self):
        """Distinct connections that carried at least one request."""
        return len({r.connection for r in self.requests()})


class Mosquitto(Server):
    """mosquitto: self.log is mosquitto.log (log_type all, connection
    messages, the rate-limit plugin's refusals)."""

    kind = "mosquitto"
    PATTERNS = {
        # a TCP connection accepted (max_connections refusals excluded)
        "connections": re.compile(r"^\d+: New connection from "),
        # CONNECT accepted: the broker sends CONNACK 0 next
        "accepted": re.compile(r"^\d+: New client connected from "),
        # refused by the broker's max_connections: accepted, closed, no CONNACK
        "max_connections": re.compile(r"^\d+: Client connection from .* denied: "
                                      r"max_connections exceeded\.$"),
        "pingreq": re.compile(r"^\d+: Received PINGREQ from "),
        "subscribe": re.compile(r"^\d+: Received SUBSCRIBE from "),
        "publish": re.compile(r"^\d+: Received PUBLISH from "),
        # the client sent DISCONNECT
        "disconnect": re.compile(r"^\d+: Received DISCONNECT from "),
        # the client closed the connection without DISCONNECT
        "closed": re.compile(r"^\d+: Client .* closed its connection\.$"),
        "keepalive_timeout": re.compile(r"^\d+: Client .* has exceeded timeout, disconnecting\.$"),
    }
    REFUSED = re.compile(r"^\d+: ratelimit: refused client .* from \S+: "
                         r"(rate|max_clients) \((connack \d+|closed)\)$")
    CONNACK = re.compile(r"^\d+: Sending CONNACK to .* \((\d+), (\d+)\)$")

    def __init__(self, work_dir, port, numbers):
        super().__init__(work_dir, port, numbers)
        self.log = os.path.join(self.dir, "mosquitto.log")
        # the TLS listener, when asked for: name localhost (or 127.0.0.1)
        self.tls_port = numbers.get("tls_port") or None
        if self.tls_port:
            self.ca_file = os.path.join(self.dir, "ca.pem")

    def _fresh_logs(self):
        return [self.log]

    def _ready(self):
        # Not a probe connection: it would show in the counts (and, in
        # 2.0.11, loosen max_connections; see README.md).
        text = _tail(self.log, 100000)
        return f"Opening ipv4 listen socket on port {self.port}." in text and \
            " running" in text and (not self.tls_port or
                                    f"listen socket on port {self.tls_port}." in text)

    def counts(self):
        """Counts from the log. Keys (0 when none):
        connections        TCP connections accepted (max_connections refusals
                           not included: they log no "New connection")
        accepted           CONNECTs accepted (the broker sent CONNACK 0)
        refused            CONNECTs refused by the plugin, all reasons
        refused_rate       ... over the connection rate
        refused_max_clients ... over plugin_opt_max_clients
        refused_by         Counter of (reason, action), action "connack 3",
                           "connack 5", "connack 159" (MQTT 5) or "closed"
        max_connections    connections refused by the broker's max_connections
        connack            Counter of the return codes of the CONNACKs the
                           broker sent itself (not the plugin's CONNACK 3)
        pingreq, subscribe, publish, disconnect   packets received
        closed             connections closed by the client without DISCONNECT
        keepalive_timeout  clients dropped for missing their keepalive"""
        c = {k: 0 for k in self.PATTERNS}
        refused_by = collections.Counter()
        connack = collections.Counter()
        for line in self.log_text().splitlines():
            m = self.REFUSED.match(line)
            if m:
                refused_by[(m.group(1), m.group(2))] += 1
                continue
            m = self.CONNACK.match(line)
            if m:
                connack[int(m.group(2))] += 1
                continue
            for k, rx in self.PATTERNS.items():
                if rx.match(line):
                    c[k] += 1
                    break
        c["refused_by"] = refused_by
        c["refused_rate"] = sum(n for (r, _), n in refused_by.items() if r == "rate")
        c["refused_max_clients"] = sum(n for (r, _), n in refused_by.items()
                                       if r == "max_clients")
        c["refused"] = sum(refused_by.values())
        c["connack"] = connack
        return c


@contextlib.contextmanager
def _serve(cls, work_dir, port, numbers, timeout):
    srv = cls(work_dir, port if port is not None else free_port(), numbers)
    srv.start(timeout)
    try:
        yield srv
    finally:
        srv.stop()


def nginx_server(work_dir, port=None, timeout=15, **numbers):
    """nginx (HTTPS login API) from scenarios/targets/serve in work_dir.
    numbers: rate, burst, retry_after, max_connections (serve's options)."""
    return _serve(Nginx, work_dir, port, numbers, timeout)


def mosquitto_server(work_dir, port=None, timeout=15, tls=False, **numbers):
    """mosquitto (MQTT broker) from scenarios/targets/serve in work_dir.
    numbers: rate, burst, max_connections, max_clients, refuse, tls_port.
    tls=True adds the TLS listener on a free port (srv.tls_port, srv.ca_file)
    unless tls_port names one."""
    if tls and not numbers.get("tls_port"):
        numbers["tls_port"] = free_port()
    return _serve(Mosquitto, work_dir, port, numbers, timeout)
