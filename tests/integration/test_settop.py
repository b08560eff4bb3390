"""Set-top boxes after a power cut (architecture: settop) under mpirun -np 3:
two node ranks of boxes, the head-end on one of them.

1. each method (carousel, fountain, unicast) with 200 boxes: every box ends
   online, with an image whose SHA-256 it checked (settop.verify 1; the
   fountain boxes decoded for real with liblcrq);
2. broadcast cost: the carousel's head-end egress with 400 boxes is the
   same as with 200 (one datagram per rank and slot, never per box), while
   unicast's grows with the boxes;
3. loss: with 5% loss on every box's link, carousel boxes need more cycles
   than fountain boxes (a lost block costs a whole cycle; a lost symbol is
   replaced by the next one);
4. a hostile datagram sent to a rank's receiver (wrong image, wrong index,
   wrong size, not msgpack) is counted and dropped, and the boxes still
   finish."""
import os
import socket
import struct
import subprocess
import time

import bslib

a = bslib.parse_args()
check = bslib.Check()
scenario = os.path.join(a.source, "tests/scenarios/settop.yaml")

IMAGE = 64 * 1024
BLOCK = 512
K = IMAGE // BLOCK
COMMON = ["settop.image.size=65536", f"settop.image.block={BLOCK}", "settop.channel.bitrate=38mbit",
          "settop.carousel.bitrate=4mbit", "duration=14s",
          "events=[{at: 1s, boot: {fraction: 1, over: 1s}}]"]


def args_for(name, base, sets):
    out = os.path.join(a.work, name)
    args = ["run", scenario, "--out", out, "--quiet", "--set", f"network.base={base}"]
    for s in COMMON + sets:
        args += ["--set", s]
    return out, bslib.mpirun_cmd(3, a.bin, args)


def total(rows, name):
    return sum(int(r[name]) for r in rows)


def run(name, base, sets, timeout=400):
    out, cmd = args_for(name, base, sets)
    p = bslib.run(cmd, timeout)
    check(p.returncode == 0, f"{name}: exit 0")
    rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
    return out, rows, bslib.load_run(out)


def all_verified(name, n, rows, run_json):
    st = run_json["summary"].get("settop", run_json.get("settop", {}))
    check(int(rows[-1]["online"]) == n, f"{name}: all {n} boxes online ({rows[-1]['online']})")
    check(total(rows, "img_ok") >= n and total(rows, "img_verified") == total(rows, "img_ok"),
          f"{name}: every image checked ({total(rows, 'img_verified')} verified of "
          f"{total(rows, 'img_ok')})")
    check(total(rows, "img_corrupt") == 0 and total(rows, "img_bad") == 0,
          f"{name}: no corrupt image, no bad block")
    return st


# ---- 1 and 2: each method, and the cost of broadcast
runs = {}
for name, base, method, n in (("carousel-200", "127.61.0.1", "carousel", 200),
                              ("carousel-400", "127.62.0.1", "carousel", 400),
                              ("fountain-200", "127.63.0.1", "fountain", 200),
                              ("unicast-200", "127.64.0.1", "unicast", 200),
                              ("unicast-400", "127.65.0.1", "unicast", 400)):
    # No stop_when: the egress of runs of the same length is compared.
    out, rows, rj = run(name, base, [f"settop.method={method}", f"nodes.peers={n}",
                                     "settop.verify=1", "stop_when=~"])
    all_verified(name, n, rows, rj)
    runs[name] = (rows, rj)

fountain_rows = runs["fountain-200"][0]
check(total(fountain_rows, "fec_decodes") == 200,
      f"fountain-200: 200 real RaptorQ decodes ({total(fountain_rows, 'fec_decodes')})")

c200 = total(runs["carousel-200"][0], "he_egress_bytes")
c400 = total(runs["carousel-400"][0], "he_egress_bytes")
check(c200 > 0 and abs(c400 - c200) <= 0.05 * c200,
      f"broadcast: carousel egress does not grow with the boxes ({c200} B for 200, "
      f"{c400} B for 400)")
