"""Rail onward movement, first version: trains formed per unit and loaded one at a time per quay.

Vehicles of a unit that reach the quay fill trains in order of arrival, up to the
train's wagon capacity (``train_max_length_m`` less the locomotive, over
``wagon_length_m``, and no longer than the quay's usable length). A quay loads one
train at a time at its ``loading_rate_wagons_per_h`` (or the illustrative
``train_loading_time_h`` when the quay gives no rate). Wagons and locomotives are
pools: a train waits for enough of both, and they come back empty after unloading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .._values import as_float
from ..defaults import figure
from ..errors import InfeasibleError
from ..routing import Router
from .timeline import Intervals

__all__ = ["RailGroup", "Train", "schedule_trains"]


@dataclass(frozen=True)
class RailGroup:
    """The vehicles of one unit that go by rail from a quay to a destination.

    Attributes
    ----------
    unit
        Unit id.
    quay, destination
        Site ids.
    vehicles
        ``(vehicle type, wagons needed, time at the quay)`` per vehicle.
    """

    unit: str
    quay: str
    destination: str
    vehicles: tuple[tuple[str, float, float], ...]


@dataclass(frozen=True)
class Train:
    """A scheduled train (times in seconds since the scenario start)."""

    id: str
    unit: str
    quay: str
    destination: str
    vehicles: tuple[str, ...]
    wagons: int
    ready_s: float
    load_start_s: float
    load_end_s: float
    depart_s: float
    arrive_s: float
    unloaded_s: float
    route_km: float
    length_m: float


def _take(pool: list[float], n: int) -> float:
    pool.sort()
    return pool[n - 1]


def schedule_trains(
    groups: Sequence[RailGroup],
    quays: Mapping[str, Mapping[str, object]],
    rail_node: Mapping[str, int],
    router: Router,
    wagons: int,
    locomotives: int,
    closed: Mapping[str, Intervals] | None = None,
) -> list[Train]:
    """Form and schedule trains.

    Parameters
    ----------
    groups
        Rail-bound vehicles per unit, quay and destination.
    quays
        Quay attributes by site id.
    rail_node
        Rail node of every site.
    router
        A rail router.
    wagons, locomotives
        Pool sizes.
    closed
        Closure intervals by site id (quays closed for loading).

    Returns
    -------
    list of Train
        Trains in order of loading start.

    Raises
    ------
    InfeasibleError
        When no train can be formed (no wagons, a quay too short for one wagon).
    """
    closed = closed or {}
    if not groups:
        return []
    if wagons <= 0 or locomotives <= 0:
        msg = "rail movements need wagons and locomotives (resources.wagons, resources.locomotives)"
        raise InfeasibleError(msg)
    wagon_len = float(figure("wagon_length_m"))
    cap_train = int((float(figure("train_max_length_m")) - float(figure("locomotive_length_m"))) // wagon_len)
    pending: list[tuple[float, str, RailGroup, list[tuple[str, float, float]], int]] = []
    for g in groups:
        q = quays[g.quay]
        usable = as_float(q.get("usable_length_m"), math.inf)
        cap = min(cap_train, wagons, cap_train if math.isinf(usable) else int(usable // wagon_len))
        if cap < 1:
            msg = (
                f"quay '{g.quay}' ({usable:.0f} m usable) is too short for one {wagon_len:.0f} m wagon; "
                f"unit '{g.unit}' cannot load there"
            )
            raise InfeasibleError(msg)
        load: list[tuple[str, float, float]] = []
        used = 0.0
        for item in sorted(g.vehicles, key=lambda v: v[2]):
            if item[1] > cap:
                msg = f"a {item[0]} needs {item[1]:g} wagons, more than a train at '{g.quay}' carries"
                raise InfeasibleError(msg)
            if used + item[1] > cap + 1e-9:
                pending.append((max(x[2] for x in load), g.unit, g, load, math.ceil(used - 1e-9)))
                load, used = [], 0.0
            load.append(item)
            used += item[1]
        if load:
            pending.append((max(x[2] for x in load), g.unit, g, load, math.ceil(used - 1e-9)))
    pending.sort(key=lambda p: (p[0], p[1]))
    wagon_pool = [0.0] * wagons
    loco_pool = [0.0] * locomotives
    quay_free: dict[str, float] = {}
    trains: list[Train] = []
    unload = float(figure("train_unloading_time_h")) * 3600.0
    for k, (ready, unit, g, load, n_wag) in enumerate(pending, start=1):
        q = quays[g.quay]
        rate = as_float(q.get("loading_rate_wagons_per_h"), 0.0)
        load_s = n_wag / rate * 3600.0 if rate > 0 else float(figure("train_loading_time_h")) * 3600.0
        route = router.route(rail_node[g.quay], rail_node[g.destination])
        start = max(ready, quay_free.get(g.quay, 0.0), _take(wagon_pool, n_wag), _take(loco_pool, 1))
        if g.quay in closed:
            while (span := closed[g.quay].overlaps(start, start + load_s)) is not None:
                if math.isinf(span[1]):
                    msg = f"quay '{g.quay}' is closed until further notice; unit '{unit}' cannot load"
                    raise InfeasibleError(msg)
                start = span[1]
        end = start + load_s
        arrive = end + route.time_s
        done = arrive + unload
        back = done + route.time_s
        quay_free[g.quay] = end
        for _ in range(n_wag):
            wagon_pool.pop(0)
        wagon_pool.extend([back] * n_wag)
        loco_pool.pop(0)
        loco_pool.append(back)
        trains.append(
            Train(
                id=f"T{k:03d}",
                unit=unit,
                quay=g.quay,
                destination=g.destination,
                vehicles=tuple(v[0] for v in load),
                wagons=n_wag,
                ready_s=ready,
                load_start_s=start,
                load_end_s=end,
                depart_s=end,
                arrive_s=arrive,
                unloaded_s=done,
                route_km=round(route.length_m / 1000.0, 1),
                length_m=n_wag * wagon_len + float(figure("locomotive_length_m")),
            )
        )
    trains.sort(key=lambda t: (t.load_start_s, t.id))
    return trains
