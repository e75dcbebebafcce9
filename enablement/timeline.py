"""Time helpers of the foundation: seconds since the scenario start, local daily windows, closures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from .zones import local_time

__all__ = ["Clock", "Intervals"]


@dataclass(frozen=True)
class Clock:
    """Converts between aware datetimes and seconds since the scenario start, in the scenario's zone.

    Plan times are seconds since the start, counted in real (UTC) time. Datetimes
    come out in ``zone``: in ``Europe/Brussels`` at +01:00 in winter and +02:00 in
    summer. Daily windows (:meth:`daily`) are local wall-clock times in ``zone``, so a
    21:00 window opens at 21:00 on both sides of a daylight-saving change; a time in the
    hour skipped in spring or repeated in autumn is resolved by
    :func:`enablement.zones.local_time`.

    Parameters
    ----------
    start
        The scenario start (aware datetime); kept as the same instant in ``zone``.
    zone
        The scenario's zone (a :class:`zoneinfo.ZoneInfo`; any ``tzinfo`` works).

    Raises
    ------
    ValueError
        When ``start`` is naive.
    """

    start: dt.datetime
    zone: dt.tzinfo
    _utc: dt.datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None:
            msg = f"the clock's start needs a UTC offset, got {self.start.isoformat()}"
            raise ValueError(msg)
        # aware arithmetic within one ZoneInfo is wall-clock arithmetic: count in UTC
        object.__setattr__(self, "_utc", self.start.astimezone(dt.UTC))
        object.__setattr__(self, "start", self._utc.astimezone(self.zone))

    @property
    def zone_name(self) -> str:
        """The zone's IANA name (``Europe/Brussels``); a fixed offset's name (``UTC+01:00``) otherwise."""
        key = getattr(self.zone, "key", None)
        return key if isinstance(key, str) else str(self.start.tzname())

    def seconds(self, when: dt.datetime) -> float:
        """Seconds from the start to the instant ``when`` (aware, in any zone)."""
        return (when.astimezone(dt.UTC) - self._utc).total_seconds()

    def at(self, seconds: float) -> dt.datetime:
        """Aware datetime ``seconds`` after the start, in the zone, to the second."""
        return (self._utc + dt.timedelta(seconds=round(seconds))).astimezone(self.zone)

    def local(self, when: dt.datetime) -> dt.datetime:
        """Return the instant ``when`` (aware) in the zone."""
        return when.astimezone(self.zone)

    def iso(self, seconds: float) -> str:
        """ISO 8601 text of :meth:`at` (local time with its offset)."""
        return self.at(seconds).isoformat()

    def daily(
        self, start_hhmm: str, end_hhmm: str, days: int = 400, weekdays: Collection[int] | None = None
    ) -> Intervals:
        """Occurrences of a daily window of local wall-clock times, as seconds since the start.

        Each day from the day before the start's local date opens the window at
        ``start_hhmm`` and closes it at ``end_hhmm`` of the zone's clock (the next day's
        when the window crosses midnight; ``24:00`` is the next midnight). A time the
        clocks skip opens or closes it at the change (03:00 for 02:30 on 29 March 2026 in
        Brussels); a time they repeat, at its first occurrence
        (:func:`enablement.zones.local_time`). A window wholly in the skipped hour does
        not open that day. ``weekdays`` (``datetime.weekday()`` numbers, Monday 0) keeps only
        the windows that open on those local days (default: every day).
        """
        sh, sm = (int(x) for x in start_hhmm.split(":"))
        eh, em = (int(x) for x in end_hhmm.split(":"))
        first = dt.datetime.combine(self.start.date(), dt.time()) - dt.timedelta(days=1)
        out = []
        for k in range(days + 1):
            day = first + dt.timedelta(days=k)
            if weekdays is not None and day.weekday() not in weekdays:
                continue
            a = day + dt.timedelta(hours=sh, minutes=sm)
            b = day + dt.timedelta(hours=eh, minutes=em)
            if b <= a:
                b += dt.timedelta(days=1)
            span = (self.seconds(local_time(a, self.zone)), self.seconds(local_time(b, self.zone)))
            if span[1] > span[0]:
                out.append(span)
        return Intervals(out)


class Intervals:
    """A sorted set of half-open intervals ``[a, b)`` in seconds."""

    def __init__(self, spans: Iterable[tuple[float, float]] = ()) -> None:
        merged: list[list[float]] = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self.spans: list[tuple[float, float]] = [(a, b) for a, b in merged]

    def __bool__(self) -> bool:
        return bool(self.spans)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Intervals):
            return NotImplemented
        return self.spans == other.spans

    __hash__ = None  # type: ignore[assignment]  # mutable spans: equal sets, no hash

    def __repr__(self) -> str:
        return f"Intervals({self.spans!r})"

    def overlaps(self, a: float, b: float) -> tuple[float, float] | None:
        """Return the first interval meeting ``[a, b]``, or None."""
        for s, e in self.spans:
            if s < b and a < e:
                return (s, e)
            if s >= b:
                break
        return None

    def first_fit(self, t: float, duration: float) -> float | None:
        """Earliest start ≥ ``t`` such that ``[start, start + duration]`` lies inside one interval."""
        for s, e in self.spans:
            start = max(t, s)
            if start + duration <= e:
                return start
        return None
