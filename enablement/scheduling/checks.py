"""Schedule checker: any march table (ours, or one written by hand) against the network and policy.

The table is the CSV that ``enablement plan`` writes (``march_table.csv``); the
columns the checker needs are listed in :data:`REQUIRED_COLUMNS` and documented in
the README. Every violation is returned, each with its march unit, place and time:

- ``overlap``: two columns on the same segment (control point to next control
  point) and direction at overlapping times, or closer than the headway; the
  tail of the first must clear both ends before the head of the second arrives.
- ``halt``: a column driving longer than the halt policy allows between halts.
- ``window``: a column moving outside the policy's movement window.
- ``speed``: a segment driven faster than the column's speed allows (the time
  between control points is shorter than the distance at that speed).
- ``restriction``: the distance driven between two control points is shorter
  than any road the column may use (MLC, weight, height, width…), so it must have
  crossed a road closed to it.
- ``staging``: more vehicles held in a staging area at once than its capacity.
- ``rdd``: a unit whose last column arrives after its required delivery date.
- ``place``: a control point or node the network does not know.
"""

from __future__ import annotations

import itertools
import math
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import RoutingError, ScenarioError
from ..routing import Router
from ..vehicles import Profile

if TYPE_CHECKING:
    from ..network.model import Network
    from ..scenario.schema import Scenario
    from ..vehicles import Vehicle

__all__ = ["REQUIRED_COLUMNS", "Violation", "check_march_table", "read_march_table"]

REQUIRED_COLUMNS = (
    "march_unit",
    "unit",
    "vehicles",
    "leg",
    "seq",
    "control_point",
    "kind",
    "node",
    "km",
    "arrive",
    "depart",
    "pass_min",
    "speed_kmh",
    "next_control_point",
)
"""Columns a march table must have (as written by ``enablement plan``)."""

EPS_S = 2.0
"""Tolerance in seconds: the CSV rounds times to the second and pass times to 0.01 min."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: its kind, march unit, place, time (ISO 8601) and a sentence."""

    kind: str
    march_unit: str
    place: str
    time: str
    message: str


def read_march_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and check a march-table CSV; times become aware datetimes.

    Raises
    ------
    ScenarioError
        Naming the file, the row and the field of every problem (missing column,
        bad number, time without its UTC offset).
    """
    p = Path(path)
    try:
        table = pd.read_csv(p, dtype={"control_point": str, "next_control_point": str, "kind": str})
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{p}: cannot be read as CSV ({exc})"]) from None
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        problems.append(
            f"{p}: missing column(s) {', '.join(missing)}; see the README for the march-table format"
        )
        raise ScenarioError(problems)
    for col in ("vehicles", "leg", "seq", "node", "km", "pass_min", "speed_kmh"):
        values = pd.to_numeric(table[col], errors="coerce")
        for i in values.index[values.isna()].tolist():
            problems.append(f"{p}: row {i + 2}: field '{col}' = {table[col].iloc[i]!r} is not a number")
        table[col] = values
    for col in ("arrive", "depart"):
        parsed = []
        for i, v in enumerate(table[col].astype(str)):
            try:
                ts = pd.Timestamp(v)
            except ValueError:
                ts = None
            if ts is None or ts.tzinfo is None:
                problems.append(
                    f"{p}: row {i + 2}: field '{col}' = {v!r}; write an ISO date-time with its offset "
                    "(2026-03-02T06:00:00+01:00)"
                )
            parsed.append(ts)
        table[col] = parsed
    table["next_control_point"] = table["next_control_point"].fillna("")
    if problems:
        raise ScenarioError(problems)
    return table


def _segments(table: pd.DataFrame) -> list[dict]:
    """Every segment driven: from one control point to the next, within a march unit's leg."""
    out = []
    for mu, g in table.sort_values(["march_unit", "leg", "seq"]).groupby("march_unit", sort=False):
        for a, b in itertools.pairwise(g.to_dict("records")):
            if (
                a["leg"] != b["leg"]
                or a["kind"] == "staging_arrive"
                or a["next_control_point"] != b["control_point"]
            ):
                continue
            out.append({"mu": mu, "unit": a["unit"], "a": a, "b": b})
    return out


