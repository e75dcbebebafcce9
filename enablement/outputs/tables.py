"""Tables of a plan: march table, train table, unit closures and HET trips, as data frames."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd
import pyproj

from ..network.model import CRS
from ..network.places import mgrs, node_names
from ..plan import Plan
from ..scheduling.heavy import tracked_on_tracks
from ..scheduling.march import footprints_m2
from ..vehicles import load_catalogue
from ..zones import dtg

__all__ = [
    "HET_TRIP_COLUMNS",
    "MARCH_TABLE_COLUMNS",
    "PERMISSION_COLUMNS",
    "het_table",
    "march_table",
    "permission_table",
    "train_table",
    "unit_table",
]

MARCH_TABLE_COLUMNS = (
    "movement_number",
    "march_unit",
    "unit",
    "serial",
    "vehicles",
    "tracked",
    "hets",
    "footprint_m2",
    "leg",
    "seq",
    "control_point",
    "control_point_name",
    "kind",
    "node",
    "lon",
    "lat",
    "mgrs",
    "km",
    "ashore",
    "arrive",
    "depart",
    "dtg",
    "pass_min",
    "halt_min",
    "wait_min",
    "speed_kmh",
    "caution_crossings",
    "caution_min",
    "next_control_point",
)
_TO_WGS84 = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def _code(unit: str) -> str:
    return (re.sub(r"[^A-Za-z0-9]", "", unit).upper() or "UNIT")[:6]


def unit_codes(units: Iterable[str]) -> dict[str, str]:
    """Give every unit the code of its movement numbers (``DD-CODE-NN``), one code per unit.

    A code is the unit's first six letters and digits; units that share them (``1BDE-ART-TRK``
    and ``1BDE-ART-WHL`` are both ``1BDEAR``) keep them in id order for the first and end in a
    running number for the others (``1BDEA1``), so that no two march units of a plan carry
    the same movement number.
    """
    codes: dict[str, str] = {}
    taken: set[str] = set()
    for unit in sorted(set(units)):
        base = code = _code(unit)
        k = 1
        while code in taken:
            suffix = str(k)
            code, k = base[: 6 - len(suffix)] + suffix, k + 1
        taken.add(code)
        codes[unit] = code
    return codes


def march_table(plan: Plan) -> pd.DataFrame:
    """One row per march unit and control point, with times in the scenario's zone.

    ``arrive`` and ``depart`` are ISO 8601 local times with their offset (``+01:00``
    in winter, ``+02:00`` in summer in Brussels); ``dtg`` is ``depart`` as a military
    date-time group (:func:`enablement.zones.dtg`, e.g. ``021800AMAR26``). On the first
    row of a march unit leaving a marshalling area (a port or airfield with a capacity),
    ``ashore`` is when its first vehicle began to come off there (after any pause of the
    discharge for a full area) and ``arrive`` when its last one did; ``footprint_m2`` is
    the area its vehicles take there (length × width × ``marshalling_area_factor``).

    Parameters
    ----------
    plan
        The plan.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MARCH_TABLE_COLUMNS`.
    """
    nodes = plan.network.nodes
    catalogue = load_catalogue()
    tracked = {m.id: tracked_on_tracks(m, catalogue) for m in plan.march_units}
    hets = {m.id: ";".join(str(h) for h in m.hets) for m in plan.march_units}
    first_depart: dict[str, float] = {}
    for r in plan.march.rows:
        first_depart.setdefault(r.march_unit, r.depart_s)
    index = {m.id: m.index for m in plan.march_units}
    rules = getattr(plan, "rules", None)
    footprint = rules.footprint_m2 if rules is not None else footprints_m2()
    areas = rules.marshalling if rules is not None else {}
    by_id = {m.id: m for m in plan.march_units}
    room = {m.id: round(sum(footprint.get(v, 0.0) for v in m.vehicles), 1) for m in plan.march_units}
    code = unit_codes(m.unit for m in plan.march_units)
    names = _control_point_names(plan)
    records = []
    grid: dict[int, str] = {}
    firsts: set[str] = set()
    for r in plan.march.rows:
        ashore = ""
        if r.march_unit not in firsts:
            firsts.add(r.march_unit)
            mu = by_id.get(r.march_unit)
            if mu is not None and r.control_point in areas and mu.purpose != "het":
                # the pause of the discharge for a full area shifts its first vehicle as its last
                ashore = plan.clock.iso(mu.first_ashore_s + max(0.0, r.arrive_s - mu.release_s))
        lon, lat = _TO_WGS84.transform(float(nodes["x"].iloc[r.node]), float(nodes["y"].iloc[r.node]))
        if r.node not in grid:
            grid[r.node] = mgrs(lon, lat)
        day = plan.clock.at(first_depart[r.march_unit]).day
        records.append(
            {
                "movement_number": f"{day:02d}-{code[r.unit]}-{index[r.march_unit]:02d}",
                "march_unit": r.march_unit,
                "unit": r.unit,
                "serial": r.serial,
                "vehicles": r.vehicles,
                "tracked": tracked[r.march_unit],
                "hets": hets[r.march_unit],
                "footprint_m2": room[r.march_unit],
                "leg": r.leg,
                "seq": r.seq,
                "control_point": r.control_point,
                "control_point_name": names.get(r.control_point) or names.get(r.node, ""),
                "kind": r.kind,
                "node": r.node,
                "lon": round(lon, 5),
                "lat": round(lat, 5),
                "mgrs": grid[r.node],
                "km": r.km,
                "ashore": ashore,
                "arrive": plan.clock.iso(r.arrive_s),
                "depart": plan.clock.iso(r.depart_s),
                "dtg": dtg(plan.clock.at(r.depart_s)),
                "pass_min": round(r.pass_s / 60.0, 2),
                "halt_min": round(r.halt_s / 60.0, 2),
                "wait_min": round(r.wait_s / 60.0, 2),
                "speed_kmh": r.speed_kmh,
                "caution_crossings": r.caution,
                "caution_min": round(r.caution_s / 60.0, 2) if r.caution else "",
                "next_control_point": r.next_control_point,
            }
        )
    return pd.DataFrame.from_records(records, columns=list(MARCH_TABLE_COLUMNS))


def _control_point_names(plan: Plan) -> dict[str | int, str]:
    """Name of each site control point (by site id) and of each other control point (by node)."""
    sites = plan.network.sites
    out: dict[str | int, str] = {}
    if "name" in sites.columns:
        for sid, name in sites["name"].items():
            if isinstance(name, str) and name.strip():
                out[str(sid)] = name.strip()
    others = {r.node for r in plan.march.rows if r.control_point not in out}
    out.update({n: name for n, name in node_names(plan.network, others).items() if name})
    places = plan.rules.places if plan.rules is not None else {}
    for n in others:  # a node a halt place is reached from: the column turns off to it there
        place = places.get(n)
        if place is not None and place.node != n:
            site = out.get(place.site) or place.name or place.site
            out[n] = f"{out[n]}, for {site}" if n in out else f"for {site}"
    return out


def train_table(plan: Plan) -> pd.DataFrame:
    """One row per train: unit, quay and ramp track, wagons, load list, times and the wagons' return.

    A train whose destination is a border point is handed over there: ``handed_over``
    holds the time and ``unloaded`` is empty (nothing unloads at a border point).
    """
    c = plan.clock
    return pd.DataFrame.from_records(
        [
            {
                "train": t.id,
                "unit": t.unit,
                "quay": t.quay,
                "track": t.track,
                "destination": t.destination,
                "wagons": t.wagons,
                "length_m": t.length_m,
                "gross_t": t.gross_t,
                "out_of_gauge": t.out_of_gauge,
                "vehicles": len(t.vehicles),
                "load_list": ";".join(f"{v}x{t.vehicles.count(v)}" for v in dict.fromkeys(t.vehicles)),
                "ready": c.iso(t.ready_s),
                "load_start": c.iso(t.load_start_s),
                "load_end": c.iso(t.load_end_s),
                "locomotive": t.locomotive,
                "depart": c.iso(t.depart_s),
                "border": t.border,
                "border_crossing": c.iso(t.border_s) if t.border else "",
                "arrive": c.iso(t.arrive_s),
                "unloaded": "" if t.handover else c.iso(t.unloaded_s),
                "handed_over": c.iso(t.arrive_s) if t.handover else "",
                "wagons_back": c.iso(t.back_s) if t.back_s == t.back_s else "",
                "route_km": t.route_km,
            }
            for t in plan.trains
        ],
        columns=[
            "train",
            "unit",
            "quay",
            "track",
            "destination",
            "wagons",
            "length_m",
            "gross_t",
            "out_of_gauge",
            "vehicles",
            "load_list",
            "ready",
            "load_start",
            "load_end",
            "locomotive",
            "depart",
            "border",
            "border_crossing",
            "arrive",
            "unloaded",
            "handed_over",
            "wagons_back",
            "route_km",
        ],
    )


PERMISSION_COLUMNS = (
    "crossing",
    "crossing_name",
    "neighbour",
    "mode",
    "unit",
    "movement",
    "first_vehicle",
    "last_vehicle",
    "vehicles",
    "vehicles_by_type",
    "out_of_gauge",
    "heavy_load",
    "heaviest_mlc",
    "regime",
    "regime_status",
    "lead_time",
    "filing_deadline",
    "filing_from",
    "at_risk",
    "risk",
)


def permission_table(plan: Plan) -> pd.DataFrame:
    """One cross-border permission request per crossing and serial or train, at-risk ones first.

    ``heavy_load`` is true when a vehicle's MLC class is above the sourced threshold
    (``heavy_load.mlc_above`` in ``enablement/data/permissions.yaml``); ``risk`` is
    ``past`` (the filing deadline is before requests can be filed) or ``tight`` (it is
    less than the ``permission_margin_h`` figure after the first filing time).
    """
    c = plan.clock
    return pd.DataFrame.from_records(
        [
            {
                "crossing": r.crossing,
                "crossing_name": r.crossing_name,
                "neighbour": r.neighbour,
                "mode": r.mode,
                "unit": r.unit,
                "movement": r.movement,
                "first_vehicle": c.iso(r.first_s),
                "last_vehicle": c.iso(r.last_s),
                "vehicles": sum(n for _, n in r.vehicles),
                "vehicles_by_type": ";".join(f"{v}x{n}" for v, n in r.vehicles),
                "out_of_gauge": r.out_of_gauge,
                "heavy_load": r.heavy_load,
                "heaviest_mlc": r.heaviest_mlc,
                "regime": r.regime.id,
                "regime_status": r.regime.status + (" (weak figure)" if r.regime.weak else ""),
                "lead_time": r.regime.lead_text,
                "filing_deadline": c.iso(r.deadline_s),
                "filing_from": c.iso(r.filing_s),
                "at_risk": r.at_risk,
                "risk": r.risk,
            }
            for r in plan.permissions
        ],
        columns=list(PERMISSION_COLUMNS),
    )


def unit_table(plan: Plan) -> pd.DataFrame:
    """Closure per unit against its RDD."""
    return pd.DataFrame(plan.summary()["units"])


HET_TRIP_COLUMNS = (
    "task",
    "het",
    "shift",
    "vehicle",
    "unit",
    "over_payload",
    "pickup",
    "delivery",
    "column",
    "load_start",
    "depart",
    "arrive",
    "unloaded",
    "planned_depart",
    "planned_unloaded",
)
"""Columns of ``het_trips.csv``."""


def het_table(plan: Plan) -> pd.DataFrame:
    """One row per vehicle carried by HET: its HET and shift, places, column and times as driven.

    ``column`` is the HET column (march unit of the march table) it rides; ``depart`` is
    that column's departure and ``arrive`` its tail's arrival in the road schedule
    (``unloaded``: after the unloading), ``load_start`` its loading just before; the
    ``planned_*`` times are the shuttle plan's, before the road schedule. ``over_payload``
    is true when the vehicle weighs more than the HET's payload (the plan warns).
    """
    if plan.hets is None:
        return pd.DataFrame(columns=list(HET_TRIP_COLUMNS))
    place = plan.het_places
    iso = plan.clock.iso
    planned = {t.task: t for t in (plan.het_planned.trips if plan.het_planned is not None else [])}
    heavy = set(plan.het_over_payload)
    rows = []
    for t in sorted(plan.hets.trips, key=lambda t: (t.het, t.load_start_s, t.task)):
        was = planned.get(t.task)
        rows.append(
            {
                "task": t.task,
                "het": t.het + 1,
                "shift": t.shift + 1,
                "vehicle": t.vehicle,
                "unit": t.group,
                "over_payload": t.vehicle in heavy,
                "pickup": place[t.pickup],
                "delivery": place[t.delivery],
                "column": plan.het_columns.get(t.task, ""),
                "load_start": iso(t.load_start_s),
                "depart": iso(t.depart_s),
                "arrive": iso(t.arrive_s),
                "unloaded": iso(t.unloaded_s),
                "planned_depart": iso(was.depart_s) if was is not None else "",
                "planned_unloaded": iso(was.unloaded_s) if was is not None else "",
            }
        )
    return pd.DataFrame(rows, columns=list(HET_TRIP_COLUMNS))
