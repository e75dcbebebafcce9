"""Parsing of OpenStreetMap tag values into typed numbers, never guessing.

Every parser takes the raw string and returns ``(value, ok)``: ``value`` is a float
(NaN when the tag says there is no limit, or when it cannot be read) and ``ok`` is
False only when the string could not be understood. Callers keep the raw string
beside the parsed value and count what failed, so nothing is silently invented.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "BE_SPEEDS",
    "parse_bool",
    "parse_int",
    "parse_length_m",
    "parse_mlc",
    "parse_speed_kmh",
    "parse_weight_t",
]

NAN = math.nan
_NUM = r"(\d+(?:[.,]\d+)?)"

BE_SPEEDS = {
    "BE:urban": 50.0,
    "BE:zone30": 30.0,
    "BE:zone": 30.0,
    "BE:rural": 90.0,
    "BE-VLG:rural": 70.0,
    "BE-WAL:rural": 90.0,
    "BE-BRU:rural": 70.0,
    "BE:trunk": 120.0,
    "BE:motorway": 120.0,
    "BE:living_street": 20.0,
    "BE:bicycle_road": 30.0,
}
"""Implicit Belgian speed limits (Belgian traffic code; Flanders' 70 km/h rural default since 2017)."""

_NO_LIMIT = {"none", "no", "unlimited", "no_sign", "unsigned", "default", "below_default"}
_UNKNOWN_OK = {"signals", "variable", "implicit"}


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def parse_speed_kmh(raw: str) -> tuple[float, bool]:
    """Speed in km/h from ``maxspeed``-style values.

    Accepts plain numbers (km/h), ``"50 mph"``, ``"30 knots"``, Belgian implicit
    values (``"BE:urban"``, ``"BE-VLG:rural"``, ``"BE:motorway"``), ``"walk"``, and
    multiple values ``"70;50"`` (the lowest is taken). ``"none"``, ``"signals"`` and
    ``"variable"`` give NaN and count as understood.
    """
    text = raw.strip()
    if not text:
        return NAN, False
    if ";" in text:
        parts = [parse_speed_kmh(p) for p in text.split(";")]
        if not all(ok for _, ok in parts):
            return NAN, False
        values = [v for v, _ in parts if not math.isnan(v)]
        return (min(values) if values else NAN), True
    low = text.lower()
    if low in _NO_LIMIT or low in _UNKNOWN_OK:
        return NAN, True
    if low == "walk":
        return 6.0, True
    if text in BE_SPEEDS:
        return BE_SPEEDS[text], True
    m = re.fullmatch(_NUM + r"\s*(mph|knots|km/h|kmh|kph)?", low)
    if not m:
        return NAN, False
    value = _number(m.group(1))
    unit = m.group(2)
    if unit == "mph":
        value *= 1.609344
    elif unit == "knots":
        value *= 1.852
    return value, value > 0


def parse_length_m(raw: str) -> tuple[float, bool]:
    r"""Length in metres from ``maxheight``/``maxwidth``/``maxlength``/``width`` values.

    Accepts ``"4"``, ``"4.5 m"``, ``"4,5"``, ``"450 cm"``, feet and inches
    (``"14'6\""``, ``"14 ft 6 in"``, ``"14'"``); ``"default"``, ``"none"``,
    ``"below_default"`` give NaN (no signed limit) and count as understood.
    """
    text = raw.strip().lower().replace("’", "'").replace("″", '"').replace("′", "'")
    if not text:
        return NAN, False
    if text in _NO_LIMIT:
        return NAN, True
    m = re.fullmatch(_NUM + r"\s*(m|cm|mm)?", text)
    if m:
        value = _number(m.group(1)) * {None: 1.0, "m": 1.0, "cm": 0.01, "mm": 0.001}[m.group(2)]
        return value, value > 0
    m = re.fullmatch(r"(\d+)\s*(?:'|ft|feet)\s*(?:(\d+(?:\.\d+)?)\s*(?:\"|in|inch|inches))?", text)
    if m:
        value = int(m.group(1)) * 0.3048 + (float(m.group(2)) if m.group(2) else 0.0) * 0.0254
        return value, value > 0
    return NAN, False


def parse_weight_t(raw: str) -> tuple[float, bool]:
    """Mass in tonnes from ``maxweight``/``maxaxleload`` values.

    Accepts ``"3.5"`` (tonnes), ``"3.5 t"``, ``"7500 kg"``, ``"3.5 st"`` (short
    tons, 0.907 t), ``"20000 lbs"``; ``"none"`` gives NaN and counts as understood.
    """
    text = raw.strip().lower()
    if not text:
        return NAN, False
    if text in _NO_LIMIT:
        return NAN, True
    m = re.fullmatch(_NUM + r"\s*(t|kg|st|lbs?|tons?)?", text)
    if not m:
        return NAN, False
    factor = {
        None: 1.0,
        "t": 1.0,
        "kg": 0.001,
        "st": 0.90718474,
        "lb": 0.00045359237,
        "lbs": 0.00045359237,
        "ton": 1.0,
        "tons": 1.0,
    }[m.group(2)]
    value = _number(m.group(1)) * factor
    return value, value > 0


def parse_int(raw: str) -> tuple[float, bool]:
    """Parse an integer count (``lanes``, ``tracks``, ``layer``, ``voltage``, ``gauge``).

    ``"a;b"`` takes the largest.
    """
    text = raw.strip()
    if ";" in text:
        parts = [parse_int(p) for p in text.split(";")]
        if not all(ok for _, ok in parts):
            return NAN, False
        return max(v for v, _ in parts), True
    m = re.fullmatch(r"[-+]?\d+", text)
    return (float(int(text)), True) if m else (NAN, False)


def parse_mlc(raw: str) -> tuple[float, bool]:
    """Parse a Military Load Class (1…150) from ``mlc``-style values."""
    value, ok = parse_int(raw.strip())
    if not ok or not (1 <= value <= 150):
        return NAN, False
    return value, True


def parse_bool(raw: str) -> tuple[float, bool]:
    """1.0 / 0.0 for yes-like / no values (``bridge=viaduct`` and ``electrified=contact_line`` are yes)."""
    text = raw.strip().lower()
    if text in ("no", "false", "0"):
        return 0.0, True
    if text:
        return 1.0, True
    return NAN, False
