"""Count what issue #18 names in plan folders written by ``enablement plan``.

For each folder's ``march_table.csv``: waits on the road longer than the policy
limit (a row whose control point is not a site that can hold vehicles, the start
of a leg and a ``hold`` excepted: a column waits at its origin or staging area, and
a hold is at a holding place, which the checker verifies), halts away from
a halt place (a ``halt`` row whose control point is not a convoy support centre,
rest area, staging area or day harbour: on the embedded network every other
control point is on a motorway or main-road carriageway), holds (rows of kind
``hold``), duplicate movement numbers (one number on two march units), and the
road closure from ``summary.json``. Run it with the project's Python::

    .venv/bin/python tools/march_counts.py DIR [DIR ...] [--limit-min 30]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

_SITES = Path(__file__).resolve().parents[1] / "geodata" / "belgium" / "sites.geojson"
_HALT_KINDS = {"convoy_support_centre", "rest_area", "staging_area", "day_harbour"}
_LEG_STARTS = {"start", "staging"}


def _counts(folder: Path, kind: dict[str, str], limit_min: float) -> dict[str, object]:
    mt = pd.read_csv(folder / "march_table.csv")
    where = mt["control_point"].map(kind).fillna("road")
    # a hold is a wait at a holding place (the plan's own reading, which the checker's ``wait`` rule
    # verifies: at a site, or a node the place is reached from)
    on_road = ~where.isin(_HALT_KINDS) & ~mt["kind"].isin(_LEG_STARTS | {"hold"})
    long_wait = mt["wait_min"] > limit_min + 1e-6
    halts = mt["kind"].eq("halt") | (mt["kind"].eq("hold") & mt["halt_min"].gt(0))
    # a node a halt place is reached from: the plan names it "…, for <place>"
    names = mt["control_point_name"].astype("string").fillna("")
    named_place = names.str.contains(r"(?:^|, )for ", regex=True).to_numpy()
    numbers = mt.groupby("movement_number")["march_unit"].nunique()
    summary = json.loads((folder / "summary.json").read_text())
    kpis = summary.get("kpis", {})
    road = summary.get("solver", {}).get("road", {})
    return {
        "march rows": len(mt),
        "march units": int(mt["march_unit"].nunique()),
        f"waits on the road over {limit_min:g} min": int((on_road & long_wait).sum()),
        "march units with such a wait": int(mt.loc[on_road & long_wait, "march_unit"].nunique()),
        "longest wait on the road (h)": round(float(mt.loc[on_road, "wait_min"].max() or 0) / 60, 2),
        "halts": int(halts.sum()),
        "halts away from a halt place": int((halts & ~where.isin(_HALT_KINDS) & ~named_place).sum()),
        "holds at a holding place": int(mt["kind"].eq("hold").sum()),
        "movement numbers on two march units": int((numbers > 1).sum()),
        "road closure (h)": road.get("closure_hours", "not given"),
        "plan closure (h from start)": kpis.get("closure_hours_from_start", "not given"),
    }


def main(argv: list[str]) -> int:
    """Print the counts of each folder."""
    limit = 30.0
    if "--limit-min" in argv:
        i = argv.index("--limit-min")
        limit = float(argv[i + 1])
        argv = argv[:i] + argv[i + 2 :]
    sites = gpd.read_file(_SITES)
    kind = dict(zip(sites["id"], sites["kind"], strict=True))
    for arg in argv:
        counts = _counts(Path(arg), kind, limit)
        sys.stdout.write(f"{arg}\n" + "".join(f"  {k}: {v}\n" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
