"""Independent checks of a march table, read from its rows (not the scheduler's internals)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from zoneinfo import ZoneInfo

import pandas as pd

BRUSSELS = ZoneInfo("Europe/Brussels")
"""The default zone of scenarios."""
EPS = 2.0  # seconds: the CSV rounds times to the second and pass times to 0.01 min


def frame_from_rows(rows, start: dt.datetime | None = None) -> pd.DataFrame:
    """The scheduler's rows as a march-table-like frame (times in seconds)."""
    return pd.DataFrame(
        [
            {
                "march_unit": r.march_unit,
                "vehicles": r.vehicles,
                "kind": r.kind,
                "seq": r.seq,
                "control_point": r.control_point,
                "next_control_point": r.next_control_point,
                "arrive": r.arrive_s,
                "depart": r.depart_s,
                "pass_min": r.pass_s / 60.0,
            }
            for r in rows
        ]
    )


def seconds(table: pd.DataFrame, start: dt.datetime) -> pd.DataFrame:
    """Convert ISO ``arrive``/``depart`` columns to seconds since ``start``."""
    out = table.copy()
    for col in ("arrive", "depart"):
        out[col] = [(dt.datetime.fromisoformat(v) - start).total_seconds() for v in table[col]]
    return out


def traversals(table: pd.DataFrame) -> list[dict]:
    """Every segment traversal: (march unit, from, to, entry, exit, pass)."""
    out = []
    for mu, g in table.sort_values(["march_unit", "seq"]).groupby("march_unit", sort=False):
        rows = g.to_dict("records")
        for a, b in itertools.pairwise(rows):
            if a["next_control_point"] != b["control_point"] or a["kind"] == "staging_arrive":
                continue
            out.append(
                {
                    "mu": mu,
                    "from": a["control_point"],
                    "to": b["control_point"],
                    "entry": a["depart"],
                    "exit": b["arrive"],
                    "pass": a["pass_min"] * 60.0,
                }
            )
    return out


def overlap_violations(table: pd.DataFrame, headway_s: float = 0.0) -> list[str]:
    """Pairs of columns on the same segment and direction that overlap or overtake."""
    by_seg = defaultdict(list)
    for t in traversals(table):
        by_seg[(t["from"], t["to"])].append(t)
    bad = []
    for seg, ts in by_seg.items():
        ts.sort(key=lambda t: t["entry"])
        for i, a in enumerate(ts):
            for b in ts[i + 1 :]:
                ok = (
                    a["entry"] + a["pass"] + headway_s <= b["entry"] + EPS
                    and a["exit"] + a["pass"] + headway_s <= b["exit"] + EPS
                )
                if not ok:
                    bad.append(f"{a['mu']} and {b['mu']} overlap on {seg[0]} -> {seg[1]}")
    return bad


def halt_violations(
    table: pd.DataFrame, first_after=60, first_dur=15, every=120, dur=10, late=0, places=frozenset()
) -> list[str]:
    """March units that drive longer than the policy allows between rests.

    A stretch may run ``late`` minutes over the limit when the halt that ends it is at a halt
    place: a control point in ``places``, or one the table names "…for <place>" (a node a halt
    place is reached from).
    """
    bad = []
    for mu, g in table.sort_values(["march_unit", "seq"]).groupby("march_unit", sort=False):
        rows = g.to_dict("records")
        driving, rests, over = 0.0, 0, False
        for a, b in itertools.pairwise(rows):
            if a["kind"] == "staging_arrive":
                driving, rests, over = 0.0, 0, False
                continue
            stop = a["depart"] - a["arrive"]
            need = (first_dur if rests == 0 else dur) * 60.0
            if driving > 0 and stop >= need - EPS:
                name = str(a.get("control_point_name", ""))
                if over and a["control_point"] not in places and "for " not in name:
                    bad.append(f"{mu} takes a late halt at {a['control_point']}, no halt place")
                    break
                driving, rests, over = 0.0, rests + 1, False
            driving += b["arrive"] - a["depart"]
            limit = (first_after if rests == 0 else every) * 60.0
            if driving > limit + late * 60.0 + EPS:
                bad.append(f"{mu} drives {driving / 60:.0f} min without a halt before {b['control_point']}")
                break
            over = over or driving > limit + EPS
    return bad


def window_violations(table: pd.DataFrame, windows: list[tuple[float, float]]) -> list[str]:
    """Segment traversals (head entry to tail exit) outside every window occurrence."""
    bad = []
    for t in traversals(table):
        a, b = t["entry"], t["exit"] + t["pass"]
        if not any(s - EPS <= a and b <= e + EPS for s, e in windows):
            bad.append(f"{t['mu']} moves {t['from']} -> {t['to']} outside the movement window")
    return bad


