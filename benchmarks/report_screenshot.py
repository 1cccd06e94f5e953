"""Render a ``vidoc eval`` HTML report in headless Chromium and save a screenshot to look at.

The report is self-contained, so a browser with no network shows exactly what a user sees; this is the
check that its charts, tables and drill-downs lay out (a unit test only sees the markup).

Run: ``python benchmarks/report_screenshot.py DIR/report.html [--out shot.png] [--width 1280 --height 2400]
[--open-details]``. Needs ``chromium`` (Debian's package) on PATH.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

OPEN_ALL_DETAILS = "<script>document.querySelectorAll('details').forEach(d => d.open = true)</script>"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--out", type=Path, default=Path("report.png"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2400)
    parser.add_argument("--open-details", action="store_true", help="Open every passage drill-down first.")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        print("report_screenshot: no chromium on PATH (apt-get install chromium)", file=sys.stderr)
        return 2
    page = args.report.resolve()
    with tempfile.TemporaryDirectory() as scratch:
        if args.open_details:  # a copy with a script that opens the drill-downs; the report itself has none
            opened = Path(scratch) / page.name
            opened.write_text(
                page.read_text(encoding="utf-8").replace("</body>", OPEN_ALL_DETAILS + "</body>")
            )
            page = opened
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={scratch}/profile",
            f"--screenshot={args.out.resolve()}",
            f"--window-size={args.width},{args.height}",
            page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not args.out.is_file():
        print(
            f"report_screenshot: chromium failed ({done.returncode}): {done.stderr[-500:]}", file=sys.stderr
        )
        return 1
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) from {args.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
