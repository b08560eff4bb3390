"""The report in headless Chromium: the page renders without console errors,
the DOM holds the SVG charts with real data, and a screenshot shows them.
A control page with a deliberate console error proves the error check works."""
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib

import rtlib

a = rtlib.parse_args("browser")
check = rtlib.Check()
runs = rtlib.fixture_runs(a, check)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not check(os.path.exists(CHROMIUM), f"chromium installed ({CHROMIUM})"):
    check.done()

# Report of both runs plus a copy whose fidelity is invalid (banner on the page).
bad = os.path.join(a.dir, "bad-fidelity")
shutil.copytree(runs[0], bad)
m = rtlib.load_json(os.path.join(bad, "run.json"))
m["summary"]["fidelity"]["valid"] = False
m["summary"]["fidelity"]["reason"] = "event skew p99 12 ms > 10 ms"
json.dump(m, open(os.path.join(bad, "run.json"), "w"))
page = os.path.join(a.dir, "report.html")
p = rtlib.tool(a, "report", "-o", page, *runs, bad)
check(p.returncode == 0, "report written")


def chromium(url, *args):
    """Run headless Chromium with a fresh profile and no network chatter."""
    profile = tempfile.mkdtemp(prefix="chromium-", dir=a.dir)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-extensions", "--hide-scrollbars",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"] + list(args) + [url]
    print("$ " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    shutil.rmtree(profile, ignore_errors=True)
    return r


def console_errors(stderr, url):
    """Console messages of the page (Chromium logs them as CONSOLE lines with
    the page as source), and uncaught exceptions. Chromium's own noise (dbus,
    GPU, sandbox) has neither."""
    bad = []
    for line in stderr.splitlines():
        if "Uncaught" in line or ("CONSOLE" in line and (url in line or "ERROR" in line)):
            bad.append(line)
    return bad


# The detector finds a real console error (otherwise "no errors" means nothing).
control = os.path.join(a.dir, "control.html")
open(control, "w").write("<!DOCTYPE html><title>c</title><script>console.error('boom');"
                         "undefinedFunction();</script>")
r = chromium("file://" + control, "--dump-dom")
check(len(console_errors(r.stderr, "file://" + control)) >= 1,
      "control page: the console-error check sees console.error / uncaught errors")

# The report: DOM.
url = "file://" + page
r = chromium(url, "--dump-dom")
dom = r.stdout
check(r.returncode == 0 and "</html>" in dom, "chromium dumped the DOM")
errs = console_errors(r.stderr, url)
check(not errs, f"no console errors from the page {errs[:3]}")
svgs = re.findall(r'<svg class="chart" id="([a-z_]+)"', dom)
# 8, and the registration tier's load when the runs have its column.
with open(os.path.join(runs[0], "timeseries.csv")) as f:
    n_charts = 8 + ("server_load" in f.readline().strip().split(","))
check(len(svgs) == n_charts, f"{n_charts} SVG charts in the DOM ({svgs})")
for cid in svgs:
    body = dom.split(f'id="{cid}"', 1)[1].split("</svg>", 1)[0]
    paths = re.findall(r'<path class="series" d="(M[^"]+)"', body)
    points = max((d.count("L") + 1 for d in paths), default=0)
    rects = body.count("<rect x=") - 1  # minus the clip rectangle
    if cid == "skew":
        check(rects >= 1, f"chart {cid}: has bars ({rects})")
    else:
        check(len(paths) >= 3 and points >= 15,
              f"chart {cid}: {len(paths)} series paths, the longest with {points} points")
check('class="banner fidelity"' in dom and "event skew p99 12 ms" in dom,
      "the fidelity banner is rendered with its reason")

# The report: pixels.
shot = os.path.join(a.dir, "report.png")
r = chromium(url, f"--screenshot={shot}", "--window-size=1280,2000")
if not check(os.path.exists(shot), "screenshot written"):
    check.done()
errs = console_errors(r.stderr, url)
check(not errs, f"no console errors while rendering the screenshot {errs[:3]}")


def png_pixels(path):
    """Decode an 8-bit RGB/RGBA PNG with zlib (no PIL): width, height, rows."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and ctype in (2, 6), f"PNG type {ctype}/{depth}"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((x + u) & 255 for x, u in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                up, ul = prev[i], prev[i - bpp] if i >= bpp else 0
                pp = left + up - ul
                pa, pb, pc = abs(pp - left), abs(pp - up), abs(pp - ul)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else ul
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


w, h, bpp, rows = png_pixels(shot)
check((w, h) == (1280, 2000), f"screenshot is 1280x2000 ({w}x{h})")
colours, blue = set(), 0
for y in range(0, h, 2):
    row = rows[y]
    for x in range(0, w * bpp, bpp):
        px = row[x:x + 3]
        colours.add(px)
        # The first run's colour #2563c9: chart lines were painted.
        if abs(px[0] - 0x25) < 40 and abs(px[1] - 0x63) < 40 and abs(px[2] - 0xc9) < 40:
            blue += 1
check(len(colours) > 50, f"the screenshot is not blank ({len(colours)} colours sampled)")
check(blue > 500, f"chart lines in the first run's colour are visible ({blue} samples)")
check(os.path.getsize(shot) > 30000, "the screenshot PNG is non-trivial in size")
check.done()
