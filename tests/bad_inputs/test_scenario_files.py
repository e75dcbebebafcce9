"""Bad scenario files: each is refused with exit 2, no traceback, and a message naming file, field and fix.

Every case writes its scenario into a fresh folder and runs ``enablement validate`` on it
(or ``plan``, which must fail before any solving). The base scenario is small and valid
(one ship at Antwerp, one unit to Lichtenbusch, on the packaged Belgian overlay); each case
corrupts one thing: the bytes (encodings, binary, size), the YAML (duplicate keys at several
depths, anchors, merge keys, tags, nesting, documents), the structure (missing and unknown
fields, wrong types) or a value (NaN, infinity, negative, zero, huge, out of range, over a
limit of :mod:`enablement.limits`). The property tests at the end throw random field
values, random disruptions, random YAML documents and random text and bytes at
:func:`~enablement.scenario.validate_scenario` and
:func:`~enablement.scenario.load_scenario`: each validates or raises
:class:`~enablement.errors.ScenarioError`, never another exception.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enablement import limits
from enablement.errors import ScenarioError
from enablement.scenario import load_scenario, validate_scenario
from tests.bad_inputs.harness import Case, check
from tests.small_world import SITES

BASE: dict[str, Any] = {
    "version": 1,
    "name": "bad input",
    "start": "2026-03-02T06:00:00+01:00",
    "arrivals": [
        {
            "id": "ship-1",
            "kind": "ship",
            "site": "port-antwerp",
            "time": "2026-03-02T08:00:00+01:00",
            "equipment": [{"unit": "A", "vehicle": "boxer", "count": 10}],
        }
    ],
    "movements": [{"unit": "A", "to": "border-e40-lichtenbusch", "rdd": "2026-03-05T00:00:00+01:00"}],
}

GOOD_TEXT = """\
version: 1
name: bad input
start: '2026-03-02T06:00:00+01:00'
resources:
  hets: 2
arrivals:
- id: ship-1
  kind: ship
  site: port-antwerp
  time: '2026-03-02T08:00:00+01:00'
  equipment:
  - unit: A
    vehicle: boxer
    count: 20
movements:
- unit: A
  to: border-e40-lichtenbusch
  rdd: '2026-03-05T00:00:00+01:00'
