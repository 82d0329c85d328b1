#!/usr/bin/env python3
"""check_report.py — judges what headless Chromium made of a report (used by check_report.sh).

    check_report.py --interaction-page R.html OUT.html
        writes OUT.html: a copy of the report with slider_interaction.js (beside this file) injected
        just before </body>, which moves every snapshot slider on load and writes what changed;
    check_report.py --report R.html --dom DOM.html --console CONSOLE.log [CONSOLE.log ...]
                    --interaction-dom DOM2.html --screenshot SHOT.png [--min-svgs N]
        judges the browser's output: DOM.html is the report as loaded, DOM2.html the interaction
        page after its test ran, the console logs those of both loads.

Prints one line and exits 1 at the first problem found:
- the browser logged a console message (the report's own script logs nothing, so any message is the
  browser reporting a problem: an invalid SVG attribute such as a NaN coordinate, a script error, a
  failed load, ...);
- the page has a <script> that is not the report's own: only <script data-report="slider"> (at most
  one, inline) and <script type="application/json" data-report="slider-data"> are allowed;
- fewer than N <svg> elements after parsing;
- the slider interaction test failed: it wrote no result (the page's script broke), a slider's view
  did not change when it was moved (readout, score table, attention patterns) or a cursor on its
  figures did not move, or a model with metrics/<model>/head_patterns.json beside the report has no
  slider showing its patterns;
- an image embedded in the report is not a valid PNG (checked with zlib, independently of our encoder);
- the screenshot is blank: one colour, or almost no coloured (non-grey) pixels, i.e. no plots.
Otherwise prints "ok: ..." and exits 0. Python standard library only.
"""
import argparse
import base64
import glob
import html
import os
import re
import struct
import sys
import zlib


def png_chunks(data, source):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{source}: not a PNG (bad signature)")
    at = 8
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"{source}: bad CRC in chunk {kind!r}")
        yield kind, body
        at += 12 + length


LOW7 = None  # 0x7f7f...7f as wide as the widest row seen, for byte-wise additions on big ints


def add_bytes(a, b):
    """(a[i] + b[i]) mod 256 for every byte, on whole rows at once (no carry between bytes)."""
    global LOW7
    if LOW7 is None or len(LOW7) < len(a):
        LOW7 = b"\x7f" * len(a)
    mask = int.from_bytes(LOW7[:len(a)], "big")
    x, y = int.from_bytes(a, "big"), int.from_bytes(b, "big")
    total = ((x & mask) + (y & mask)) ^ ((x ^ y) & ~mask & ((1 << (8 * len(a))) - 1))
    return total.to_bytes(len(a), "big")


NONZERO = re.compile(rb"[^\x00]")


def next_nonzero(data, start):
    found = NONZERO.search(data, start)
    return found.start() if found else len(data)