def march_problem(
    net, units, policy, sites, *, window=None, edge_closed=None, node_closed=None, start=None, places=None
):
    """Build a march problem on a test network: the policy's rules, closures, staging capacities and
    halt places (``places``: node → :class:`~enablement.scheduling.march.HaltPlace`, whose capacities
    join the staging capacities)."""
    from enablement.scheduling.march import MarchProblem, MarchRules, staging_capacities
    from enablement.timeline import Clock

    start = start or dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    rules = MarchRules.from_policy(
        policy,
        Clock(start, BRUSSELS),
        window=window,
        edge_closed=edge_closed,
        node_closed=node_closed,
        staging_capacity=(staging_capacities(net) if len(net.sites) else {})
        | {p.site: p.capacity for p in (places or {}).values() if p.capacity is not None},
        places=places,
    )
    return MarchProblem(net, units, sites, rules)


def greedy(net, units, policy, sites, *, max_rounds=5, **rules):
    """The greedy baseline on a test network (see :func:`march_problem`)."""
    from enablement.routing import Router
    from enablement.scheduling.greedy import schedule_march

    return schedule_march(
        march_problem(net, units, policy, sites, **rules), Router(net), max_rounds=max_rounds
    )


def optimise(net, units, policy, sites, *, alternatives=2, time_limit_s=5.0, seed=0, baseline=None, **rules):
    """The CP-SAT road model on a test network (see :func:`march_problem`)."""
    from enablement.routing import Router
    from enablement.scheduling.march_cpsat import optimise_march

    return optimise_march(
        march_problem(net, units, policy, sites, **rules),
        Router(net),
        alternatives=alternatives,
        time_limit_s=time_limit_s,
        seed=seed,
        baseline=baseline,
    )


def site_feature(
    sid: str, kind: str, mode: str, lon: float, lat: float, *, name: str | None = None, **extra: object
) -> dict[str, object]:
    """A GeoJSON point feature of an overlay site (source ``test``, illustrative), as users write them."""
    props = {
        "id": sid,
        "name": f"Site {sid}" if name is None else name,
        "kind": kind,
        "mode": mode,
        "source": "test",
        "illustrative": True,
    }
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props | extra,
    }


def two_line_router(short: dict[str, object], long: dict[str, object]):
    """A rail router from quay 0 to node 3: a short line via node 1 and a long one via node 2.

    ``short`` and ``long`` are the edge attributes of each line's two sections (both ways);
    edges run at 80 km/h over their straight length (EPSG:3812).
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from enablement.network.model import CRS, Network
    from enablement.routing import Router

    xy = np.array([[0.0, 0.0], [40_000.0, 5_000.0], [40_000.0, -40_000.0], [80_000.0, 0.0]]) + 600_000
    nodes = gpd.GeoDataFrame(
        {"mode": "rail", "x": xy[:, 0], "y": xy[:, 1], "source_id": ["q", "a", "b", "d"]},
        geometry=shapely.points(xy),
        crs=CRS,
    )
    nodes.index.name = "node"
    rows = []
    for a, b, attrs in ((0, 1, short), (1, 3, short), (0, 2, long), (2, 3, long)):
        for u, v in ((a, b), (b, a)):
            rows.append({"u": u, "v": v, **attrs, "geometry": shapely.LineString([xy[u], xy[v]])})
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    edges["mode"] = "rail"
    edges["length_m"] = edges.geometry.length
    edges["speed_kmh"] = 80.0
    edges["time_s"] = edges["length_m"] / (80 / 3.6)
    return Router(Network(nodes, edges), "rail")


def solve(problem, solver: str, *, time_limit_s: float = 5.0):
    """Schedule a march problem with ``"greedy"`` or ``"cp-sat"`` on its network's road router."""
    from enablement.routing import Router
    from enablement.scheduling import greedy as greedy_march
    from enablement.scheduling import march_cpsat

    router = Router(problem.network)
    if solver == "greedy":
        return greedy_march.schedule_march(problem, router)
    return march_cpsat.optimise_march(problem, router, time_limit_s=time_limit_s)


def march_table_of(problem, sched) -> pd.DataFrame:
    """A schedule's ``march_table.csv`` frame, as the plan writes it for the problem's network and rules."""
    from types import SimpleNamespace

    from enablement.outputs.tables import march_table

    fake_plan = SimpleNamespace(
        network=problem.network,
        march_units=list(problem.units),
        march=sched,
        clock=problem.rules.clock,
        rules=problem.rules,
    )
    return march_table(fake_plan)
