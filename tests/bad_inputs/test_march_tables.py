"""Bad march tables given to ``enablement check``: exit 2, no traceback, one message naming row and field.

The base table is one hand-written row in the format ``enablement plan`` writes
(:data:`~enablement.scheduling.checks.REQUIRED_COLUMNS`); each case corrupts the bytes
(empty, header only, binary, encodings, size, rows), a column or one value (NaN,
infinity, negative, fractional, huge, dates).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from enablement import limits
from enablement.scheduling.checks import REQUIRED_COLUMNS
from tests.bad_inputs.harness import Case, check

HEADER = ",".join(REQUIRED_COLUMNS)
ROW = {
    "march_unit": "1-A/01",
    "unit": "1-A",
    "vehicles": "20",
    "leg": "1",
    "seq": "0",
    "control_point": "port-antwerp",
    "kind": "start",
    "km": "0.0",
    "arrive": "2026-03-02T08:20:00+01:00",
    "depart": "2026-03-02T08:20:00+01:00",
    "pass_min": "2.48",
    "speed_kmh": "50.0",
    "next_control_point": "xy-712345-701234",
}
SCENARIO = "enablement:brigade-antwerp-aachen"


def _row(**change: str) -> str:
    return ",".join({**ROW, **change}[c] for c in REQUIRED_COLUMNS)


def _table(content: str | bytes, name: str = "t.csv") -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return ["check", SCENARIO, str(path)]

    return make


def _value(cid: str, column: str, value: str, *words: str) -> Case:
    return Case(
        cid, _table(f"{HEADER}\n{_row(**{column: value})}\n"), words=("t.csv", "row 2", column, *words)
    )


def _sparse(size: int) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / "t.csv"
        with path.open("wb") as f:
            f.truncate(size)
        return ["check", SCENARIO, str(path)]

    return make


def _many_rows(folder: Path) -> list[str]:
    path = folder / "t.csv"
    path.write_text("march_unit\n" + "a\n" * (limits.MARCH_TABLE_ROWS + 1), encoding="utf-8")
    return ["check", SCENARIO, str(path)]


def _a_folder(folder: Path) -> list[str]:
    (folder / "t.csv").mkdir()
    return ["check", SCENARIO, str(folder / "t.csv")]


GOOD = f"{HEADER}\n{_row()}\n"
MANY = 3_440
"""Rows of a table whose every row has the same bad field: one message, not one per row."""

CASES = [
    Case("empty file", _table(""), words=("t.csv", "the file is empty", "header line", "march_unit")),
    Case("blank lines only", _table("\n\n  \n"), words=("t.csv", "empty")),
    Case("header only", _table(HEADER + "\n"), words=("t.csv", "holds a header but no rows")),
    Case("binary garbage", _table(bytes(range(256)) * 8), words=("t.csv", "nul bytes", "not a csv")),
    Case("UTF-16", _table(GOOD.encode("utf-16")), words=("t.csv", "nul bytes", "utf-16")),
    Case(
        "latin-1 text",
        _table((GOOD + _row(unit="Liège") + "\n").encode("latin-1")),
        words=("t.csv", "not utf-8", "save the march table as utf-8"),
    ),
    Case(
        "over the row limit",
        _many_rows,
        words=("t.csv", f"more than {limits.MARCH_TABLE_ROWS:,} rows", "limits.march_table_rows"),
    ),
    Case(
        "over the size limit",
        _sparse(limits.MARCH_TABLE_BYTES + 1),
        words=("t.csv", "over the limit of 1024 mib", "march_table_bytes"),
    ),
    Case("a folder", _a_folder, words=("t.csv", "is a folder")),
    Case(
        "missing file",
        lambda d: ["check", SCENARIO, str(d / "nope.csv")],
        words=("nope.csv", "cannot be read"),
    ),
    Case(
        "a missing column",
        _table(GOOD.replace(",speed_kmh", ",speed")),
        words=("t.csv", "missing column(s) speed_kmh", "readme"),
    ),
    Case("a YAML file", _table("name: x\nstart: now\n"), words=("t.csv", "missing column(s) march_unit")),
    _value("an infinite speed", "speed_kmh", "inf", "not a finite number"),
    _value("a speed of minus infinity", "speed_kmh", "-inf", "not a finite number"),
    _value("a zero speed", "speed_kmh", "0", "give a number in [0.001, 200]"),
    _value("a NaN distance", "km", "nan", "not a number"),
    _value("a negative distance", "km", "-3", "give a number in [0, 100000]"),
    _value("a distance of 1e300 km", "km", "1e300", "give a number in"),
    _value("an infinite pass time", "pass_min", "Infinity", "not a finite number"),
    _value("a negative vehicle count", "vehicles", "-20", "give a whole number in [1, 200000]"),
    _value("a fractional vehicle count", "vehicles", "2.5", "whole number"),
    _value("a vehicle count of a billion", "vehicles", "1000000000", "whole number in [1, 200000]"),
    _value("an old CP-<node> id", "next_control_point", "CP-3347", "internal node number", "stable id"),
    _value("a leg as text", "leg", "first", "'first' is not a number"),
    _value(
        "a time with the month 13",
        "arrive",
        "2026-13-02 08:00",
        "iso date-time with its offset",
        "local time",
    ),
    _value("a local time the clock skips", "arrive", "2026-03-29 02:30", "clock change", "write its offset"),
    _value("a US date", "arrive", "03/30/2026 08:00", "day first"),
    Case(
        "decimal commas in a comma-separated table",
        _table(f"{HEADER}\n" + _row(km='"0,5"') + "\n"),
        words=("t.csv", "row 2", "km", "decimal comma", "';' as separator"),
    ),
    Case(
        "the same bad time in every row",
        _table(f"{HEADER}\n" + (_row(depart="soon") + "\n") * MANY),
        words=("t.csv", f"field 'depart' in {MANY:,} rows", "rows 2, 3, 4, 5, 6", "1 problem"),
    ),
    _value("a time in the year 3000", "depart", "3000-03-02T08:20:00+01:00", "year is outside 1900-2199"),
    _value("a time that is text", "depart", "soon", "'soon'", "iso date-time"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


def test_the_cases_are_distinct() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
