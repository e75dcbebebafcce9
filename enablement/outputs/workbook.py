"""``march_table.xlsx``: the march table as a workbook, a sheet per unit and a ``Summary`` sheet.

The rows and columns are those of ``march_table.csv`` (:func:`~.tables.march_table`),
split by unit, with two changes for Excel:

- ``ashore``, ``arrive`` and ``depart`` are real Excel date-times, so they sort, filter and
  subtract. Excel has no time zones: they are the local wall-clock times of the scenario's
  zone (the clock a planner reads), and ``ashore_offset``, ``arrive_offset`` and
  ``depart_offset`` beside them keep each one's UTC offset (``+01:00``, ``+02:00`` after
  the spring change), so nothing of the CSV's ISO text is lost; ``dtg`` stays as text.
- ``Summary`` gives per march unit its sheet, first departure, last arrival, km, vehicles
  and tracked vehicles.

Every sheet has its header row frozen, a filter on it and its columns sized to their
text. Sheet names are unit ids made fit for Excel (:func:`sheet_names`). Text cells are
written as text, never read as formulas or links, so a name such as ``=HYPERLINK(…)``
shows as written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from .._io import write_with_atomic
from .escape import xml_chars

__all__ = ["SUMMARY_COLUMNS", "TIME_COLUMNS", "sheet_names", "workbook_frames", "write_workbook"]

TIME_COLUMNS = ("ashore", "arrive", "depart")
"""Columns of the march table written as Excel date-times, each followed by ``<name>_offset``."""

SUMMARY_COLUMNS = (
    "sheet",
    "movement_number",
    "march_unit",
    "unit",
    "serial",
    "vehicles",
    "tracked",
    "hets",
    "first_departure",
    "first_departure_offset",
    "last_arrival",
    "last_arrival_offset",
    "km",
    "legs",
    "control_points",
)
"""Columns of the ``Summary`` sheet, one row per march unit."""

SUMMARY = "Summary"
_MAX_NAME = 31
_BAD = re.compile(r"[\[\]:*?/\\]")
_RESERVED = {"history"}  # Excel keeps this name for itself
_EPOCH = np.datetime64("1899-12-30T00:00:00", "s")  # Excel's day 0 (1900 system, after its leap-year bug)
_DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
_MAX_WIDTH = 60


def sheet_names(units: Iterable[str]) -> dict[str, str]:
    r"""Give every unit a sheet name Excel takes: at most 31 characters, none of ``[]:*?/\``, unique.

    Characters Excel refuses become ``_``, a leading or trailing apostrophe goes, the name
    is cut to 31 characters, and a name that is taken (``Summary``, another unit's, compared
    without case as Excel does, or the reserved ``History``) ends in ``~2``, ``~3`` …

    Parameters
    ----------
    units
        Unit ids, in the order their sheets are made.

    Returns
    -------
    dict
        Sheet name by unit id.
    """
    taken = {SUMMARY.casefold()} | _RESERVED
    out: dict[str, str] = {}
    for unit in dict.fromkeys(units):
        base = _BAD.sub("_", xml_chars(unit)).strip("'")[:_MAX_NAME].strip("'") or "unit"
        name, k = base, 2
        while name.casefold() in taken:
            suffix = f"~{k}"
            name, k = base[: _MAX_NAME - len(suffix)] + suffix, k + 1
        taken.add(name.casefold())
        out[unit] = name
    return out


def _local(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split ISO 8601 local times into naive wall-clock datetimes (NaT where empty) and their offsets."""
    texts = texts.fillna("").astype(str)
    present = texts.str.len() >= 25  # YYYY-MM-DDTHH:MM:SS±HH:MM
    wall = pd.to_datetime(texts.where(present).str[:19], format="%Y-%m-%dT%H:%M:%S")
    return wall.astype("datetime64[s]"), texts.str[19:].where(present, "")


