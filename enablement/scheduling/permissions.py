"""Cross-border movement permissions: when each crossing is permitted, and the requests a plan needs.

A crossing is a site of kind ``border_crossing``; its ``neighbour`` (an overlay
field) names the country on the other side, and the scenario's ``permissions``
section the regime in force there (:meth:`~enablement.scenario.schema.Permissions.regime_for`)
and the first time requests can be filed. The regimes and their lead times are
sourced data (``enablement/data/permissions.yaml``, read by :mod:`enablement.permits`).

The rule (``permission`` in :data:`~enablement.scheduling.march.CONSTRAINTS`): no
column or train reaches a crossing before its permission is granted, i.e. before
the filing date plus the regime's lead time (:class:`CrossingPermit`). Heavy loads
(a vehicle above the sourced MLC threshold) and out-of-gauge trains are exceptional
transports: under a regime with an ``exceptional`` fallback (the EDA CBMP annual
pre-authorisation does not cover them) they file under that regime instead.

:func:`permission_requests` lists one request per crossing and serial (road) or
train (rail), with its window at the crossing, its vehicles, flags, regime, lead
time and filing deadline, and whether it is at risk.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..defaults import figure
from ..network.model import Network
from ..network.sites import site_records
from ..permits import Regime, permission_data
from ..scenario.schema import Scenario
from ..timeline import Clock
from ..vehicles import Catalogue, Profile

__all__ = [
    "CrossingPermit",
    "PermissionRequest",
    "crossing_permits",
    "heavy_load",
    "permission_requests",
]


@dataclass(frozen=True)
class CrossingPermit:
    """When a crossing is permitted, for ordinary and for exceptional transports.

    Attributes
    ----------
    site, name, neighbour
        The crossing's site id, name and the country on the other side.
    regime, exceptional
        The regime in force, and the one exceptional transports file under (often the same).
    filing_s
        First time requests can be filed (s since the scenario start).
    open_s, exceptional_open_s
        Earliest permitted crossing (s since the start) for ordinary and exceptional transports.
    """

    site: str
    name: str
    neighbour: str
    regime: Regime
    exceptional: Regime
    filing_s: float
    open_s: float
    exceptional_open_s: float

    def regime_for(self, exceptional: bool) -> Regime:
        """Return the regime a transport files under."""
        return self.exceptional if exceptional else self.regime

    def open_for(self, exceptional: bool) -> float:
        """Earliest permitted crossing (s since the start) of a transport."""
        return self.exceptional_open_s if exceptional else self.open_s


def heavy_mlc() -> float:
    """Return the MLC class above which a vehicle is a heavy load (sourced, ``permissions.yaml``)."""
    return permission_data().heavy_mlc_above


def heavy_load(profile: Profile) -> bool:
    """Whether a column's heaviest vehicle is above the heavy-load MLC class."""
    return max(profile.mlc_wheeled, profile.mlc_tracked) > heavy_mlc()


def crossing_permits(scenario: Scenario, network: Network, clock: Clock) -> dict[str, CrossingPermit]:
    """Return the permit of every border crossing of the network under the scenario's permissions.

    Crossings are the sites of kind ``border_crossing`` (whatever the kind of the
    table row that reaches them).
    """
    data = permission_data()
    filed = clock.local(scenario.filing_from)  # days are counted on the zone's clock
    out = {}
    for sid, site in site_records(network).items():
        if site.kind != "border_crossing":
            continue
        nb = site.attrs.get("neighbour")
        neighbour = nb if isinstance(nb, str) else ""
        regime = data.regime(scenario.permissions.regime_for(neighbour))
        exceptional = data.regime(regime.exceptional) if regime.exceptional else regime
        out[sid] = CrossingPermit(
            site=sid,
            name=site.name or sid,
            neighbour=neighbour,
            regime=regime,
            exceptional=exceptional,
            filing_s=clock.seconds(filed),
            open_s=clock.seconds(regime.granted(filed)),
            exceptional_open_s=clock.seconds(exceptional.granted(filed)),
        )
    return out


