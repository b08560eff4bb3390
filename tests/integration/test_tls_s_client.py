"""An independent TLS client (openssl s_client) completes a TLS 1.3
handshake with a running login server and verifies its certificate against
the run's CA and the server's IP address."""
import os
import socket
import subprocess
import time

import bslib

a = bslib.parse_args()
check = bslib.Check()
out = os.path.join(a.work, "run")
scenario = os.path.join(a.source, "tests/scenarios/small.yaml")
LS = "127.21.0.1"  # node 0 is the first login server, at network.base
proc = subprocess.Popen(
    bslib.mpirun_cmd(2, a.bin, ["run", scenario, "--out", out, "--quiet",
                                "--set", f"network.base={LS}", "--set", "duration=20s",
                                "--set", "events.1.at=10s"]),
    env=bslib.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
try:
    ca = os.path.join(out, "ca.pem")
    deadline = time.time() + 60
    up = False
    while time.time() < deadline and not up:
        try:
            with socket.create_connection((LS, 4430), timeout=1):
                up = os.path.exists(ca)
        except OSError:
            time.sleep(0.2)
    check(up, "the login server listens and ca.pem is written")

    def s_client(*extra):
        cmd = ["openssl", "s_client", "-connect", f"{LS}:4430", "-CAfile", ca,
               "-verify_return_error"] + list(extra)
        print("$ " + " ".join(cmd), flush=True)
        return subprocess.run(cmd, input="", capture_output=True, text=True, timeout=30)

    p = s_client("-tls1_3", "-verify_ip", LS)
    print(p.stdout[-1500:])
    check(p.returncode == 0, "s_client exits 0")
    check("Verify return code: 0 (ok)" in p.stdout, "certificate verified against the run's CA")
    check("TLSv1.3" in p.stdout, "TLS 1.3 negotiated")
    check("login-server-0" in p.stdout, "the server presents login-server-0's certificate")

    p = s_client("-tls1_3", "-verify_ip", "127.21.0.99")
    check(p.returncode != 0, "the certificate is refused for another IP address")

    p = s_client("-tls1_2")
    check(p.returncode != 0, "TLS 1.2 is refused (minimum is 1.3)")
finally:
    try:
        stdout, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    print(stderr[-3000:])
check(proc.returncode == 0, "the run still ends cleanly with exit 0")
run = bslib.load_run(out)
check(run["summary"]["online_final"] == 500, "and its peers all came online")
check.done()