d200 = total(runs["carousel-200"][0], "he_datagrams")
d400 = total(runs["carousel-400"][0], "he_datagrams")
check(abs(d400 - d200) <= 0.05 * d200,
      f"broadcast: nor do its datagrams ({d200} for 200, {d400} for 400)")
u200 = total(runs["unicast-200"][0], "he_egress_bytes")
u400 = total(runs["unicast-400"][0], "he_egress_bytes")
check(u200 >= 200 * IMAGE and u400 >= 400 * IMAGE and u400 > 1.8 * u200,
      f"unicast: egress grows with the boxes ({u200} B for 200, {u400} B for 400)")


# ---- 3. loss: whole cycles for the carousel, a few symbols for the fountain
def cycles_mean(rj):
    st = rj["summary"].get("settop") or rj.get("settop") or {}
    return st.get("cycles_per_box", {}).get("mean")


lossy = {}
for name, base, method in (("carousel-loss", "127.66.0.1", "carousel"),
                           ("fountain-loss", "127.67.0.1", "fountain")):
    out, rows, rj = run(name, base, [f"settop.method={method}", "nodes.peers=200",
                                     "settop.verify=0.5", "settop.downstream.loss=0.05"])
    check(int(rows[-1]["online"]) == 200, f"{name}: all 200 boxes online with 5% loss")
    check(total(rows, "img_lost") > 0, f"{name}: the links lost blocks ({total(rows, 'img_lost')})")
    lossy[method] = cycles_mean(rj)
check(lossy["carousel"] is not None and lossy["fountain"] is not None and
      lossy["fountain"] < lossy["carousel"],
      f"loss: fountain boxes needed fewer cycles than carousel boxes "
      f"({lossy['fountain']} against {lossy['carousel']})")


# ---- 4. hostile datagrams at a rank's receiver
def placement(out):
    return bslib.load_csv(os.path.join(out, "placement.csv"))


out, cmd = args_for("hostile", "127.68.0.1", ["settop.method=carousel", "nodes.peers=100",
                                              "duration=12s", "settop.carousel.port=4437"])
p = subprocess.Popen(cmd, env=bslib.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
# The receivers sit at each rank's first box; the boxes of rank 1 come first
# in id order. Send garbage to every box address: those of the receivers
# count it, the others are closed ports.
deadline = time.time() + 60
while not os.path.exists(os.path.join(out, "placement.csv")) and time.time() < deadline:
    time.sleep(0.2)
time.sleep(1.5)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent = 0
if os.path.exists(os.path.join(out, "placement.csv")):
    boxes = [r for r in placement(out) if r["role"] == "peer"][:4]
    for r in boxes:
        ip = r["address"].rsplit(":", 1)[0]
        for payload in (b"\xc1garbage",
                        # [27, 1, image_id 0, index 0, bin 512]: another image
                        bytes([0x95, 27, 1, 0, 0, 0xc5, 0x02, 0x00]) + b"x" * 512,
                        # the right id is unknown to us here: an index far out of range
                        bytes([0x95, 27, 1, 0xce]) + struct.pack(">I", 1) +
                        bytes([0xce, 0x7f, 0xff, 0xff, 0xff, 0xc4, 3]) + b"abc"):
            try:
                sock.sendto(payload, (ip, 4437))
                sent += 1
            except OSError:
                pass
stdout, stderr = p.communicate(timeout=300)
check(p.returncode == 0, "hostile: exit 0")
check(sent > 0, f"hostile: sent {sent} hostile datagrams")
rows = bslib.load_csv(os.path.join(out, "timeseries.csv"))
check(total(rows, "img_bad") + total(rows, "malformed") >= 2,
      f"hostile: counted and dropped (img_bad {total(rows, 'img_bad')}, "
      f"malformed {total(rows, 'malformed')})")
check(int(rows[-1]["online"]) == 100, f"hostile: all 100 boxes online ({rows[-1]['online']})")

check.done()
