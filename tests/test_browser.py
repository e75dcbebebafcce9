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
    from enablement.outputs.maps import unit_colours

    units = {r.unit for r in plan.routes if r.kind == "road"}
    assert units
    colours = set(unit_colours(units).values())
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


# --------------------------------------------------------------------------- for reviewers, at two widths
# Playwright drives the same Chromium: the report and the map of the default and the bridge-closure
# scenarios at 800 and 1,600 px, with screenshots under pytest's tmp_path

WIDTHS = (800, 1600)
SCENARIOS = ("default", "bridge-closure")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SLIDER_LABEL = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d\d-\d\d \d\d:\d\d UTC[+-]\d\d:\d\d"


@pytest.fixture(scope="module")
def folders(pages, bridge_closure_plan, tmp_path_factory):
    from enablement.outputs import write_outputs

    bridge = tmp_path_factory.mktemp("browser-bridge")
    write_outputs(bridge_closure_plan, bridge)
    return {"default": pages[1], "bridge-closure": bridge}


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extras)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def open_page(browser, path: Path, width: int):
    """Open ``path`` offline in a ``width`` px wide window; return the page and the errors it raises."""
    errors: list[str] = []
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(400)
    return page, errors


def no_overflow(page) -> None:
    wide, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= inner, f"the page scrolls sideways: {wide} px in a {inner} px window"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_report_fits_the_window_with_its_charts(folders, browser, scenario, width, tmp_path):
    page, errors = open_page(browser, folders[scenario] / "report.html", width)
    no_overflow(page)
    # every chart is drawn inside the window, as wide as the text column at most
    rights = page.evaluate("[...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().right)")
    assert rights and max(rights) <= width
    binding = page.locator("p.binding")
    assert binding.count() == 1 and "held by" in binding.text_content()
    # the march table opens unit by unit
    blocks = page.locator("details > summary", has_text="march units,")
    assert blocks.count() >= 4
    blocks.first.click()
    no_overflow(page)  # a wide table scrolls inside its own box, not the page
    page.screenshot(path=str(tmp_path / f"report-{scenario}-{width}.png"), full_page=True)
    assert errors == []
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_map_fits_with_a_metric_scale_clear_of_the_legend(folders, browser, scenario, width, tmp_path):
    import re

    page, errors = open_page(browser, folders[scenario] / "map.html", width)
    no_overflow(page)
    scale = page.locator(".leaflet-control-scale-line")
    assert scale.count() == 1  # metric only: no second (imperial) line
    assert re.fullmatch(r"\d+ k?m", scale.text_content().strip())
    legend = page.locator("#enablement-legend")
    assert legend.evaluate("d => d.open") == (width >= 1000)  # folded on a narrow screen
    a, b = scale.bounding_box(), legend.bounding_box()
    apart = a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
    apart = apart or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"]
    assert apart, (a, b)
    assert page.locator(".leaflet-control-layers-expanded").count() == 0  # the layer control is folded
    assert re.fullmatch(SLIDER_LABEL, page.locator("#enablement-clock").text_content())
    png = tmp_path / f"map-{scenario}-{width}.png"
    page.screenshot(path=str(png))
    assert colour_pixels(png, "#fbfaf5", 2) > 10_000  # Belgium's offline background is drawn
    # a site's popup is curated: what the plan asks of it, its source
    page.locator(".leaflet-marker-icon div[style*='border-radius:9px']").first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    assert popup.count() == 1 and "In this plan" in popup.text_content() and "Source:" in popup.text_content()
    assert errors == []
    page.close()