def check_march_table(
    table: pd.DataFrame,
    scenario: Scenario,
    network: Network,
    vehicles: dict[str, list[Vehicle]] | None = None,
) -> list[Violation]:
    """Check a march table against the scenario's policy and the network.

    Parameters
    ----------
    table
        From :func:`read_march_table` (or the plan's own march table).
    scenario
        The scenario it claims to carry out (policy, RDDs).
    network
        The scenario's network with its sites.
    vehicles
        Vehicles of each march unit, for the route restrictions (optional: without
        them the restriction check is skipped).

    Returns
    -------
    list of Violation
        Every violation found, by kind then time.
    """
    pol = scenario.policy
    t0 = pd.Timestamp(scenario.start)

    def secs(ts: pd.Timestamp) -> float:
        return (ts - t0).total_seconds()

    def iso(s: float) -> str:
        return (t0 + pd.Timedelta(seconds=round(s))).isoformat()

    out: list[Violation] = []
    segs = _segments(table)
    n = network.n_nodes
    sites = network.sites
    for r in table.itertuples():
        cp = str(r.control_point)
        if not (0 <= int(r.node) < n) or (not cp.startswith("CP-") and cp not in sites.index):
            out.append(
                Violation("place", r.march_unit, cp, r.arrive.isoformat(), f"{cp} (node {r.node}) is unknown")
            )
    # overlaps on a segment and direction, with the headway
    headway = pol.headway_min * 60.0
    by_seg: dict[tuple[str, str], list[tuple[float, float, float, str]]] = defaultdict(list)
    for s in segs:
        a, b = s["a"], s["b"]
        by_seg[(a["control_point"], b["control_point"])].append(
            (secs(a["depart"]), secs(b["arrive"]), a["pass_min"] * 60.0, s["mu"])
        )
    for (x, y), ts in by_seg.items():
        ts.sort()
        for i, (e1, x1, p1, m1) in enumerate(ts):
            for e2, x2, _p2, m2 in ts[i + 1 :]:
                if e2 > x1 + p1 + headway + EPS_S:
                    break
                if e1 + p1 + headway > e2 + EPS_S or x1 + p1 + headway > x2 + EPS_S:
                    out.append(
                        Violation(
                            "overlap",
                            m2,
                            f"{x} -> {y}",
                            iso(e2),
                            f"{m2} enters {x} -> {y} at {iso(e2)} before {m1} (ahead) has cleared it "
                            f"with a {pol.headway_min:g} min headway",
                        )
                    )
    # halts: driving time since the last halt long enough
    h = pol.halts
    for mu, g in table.sort_values(["march_unit", "leg", "seq"]).groupby("march_unit", sort=False):
        rows = g.to_dict("records")
        driving, rests = 0.0, 0
        for a, b in itertools.pairwise(rows):
            if a["kind"] == "staging_arrive" or a["leg"] != b["leg"]:
                driving, rests = 0.0, 0
                continue
            stop = secs(a["depart"]) - secs(a["arrive"])
            need = (h.first_duration_min if rests == 0 else h.duration_min) * 60.0
            if driving > 0 and stop >= need - EPS_S:
                driving, rests = 0.0, rests + 1
            driving += secs(b["arrive"]) - secs(a["depart"])
            limit = (h.first_after_min if rests == 0 else h.every_min) * 60.0
            if driving > limit + EPS_S:
                out.append(
                    Violation(
                        "halt",
                        mu,
                        b["control_point"],
                        b["arrive"].isoformat(),
                        f"{mu} has driven {driving / 60:.0f} min without a halt on reaching "
                        f"{b['control_point']} "
                        f"(policy: {limit / 60:.0f} min)",
                    )
                )
                driving, rests = 0.0, rests + 1  # report once per stretch
    # movement window
    if pol.movement_window is not None:
        from ..timeline import Clock

        spans = Clock(scenario.start).daily(pol.movement_window.start, pol.movement_window.end).spans
        for s in segs:
            a, b = s["a"], s["b"]
            lo, hi = secs(a["depart"]), secs(b["arrive"]) + a["pass_min"] * 60.0
            if not any(x - EPS_S <= lo and hi <= y + EPS_S for x, y in spans):
                out.append(
                    Violation(
                        "window",
                        s["mu"],
                        f"{a['control_point']} -> {b['control_point']}",
                        a["depart"].isoformat(),
                        f"{s['mu']} moves outside the movement window "
                        f"({pol.movement_window.start}-{pol.movement_window.end})",
                    )
                )
    # speed and restrictions on each segment
    router = Router(network)
    for s in segs:
        a, b = s["a"], s["b"]
        dt_s = secs(b["arrive"]) - secs(a["depart"])
        km = float(b["km"]) - float(a["km"])
        speed = float(a["speed_kmh"])
        if km > 0 and (dt_s <= 0 or km / (dt_s / 3600.0) > speed * 1.05 + 1.0):
            shown = math.inf if dt_s <= 0 else km / (dt_s / 3600.0)
            out.append(
                Violation(
                    "speed",
                    s["mu"],
                    f"{a['control_point']} -> {b['control_point']}",
                    a["depart"].isoformat(),
                    f"{s['mu']} covers {km:.1f} km in {max(dt_s, 0) / 60:.0f} min ({shown:.0f} km/h), "
                    f"faster than its {speed:g} km/h",
                )
            )
        if vehicles and s["mu"] in vehicles and int(a["node"]) != int(b["node"]):
            profile = Profile.of(s["mu"], vehicles[s["mu"]], speed)
            try:
                allowed = router.route(int(a["node"]), int(b["node"]), profile).length_m / 1000.0
            except RoutingError:  # no road at all within the vehicles' limits
                allowed = math.inf
            if km + 0.05 < allowed * 0.98:
                out.append(
                    Violation(
                        "restriction",
                        s["mu"],
                        f"{a['control_point']} -> {b['control_point']}",
                        a["depart"].isoformat(),
                        f"{s['mu']} drives {km:.1f} km from {a['control_point']} to {b['control_point']}, "
                        "but the "
                        f"shortest road open to its vehicles (MLC, weight, height, width) is "
                        + ("none" if math.isinf(allowed) else f"{allowed:.1f} km"),
                    )
                )
    # staging capacity over time
    events: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
    rows = table.sort_values(["march_unit", "leg", "seq"]).to_dict("records")
    for a, b in itertools.pairwise(rows):
        if a["kind"] == "staging_arrive" and b["march_unit"] == a["march_unit"]:
            events[a["control_point"]] += [
                (secs(a["arrive"]), int(a["vehicles"]), a["march_unit"]),
                (secs(b["depart"]) + a["pass_min"] * 60.0, -int(a["vehicles"]), a["march_unit"]),
            ]
    for sid, ev in events.items():
        cap = sites.loc[sid].get("capacity_vehicles") if sid in sites.index else None
        if cap is None or pd.isna(cap):
            continue
        level = 0
        for t, d, mu in sorted(ev, key=lambda x: (x[0], x[1])):
            level += d
            if d > 0 and level > float(cap):
                out.append(
                    Violation(
                        "staging",
                        mu,
                        sid,
                        iso(t),
                        f"{sid} holds {level} vehicles when {mu} arrives, over its capacity of {int(cap)}",
                    )
                )
    # RDD per unit: its last column's arrival at the movement's destination (rail units close by train)
    rdd = {m.unit: (pd.Timestamp(m.rdd), m.to) for m in scenario.movements}
    for unit, g in table.groupby("unit"):
        if unit not in rdd:
            continue
        due, dest = rdd[unit]
        there = g[g["control_point"] == dest]
        if there.empty:
            continue
        t = there["arrive"].max()
        if t > due + pd.Timedelta(seconds=EPS_S):
            late = (t - due).total_seconds() / 3600.0
            mu = there.loc[there["arrive"] == t, "march_unit"].iloc[0]
            out.append(
                Violation(
                    "rdd", mu, str(unit), t.isoformat(), f"{unit} closes {late:.1f} h after its RDD {due}"
                )
            )
    return _sorted(out)


def _sorted(out: list[Violation]) -> list[Violation]:
    order = {
        k: i
        for i, k in enumerate(
            ("place", "overlap", "halt", "window", "speed", "restriction", "staging", "rdd")
        )
    }
    return sorted(out, key=lambda v: (order.get(v.kind, 99), v.time, v.march_unit))
