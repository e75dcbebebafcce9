"""Count what issue #17 names in plan folders written by ``enablement plan``.

For each folder: march-table rows whose point lies outside Belgium (border-crossing
sites excepted), trains that unload at a border point, permission requests (and at
risk), tracked vehicles over the road-distance limit, and (when the plan's
``summary.json`` lists them) sites snapped beyond their tolerance or in another
country (a border crossing's node may lie past the border: it is the hand-over
point). Run it with the project's Python::

    .venv/bin/python tools/transit_counts.py DIR [DIR ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from enablement.network.territory import countries_of

_SITES = Path(__file__).resolve().parents[1] / "geodata" / "belgium" / "sites.geojson"


def _counts(folder: Path, kind: dict[str, str]) -> dict[str, object]:
    mt = pd.read_csv(folder / "march_table.csv")
    country = countries_of(mt["lon"].to_numpy(), mt["lat"].to_numpy())
    crossing = mt["control_point"].map(kind).eq("border_crossing")
    abroad = (country != "BE") & ~crossing.to_numpy()
    trains = pd.read_csv(folder / "trains.csv")
    at_border = trains["destination"].map(kind).eq("border_crossing")
    unloading = trains["unloaded"].notna() if "unloaded" in trains else pd.Series(True, index=trains.index)
    summary = json.loads((folder / "summary.json").read_text())
    kpis = summary.get("kpis", {})
    out: dict[str, object] = {
        "march rows": len(mt),
        "rows abroad (crossings excepted)": int(abroad.sum()),
        "march units with a row abroad": int(mt.loc[abroad, "march_unit"].nunique()),
        "trains": len(trains),
        "trains unloading at a border point": int((at_border & unloading).sum()),
        "tracked vehicles over the road limit": kpis.get("tracked_over_road_limit", "not counted"),
    }
    permissions = folder / "permissions.csv"
    if permissions.exists():
        p = pd.read_csv(permissions)
        risk = p["risk"].astype("string").fillna("") if "risk" in p else pd.Series("", index=p.index)
        out["permission requests"] = len(p)
        out["at risk"] = int(risk.isin(["past", "tight"]).sum())
    else:
        out["permission requests"] = "no permissions.csv"
    sites = summary.get("sites")
    if isinstance(sites, list):
        bad = 0
        for s in sites:
            for mode in ("road", "rail"):
                d, c, tol = s.get(f"{mode}_m"), s.get(f"{mode}_country"), s.get("tolerance_m")
                if d is None:
                    continue
                # a crossing's node may lie on or just past the border (the hand-over point)
                abroad = c and s.get("country") and c != s["country"] and s.get("kind") != "border_crossing"
                if (tol is not None and d > tol) or abroad:
                    bad += 1
        out["site snaps beyond tolerance or abroad"] = bad
    return out


def main(argv: list[str]) -> int:
    """Print the counts of each folder."""
    sites = gpd.read_file(_SITES)
    kind = dict(zip(sites["id"], sites["kind"], strict=True))
    for arg in argv:
        counts = _counts(Path(arg), kind)
        sys.stdout.write(f"{arg}\n" + "".join(f"  {k}: {v}\n" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
