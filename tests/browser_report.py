#!/usr/bin/env python3
"""browser_report.py TCPCLOSE CASES_DIR OUT_DIR - the HTML report as a
browser shows it.

Plays the seed cases (three waves, four waves, RST) over both families with
`tcpclose run --json --html`, then opens the report in headless Chromium:
  - the DOM (--dump-dom) has one <svg class="sequence"> per case of the
    results, one .segment per segment (each titled with its tcpdump line),
    one .state per transition, no <script>;
  - the screenshot (--screenshot) is not blank, and shows the colours of the
    drawing: FIN arrows blue, the RST red, state labels' fills.
The screenshots stay in OUT_DIR to be looked at. Exit 0 when all hold, 1
with one line per failed check otherwise, 77 (skipped) without chromium.
"""
import html.parser
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SEEDS = ["server-close-on-eof", "server-close-delayed", "client-linger-reset"]
FIN_BLUE = (0x1D, 0x4E, 0xD8)
RST_RED = (0xDC, 0x26, 0x26)
ESTABLISHED_FILL = (0xDC, 0xFC, 0xE7)
TIME_WAIT_FILL = (0xED, 0xE9, 0xFE)


class Dom(html.parser.HTMLParser):
    """Counts the report's markup: diagrams, segments and their titles, states."""

    def __init__(self):
        super().__init__()
        self.sequences = self.segments = self.states = self.scripts = 0
        self.titles = []
        self.in_segment_title = False
        self.open_segment = False

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "svg" and "sequence" in classes:
            self.sequences += 1
        if tag == "g" and "segment" in classes:
            self.segments += 1
            self.open_segment = True
        if tag == "g" and "state" in classes:
            self.states += 1
        if tag == "script":
            self.scripts += 1
        if tag == "title" and self.open_segment:
            self.in_segment_title = True
            self.titles.append("")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_segment_title = False
            self.open_segment = False

    def handle_data(self, data):
        if self.in_segment_title:
            self.titles[-1] += data


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), "unexpected PNG format"
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def chromium(args, profile):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--user-data-dir=" + profile] + args
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def play(tcpclose, cases, out):
    results, page = os.path.join(out, "seed.json"), os.path.join(out, "seed.html")
    files = [os.path.join(cases, n + ".case") for n in SEEDS]
    run = subprocess.run([tcpclose, "run", "--family", "both", "--json", results, "--html", page] + files,
                         capture_output=True, text=True, timeout=120)
    print(run.stdout, end="")
    if run.returncode != 0:
        sys.exit("tcpclose run failed (%d): %s" % (run.returncode, run.stderr))
    return json.load(open(results)), page


def check_dom(results, page, profile, fail):
    dump = chromium(["--dump-dom", "file://" + page], profile)
    dom = Dom()
    dom.feed(dump.stdout)
    cases = results["cases"]
    segments = sum(1 for c in cases for s in c["segments"] if not s.get("dropped"))
    transitions = sum(len(c["transitions"]) for c in cases)
    print("DOM: %d svg.sequence for %d cases, %d .segment for %d segments, %d .state for %d transitions"
          % (dom.sequences, len(cases), dom.segments, segments, dom.states, transitions))
    if dom.sequences != len(cases):
        fail("expected %d svg.sequence but got %d" % (len(cases), dom.sequences))
    if dom.segments != segments or segments == 0:
        fail("expected %d .segment arrows but got %d" % (segments, dom.segments))
    if dom.states != transitions or transitions == 0:
        fail("expected %d .state labels but got %d" % (transitions, dom.states))
    untitled = [t for t in dom.titles if not t.startswith(("IP ", "IP6 "))]
    if len(dom.titles) != segments or untitled:
        fail("expected a tcpdump line as title of every segment but got %r" % (untitled[:3],))
    if dom.scripts:
        fail("expected no <script> but got %d" % dom.scripts)


def check_screenshot(page, out, profile, fail):
    shot = os.path.join(out, "report.png")
    chromium(["--screenshot=" + shot, "--window-size=1400,7000", "file://" + page], profile)
    if not os.path.exists(shot):
        return fail("expected a screenshot but chromium wrote none")
    width, height, rows = png_pixels(shot)
    colours, ink = set(), 0
    for row in rows[::2]:
        for px in row[::2]:
            colours.add(px)
            ink += px != (255, 255, 255) and px != (0xF8, 0xFA, 0xFC)
    share = ink / ((width // 2) * (height // 2))
    print("screenshot: %dx%d, %.1f%% drawn, %d colours" % (width, height, 100 * share, len(colours)))
    if share < 0.03 or len(colours) < 50:
        fail("expected a drawn page but the screenshot is %.1f%% ink in %d colours" % (100 * share, len(colours)))
    for name, rgb in (("FIN blue", FIN_BLUE), ("RST red", RST_RED), ("ESTABLISHED green", ESTABLISHED_FILL),
                      ("TIME_WAIT violet", TIME_WAIT_FILL)):
        if rgb not in colours:
            fail("expected %s %r in the screenshot but it is not there" % (name, rgb))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        print("chromium is not installed (scripts/setup installs it): skipped")
        return 77
    tcpclose, cases, out = (os.path.abspath(a) for a in sys.argv[1:])
    os.makedirs(out, exist_ok=True)
    failures = []
    results, page = play(tcpclose, cases, out)
    with tempfile.TemporaryDirectory() as profile:
        check_dom(results, page, profile, failures.append)
        check_screenshot(page, out, profile, failures.append)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
