"""The target fixtures themselves (scenarios/targets, targetlib): nginx's login
API answers, refuses logins over its rate with 503 and Retry-After, and its
access log counts exactly what was asked; mosquitto accepts CONNECTs, refuses
them over max_connections (closed, no CONNACK), over the connect rate and
over max_clients (CONNACK 3), and its log counts exactly what was sent.

Independent of machine speed: the rates are tiny (nginx 1 login a minute,
mosquitto 1 CONNECT per 100 s), so what passes is exactly the burst, however
long the hammering takes (well under a minute)."""
import collections
import http.client
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time

import bslib
import targetlib

a = bslib.parse_args()
check = bslib.Check()
started = time.monotonic()
CURL = shutil.which("curl")


# ---- nginx ----

def https(srv, host=None):
    ctx = ssl.create_default_context(cafile=srv.ca_file)
    return http.client.HTTPSConnection(host or srv.host, srv.port, context=ctx, timeout=10)


def curl(srv, *args):
    cmd = [CURL, "-sS", "--cacert", srv.ca_file, "-o", "/dev/null", "-w", "%{http_code}"] + \
        list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    print("$ " + " ".join(cmd) + " -> " + p.stdout + p.stderr.strip(), flush=True)
    return int(p.stdout or 0)


def request(conn, method, path, headers=None, body=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    r.read()
    return r


# serve's defaults make a valid configuration (nginx -t on it)
defaults_dir = os.path.join(a.work, "nginx-defaults")
p = subprocess.run([targetlib.SERVE, "nginx", "--dir", defaults_dir, "--prepare-only"],
                   capture_output=True, text=True)
check(p.returncode == 0 and "rate=300r/s" in open(os.path.join(defaults_dir, "nginx.conf")).read(),
      "serve nginx --prepare-only with the defaults (300 r/s)")
p = subprocess.run(["nginx", "-t", "-p", defaults_dir + "/", "-c",
                    os.path.join(defaults_dir, "nginx.conf")], capture_output=True, text=True)
check(p.returncode == 0, "nginx -t accepts the default configuration: " + p.stderr.strip()[-200:])

RETRY_AFTER = 7
BURST = 5
sent = collections.Counter()  # (method, prefix, status) as the clients saw them
with targetlib.nginx_server(os.path.join(a.work, "nginx"), rate=1 / 60, burst=BURST,
                            retry_after=RETRY_AFTER) as srv:
    print(f"nginx on {srv.url}, pid {srv.pid}", flush=True)
    # the first login passes (an independent client when there is one)
    if CURL:
        st = curl(srv, "-X", "POST", "-H", "X-Client-Id: 1", "-d", '{"user":1}', srv.url + "/login")
        sent[("POST", "/login", st)] += 1
        check(st == 200, "curl: POST /login answers 200")
        st = curl(srv, srv.url + "/presence")
        sent[("GET", "/presence", st)] += 1
        check(st == 200, "curl: GET /presence answers 200")
    else:
        print("(no curl: python's http.client only)")
        c = https(srv)
        st = request(c, "POST", "/login", {"X-Client-Id": "1"}, '{"user":1}').status
        sent[("POST", "/login", st)] += 1
        check(st == 200, "POST /login answers 200")
        c.close()
    logins_before = sent[("POST", "/login", 200)]

    # presence on one kept-alive connection, by IP address this time
    c = https(srv, host="127.0.0.1")
    statuses = []
    for i in range(5):
        r = request(c, "GET", f"/presence/{i}", {"X-Client-Id": str(i)})
        statuses.append(r.status)
        sent[("GET", "/presence", r.status)] += 1
    check(statuses == [200] * 5, "GET /presence/ID answers 200, 5 times (certificate valid for "
          "IP 127.0.0.1 too)")
    r = request(c, "GET", "/login")
    sent[("GET", "/login", r.status)] += 1
    check(r.status == 405, "GET /login answers 405")
    r = request(c, "GET", "/nothing")
    sent[("GET", "/nothing", r.status)] += 1
    check(r.status == 404, "an unknown path answers 404")
    c.close()

    # TLS 1.3 only
    ctx12 = ssl.create_default_context(cafile=srv.ca_file)
    ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        with socket.create_connection((srv.address, srv.port), timeout=5) as s:
            with ctx12.wrap_socket(s, server_hostname=srv.host):
                tls12 = "accepted"
    except ssl.SSLError as e:
        tls12 = "refused: " + str(e)
    check(tls12.startswith("refused"), "TLS 1.2 is refused (" + tls12[:80] + ")")

    # hammer: 10 connections x 6 logins at once, far over burst 5
    results = []
    lock = threading.Lock()
    barrier = threading.Barrier(10)

    def hammer(n):
        conn = https(srv)
        conn.connect()
        barrier.wait()
        for i in range(6):
            r = request(conn, "POST", "/login", {"X-Client-Id": f"{n}-{i}",
                                                 "Content-Type": "application/json"}, "{}")
            with lock:
                results.append((r.status, r.getheader("Retry-After"),
                                r.getheader("Connection")))
        conn.close()

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for st, _, _ in results:
        sent[("POST", "/login", st)] += 1
    ok = sum(1 for r in results if r[0] == 200)
    busy = [r for r in results if r[0] == 503]
    check(len(results) == 60, f"60 hammered logins answered ({len(results)})")
    check(ok + logins_before == BURST + 1,
          f"exactly burst + 1 = {BURST + 1} logins passed in all ({logins_before} + {ok})")
    check(len(busy) == 60 - ok, f"the other {60 - ok} got 503 ({len(busy)})")
    check(all(r[1] == str(RETRY_AFTER) for r in busy),
          f"every 503 carries Retry-After: {RETRY_AFTER}")
    check(all((r[2] or "").lower() == "keep-alive" for r in busy),
          "a 503 keeps the connection open (Connection: keep-alive)")

    srv.settle()
    got = srv.counts()
    print("access.log:", dict(got))
    print("clients:   ", dict(sent))
    check(got == sent, "access.log's counts by (method, path, status) match the requests exactly")
    check(srv.count(method="POST", prefix="/login", status=503) == len(busy),
          "count(POST, /login, 503) is the refusals")
    reqs = srv.requests()
    hammered = {r.connection for r in reqs if re.fullmatch(r"\d+-\d+", r.client_id)}
    check(len(hammered) == 10, f"the hammer's 60 requests came on its 10 connections "
          f"({len(hammered)}): keep-alive through 503s")
    check(any(r.uri == "/presence/4" and r.connection_requests == 5 and r.client_id == "4"
              for r in reqs), "the 5th presence request was the 5th on its connection, with "
          "its X-Client-Id logged")
check(srv.proc.returncode == 0, f"nginx stopped cleanly ({srv.proc.returncode})")


# ---- mosquitto ----

def rl(n):
    out = b""
    while True:
        d, n = n % 128, n // 128
        out += bytes([d | 0x80 if n else d])
        if not n:
            return out


def mstr(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def connect_packet(client_id, version=4, keepalive=60):
    vh = mstr("MQTT") + bytes([version, 0x02]) + struct.pack("!H", keepalive)
    if version == 5:
        vh += b"\x00"  # no properties
    body = vh + mstr(client_id)
    return b"\x10" + rl(len(body)) + body


def mqtt_connect(srv, client_id, version=4):
    """CONNECT on a new connection. Returns (what, sock): what is the reply's
    bytes as hex (the CONNACK), or "closed" when the connection ended with
    no reply (EOF or reset); sock is open only after CONNACK 0."""
    s = socket.create_connection((srv.address, srv.port), timeout=10)
    try:
        s.sendall(connect_packet(client_id, version))
        data = b""
        while len(data) < 2 or len(data) < 2 + data[1]:
            chunk = s.recv(16)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        data = b""
    if not data:
        s.close()
        return "closed", None
    if data[:4] == b"\x20\x02\x00\x00" or (version == 5 and data[3:4] == b"\x00"):
        return data.hex(), s
    s.close()
    return data.hex(), None


def read_packet(s):
    head = s.recv(1)
    n, mult = 0, 1
    while True:
        b = s.recv(1)[0]
        n += (b & 0x7F) * mult
        mult *= 128
        if not b & 0x80:
            break
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    return head[0], body


def hammer_connects(srv, prefix, n):
    """n CONNECTs at once, one connection each; the list of replies."""
    out = [None] * n
    barrier = threading.Barrier(n)

    def one(i):
        barrier.wait()
        out[i] = mqtt_connect(srv, f"{prefix}{i}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def wait_log(srv, what, n, timeout=10):
    deadline = time.monotonic() + timeout
    while srv.counts()[what] < n and time.monotonic() < deadline:
        time.sleep(0.05)
    return srv.counts()[what]


CONNACK0, CONNACK3, CONNACK5 = "20020000", "20020003", "20020005"

# rate: 1 CONNECT per 100 s, burst 3
with targetlib.mosquitto_server(os.path.join(a.work, "mosquitto-rate"), rate=0.01,
                                burst=3) as srv:
    print(f"mosquitto on {srv.address}:{srv.port}, pid {srv.pid}", flush=True)
    p = subprocess.run(["mosquitto_pub", "-h", srv.address, "-p", str(srv.port), "-i", "pub1",
                        "-t", "bootstorm/test", "-m", "hello"], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode == 0, "mosquitto_pub: CONNECT accepted, PUBLISH, DISCONNECT " + p.stderr)
    what, s = mqtt_connect(srv, "sub1")
    check(what == CONNACK0, f"a raw 3.1.1 CONNECT gets CONNACK 0 ({what})")
    s.sendall(b"\x82" + rl(2 + 2 + 1 + 1) + struct.pack("!H", 1) + mstr("a") + b"\x00")
    t, body = read_packet(s)
    check(t == 0x90 and body == b"\x00\x01\x00", f"SUBSCRIBE gets SUBACK granted QoS 0 ({t:#x})")
    s.sendall(b"\xc0\x00")
    t, _ = read_packet(s)
    check(t == 0xD0, "PINGREQ gets PINGRESP")
    s.sendall(b"\x30" + rl(2 + 1 + 2) + mstr("a") + b"hi")
    t, body = read_packet(s)
    check(t == 0x30 and body.endswith(b"hi"), "its own PUBLISH comes back to the subscriber")
    s.sendall(b"\xe0\x00")
    s.close()
    # one token left: 12 CONNECTs at once
    replies = hammer_connects(srv, "storm", 12)
    acc = [r for r in replies if r[0] == CONNACK0]
    ref = [r for r in replies if r[0] == CONNACK3]
    check(len(acc) == 1 and len(ref) == 11,
          f"12 CONNECTs at once over the rate: 1 CONNACK 0, 11 CONNACK 3 "
          f"({collections.Counter(r[0] for r in replies)})")
    for _, sock in acc:
        sock.close()
    p = subprocess.run(["mosquitto_pub", "-h", srv.address, "-p", str(srv.port), "-i", "pub2",
                        "-t", "bootstorm/test", "-m", "x"], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode != 0 and "broker unavailable" in p.stderr,
          "mosquitto_pub over the rate: " + p.stderr.strip())
    what, _ = mqtt_connect(srv, "v5", version=5)
    check(what == "2003009f00", f"an MQTT 5 CONNECT over the rate: reason 0x9F, connection rate "
          f"exceeded ({what})")
    srv.settle()
    c = srv.counts()
    print({k: v for k, v in c.items() if v})
    check(c["accepted"] == 3, f"log: 3 CONNECTs accepted ({c['accepted']})")
    check(c["refused_by"] == {("rate", "connack 3"): 12, ("rate", "connack 159"): 1},
          f"log: 12 refused with CONNACK 3 and 1 with 0x9F, all for the rate "
          f"({dict(c['refused_by'])})")
    check(c["connections"] == 16, f"log: 16 TCP connections ({c['connections']})")
    check((c["subscribe"], c["pingreq"], c["publish"], c["disconnect"]) == (1, 1, 2, 2),
          "log: 1 SUBSCRIBE, 1 PINGREQ, 2 PUBLISH, 2 DISCONNECT "
          f"({c['subscribe']}, {c['pingreq']}, {c['publish']}, {c['disconnect']})")
    check(c["connack"] == {0: 3} and c["max_connections"] == 0,
          f"log: the broker itself sent 3 CONNACK 0 and refused none ({dict(c['connack'])})")
check(srv.proc.returncode == 0, f"mosquitto stopped cleanly ({srv.proc.returncode})")

# max_connections 3 (no rate limit to speak of)
with targetlib.mosquitto_server(os.path.join(a.work, "mosquitto-maxconn"), rate=1000,
                                burst=1000, max_connections=3) as srv:
    held = [mqtt_connect(srv, f"hold{i}") for i in range(3)]
    check([w for w, _ in held] == [CONNACK0] * 3, "3 clients connected (max_connections 3)")
    over = [mqtt_connect(srv, f"over{i}")[0] for i in range(3)]
    check(over == ["closed"] * 3, f"3 more: each TCP connection accepted and closed at once, "
          f"no CONNACK ({over})")
    c = srv.counts()
    check((c["max_connections"], c["accepted"]) == (3, 3),
          f"log: 3 denied for max_connections, 3 accepted ({c['max_connections']}, "
          f"{c['accepted']})")
    # 2.0.11 counts each disconnect twice (fixed upstream in 2.0.12): after
    # the 3 leave, 6 get in
    for _, s in held:
        s.sendall(b"\xe0\x00")
        s.close()
    check(wait_log(srv, "disconnect", 3) == 3, "the 3 disconnected")
    time.sleep(0.3)  # the broker frees them at the top of its next loop
    version = "2.0.11" if "mosquitto version 2.0.11 running" in srv.log_text() else "other"
    again = [mqtt_connect(srv, f"again{i}") for i in range(7)]
    n_in = sum(1 for w, _ in again if w == CONNACK0)
    print(f"after 3 disconnects, {n_in} of 7 got in under max_connections 3 (mosquitto {version})")
    if version == "2.0.11":
        check(n_in == 6 and again[6][0] == "closed",
              f"mosquitto 2.0.11's max_connections drifts: after 3 disconnects 6 got in, the "
              f"7th closed ({[w for w, _ in again]})")
    else:
        check(n_in == 3, f"max_connections holds after disconnects ({n_in})")
    for _, s in again:
        if s:
            s.close()

# max_clients 2 (the plugin's exact cap) and the other refusal modes
with targetlib.mosquitto_server(os.path.join(a.work, "mosquitto-maxclients"), rate=1000,
                                burst=1000, max_clients=2) as srv:
    held = [mqtt_connect(srv, f"hold{i}") for i in range(2)]
    over = [mqtt_connect(srv, f"over{i}")[0] for i in range(3)]
    check([w for w, _ in held] == [CONNACK0] * 2 and over == [CONNACK3] * 3,
          f"max_clients 2: 2 in, 3 more get CONNACK 3 ({over})")
    held[0][1].close()  # without DISCONNECT
    check(wait_log(srv, "closed", 1) == 1, "one leaves")
    what, s = mqtt_connect(srv, "next")
    check(what == CONNACK0, f"then one more gets in ({what})")
    what2, _ = mqtt_connect(srv, "over-again")
    check(what2 == CONNACK3, f"and the next is refused again ({what2})")
    s.close()
    held[1][1].close()
    srv.settle()
    c = srv.counts()
    check(c["refused_by"] == {("max_clients", "connack 3"): 4} and c["accepted"] == 3,
          f"log: 4 refused for max_clients with CONNACK 3, 3 accepted ({dict(c['refused_by'])}, "
          f"{c['accepted']})")

# the TLS listener: TLS 1.3 with the CA's certificate; a refusal there closes
with targetlib.mosquitto_server(os.path.join(a.work, "mosquitto-tls"), rate=0.01, burst=1,
                                tls=True) as srv:
    ctx = ssl.create_default_context(cafile=srv.ca_file)

    def tls_connect(client_id):
        with socket.create_connection((srv.address, srv.tls_port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                version = s.version()
                s.sendall(connect_packet(client_id))
                try:
                    reply = s.recv(16).hex() or "closed"
                except (ConnectionResetError, ssl.SSLError):
                    reply = "closed"
                if reply == CONNACK0:
                    s.sendall(b"\xe0\x00")
                return version, reply

    first = tls_connect("tls1")
    second = tls_connect("tls2")
    srv.settle()
    c = srv.counts()
    check(first == ("TLSv1.3", CONNACK0) and second == ("TLSv1.3", "closed") and
          c["refused_by"] == {("rate", "closed"): 1},
          f"TLS listener: TLS 1.3, CONNACK 0, then over the rate closed without CONNACK "
          f"({first}, {second}, {dict(c['refused_by'])})")

for mode, want, action in (("auth", CONNACK5, "connack 5"), ("close", "closed", "closed")):
    with targetlib.mosquitto_server(os.path.join(a.work, "mosquitto-" + mode), rate=0.01,
                                    burst=1, refuse=mode) as srv:
        first, s = mqtt_connect(srv, "first")
        second, _ = mqtt_connect(srv, "second")
        s.close()
        srv.settle()
        c = srv.counts()
        check(first == CONNACK0 and second == want and
              c["refused_by"] == {("rate", action): 1},
              f"refuse {mode}: over the rate the client sees {second} (log: {action})")

# nothing left running
left = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
mine = [ln for ln in left.splitlines() if a.work in ln and ("nginx" in ln or "mosquitto" in ln)]
check(not mine, "no server left running: " + "; ".join(mine))
print(f"took {time.monotonic() - started:.1f} s")
check.done()
