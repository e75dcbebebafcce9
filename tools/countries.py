"""Write ``enablement/data/countries.geojson``: Belgium and its neighbours from Natural Earth.

The boundaries are Natural Earth's Admin 0 countries at 1:10m (version 4.1.0, public
domain) as redistributed on npm by the ``world-atlas`` package (2.0.2, TopoJSON,
quantised to about 250 m by 190 m at Belgium's latitude). Run it again to rebuild the
file after a new edition::

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python tools/countries.py package/countries-10m.json

Only Belgium, the Netherlands, Germany, Luxembourg and France are kept, clipped to a box
around Belgium wide enough for the 30 km margin of the embedded network and for routes
to the crossings.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

_KEEP = {"056": "BE", "528": "NL", "276": "DE", "442": "LU", "250": "FR"}
_BOX = (1.0, 48.5, 8.5, 53.0)
"""West, south, east, north (degrees) of the area kept."""
_OUT = Path(__file__).resolve().parents[1] / "enablement" / "data" / "countries.geojson"
_SOURCE = (
    "Natural Earth 1:10m Admin 0 countries, version 4.1.0 (public domain, naturalearthdata.com), "
    "as redistributed by the npm package world-atlas 2.0.2 (TopoJSON, quantised); clipped to "
    f"lon {_BOX[0]}..{_BOX[2]}, lat {_BOX[1]}..{_BOX[3]} by tools/countries.py"
)


def _arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    out = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        out.append(points)
    return out


def _ring(arcs: list[list[tuple[float, float]]], indices: list[int]) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for i in indices:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        ring.extend(points if not ring else points[1:])
    return ring


def _geometry(arcs: list[list[tuple[float, float]]], geometry: dict[str, Any]) -> MultiPolygon:
    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    parts = [Polygon(_ring(arcs, rings[0]), [_ring(arcs, r) for r in rings[1:]]) for rings in polygons]
    return MultiPolygon(parts)


def _polygonal(shape: Any) -> Any:
    """Keep the polygons of ``shape`` (``make_valid`` and clipping can leave lines and points)."""
    parts = [
        p for p in shapely.get_parts(shapely.get_parts(shape)) if p.geom_type in ("Polygon", "MultiPolygon")
    ]
    return shapely.union_all(parts)


def main(argv: list[str] | None = None) -> int:
    """Read the TopoJSON file, write the GeoJSON file; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topojson", type=Path, help="world-atlas countries-10m.json")
    parser.add_argument("--out", type=Path, default=_OUT)
    args = parser.parse_args(argv)
    topology = json.loads(args.topojson.read_text(encoding="utf-8"))
    arcs = _arcs(topology)
    box = shapely.box(*_BOX)
    features = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = _KEEP.get(str(geometry.get("id")))
        if code is None:
            continue
        shape = _polygonal(
            shapely.set_precision(shapely.make_valid(_geometry(arcs, geometry)).intersection(box), 1e-5)
        )
        features.append(
            {
                "type": "Feature",
                "properties": {"country": code, "name": geometry["properties"]["name"], "source": _SOURCE},
                "geometry": mapping(shape),
            }
        )
    features.sort(key=lambda f: f["properties"]["country"])
    collection = {"type": "FeatureCollection", "features": features}
    args.out.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
    logging.getLogger(__name__).info("wrote %s (%d countries)", args.out, len(features))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
