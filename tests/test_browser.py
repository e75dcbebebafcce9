"""map.html and report.html in a real browser: Debian's headless Chromium, offline.

Fails on any message the page writes to the JavaScript console (errors, failed
loads), saves the screenshots under ``out/screenshots/`` and checks that the map
screenshot shows the routes. ``.ci/run`` installs Chromium when it is missing;
elsewhere the tests skip with the reason.
"""

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from enablement.outputs.maps import leaflet_assets

CHROMIUM = os.environ.get("CHROME") or shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[1] / "out" / "screenshots"

pytestmark = [
    pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed (.ci/run installs it)"),
    pytest.mark.skipif(
        leaflet_assets() is None, reason="Leaflet is not vendored (make fetches it with npm): no offline map"
    ),
]


def render(page: Path, png: Path) -> list[str]:
    """Screenshot ``page`` offline and return what it wrote to the console."""
    png.parent.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,900",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=4000",
            f"--screenshot={png}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert png.is_file(), run.stderr[-2000:]
    return [line for line in run.stderr.splitlines() if ":CONSOLE" in line]


def colour_pixels(png: Path, hex_colour: str, tolerance: int = 30) -> int:
    from PIL import Image

    rgb = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16)
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    return int((np.abs(rgb - target).max(axis=2) <= tolerance).sum())


@pytest.fixture(scope="module")
def pages(default_plan, tmp_path_factory):
    from enablement.outputs import write_outputs

    folder = tmp_path_factory.mktemp("browser")
    write_outputs(default_plan, folder)
    return default_plan, folder


def test_map_opens_offline_without_console_errors_and_shows_the_routes(pages):
    plan, folder = pages
    png = SHOTS / "map.png"
    console = render(folder / "map.html", png)
    assert console == [], console
    # every road unit's route is drawn in its colour (the page's features carry each one), and the
    # screenshot shows several of them: units on one corridor share its road, and the line drawn
    # last covers the others there (the default plan sends most columns down one corridor)
    from enablement.outputs.maps import _PALETTE

    units = sorted({r.unit for r in plan.routes if r.kind == "road"})
    assert units
    colours = {_PALETTE[i % len(_PALETTE)] for i in range(len(units))}
    html = (folder / "map.html").read_text(encoding="utf-8")
    assert all(f'"color": "{c}"' in html or f'"color":"{c}"' in html for c in colours)
    drawn = {c: colour_pixels(png, c) for c in colours}
    assert sum(n > 50 for n in drawn.values()) >= min(3, len(colours)), drawn
    # and the rail routes (dark brown) where trains run
    if plan.trains:
        assert colour_pixels(png, "#5a3e1b", 20) > 100


def test_report_opens_offline_without_console_errors(pages):
    _plan, folder = pages
    png = SHOTS / "report.png"
    console = render(folder / "report.html", png)
    assert console == [], console
    from PIL import Image

    shot = np.asarray(Image.open(png).convert("L"))
    assert shot.std() > 5  # not a blank page
