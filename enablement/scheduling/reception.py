"""Reception: ships and flights discharged at a site's rate into its marshalling area."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import InfeasibleError
from ..network.sites import Site
from ..timeline import Clock, Intervals
from .inputs import PlanningInputs

__all__ = [
    "DEFAULT_DISCHARGE_RATE_VPH",
    "ArrivalWorked",
    "Discharged",
    "arrivals_worked",
    "discharge",
    "receive",
    "working_time_end",
]

DEFAULT_DISCHARGE_RATE_VPH = 60.0
"""Vehicles discharged per hour at a site that states no ``discharge_rate_vph``."""


@dataclass(frozen=True)
class Discharged:
    """One vehicle ashore.

    Attributes
    ----------
    arrival
        Id of the ship or flight.
    site
        Reception site id.
    unit
        Unit the vehicle belongs to.
    vehicle
        Vehicle type id.
    ready_s
        When it is ashore and free to move (seconds since the scenario start), before any pause
        for a full marshalling area (the road march decides those: ``marshalling`` in
        :data:`~.march.CONSTRAINTS`).
    berth
        The berth (or stand) it came off at, numbered from 1.
    start_s
        When its berth began to work it (it takes room in the marshalling area from then);
        None: at ``ready_s``.
    """

    arrival: str
    site: str
    unit: str
    vehicle: str
    ready_s: float
    berth: int = 1
    start_s: float | None = None


@dataclass(frozen=True)
class ArrivalWorked:
    """How one ship or flight was worked: where, at which berths, from when to when.

    Attributes
    ----------
    arrival, site
        Id of the arrival and of its reception site.
    vehicles
        Vehicles it brought.
    berths
        The berths (or stands) its vehicles came off at, numbered from 1.
    first_s, last_s
        When its first and its last vehicle were ashore (s since the start).
    """

    arrival: str
    site: str
    vehicles: int
    berths: tuple[int, ...]
    first_s: float
    last_s: float


def arrivals_worked(ashore: Sequence[Discharged]) -> list[ArrivalWorked]:
    """Each arrival's berths and discharge times, in order of its first vehicle ashore."""
    by: dict[str, list[Discharged]] = {}
    for d in ashore:
        by.setdefault(d.arrival, []).append(d)
    out = [
        ArrivalWorked(
            a,
            ds[0].site,
            len(ds),
            tuple(sorted({d.berth for d in ds})),
            min(d.ready_s for d in ds),
            max(d.ready_s for d in ds),
        )
        for a, ds in by.items()
    ]
    return sorted(out, key=lambda w: (w.first_s, w.arrival))


def _hours(text: str) -> tuple[str, str]:
    """``HH:MM-HH:MM`` as its start and end."""
    start, end = text.split("-")
    return start, end


def working_time_end(start: float, work: float, hours: Intervals | None) -> float:
    """Time at which ``work`` seconds of work begun at ``start`` end, working only in ``hours``."""
    if hours is None:
        return start + work
    t, left = start, work
    for a, b in hours.spans:
        if b <= t:
            continue
        t = max(t, a)
        take = min(left, b - t)
        t += take
        left -= take
        if left <= 0:
            return t
    msg = "reception: discharge does not finish within the site's working hours horizon"
    raise InfeasibleError(msg)


def _without(spans: Sequence[tuple[float, float]], cuts: Intervals) -> Intervals:
    """``spans`` minus the intervals of ``cuts``."""
    out: list[tuple[float, float]] = []
    for a, b in spans:
        pieces = [(a, b)]
        for ca, cb in cuts.spans:
            pieces = [p for x, y in pieces for p in ((x, min(y, ca)), (max(x, cb), y)) if p[0] < p[1]]
        out += pieces
    return Intervals(out)


def discharge(
    arrivals: Sequence[tuple[str, str, float, Sequence[tuple[str, str, int]]]],
    sites: Mapping[str, Site],
    clock: Clock,
    closed: Mapping[str, Intervals] | None = None,
) -> list[Discharged]:
    """Discharge arrivals at their sites.

    Each berth (or stand) of a site is a discharge lane that works one vehicle at a
    time at the site's ``discharge_rate_vph``, within its ``hours`` and outside its
    closures. Arrivals are worked in order of arrival time (then id), and each
    arrival's vehicles in the order of its equipment list: a vehicle comes off at the
    berth that frees first (the lowest-numbered among equals), no earlier than its
    ship is in. So a ship alone at a two-berth port is worked at both berths, twice
    the rate of one, and a ship that comes in while an earlier one is being worked
    takes the berths as the earlier one's last vehicles leave them. The rate per berth
    is the site's; a ship never waits for a berth another ship could not use.

    Parameters
    ----------
    arrivals
        ``(id, site, time_s, [(unit, vehicle, count), …])`` per arrival.
    sites
        Sites by id (their ``discharge_rate_vph``, ``berths``/``stands`` and ``hours``).
    clock
        The scenario clock (for working hours).
    closed
        Closure intervals per site (a closed port or airfield discharges nothing).

    Returns
    -------
    list of Discharged
        One entry per vehicle, with its berth.
    """
    out: list[Discharged] = []
    free: dict[str, list[float]] = {}
    for arr_id, site, t_arr, items in sorted(arrivals, key=lambda a: (a[2], a[0])):
        rec = sites[site]
        rate = DEFAULT_DISCHARGE_RATE_VPH if rec.discharge_rate_vph is None else rec.discharge_rate_vph
        if rate <= 0:
            msg = f"site '{site}': discharge_rate_vph must be positive to receive arrival '{arr_id}'"
            raise InfeasibleError(msg)
        stated = rec.berths if rec.berths is not None else rec.stands
        berths = int(stated if stated is not None else 1.0)
        hours = None if rec.hours is None else clock.daily(*_hours(rec.hours))
        if closed and site in closed:
            whole = hours.spans if hours is not None else [(min(0.0, t_arr), 400 * 86400.0)]
            hours = _without(whole, closed[site])
        slots = free.setdefault(site, [0.0] * max(berths, 1))
        each = 3600.0 / rate
        for unit, vehicle, count in items:
            for _ in range(count):
                k = min(range(len(slots)), key=lambda i: (slots[i], i))
                begin = max(t_arr, slots[k])
                try:
                    slots[k] = working_time_end(begin, each, hours)
                except InfeasibleError:
                    msg = (
                        f"site '{site}' cannot discharge arrival '{arr_id}': it is closed or out of working "
                        "hours until the end of the horizon; reopen it, or send the arrival to another site"
                    )
                    raise InfeasibleError(msg) from None
                out.append(Discharged(arr_id, site, unit, vehicle, slots[k], k + 1, begin))
    return out


def receive(inputs: PlanningInputs) -> list[Discharged]:
    """Discharge the scenario's arrivals at their sites, around the sites' closures (:func:`discharge`)."""
    clock = inputs.clock
    arrivals = [
        (a.id, a.site, clock.seconds(a.time), [(e.unit, e.vehicle, e.count) for e in a.equipment])
        for a in inputs.scenario.arrivals
    ]
    return discharge(arrivals, inputs.sites, clock, closed=inputs.closures.site)
