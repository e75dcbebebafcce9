"""Cross-border movement permission regimes: lead times with their sources, and the lead-time arithmetic.

Read from ``enablement/data/permissions.yaml`` once. A foundation module: the
scenario schema checks regime names against it, the planners read the earliest
permitted crossing from it (:meth:`Regime.granted`) and the permission requests
their filing deadline (:meth:`Regime.deadline`).

Lead times come in three units:

- ``calendar_days``: the same local clock time that many days later;
- ``working_days``: only time on Monday to Friday counts (local wall-clock time of
  the datetime given); a request filed on Wednesday 10:00 with 3 working days is
  granted on Monday 10:00, one filed on a Saturday on Thursday 00:00; public
  holidays are not counted out;
- ``hours``: elapsed hours.

Local wall-clock time is that of the datetime's own ``tzinfo``: give datetimes in
the scenario's zone (a :class:`zoneinfo.ZoneInfo`) and the days are counted on its
clock across a daylight-saving change (45 calendar days from 10:00 CET are 10:00
CEST). A grant that falls on a wall-clock time the clocks skip or repeat is the
first instant showing it (:func:`enablement.zones.local_time`).

:meth:`Regime.deadline` is the inverse of :meth:`Regime.granted`: the latest
filing time whose grant is no later than the crossing. Around a clock change it
errs early, never late: a deadline in the hour skipped in spring is read an hour
earlier (:func:`enablement.zones.local_time_before`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from .zones import local_time, local_time_before

__all__ = ["PermissionData", "Regime", "permission_data"]

Unit = Literal["calendar_days", "working_days", "hours"]
_UNITS: tuple[str, ...] = ("calendar_days", "working_days", "hours")
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Regime:
    """A permission regime: the lead time a neighbour asks before a crossing.

    Attributes
    ----------
    id
        Key in the data file (``eca-2025``).
    name
        Words for tables and the report.
    lead
        The lead time, in ``unit``.
    unit
        ``calendar_days``, ``working_days`` or ``hours``.
    status
        ``practice``, ``arrangement`` or ``proposal`` (not law).
    source
        Where the figure comes from.
    weak
        An order of magnitude only.
    illustrative
        A modelling choice with no public figure behind it.
    exceptional
        Regime that heavy-load and out-of-gauge movements file under instead (None: this one).
    note
        What the model assumes.
    """

    id: str
    name: str
    lead: float
    unit: Unit
    status: str
    source: str
    weak: bool = False
    illustrative: bool = False
    exceptional: str | None = None
    note: str = ""

    @property
    def lead_text(self) -> str:
        """The lead time in words, e.g. ``45 calendar days``."""
        words = {"calendar_days": "calendar days", "working_days": "working days", "hours": "h"}
        return f"{self.lead:g} {words[self.unit]}"

    def granted(self, filed: dt.datetime) -> dt.datetime:
        """Earliest time a crossing is permitted when its request is filed at ``filed``."""
        if self.unit == "hours":
            return _elapsed(filed, dt.timedelta(hours=self.lead))
        if self.unit == "calendar_days":
            return _wall(filed, _naive(filed) + dt.timedelta(days=self.lead))
        return _wall(filed, _add_working(_naive(filed), dt.timedelta(days=self.lead)))

    def deadline(self, crossing: dt.datetime) -> dt.datetime:
        """Latest filing time whose grant (:meth:`granted`) is no later than ``crossing``."""
        if self.unit == "hours":
            return _elapsed(crossing, -dt.timedelta(hours=self.lead))
        if self.unit == "calendar_days":
            return _wall_before(crossing, _naive(crossing) - dt.timedelta(days=self.lead))
        return _wall_before(crossing, _sub_working(_naive(crossing), dt.timedelta(days=self.lead)))


def _naive(when: dt.datetime) -> dt.datetime:
    """Local wall-clock time of an aware datetime."""
    return when.replace(tzinfo=None)


def _wall(like: dt.datetime, naive: dt.datetime) -> dt.datetime:
    """Return the first instant showing a wall-clock time in the zone of ``like``."""
    assert like.tzinfo is not None
    return local_time(naive, like.tzinfo)


def _wall_before(like: dt.datetime, naive: dt.datetime) -> dt.datetime:
    """Return the latest instant showing a wall-clock time in the zone of ``like`` (or just before)."""
    assert like.tzinfo is not None
    return local_time_before(naive, like.tzinfo)


def _elapsed(when: dt.datetime, span: dt.timedelta) -> dt.datetime:
    """``when`` plus ``span`` of elapsed time, in the zone of ``when``.

    Aware arithmetic within one zone is wall-clock arithmetic in Python, so it is done in UTC.
    """
    return (when.astimezone(dt.UTC) + span).astimezone(when.tzinfo)


def _midnight(t: dt.datetime) -> dt.datetime:
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def _add_working(t: dt.datetime, need: dt.timedelta) -> dt.datetime:
    """``t`` plus ``need`` of time on Monday to Friday (wall clock)."""
    while True:
        if t.weekday() >= 5:  # Saturday, Sunday: the clock does not run
            t = _midnight(t) + _DAY
            continue
        left = _midnight(t) + _DAY - t
        if need <= left:
            return t + need
        need -= left
        t = _midnight(t) + _DAY


def _sub_working(t: dt.datetime, need: dt.timedelta) -> dt.datetime:
    """Return the latest time whose :func:`_add_working` of ``need`` is no later than ``t``."""
    while True:
        start = _midnight(t)
        if t == start:  # at midnight: step into the day before
            start -= _DAY
        if start.weekday() >= 5:
            t = start
            continue
        done = t - start
        if need <= done:
            return t - need
        need -= done
        t = start


@dataclass(frozen=True)
class PermissionData:
    """The regimes of ``enablement/data/permissions.yaml`` and the heavy-load threshold.

    Attributes
    ----------
    regimes
        Every regime, by id.
    default_regime
        The regime in force when a scenario names none.
    heavy_mlc_above
        A vehicle above this MLC class is a heavy load (needs an exceptional permission).
    heavy_source
        Where that figure comes from.
    """

    regimes: Mapping[str, Regime]
    default_regime: str
    heavy_mlc_above: float
    heavy_source: str

    def regime(self, name: str) -> Regime:
        """Return the regime ``name``."""
        return self.regimes[name]


def _regime(key: str, spec: Mapping[str, Any]) -> Regime:
    unit = str(spec["unit"])
    if unit not in _UNITS:
        msg = f"permissions.yaml: regime '{key}': unit {unit!r} is not one of {', '.join(_UNITS)}"
        raise ValueError(msg)
    return Regime(
        id=key,
        name=str(spec["name"]),
        lead=float(spec["lead"]),
        unit=unit,  # type: ignore[arg-type]  # checked against _UNITS above
        status=str(spec["status"]),
        source=" ".join(str(spec["source"]).split()),
        weak=bool(spec.get("weak", False)),
        illustrative=bool(spec.get("illustrative", False)),
        exceptional=None if spec.get("exceptional") is None else str(spec["exceptional"]),
        note=" ".join(str(spec.get("note", "")).split()),
    )


@cache
def permission_data() -> PermissionData:
    """Return the packaged permission regimes (read once)."""
    text = (resources.files("enablement") / "data" / "permissions.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    regimes = {str(k): _regime(str(k), v) for k, v in raw["regimes"].items()}
    for r in regimes.values():
        if r.exceptional is not None and r.exceptional not in regimes:
            msg = f"permissions.yaml: regime '{r.id}': exceptional regime '{r.exceptional}' is not defined"
            raise ValueError(msg)
    heavy = raw["heavy_load"]
    return PermissionData(
        regimes=regimes,
        default_regime=str(raw["default_regime"]),
        heavy_mlc_above=float(heavy["mlc_above"]),
        heavy_source=" ".join(str(heavy["source"]).split()),
    )