def _with_times(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Return ``frame`` with each of ``columns`` as naive local datetimes and ``<name>_offset`` after it."""
    out = {}
    for name in frame.columns:
        if name in columns:
            out[name], out[f"{name}_offset"] = _local(frame[name])
        else:
            out[name] = frame[name]
    return pd.DataFrame(out, index=frame.index)


def workbook_frames(march: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Make the workbook's sheets as data frames: ``Summary`` first, then one per unit.

    Parameters
    ----------
    march
        The march table (:func:`~.tables.march_table`).

    Returns
    -------
    dict
        Frame by sheet name, with the columns written: times as naive local datetimes, each
        followed by its offset (``depart``, ``depart_offset``).
    """
    names = sheet_names(march["unit"]) if not march.empty else {}
    g = march.groupby("march_unit", sort=False)
    first, last = g.first(), g.last()
    summary = pd.DataFrame(
        {
            "sheet": first["unit"].map(names),
            "movement_number": first["movement_number"],
            "march_unit": first.index,
            "unit": first["unit"],
            "serial": first["serial"],
            "vehicles": first["vehicles"],
            "tracked": first["tracked"],
            "hets": first["hets"],
            "first_departure": first["depart"],
            "last_arrival": last["arrive"],
            "km": last["km"],
            "legs": g["leg"].nunique(),
            "control_points": g.size(),
        },
        columns=[c for c in SUMMARY_COLUMNS if not c.endswith("_offset")],
    ).reset_index(drop=True)
    sheets = {SUMMARY: _with_times(summary, ("first_departure", "last_arrival"))}
    timed = _with_times(march, TIME_COLUMNS)  # once for the whole table, then split by unit
    for unit, rows in timed.groupby("unit", sort=False):
        sheets[names[unit]] = rows.reset_index(drop=True)
    return sheets


def _width(header: str, values: pd.Series) -> float:
    """Width of a column: its longest text (or number as written, or a date-time), within limits."""
    if not len(values):
        longest = 0
    elif pd.api.types.is_datetime64_any_dtype(values):
        longest = len(_DATE_FORMAT)
    elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        longest = max(len(f"{x:g}") for x in (values.min(), values.max()))
    else:
        longest = int(values.astype(str).str.len().max())
    return float(min(max(len(header), longest) + 2, _MAX_WIDTH))


def _write_cells(ws: Any, j: int, values: pd.Series) -> None:
    """Write a column of text (or of mixed text and numbers, e.g. ``caution_min``) cell by cell."""
    for i, v in enumerate(values.tolist(), start=1):
        if isinstance(v, str):
            if v:
                ws.write_string(i, j, xml_chars(v))
        elif isinstance(v, bool):
            ws.write_boolean(i, j, v)
        elif isinstance(v, (int, float)) and np.isfinite(v):
            ws.write_number(i, j, v)


def _write_numbers(ws: Any, j: int, numbers: np.ndarray, fmt: Any = None) -> None:
    """Write a column of numbers, leaving NaN cells empty."""
    rows = np.flatnonzero(np.isfinite(numbers))
    for i, x in zip((rows + 1).tolist(), numbers[rows].tolist(), strict=True):
        ws.write_number(i, j, x, fmt)


def _write_sheet(book: Any, name: str, data: pd.DataFrame, formats: dict[str, Any]) -> None:
    """Write one sheet: header, cells by column type, frozen header row, filter, widths."""
    ws = book.add_worksheet(name)
    ws.write_row(0, 0, [xml_chars(c) for c in data.columns], formats["header"])
    for j, column in enumerate(data.columns):
        values = data[column]
        ws.set_column(j, j, _width(column, values))
        if pd.api.types.is_datetime64_any_dtype(values):
            seconds = (values.to_numpy("datetime64[s]") - _EPOCH).astype("timedelta64[s]")
            days = np.where(values.isna().to_numpy(), np.nan, seconds.astype(float) / 86400.0)
            _write_numbers(ws, j, days, formats["time"])
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            _write_numbers(ws, j, values.to_numpy(float))
        else:
            _write_cells(ws, j, values)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(data), len(data.columns) - 1)


def write_workbook(march: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``march_table.xlsx`` (atomically): the ``Summary`` sheet, then a sheet per unit.

    Parameters
    ----------
    march
        The march table (:func:`~.tables.march_table`).
    path
        The file.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    sheets = workbook_frames(march)

    def write(tmp: Path) -> None:
        options = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
        book = xlsxwriter.Workbook(str(tmp), options)
        formats = {
            "header": book.add_format({"bold": True, "bottom": 1}),
            "time": book.add_format({"num_format": _DATE_FORMAT}),
        }
        for name, frame in sheets.items():
            _write_sheet(book, name, frame, formats)
        book.close()

    return write_with_atomic(path, write)