@dataclass(frozen=True)
class PermissionRequest:
    """One permission request: a serial or train at a crossing.

    Attributes
    ----------
    crossing, crossing_name, neighbour
        The crossing's site id and name, and the country on the other side.
    mode
        ``road`` or ``rail``.
    unit
        The unit moving.
    movement
        ``UNIT/S<serial>`` for a road serial, the train id for a train.
    first_s, last_s
        First and last vehicle at the crossing (s since the start).
    vehicles
        Vehicle types and counts.
    out_of_gauge
        A train with a load wider than its wagons' gauge width.
    heavy_load
        A vehicle above the heavy-load MLC class (:func:`heavy_mlc`).
    heaviest_mlc
        The heaviest vehicle's MLC class.
    regime
        The regime the request files under.
    deadline_s
        The latest filing time for the permission to be granted by ``first_s``.
    filing_s
        The first time requests can be filed.
    """

    crossing: str
    crossing_name: str
    neighbour: str
    mode: str
    unit: str
    movement: str
    first_s: float
    last_s: float
    vehicles: tuple[tuple[str, int], ...]
    out_of_gauge: bool
    heavy_load: bool
    heaviest_mlc: float
    regime: Regime
    deadline_s: float
    filing_s: float

    @property
    def exceptional(self) -> bool:
        """Whether it is an exceptional transport (heavy load or out of gauge)."""
        return self.heavy_load or self.out_of_gauge

    @property
    def risk(self) -> str:
        """Return ``past`` (deadline before the filing date), ``tight`` (within the margin) or ``""``."""
        if self.deadline_s < self.filing_s - 1.0:
            return "past"
        if self.deadline_s < self.filing_s + float(figure("permission_margin_h")) * 3600.0:
            return "tight"
        return ""

    @property
    def at_risk(self) -> bool:
        """Whether the request is at risk (:attr:`risk`)."""
        return bool(self.risk)


def _vehicles(types: Iterable[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(Counter(types).items()))


def _request(
    permit: CrossingPermit,
    clock: Clock,
    mode: str,
    unit: str,
    movement: str,
    window: tuple[float, float],
    types: Sequence[str],
    catalogue: Catalogue,
    out_of_gauge: bool,
) -> PermissionRequest:
    mlc = max((v.mlc for v in (catalogue.get(t) for t in types) if v is not None), default=0.0)
    heavy = mlc > heavy_mlc()
    regime = permit.regime_for(heavy or out_of_gauge)
    return PermissionRequest(
        crossing=permit.site,
        crossing_name=permit.name,
        neighbour=permit.neighbour,
        mode=mode,
        unit=unit,
        movement=movement,
        first_s=window[0],
        last_s=window[1],
        vehicles=_vehicles(types),
        out_of_gauge=out_of_gauge,
        heavy_load=heavy,
        heaviest_mlc=float(mlc),
        regime=regime,
        deadline_s=clock.seconds(regime.deadline(clock.at(window[0]))),
        filing_s=permit.filing_s,
    )


@dataclass(frozen=True)
class TrainAtBorder:
    """What a train's permission request needs: its border crossing and when its first and last wagon pass."""

    id: str
    unit: str
    border: str
    first_s: float
    last_s: float
    vehicles: tuple[str, ...]
    out_of_gauge: bool


def permission_requests(
    permits: Mapping[str, CrossingPermit],
    clock: Clock,
    rows: Iterable[tuple[str, str, int, str, float, float]],
    vehicles_of: Mapping[str, Sequence[str]],
    trains: Iterable[TrainAtBorder],
    catalogue: Catalogue,
) -> list[PermissionRequest]:
    """One request per crossing and serial (road) or train (rail), at-risk ones first, then by deadline.

    Parameters
    ----------
    permits
        The crossings' permits (:func:`crossing_permits`).
    clock
        The scenario clock.
    rows
        March-table rows at any site: ``(march unit, unit, serial, site, head arrival s, pass s)``;
        those at a crossing make the road requests.
    vehicles_of
        Vehicle type ids of each march unit.
    trains
        Trains with their border crossing.
    catalogue
        The vehicle catalogue (MLC of each type).
    """
    groups: dict[tuple[str, str, int], list[tuple[str, float, float]]] = defaultdict(list)
    for mu, unit, serial, site, arrive, pass_s in rows:
        if site in permits:
            groups[(site, unit, serial)].append((mu, arrive, arrive + pass_s))
    out = []
    for (site, unit, serial), items in sorted(groups.items()):
        seen = sorted({mu for mu, _, _ in items})
        types = [t for mu in seen for t in vehicles_of.get(mu, ())]
        window = (min(a for _, a, _ in items), max(b for _, _, b in items))
        out.append(
            _request(permits[site], clock, "road", unit, f"{unit}/S{serial}", window, types, catalogue, False)
        )
    for t in trains:
        if t.border in permits:
            out.append(
                _request(
                    permits[t.border],
                    clock,
                    "rail",
                    t.unit,
                    t.id,
                    (t.first_s, t.last_s),
                    t.vehicles,
                    catalogue,
                    t.out_of_gauge,
                )
            )
    order = {"past": 0, "tight": 1, "": 2}
    out.sort(key=lambda r: (order[r.risk], r.deadline_s, r.crossing, r.movement))
    return out
