"""Hostile names in every input field reach map.html, report.html and summary.html as text, never as script.

The small world is planned with a script-like string planted in every field that
reaches an output: the scenario's name and description; each site's id, name,
source and free-text fields (and a field of its own, named with one); the overlay's
bridge, clearance, width restriction and closure (ids and text fields); a scenario
closure of the bridge; the network's attribution; and, in two small batches, the
batch's name and description, the changes (sites and bridges named by their
hostile ids, and one that does not exist) and a scenario file whose name is hostile.
The pages are opened in Debian's headless Chromium (Playwright, offline; the tests
skip with the reason when /usr/bin/chromium or the vendored Leaflet is missing): they
fail on any dialog and any page error, check that the map still runs (every site
marker and the layer control are there) and that every hostile string is shown
as the literal text it is, in tooltips, popups, the legend, tables and titles. The
quay Gantt chart, a standalone SVG file, must parse as XML with the names in it.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from enablement.outputs.maps import leaflet_assets
from tests.small_world import DLAT, DLON, LAT0, LON0, write_world

CHROMIUM = Path(os.environ.get("CHROME") or "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

NO_CHROMIUM = f"no Chromium at {CHROMIUM} (.ci/run installs it)"
NO_LEAFLET = "Leaflet is not vendored (make fetches it with npm): no offline map"


CODES: dict[int, str] = {}
"""The number each planted string alerts with, and its field (to name the field a dialog came from)."""


def hostile(tag: str) -> str:
    """A name that runs script wherever it is not escaped for its context; ``tag`` says which field.

    Its scripts call ``alert(n)``, ``n`` a number of the field's own (:data:`CODES`).
    """
    n = next((k for k, t in CODES.items() if t == tag), max(CODES, default=0) + 1)
    CODES[n] = tag
    return (
        f"{tag} Liège <script>alert({n})</script> \"'><img src=x onerror=alert({n})> "
        f"` ${{alert({n})}} </script><script>alert({n})</script> <!-- \\ \u2028 \u2029 Zoë"
    )


SITE_IDS = {
    sid: hostile(f"SITE-ID-{sid}") for sid in ("port-w", "staging-m", "border-x", "quay-q", "border-r")
}
BRIDGE_ID = hostile("BRIDGE-ID")
NAME = hostile("SCENARIO-NAME")
DESCRIPTION = hostile("SCENARIO-DESCRIPTION")
ATTRIBUTION = hostile("ATTRIBUTION")
CLOSURE_ID = hostile("CLOSURE-ID")
CLEARANCE_ID = hostile("CLEARANCE-ID")
WIDTH_ID = hostile("WIDTH-ID")
NOTE_FIELD = hostile("FIELD-NAME")
BATCH_NAME = hostile("BATCH-NAME")
BATCH_DESCRIPTION = hostile("BATCH-DESCRIPTION")
MISSING_SITE = hostile("NO-SUCH-SITE")
# a file name cannot hold a slash: no </script> in this one
VARIANT_FILE = "VARIANT Liège <img src=x onerror=alert(0)> ` ${alert(0)} \"' & <!-- \\ Zoë"
CODES[0] = "VARIANT-FILE"


def site_text(sid: str) -> dict[str, str]:
    """The free-text fields planted on a site (``hours`` is validated, so not that one)."""
    return {
        "name": hostile(f"SITE-NAME-{sid}"),
        "source": hostile(f"SITE-SOURCE-{sid}"),
        "country": hostile(f"SITE-COUNTRY-{sid}"),
        "road": hostile(f"SITE-ROAD-{sid}"),
        "neighbour": hostile(f"SITE-NEIGHBOUR-{sid}"),
        "notes": hostile(f"SITE-NOTES-{sid}"),
    }


def _point(lon: float, lat: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _layer(path: Path, features: list[dict[str, object]]) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")


def plant(folder: Path) -> Path:
    """Write the small world with hostile names in every field that reaches an output."""
    from enablement.network.io import load_network, save_network

    path = write_world(folder, solver="greedy")
    overlay = folder / "overlay"
    sites = json.loads((overlay / "sites.geojson").read_text())
    for f in sites["features"]:
        sid = f["properties"]["id"]
        f["properties"] |= {"id": SITE_IDS[sid], **site_text(sid), NOTE_FIELD: "a value under a hostile name"}
    _layer(overlay / "sites.geojson", sites["features"])
    mid = LON0 + 2.5 * DLON, LAT0 + DLAT  # the trunk's bridge, between the staging area and the next node
    _layer(
        overlay / "bridges.geojson",
        [
            {
                "type": "Feature",
                "geometry": _point(*mid),
                "properties": {
                    "id": BRIDGE_ID,
                    "name": hostile("BRIDGE-NAME"),
                    "road": hostile("BRIDGE-ROAD"),
                    "crosses": hostile("BRIDGE-CROSSES"),
                    "source": hostile("BRIDGE-SOURCE"),
                    "illustrative": True,
                    "mlc_wheeled_oneway": 50,
                    "mlc_wheeled_twoway": 40,
                    "mlc_tracked_oneway": 50,
                    "mlc_tracked_twoway": 40,
                },
            }
        ],
    )
    common = {"source": hostile("LAYER-SOURCE"), "illustrative": True, "road": hostile("LAYER-ROAD")}
    _layer(
        overlay / "clearances.geojson",
        [
            {
                "type": "Feature",
                "geometry": _point(LON0 + 1.5 * DLON, LAT0 + 2 * DLAT),
                "properties": {"id": CLEARANCE_ID, "maxheight_m": 12, **common},
            }
        ],
    )
    _layer(
        overlay / "width_restrictions.geojson",
        [
            {
                "type": "Feature",
                "geometry": _point(LON0 + 2.5 * DLON, LAT0 + 2 * DLAT),
                "properties": {"id": WIDTH_ID, "maxwidth_m": 12, **common},
            }
        ],
    )
    _layer(
        overlay / "closures.geojson",
        [
            {
                "type": "Feature",
                "geometry": _point(LON0 + 3.5 * DLON, LAT0),
                "properties": {
                    "id": CLOSURE_ID,
                    "start": "2026-03-02T06:00:00+01:00",
                    "end": "2026-03-02T08:00:00+01:00",
                    "reason": hostile("CLOSURE-REASON"),
                    **common,
                },
            }
        ],
    )
    net = load_network(folder / "world.gpkg", cache=False)
    net.meta["attribution"] = ATTRIBUTION
    save_network(net, folder / "world.gpkg")
    scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
    scenario["name"], scenario["description"] = NAME, DESCRIPTION
    for a in scenario["arrivals"]:
        a["site"] = SITE_IDS[a["site"]]
    for m in scenario["movements"]:
        m["to"] = SITE_IDS[m["to"]]
        if "via" in m:
            m["via"]["site"] = SITE_IDS[m["via"]["site"]]
        if "quay" in m:
            m["quay"] = SITE_IDS[m["quay"]]
    scenario["disruptions"] = [
        {
            "id": "bridge-works",
            "kind": "close_bridge",
            "target": BRIDGE_ID,
            "start": "2026-03-05T06:00:00+01:00",
            "end": "2026-03-05T18:00:00+01:00",
        }
    ]
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_batches(folder: Path, scenario: Path) -> list[Path]:
    """Run two small batches (changes to the scenario, and a folder of one variant file); their summaries."""
    from enablement.batch import run_batch

    folder.mkdir(parents=True)
    changes = folder / "changes.yaml"
    changes.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "name": BATCH_NAME,
                "description": BATCH_DESCRIPTION,
                "base": str(scenario),
                "solver": {"road": "greedy", "time_limit_s": 1},
                "changes": [
                    {"kind": "close_sites", "sites": [SITE_IDS["staging-m"], MISSING_SITE]},
                    {
                        "kind": "close_bridges",
                        "bridges": [BRIDGE_ID],
                        "windows": [{"start_h": 2, "hours": 6}],
                    },
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    variants = folder / "variants"
    variants.mkdir()
    variant = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    variant["network"]["source"] = str(scenario.parent / variant["network"]["source"])
    variant["overlays"] = [str(scenario.parent / o) for o in variant["overlays"]]
    (variants / f"{VARIANT_FILE}.yaml").write_text(
        yaml.safe_dump(variant, allow_unicode=True), encoding="utf-8"
    )
    files = folder / "files.yaml"
    files.write_text(
        yaml.safe_dump(
            {"version": 1, "name": BATCH_NAME, "scenarios": "variants", "solver": {"road": "greedy"}},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    out = []
    for batch in (changes, files):
        result = run_batch(batch, folder / f"out-{batch.stem}", workers=0)
        out.append(result.paths["html"])
    return out


ROUTE_LABELS = [hostile("ROUTE-LABEL-1"), hostile("ROUTE-LABEL-2")]
ROUTE_TITLE = hostile("ROUTE-TITLE")


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    from enablement.outputs import write_outputs, write_route_map
    from enablement.plan import make_plan

    folder = tmp_path_factory.mktemp("hostile")
    scenario = plant(folder / "in")
    plan = make_plan(scenario)
    paths = write_outputs(plan, folder / "out")
    routes = list(plan.march.routes.values())[:2]
    paths["route_map"] = write_route_map(
        plan.network, routes, ROUTE_LABELS, folder / "route.html", ROUTE_TITLE
    )
    return plan, paths, write_batches(folder / "batches", scenario)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.skip(NO_CHROMIUM)
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extras)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield b
        b.close()


class Opened:
    """A page opened offline, with every dialog and page error it raised."""

    def __init__(self, browser, path: Path) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._offline)
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        self.page.wait_for_timeout(300)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @staticmethod
    def _offline(route) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            route.abort()

    def check_quiet(self) -> None:
        ran = [f"alert({d}) of {CODES.get(int(d), '?') if d.isdigit() else d}" for d in self.dialogs]
        assert ran == [], f"the page ran planted script: {ran}"
        assert self.errors == [], f"the page's script failed: {self.errors}"

    def text(self) -> str:
        return self.page.evaluate("document.body.textContent")


# Every layer's tooltip and popup opened in turn (as a hover and a click would), their text collected
_OPEN_ALL = """() => {
  document.querySelectorAll('.leaflet-control-layers-overlays input:not(:checked)').forEach(i => i.click());
  const map = window[Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k))];
  const out = [];
  const where = l => l.getLatLng ? l.getLatLng() : (l.getBounds ? l.getBounds().getCenter() : null);
  const layers = [];
  map.eachLayer(l => layers.push(l));
  for (const l of layers) {
    const at = where(l);
    if (!at) continue;
    l.fire('mouseover', {latlng: at}, true);
    document.querySelectorAll('.leaflet-tooltip').forEach(t => out.push(t.textContent));
    l.fire('mouseout', {latlng: at}, true);
    l.fire('click', {latlng: at, originalEvent: new MouseEvent('click')}, true);
    document.querySelectorAll('.leaflet-popup-content').forEach(p => out.push(p.textContent));
    map.closePopup();
  }
  return out;
}"""


@pytest.mark.skipif(leaflet_assets() is None, reason=NO_LEAFLET)
def test_the_map_runs_and_shows_hostile_names_as_text(pages, browser):
    plan, paths, _ = pages
    opened = Opened(browser, paths["map"])
    page = opened.page
    opened.check_quiet()
    # the map ran: a badge per site, the layer control with every layer, the legend
    assert page.locator(".leaflet-marker-icon div[style*='border-radius:9px']").count() == len(
        plan.network.sites
    )
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.locator(".leaflet-control-layers-overlays label").count() >= 6
    assert page.title() == f"{NAME} — enablement"
    legend = page.locator("#enablement-legend").text_content()
    assert NAME in legend and ATTRIBUTION in legend
    shown = page.evaluate(_OPEN_ALL)
    opened.check_quiet()
    text = "\n".join(shown)
    expected = [BRIDGE_ID, CLEARANCE_ID, WIDTH_ID, CLOSURE_ID, NOTE_FIELD]
    for sid, planted in SITE_IDS.items():
        fields = site_text(sid)
        expected += [planted, fields["name"], fields["source"], fields["country"], fields["notes"]]
    missing = [s.split(" Liège")[0] for s in expected if s not in text]
    assert not missing, f"not shown as text: {missing}"
    # the scenario's bridge closure names its target
    assert any(f"close bridge {BRIDGE_ID}" in t for t in shown)
    page.close()


@pytest.mark.skipif(leaflet_assets() is None, reason=NO_LEAFLET)
def test_the_route_map_runs_and_shows_hostile_names_as_text(pages, browser):
    _, paths, _ = pages
    opened = Opened(browser, paths["route_map"])
    opened.check_quiet()
    shown = opened.page.evaluate(_OPEN_ALL)
    opened.check_quiet()
    layers = opened.page.locator(".leaflet-control-layers-overlays").text_content()
    text = opened.text()
    for label in ROUTE_LABELS:
        assert label in layers and any(label in t for t in shown), label.split(" Liège")[0]
    assert ROUTE_TITLE in text and ATTRIBUTION in text
    opened.page.close()


def test_the_report_shows_hostile_names_as_text(pages, browser):
    _, paths, _ = pages
    opened = Opened(browser, paths["report"])
    opened.check_quiet()
    assert opened.page.title() == f"{NAME}: RSOM plan report"
    text = opened.text()
    for s in (NAME, DESCRIPTION, ATTRIBUTION, SITE_IDS["quay-q"], SITE_IDS["border-r"]):
        assert s in text, s.split(" Liège")[0]
    assert opened.page.locator("svg").count() >= 3  # the charts are drawn
    opened.page.close()


def test_the_quay_gantt_chart_is_well_formed_svg_with_the_names(pages):
    _, paths, _ = pages
    root = ET.parse(paths["quay_gantt"]).getroot()
    assert SITE_IDS["quay-q"] + " · track 1" in ["".join(t.itertext()) for t in root.findall(".//{*}text")]


def test_the_batch_summaries_show_hostile_names_as_text(pages, browser):
    _, _, summaries = pages
    changes, files = summaries
    opened = Opened(browser, changes)
    opened.check_quiet()
    assert opened.page.title() == f"{BATCH_NAME}: batch summary"
    text = opened.text()
    for s in (
        BATCH_NAME,
        BATCH_DESCRIPTION,
        f"close site {SITE_IDS['staging-m']}",
        f"close site {MISSING_SITE}",
        f"close bridge {BRIDGE_ID} for 6 h from +2 h",
    ):
        assert s in text, s.split(" Liège")[0]
    opened.page.close()
    opened = Opened(browser, files)
    opened.check_quiet()
    assert VARIANT_FILE in opened.text()
    opened.page.close()
