#!/usr/bin/env python3
"""Regenerate the screenshots of the views in docs/img/ (headless Chromium, 1400x900).

    python docs/screenshots.py [--graph out/graph.ttl] [--out docs/img]

Builds the bundled corpus into a temporary folder first unless --graph is given, then renders
and photographs, exactly as a user gets them:

  graph.html                  the full view (`kg build`'s out/graph.html)
  show_meta.html              `kg show Meta`, with Meta clicked: its facts and evidence in the panel
  path_lecun_pytorch.html     `kg path "Yann LeCun" PyTorch`, with the last hop clicked

Needs chromium and chromium-driver (Debian) and selenium (the `test` extra).  Run it again
whenever the extraction or the views change; the README shows these files.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZE = (1400, 900)


def chromium(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--hide-scrollbars", f"--window-size={SIZE[0]},{SIZE[1]}", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_window_size(*SIZE)
    # Make the viewport (not the window) 1400x900 whatever the browser's chrome takes.
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(2 * SIZE[0] - inner[0], 2 * SIZE[1] - inner[1])
    return driver


def load(driver, page: Path, timeout: float = 30.0) -> None:
    driver.get(page.as_uri())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if driver.execute_script("return !!(window.techkgTimings && window.techkgTimings.interactive)"):
            time.sleep(0.3)
            return
        time.sleep(0.05)
    raise TimeoutError(f"{page} did not become interactive")


def kg(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "kg.cli", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True)
    if proc.returncode:
        raise SystemExit(f"kg {' '.join(map(str, args))} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graph", type=Path, default=None, help="a built graph.ttl [default: build corpus/ afresh]")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kg-screens-") as tmp_name:
        tmp = Path(tmp_name)
        if args.graph is None:
            kg("build", ROOT / "corpus", "-o", tmp / "out", "--no-cache")
            graph = tmp / "out" / "graph.ttl"
            full = tmp / "out" / "graph.html"
        else:
            graph = args.graph.resolve()
            full = tmp / "graph.html"
            kg("view", "-g", graph, "-o", full)
        kg("show", "Meta", "-g", graph, "-o", tmp / "show_meta.html")
        kg("path", "Yann LeCun", "PyTorch", "-g", graph, "-o", tmp / "path_lecun_pytorch.html")
        driver = chromium(tmp / "profile")
        try:
            load(driver, full)
            driver.save_screenshot(str(args.out / "graph.png"))

            load(driver, tmp / "show_meta.html")
            driver.execute_script("techkg.selectEntity(techkg.search('Meta')[0].id)")
            time.sleep(0.3)
            driver.save_screenshot(str(args.out / "show_meta.png"))

            load(driver, tmp / "path_lecun_pytorch.html")
            driver.execute_script(
                "var f = techkgData.facts, last = -1;"
                "f.forEach(function (x, i) { if (techkgData.entities[x.o].n === 'PyTorch' ||"
                " techkgData.entities[x.s].n === 'PyTorch') last = i; });"
                "if (last >= 0) techkg.selectFact(last);")
            time.sleep(0.3)
            driver.save_screenshot(str(args.out / "path_lecun_pytorch.png"))
        finally:
            driver.quit()
    for name in ("graph.png", "show_meta.png", "path_lecun_pytorch.png"):
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
