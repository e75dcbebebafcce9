"""Local time: IANA time zones, local wall-clock times in them, and military date-time groups.

Clock times in scenarios and data (a movement window ``21:00``–``05:00``, a site's
``hours``, a permission's working days) are local wall-clock times in the
scenario's IANA zone (``timezone``, default ``Europe/Brussels``); instants are
aware datetimes with their offset. The zone rules come from :mod:`zoneinfo` (with
the ``tzdata`` package where the system has no tz database).

Twice a year a local wall-clock time is not one instant (PEP 495's ``fold``
tells the two cases apart):

- **skipped** (spring forward: in Brussels 02:00–03:00 on the last Sunday of
  March does not exist): :func:`local_time` gives the instant of the change (the
  clock reads 03:00), the first instant at which the clock shows that time or a
  later one; :func:`local_time_before` gives the time an hour earlier (``fold=1``,
  the offset after the change: 02:30 is read as 01:30 CET);
- **repeated** (fall back: 02:00–03:00 on the last Sunday of October happens
  twice): :func:`local_time` gives the first occurrence (``fold=0``, summer
  time), :func:`local_time_before` the second (``fold=1``).

So :func:`local_time` is the earliest instant a wall-clock time can stand for
and :func:`local_time_before` never comes after the last one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo

__all__ = [
    "dtg",
    "local_time",
    "local_time_before",
    "zone",
    "zone_letter",
    "zone_problem",
]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$")
_NAME_CHARS = 64
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def zone_problem(name: object) -> str | None:
    """Say why ``name`` is not an IANA time zone this machine knows, or return None.

    Parameters
    ----------
    name
        A zone name as a user wrote it (``Europe/Brussels``).

    Returns
    -------
    str or None
        The problem and its fix, in words; None for a known zone.
    """
    fix = "give an IANA time zone name such as Europe/Brussels (the default)"
    if not isinstance(name, str):
        return f"must be text; {fix}"
    if len(name) > _NAME_CHARS or not _NAME.fullmatch(name):
        return f"{name[:_NAME_CHARS]!r} is not an IANA time zone name; {fix}"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        close = difflib.get_close_matches(name, sorted(zoneinfo.available_timezones()), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"{name!r} is not an IANA time zone{hint}; {fix}"
    return None


def zone(name: str) -> zoneinfo.ZoneInfo:
    """Return the IANA time zone ``name``.

    Raises
    ------
    ValueError
        When ``name`` is no zone this machine knows (the message says why and the fix).
    """
    problem = zone_problem(name)
    if problem is not None:
        raise ValueError(problem)
    return zoneinfo.ZoneInfo(name)


def _skipped(naive: dt.datetime, tz: dt.tzinfo) -> bool:
    """Whether the wall-clock time ``naive`` does not exist in ``tz`` (spring forward)."""
    there = naive.replace(tzinfo=tz, fold=0)
    return there.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != naive


def local_time(wall: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """Return the first instant at which the clock of ``tz`` shows the wall-clock time ``wall``.

    Parameters
    ----------
    wall
        A wall-clock time (its own ``tzinfo`` and ``fold``, if any, are ignored).
    tz
        The zone.

    Returns
    -------
    datetime.datetime
        The instant, in ``tz``: the time itself when it exists once; in the hour repeated
        when the clocks go back, its first occurrence; in the hour skipped when they go
        forward, the instant of the change (02:30 on 29 March 2026 in Brussels is 03:00 CEST).
    """
    naive = wall.replace(tzinfo=None, fold=0)
    first = naive.replace(tzinfo=tz)
    if first.utcoffset() == naive.replace(tzinfo=tz, fold=1).utcoffset() or not _skipped(naive, tz):
        return first  # one instant, or the first of two
    # skipped: fold=1 reads it with the offset after the change (an instant before it), fold=0
    # with the one before (after it); the change lies between, at a whole second
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(dt.UTC)
    hi = first.astimezone(dt.UTC)
    below, above = 0, round((hi - lo).total_seconds())
    while above - below > 1:
        mid = (below + above) // 2
        if (lo + dt.timedelta(seconds=mid)).astimezone(tz).replace(tzinfo=None) >= naive:
            above = mid
        else:
            below = mid
    return (lo + dt.timedelta(seconds=above)).astimezone(tz)


def local_time_before(wall: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """Return an instant at which the clock of ``tz`` shows ``wall`` or, if it never does, an earlier time.

    The latest choice that is safe for a deadline: in the hour repeated when the clocks
    go back, the second occurrence; in the hour skipped when they go forward, the time
    read with the offset after the change (``fold=1``: 02:30 on 29 March 2026 in Brussels
    is 01:30 CET, an hour early).
    """
    naive = wall.replace(tzinfo=None, fold=0)
    return naive.replace(tzinfo=tz, fold=1).astimezone(dt.UTC).astimezone(tz)


def zone_letter(offset: dt.timedelta | None) -> str | None:
    """Return the military time zone letter of a UTC offset (Alpha = UTC+1, …, Zulu = UTC), or None.

    Whole hours from -12 to +12 have a letter (J is not used: it is the observer's local
    time); other offsets (half-hour zones, +13, +14) have none.
    """
    if offset is None:
        return None
    hours, rest = divmod(offset, dt.timedelta(hours=1))
    if rest or not -12 <= hours <= 12:
        return None
    if hours == 0:
        return "Z"
    if hours > 0:
        return "ABCDEFGHIKLM"[hours - 1]
    return "NOPQRSTUVWXY"[-hours - 1]


def dtg(when: dt.datetime) -> str:
    """Return the military date-time group of an aware datetime, e.g. ``021800AMAR26``.

    ``DDHHMM``, the zone letter of its offset (:func:`zone_letter`: ``A`` for +01:00,
    ``B`` for +02:00, ``Z`` for UTC), the month's three letters and the year's last two
    digits; the minute is the one the clock shows (seconds are dropped). A time whose
    offset has no letter is given in UTC (``Z``).

    Raises
    ------
    ValueError
        When ``when`` is naive.
    """
    offset = when.utcoffset()
    if offset is None:
        msg = f"a date-time group needs an aware datetime, got {when.isoformat()}"
        raise ValueError(msg)
    letter = zone_letter(offset)
    if letter is None:
        when, letter = when.astimezone(dt.UTC), "Z"
    month = _MONTHS[when.month - 1]
    return f"{when.day:02d}{when.hour:02d}{when.minute:02d}{letter}{month}{when.year % 100:02d}"