"""


def _validate(name: str, content: str | bytes) -> Callable[[Path], list[str]]:
    """Write ``content`` as ``name`` and validate it."""

    def make(folder: Path) -> list[str]:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return ["validate", str(path)]

    return make


def _mutated(mutate: Callable[[dict[str, Any]], object], name: str = "s.yaml") -> Callable[[Path], list[str]]:
    """Write the base scenario with one change (``.inf``, ``.nan`` as YAML spells them) and validate it."""
    data = copy.deepcopy(BASE)
    mutate(data)
    return _validate(name, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    """Set ``a.b[0].c`` to ``value`` in the scenario (creating mappings on the way)."""

    def mutate(data: dict[str, Any]) -> None:
        node: Any = data
        parts = path.replace("]", "").replace("[", ".").split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        last = parts[-1]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _value(cid: str, path: str, value: object, *words: str) -> Case:
    """A case setting one field to a bad value; the message names the file and the field."""
    return Case(cid, _mutated(_set(path, value)), words=("s.yaml", path, *words))


def _sparse(name: str, size: int) -> Callable[[Path], list[str]]:
    """A file of ``size`` bytes that takes no disk space (a hole): only its size is over the limit."""

    def make(folder: Path) -> list[str]:
        path = folder / name
        with path.open("wb") as f:
            f.truncate(size)
        return ["validate", str(path)]

    return make


def _plan(mutate: Callable[[dict[str, Any]], object]) -> Callable[[Path], list[str]]:
    write = _mutated(mutate)

    def make(folder: Path) -> list[str]:
        args = write(folder)
        return ["plan", args[1], "--out", str(folder / "out")]

    return make


def _deep_block(levels: int) -> str:
    lines = [GOOD_TEXT.rstrip("\n"), "description_extra:"]
    lines += [f"{'  ' * (i + 1)}k{i}:" for i in range(levels)]
    lines.append(f"{'  ' * (levels + 1)}x: 1")
    return "\n".join(lines) + "\n"


def _many(key: str, n: int) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        data[key] = [0] * n

    return mutate


def _many_items(data: dict[str, Any]) -> None:
    data["arrivals"][0]["equipment"] = [0] * (limits.EQUIPMENT_ITEMS + 1)


def _many_vehicles(data: dict[str, Any]) -> None:
    item = {"unit": "A", "vehicle": "boxer", "count": limits.VEHICLES_PER_ITEM}
    data["arrivals"][0]["equipment"] = [
        dict(item) for _ in range(limits.VEHICLES // limits.VEHICLES_PER_ITEM + 1)
    ]


def _far_rdd(data: dict[str, Any]) -> None:
    data["movements"][0]["rdd"] = "2031-03-05T00:00:00+01:00"


def _close_road(at: object) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        data["disruptions"] = [
            {"id": "c", "kind": "close_road", "at": at, "start": "2026-03-02T10:00:00+01:00"}
        ]

    return mutate


CASES = [
    # ---- bytes and encodings
    Case("empty file", _validate("s.yaml", ""), words=("s.yaml", "empty", "name, start, arrivals")),
    Case("only comments", _validate("s.yaml", "# nothing here\n\n"), words=("s.yaml", "empty")),
    Case(
        "binary garbage",
        _validate("s.yaml", bytes(range(256)) * 8),
        words=("s.yaml", "nul bytes", "utf-8"),
    ),
    Case(
        "utf-16 with a byte-order mark",
        _validate("s.yaml", GOOD_TEXT.encode("utf-16")),
        words=("s.yaml", "utf-16", "save the scenario file as utf-8"),
    ),
    Case(
        "utf-32 with a byte-order mark",
        _validate("s.yaml", GOOD_TEXT.encode("utf-32")),
        words=("s.yaml", "utf-32", "utf-8"),
    ),
    Case(
        "latin-1 text",
        _validate("s.yaml", GOOD_TEXT.replace("bad input", "Liège").encode("latin-1")),
        words=("s.yaml", "line 2", "not utf-8", "save the scenario file as utf-8"),
    ),
    Case(
        "a control character",
        _validate("s.yaml", GOOD_TEXT.replace("bad input", "bad\x07input")),
        words=("s.yaml", "line 2", "u+0007", "control character"),
    ),
    Case(
        "over the size limit",
        _sparse("huge.yaml", limits.SCENARIO_BYTES + 1),
        words=("huge.yaml", "over the limit of 64 mib", "scenario file"),
    ),
    Case(
        "a value of a million characters",
        _mutated(_set("description", "x" * 1_000_000)),
        words=("s.yaml", "1,000,000 characters", "over the limit"),
    ),
    # ---- YAML the strict reader refuses
    Case(
        "duplicate top-level key",
        _validate("s.yaml", GOOD_TEXT.replace("name: bad input\n", "name: bad input\nname: other\n")),
        words=("s.yaml", "line 3", "key 'name' appears twice"),
    ),
    Case(
        "duplicate count in an equipment item (20 then 2000)",
        _validate("s.yaml", GOOD_TEXT.replace("    count: 20\n", "    count: 20\n    count: 2000\n")),
        words=("s.yaml", "line 15", "key 'count' appears twice", "silently replace"),
    ),
    Case(
        "duplicate key in resources",
        _validate("s.yaml", GOOD_TEXT.replace("  hets: 2\n", "  hets: 2\n  hets: 200\n")),
        words=("s.yaml", "line 6", "key 'hets' appears twice"),
    ),
    Case(
        "duplicate movements list",
        _validate("s.yaml", GOOD_TEXT + "movements: []\n"),
        words=("s.yaml", "key 'movements' appears twice"),
    ),
    Case(
        "duplicate keys after a UTF-8 byte-order mark",
        _validate(
            "s.yaml", ("\ufeff" + GOOD_TEXT.replace("  kind: ship\n", "  kind: ship\n  kind: flight\n"))
        ),
        words=("s.yaml", "line 9", "key 'kind' appears twice"),
    ),
    Case(
        "an anchor and an alias",
        _validate("s.yaml", GOOD_TEXT.replace("time: '2026", "time: &t '2026") + "extra: *t\n"),
        words=("s.yaml", "line 10", "anchor '&t'", "not allowed in a scenario file", "write each value out"),
    ),
    Case(
        "an alias to an undefined anchor",
        _validate("s.yaml", GOOD_TEXT.replace("count: 20", "count: *n")),
        words=("s.yaml", "alias '*n'", "not allowed"),
    ),
    Case(
        "a merge key",
        _validate("s.yaml", GOOD_TEXT.replace("resources:\n", "resources:\n  <<: {wagons: 3}\n")),
        words=("s.yaml", "merge key '<<'", "not allowed"),
    ),
    Case(
        "a python object tag",
        _validate(
            "s.yaml",
            GOOD_TEXT.replace("name: bad input", "name: !!python/object/apply:os.system ['echo hi']"),
        ),
        words=("s.yaml", "line 2", "tag '!!python/object/apply:os.system'", "not allowed"),
    ),
    Case(
        "a binary tag",
        _validate("s.yaml", GOOD_TEXT.replace("name: bad input", "name: !!binary aGVsbG8=")),
        words=("s.yaml", "tag '!!binary'", "not allowed"),
    ),
    Case(
        "a custom tag",
        _validate("s.yaml", GOOD_TEXT.replace("count: 20", "count: !twenty 20")),
        words=("s.yaml", "tag '!twenty'"),
    ),
    Case(
        "ten thousand nested brackets",
        _validate("s.yaml", GOOD_TEXT + "x: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        words=("s.yaml", f"nested deeper than {limits.YAML_DEPTH} levels"),
    ),
    Case(
        "deeply nested mappings by indentation",
        _validate("s.yaml", _deep_block(200)),
        words=("s.yaml", f"nested deeper than {limits.YAML_DEPTH} levels"),
    ),
    Case(
        "two documents",
        _validate("s.yaml", GOOD_TEXT + "---\nname: second\n"),
        words=("s.yaml", "second yaml document", "holds one document"),
    ),
    Case(
        "a list as a mapping key",
        _validate("s.yaml", GOOD_TEXT + "? [a, b]\n: 1\n"),
        words=("s.yaml", "mapping key must be plain text"),
    ),
    Case(
        "an unclosed bracket",
        _validate("s.yaml", GOOD_TEXT + "policy: {headway_min: 2\n"),
        words=("s.yaml", "line", "column", "yaml syntax error"),
    ),
    Case(
        "a tab for indentation",
        _validate("s.yaml", GOOD_TEXT.replace("  hets: 2", "\thets: 2")),
        words=("s.yaml", "yaml syntax error"),
    ),
    Case(
        "an integer of 5,000 digits",
        _validate("s.yaml", GOOD_TEXT.replace("count: 20", "count: " + "9" * 5000)),
        words=("s.yaml", "line 14", "cannot be read as a whole number"),
    ),
    Case(
        "a date in year 0",
        _validate("s.yaml", GOOD_TEXT.replace("start: '2026-03-02T06:00:00+01:00'", "start: 0000-01-01")),
        words=("s.yaml", "line 3", "cannot be read as a date"),
    ),
    # ---- structure
    Case("a list, not a mapping", _validate("s.yaml", "- 1\n- 2\n"), words=("s.yaml", "must hold a mapping")),
    Case("a bare number", _validate("s.yaml", "42\n"), words=("s.yaml", "must hold a mapping")),
    Case(
        "missing start",
        _mutated(lambda d: d.pop("start")),
        words=("s.yaml", "start", "field required"),
    ),
    Case(
        "missing arrivals",
        _mutated(lambda d: d.pop("arrivals")),
        words=("s.yaml", "arrivals", "field required"),
    ),
    Case(
        "an unknown field (a typo)",
        _mutated(_set("polcy", {"headway_min": 2})),
        words=("s.yaml", "polcy", "unknown field", "spelling"),
    ),
    Case(
        "an unknown field in an equipment item",
        _mutated(_set("arrivals[0].equipment[0].cnt", 20)),
        words=("s.yaml", "arrivals[0].equipment[0].cnt", "unknown field"),
    ),
    _value("arrivals as text", "arrivals", "many", "valid list"),
    _value("count as text", "arrivals[0].equipment[0].count", "twenty", "valid integer"),
    _value("count as true", "arrivals[0].equipment[0].count", True, "true/false is not a number"),
    _value("count with a fraction", "arrivals[0].equipment[0].count", 2.5, "fractional part"),
    _value("a start without a time zone", "start", "2026-03-02T06:00:00", "needs a time zone"),
    _value(
        "a start in the year 3000", "start", "3000-03-02T06:00:00+01:00", "the year 3000", "check the date"
    ),
    Case(
        "an rdd five years after the start",
        _mutated(_far_rdd),
        words=("s.yaml", "movements[0].rdd", f"more than {limits.SCENARIO_DAYS} days", "check the date"),
    ),
    _value("a name of 10,000 characters", "name", "n" * 10_000, f"at most {limits.NAME_CHARS} characters"),
    _value("a unit id with a space", "movements[0].unit", "A B", "should match pattern"),
    # ---- numbers: NaN, infinity, negative, zero, huge
    _value(
        "hets: a billion",
        "resources.hets",
        1_000_000_000,
        "1,000,000,000",
        "limit of 1,000",
        "check the number",
    ),
    _value("hets: negative", "resources.hets", -1, "greater than or equal to 0"),
    _value("hets: infinite", "resources.hets", float("inf"), "finite number"),
    _value("wagons: a billion", "resources.wagons", 10**9, "limit of 20,000", "limits.wagons"),
    _value("wagon pool over the limit", "resources.wagon_pools.heavy_flat_6axle", 10**6, "limit of 20,000"),
    _value("locomotives: NaN", "resources.locomotives", float("nan"), "finite number"),
    _value("diesel locomotives: a million", "resources.diesel_locomotives", 10**6, "limit of 2,000"),
    _value("halt interval infinite", "policy.halts.every_min", float("inf"), "finite number"),
    _value("halt interval NaN", "policy.halts.every_min", float("nan"), "finite number"),
    _value("first halt after zero minutes", "policy.halts.first_after_min", 0, "greater than 0"),
    _value("halt of negative length", "policy.halts.duration_min", -5, "greater than or equal to 0"),
    _value("halt of a week", "policy.halts.first_duration_min", 7 * 24 * 60, "less than or equal to 1440"),
    _value("snap tolerance infinite", "network.snap_tolerance_m", float("inf"), "finite number"),
    _value("snap tolerance NaN", "network.snap_tolerance_m", float("nan"), "finite number"),
    _value("snap tolerance of 10^12 m", "network.snap_tolerance_m", 1e12, "less than or equal to 100000"),
    _value("network margin negative", "network.margin_km", -1, "greater than or equal to 0"),
    _value("convoy speed zero", "policy.convoy_speed_kmh", 0, "greater than 0"),
    _value("vehicle gap minus infinity", "policy.vehicle_gap_m", float("-inf"), "finite number"),
    _value("headway 1e400 (infinite)", "policy.headway_min", 1e400, "finite number"),
    _value("march units of zero vehicles", "policy.march_unit_max_vehicles", 0, "greater than or equal to 1"),
    _value("dwell negative", "movements[0].via", {"site": "staging-peutie", "dwell_h": -1}, "dwell_h"),
    _value("priority huge", "movements[0].priority", 10**30, "less than or equal to 1000"),
    _value("count zero", "arrivals[0].equipment[0].count", 0, "greater than 0"),
    _value("count over the per-item limit", "arrivals[0].equipment[0].count", 10**7, "limit of 100,000"),
    _value("solver time limit infinite", "solver.time_limit_s", float("inf"), "finite number"),
    _value("solver seed of 2^40", "solver.seed", 2**40, "less than or equal to 2147483647"),
    _value("solver alternatives zero", "solver.alternatives", 0, "greater than or equal to 1"),
    Case(
        "a closed road at longitude 999",
        _mutated(_close_road([999, 50.8])),
        words=("s.yaml", "disruptions[0].at", "999,50.8 is not a point on Earth", "within ±180°"),
    ),
    Case(
        "a closed road at NaN",
        _mutated(_close_road([float("nan"), 50.8])),
        words=("s.yaml", "disruptions[0].at", "finite number"),
    ),
    # ---- counts over the limits, refused before any item is validated
    Case(
        "more arrivals than the limit",
        _mutated(_many("arrivals", limits.ARRIVALS + 1)),
        words=("s.yaml", "arrivals", f"{limits.ARRIVALS + 1:,} arrivals", "limits.arrivals", "split"),
    ),
    Case(
        "more equipment items than the limit",
        _mutated(_many_items),
        words=("s.yaml", "equipment items in all", "limits.equipment_items"),
    ),
    Case(
        "more vehicles in all than the limit",
        _mutated(_many_vehicles),
        words=("s.yaml", "vehicles in all", f"limit of {limits.VEHICLES:,}", "check the counts"),
    ),
    Case(
        "more movements than the limit",
        _mutated(_many("movements", limits.MOVEMENTS + 1)),
        words=("s.yaml", "movements", "limits.movements"),
    ),
    Case(
        "more disruptions than the limit",
        _mutated(_many("disruptions", limits.DISRUPTIONS + 1)),
        words=("s.yaml", "disruptions", "limits.disruptions", "closures layer"),
    ),
    Case(
        "more overlays than the limit",
        _mutated(_many("overlays", limits.OVERLAYS + 1)),
        words=("s.yaml", "overlays", "limits.overlays"),
    ),
    # ---- plan refuses them too, before solving
    Case(
        "plan with a billion HETs",
        _plan(_set("resources.hets", 1_000_000_000)),
        words=("s.yaml", "resources.hets", "limit of 1,000"),
    ),
    Case(
        "plan with an infinite halt interval",
        _plan(_set("policy.halts.every_min", float("inf"))),
        words=("s.yaml", "policy.halts.every_min", "finite number"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


def test_the_cases_are_distinct() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


# --------------------------------------------------------------------------- property tests

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**30), 10**30),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["2026-03-02T06:00:00+01:00", "2026-03-02", "09:00", "boxer", "port-w", "border-x", ""]),
    st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=1))])),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=10,
)
_FIELDS = [
    "name",
    "description",
    "start",
    "version",
    "overlays",
    "network",
    "network.source",
    "network.margin_km",
    "network.snap_tolerance_m",
    "policy",
    "policy.march_unit_max_vehicles",
    "policy.vehicle_gap_m",
    "policy.convoy_speed_kmh",
    "policy.headway_min",
    "policy.halts",
    "policy.halts.first_after_min",
    "policy.halts.every_min",
    "policy.halts.duration_min",
    "policy.movement_window",
    "policy.movement_window.start",
    "arrivals",
    "arrivals[0]",
    "arrivals[0].id",
    "arrivals[0].kind",
    "arrivals[0].site",
    "arrivals[0].time",
    "arrivals[0].equipment",
    "arrivals[0].equipment[0]",
    "arrivals[0].equipment[0].unit",
    "arrivals[0].equipment[0].vehicle",
    "arrivals[0].equipment[0].count",
    "movements",
    "movements[0]",
    "movements[0].unit",
    "movements[0].from",
    "movements[0].via",
    "movements[0].to",
    "movements[0].rdd",
    "movements[0].mode",
    "movements[0].quay",
    "movements[0].priority",
    "resources",
    "resources.hets",
    "resources.het_type",
    "resources.het_park",
    "resources.wagons",
    "resources.wagon_pools",
    "resources.locomotives",
    "disruptions",
    "solver",
    "solver.road",
    "solver.time_limit_s",
    "solver.seed",
    "solver.alternatives",
    "unknown_field",
]
_disruption = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["d1", "d 2", ""]),
        "kind": st.sampled_from(["close_site", "close_bridge", "close_road", "flood"]),
        "start": st.one_of(st.just("2026-03-02T10:00:00+01:00"), _scalars),
    },
    optional={"target": _scalars, "at": _values, "end": _scalars},
)


@pytest.fixture(scope="module")
def small_overlay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small world's five sites as an overlay folder (read in milliseconds)."""
    folder = tmp_path_factory.mktemp("overlay")
    (folder / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": SITES}))
    return folder


def _small_base(overlay: Path) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["overlays"] = [str(overlay)]
    data["arrivals"][0]["site"] = "port-w"
    data["movements"][0]["to"] = "border-x"
    return data


def _either(run: Callable[[], object]) -> None:
    """Run ``run``: it validates or raises ScenarioError, never anything else."""
    with contextlib.suppress(ScenarioError):
        run()


_EXAMPLES = int(os.environ.get("BAD_INPUT_EXAMPLES", "60"))


@settings(max_examples=_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.sampled_from(_FIELDS), _values), min_size=1, max_size=4))
def test_random_field_values_validate_or_raise_scenario_error(small_overlay, changes):
    data = _small_base(small_overlay)
    for path, value in changes:
        with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
            _set(path, value)(data)
    _either(lambda: validate_scenario(data, "s.yaml"))


