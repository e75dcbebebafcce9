"""Time helpers of the foundation: seconds since the scenario start, daily windows, closure intervals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Clock", "Intervals"]


@dataclass(frozen=True)
class Clock:
    """Converts between aware datetimes and seconds since the scenario start.

    Parameters
    ----------
    start
        The scenario start (aware datetime); local clock times are read in its zone.
    """

    start: dt.datetime

    def seconds(self, when: dt.datetime) -> float:
        """Seconds from the start to ``when``."""
        return (when - self.start).total_seconds()

    def at(self, seconds: float) -> dt.datetime:
        """Aware datetime ``seconds`` after the start (in the start's zone), to the second."""
        return (self.start + dt.timedelta(seconds=round(seconds))).astimezone(self.start.tzinfo)

    def iso(self, seconds: float) -> str:
        """ISO 8601 text of :meth:`at`."""
        return self.at(seconds).isoformat()

    def daily(self, start_hhmm: str, end_hhmm: str, days: int = 400) -> Intervals:
        """Occurrences of a daily window (may cross midnight) as seconds since the start."""
        sh, sm = (int(x) for x in start_hhmm.split(":"))
        eh, em = (int(x) for x in end_hhmm.split(":"))
        midnight = self.start.replace(hour=0, minute=0, second=0, microsecond=0)
        out = []
        for k in range(-1, days):
            day = midnight + dt.timedelta(days=k)
            a = day + dt.timedelta(hours=sh, minutes=sm)
            b = day + dt.timedelta(hours=eh, minutes=em)
            if b <= a:
                b += dt.timedelta(days=1)
            out.append((self.seconds(a), self.seconds(b)))
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