def unfilter(kind, line, previous, channels, source):
    """One scanline of PNG filter type `kind` (0-4) back to pixel bytes, given the previous row."""
    if kind not in (0, 1, 2, 3, 4):
        raise ValueError(f"{source}: unknown PNG filter type {kind}")
    if kind == 0:
        return bytes(line)
    if kind == 2:  # Up
        return add_bytes(line, previous)
    out = bytearray(line)
    n = len(out)
    # A run of zero filter bytes is a stretch where the image repeats a neighbour (screenshots are
    # mostly plain background); such runs are copied as slices, the rest decoded byte by byte.
    i = channels if kind != 3 else 0
    if kind == 4:  # Paeth's first pixel has no left neighbour: the predictor is the byte above
        out[:channels] = add_bytes(line[:channels], previous[:channels])
    end = 0  # end of the current run of zero filter bytes
    while i < n:
        if kind in (1, 4) and line[i] == 0:
            if i >= end:
                end = next_nonzero(line, i)
            if kind == 1:  # Sub: the last pixel repeats
                out[i:end] = (bytes(out[i - channels:i]) * ((end - i) // channels + 1))[:end - i]
                i = end
                continue
            if out[i - channels:i] == previous[i - channels:i]:  # Paeth: left == upper-left, so the row above repeats
                out[i:end] = previous[i:end]
                i = end
                continue
        a = out[i - channels] if i >= channels else 0
        if kind == 1:
            predicted = a
        elif kind == 3:
            predicted = (a + previous[i]) >> 1
        else:
            b, c = previous[i], previous[i - channels]
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            predicted = a if pa <= pb and pa <= pc else b if pb <= pc else c
        out[i] = (out[i] + predicted) & 0xFF
        i += 1
    return bytes(out)


def read_png(data, source):
    """Decodes an 8-bit PNG (grey, RGB, palette, grey+alpha or RGBA; no interlace).
    Returns (width, height, bytes per pixel, rows) with rows the unfiltered scanlines."""
    header, idat = None, b""
    for kind, body in png_chunks(data, source):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if header is None:
        raise ValueError(f"{source}: no IHDR chunk")
    width, height, depth, color_type, _, _, interlace = header
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(color_type)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"{source}: unsupported PNG (depth {depth}, colour type {color_type}, interlace {interlace})")
    raw = zlib.decompress(idat)
    stride = width * channels
    if len(raw) != height * (stride + 1):
        raise ValueError(f"{source}: {len(raw)} bytes of image data, expected {height * (stride + 1)}")
    rows, previous = [], bytes(stride)
    for r in range(height):
        start = r * (stride + 1)
        rows.append(unfilter(raw[start], raw[start + 1:start + 1 + stride], previous, channels, source))
        previous = rows[-1]
    return width, height, channels, rows


def console_problem(log):
    # Chromium logs page console messages as "...:CONSOLE...] "message", source: URL (line)".
    for line in log.splitlines():
        if ":CONSOLE" in line:
            return "console message: " + line.split("] ", 1)[-1][:300]
    return None


ATTRIBUTE = re.compile(r"""([\w-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")


def attributes(tag):
    """The attributes of a start tag such as <script type="x" data-report="y">, names in lower case."""
    out = {}
    for name, value in ATTRIBUTE.findall(re.sub(r"^<\w+|/?>$", "", tag)):
        quoted = value[:1] in ("'", '"')
        out[name.lower()] = html.unescape(value[1:-1] if quoted else value)
    return out


def script_problem(dom):
    """The report's own scripts only: one inline <script data-report="slider"> at most, and JSON data."""
    code = 0
    for tag in re.findall(r"<script\b[^>]*>", dom, re.I):
        attrs = attributes(tag)
        kind, mime = attrs.get("data-report"), attrs.get("type", "").lower()
        if "src" in attrs:
            return f"the page loads a script from elsewhere: {tag[:120]}"
        if kind == "slider-data" and mime == "application/json":
            continue
        if kind == "slider" and mime in ("", "text/javascript"):
            code += 1
            continue
        return f"the page has a <script> that is not the report's own: {tag[:120]}"
    if code > 1:
        return f"the page has {code} slider scripts, expected at most one"
    return None


def dom_problem(dom, min_svgs):
    if "</html>" not in dom:
        return "the browser dumped no page (DOM is empty or cut off)"
    problem = script_problem(dom)
    if problem:
        return problem
    svgs = len(re.findall(r"<svg\b", dom))
    if svgs < min_svgs:
        return f"only {svgs} <svg> elements in the page, expected at least {min_svgs}"
    return None


def slider_key(model):
    """The report's key (HTML anchor) of a model: "model-" and the name's bytes, alphanumerics in
    lower case, others as "-" (analysis/report/report.cpp's anchor())."""
    return "model-" + "".join(chr(b).lower() if chr(b).isascii() and chr(b).isalnum() else "-"
                              for b in model.encode("utf-8"))


def interaction_problem(dom, report):
    """Judges slider_interaction.js's lines in the interaction page's DOM."""
    found = re.findall(r'<pre id="slider-interaction">(.*?)</pre>', dom, re.S)
    if not found:
        return "the slider interaction test wrote no result (a script error, or the page never loaded)", ""
    lines = html.unescape(found[-1]).strip().splitlines()
    if not lines or not lines[0].startswith("SLIDERS ") or lines[-1] != "END":
        return f"the slider interaction test did not finish: {' / '.join(lines)[:300]}", ""
    results = lines[1:-1]
    for line in results:
        if not line.startswith("PASS "):
            return f"slider interaction: {line[:300]}", ""
    passed = {line.split(":", 1)[0][len("PASS "):]: line for line in results}
    run_dir = os.path.dirname(os.path.abspath(report))
    for path in sorted(glob.glob(os.path.join(run_dir, "metrics", "*", "head_patterns.json"))):
        model = os.path.basename(os.path.dirname(path))
        key = slider_key(model)
        if key not in passed:
            return f"{model} has head_patterns.json but the page has no snapshot slider for it ({key})", ""
        if "; 0 patterns," in passed[key]:
            return f"{model} has head_patterns.json but its slider shows no attention patterns", ""
    return None, f"{len(results)} snapshot slider(s) moved, their views and cursors changed"


def embedded_image_problem(html):
    uris = re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]+)', html)
    for k, uri in enumerate(uris):
        try:
            width, height, _, _ = read_png(base64.b64decode(uri), f"embedded image {k + 1}")
        except (ValueError, zlib.error, struct.error) as error:
            return f"invalid embedded PNG: {error}"
        if width == 0 or height == 0:
            return f"embedded image {k + 1} is empty ({width}x{height})"
    return None