@settings(max_examples=_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(disruptions=st.lists(_disruption, max_size=3))
def test_random_disruptions_validate_or_raise_scenario_error(small_overlay, disruptions):
    data = _small_base(small_overlay)
    data["disruptions"] = disruptions
    _either(lambda: validate_scenario(data, "s.yaml"))


@settings(max_examples=_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=_values)
def test_random_yaml_documents_load_or_raise_scenario_error(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("s") / "s.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    _either(lambda: load_scenario(path))


_YAML_ALPHABET = st.sampled_from(
    list("{}[]:,-&*!|>'\"#%@`?<= \n\t\r.0123456789abcxyz~^\\\x00\x85\ufeff\u2028é")
)


@settings(
    max_examples=_EXAMPLES * 2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(_YAML_ALPHABET, max_size=80), raw=st.binary(max_size=40))
def test_random_text_and_bytes_load_or_raise_scenario_error(tmp_path_factory, text, raw):
    folder = tmp_path_factory.mktemp("s")
    (folder / "t.yaml").write_text(GOOD_TEXT + text, encoding="utf-8")
    (folder / "b.yaml").write_bytes(raw)
    (folder / "p.yaml").write_text(text, encoding="utf-8")
    for name in ("t.yaml", "b.yaml", "p.yaml"):
        _either(lambda name=name: load_scenario(folder / name))