def screenshot_check(path):
    """Returns (problem or None, a description of the screenshot)."""
    with open(path, "rb") as f:
        width, height, channels, rows = read_png(f.read(), path)
    if channels < 3:
        return f"expected a colour screenshot, got {channels} channel(s)", ""
    colors, colored, total = set(), 0, 0
    for row in rows[::3]:  # every third row and pixel is plenty
        for i in range(0, len(row), 3 * channels):
            r, g, b = row[i], row[i + 1], row[i + 2]
            colors.add((r, g, b))
            colored += max(r, g, b) - min(r, g, b) > 40
            total += 1
    description = f"{width}x{height} screenshot, {len(colors)} colours, {100 * colored / total:.1f}% coloured pixels"
    if len(colors) < 2:
        return "the screenshot is blank (one colour)", description
    if colored < 0.002 * total:
        return f"the screenshot shows no plots (only {colored} of {total} sampled pixels are coloured)", description
    return None, description


def write_interaction_page(report, out):
    """A copy of the report with slider_interaction.js injected before the last </body>."""
    page = open(report, encoding="utf-8").read()
    script = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "slider_interaction.js"),
                  encoding="utf-8").read()
    at = page.rfind("</body>")
    if at < 0:
        at = len(page)
    with open(out, "w", encoding="utf-8") as f:
        f.write(page[:at] + "<script>\n" + script + "</script>\n" + page[at:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interaction-page", nargs=2, metavar=("REPORT", "OUT"))
    parser.add_argument("--report")
    parser.add_argument("--dom")
    parser.add_argument("--console", nargs="+")
    parser.add_argument("--interaction-dom")
    parser.add_argument("--screenshot")
    parser.add_argument("--min-svgs", type=int, default=7)
    args = parser.parse_args()
    if args.interaction_page:
        write_interaction_page(*args.interaction_page)
        return 0
    for name in ("report", "dom", "console", "interaction_dom", "screenshot"):
        if getattr(args, name) is None:
            parser.error(f"--{name.replace('_', '-')} is required")
    read = lambda path: open(path, encoding="utf-8", errors="replace").read()
    dom = read(args.dom)
    problem = (next(filter(None, (console_problem(read(log)) for log in args.console)), None)
               or dom_problem(dom, args.min_svgs))
    interaction = ""
    if problem is None:
        problem, interaction = interaction_problem(read(args.interaction_dom), args.report)
    problem = problem or embedded_image_problem(read(args.report))
    description = ""
    if problem is None:
        problem, description = screenshot_check(args.screenshot)
    if problem:
        print(f"check_report: FAIL: {args.report}: {problem}")
        return 1
    print(f"check_report: ok: {args.report}: {len(re.findall(r'<svg', dom))} <svg> elements, no console "
          f"messages, {interaction}, {description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
