"""Bad overlay folders: each is refused with exit 2, no traceback, and a message naming file, field and fix.

The base overlay is the small world's five sites (``tests/small_world.py``) in
``sites.geojson``; each case corrupts its ``overlay.yaml`` mapping (the strict YAML
reader's rules, then the types of each entry) or a layer file (bytes, values, ids), and
runs ``enablement overlay FOLDER --out …``, which reads the overlay before it loads any
network. A few go through ``enablement validate`` on a scenario naming the folder. The
property test at the end throws random mappings and random site properties at
:func:`~enablement.network.overlays.read_overlay`: it returns an overlay or raises
:class:`~enablement.errors.OverlayError`, never another exception.
"""

from __future__ import annotations

import contextlib
import copy
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
from enablement.errors import OverlayError
from enablement.network.overlays import read_overlay
from tests.bad_inputs.harness import Case, check
from tests.small_world import SITES

MAPPING = "layers:\n  sites:\n    file: sites.geojson\n    defaults: {source: test}\n"


def _folder(folder: Path, sites: list[dict[str, Any]] | str | bytes | None = None) -> Path:
    ov = folder / "ov"
    ov.mkdir(exist_ok=True)
    if sites is None:
        sites = SITES
    path = ov / "sites.geojson"
    if isinstance(sites, bytes):
        path.write_bytes(sites)
    elif isinstance(sites, str):
        path.write_text(sites, encoding="utf-8")
    else:
        path.write_text(json.dumps({"type": "FeatureCollection", "features": sites}), encoding="utf-8")
    return ov


def _overlay_cmd(folder: Path, ov: Path, *extra: str) -> list[str]:
    return ["overlay", str(ov), "--out", str(folder / "net.gpkg"), *extra]


def _mapping(content: str | bytes) -> Callable[[Path], list[str]]:
    """The base overlay with ``overlay.yaml`` holding ``content``."""

    def make(folder: Path) -> list[str]:
        ov = _folder(folder)
        path = ov / "overlay.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return _overlay_cmd(folder, ov)

    return make


def _sparse_mapping(size: int) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        ov = _folder(folder)
        with (ov / "overlay.yaml").open("wb") as f:
            f.truncate(size)
        return _overlay_cmd(folder, ov)

    return make


def _sites(change: Callable[[list[dict[str, Any]]], object]) -> Callable[[Path], list[str]]:
    """The base overlay with its site features changed (written with Python's json: NaN, Infinity)."""

    def make(folder: Path) -> list[str]:
        sites = copy.deepcopy(SITES)
        change(sites)
        return _overlay_cmd(folder, _folder(folder, sites))

    return make


def _raw_sites(content: str | bytes) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        return _overlay_cmd(folder, _folder(folder, content))

    return make


def _prop(i: int, key: str, value: object) -> Callable[[list[dict[str, Any]]], None]:
    def change(sites: list[dict[str, Any]]) -> None:
        sites[i]["properties"][key] = value

    return change


def _drop(i: int, key: str) -> Callable[[list[dict[str, Any]]], None]:
    def change(sites: list[dict[str, Any]]) -> None:
        del sites[i]["properties"][key]

    return change


def _same_id(sites: list[dict[str, Any]]) -> None:
    sites[1]["properties"]["id"] = sites[0]["properties"]["id"]


def _nan_point(sites: list[dict[str, Any]]) -> None:
    sites[0]["geometry"]["coordinates"] = [float("nan"), 50.8]


def _via_scenario(content: str) -> Callable[[Path], list[str]]:
    """A scenario naming the overlay folder, whose ``overlay.yaml`` holds ``content``."""

    def make(folder: Path) -> list[str]:
        ov = _folder(folder)
        (ov / "overlay.yaml").write_text(content, encoding="utf-8")
        scenario = folder / "s.yaml"
        scenario.write_text(
            "name: x\nstart: '2026-03-02T06:00:00+01:00'\noverlays: [ov]\n"
            "arrivals: [{id: a, kind: ship, site: port-w, time: '2026-03-02T08:00:00+01:00',\n"
            "  equipment: [{unit: A, vehicle: boxer, count: 2}]}]\n"
            "movements: [{unit: A, to: border-x, rdd: '2026-03-03T08:00:00+01:00'}]\n",
            encoding="utf-8",
        )
        return ["validate", str(scenario)]

    return make


def _missing_mapping(folder: Path) -> list[str]:
    return _overlay_cmd(folder, _folder(folder), "--mapping", str(folder / "nope.yaml"))


CASES = [
    # ---- overlay.yaml: the strict YAML reader
    Case(
        "mapping: duplicate layer type",
        _mapping(MAPPING + "  sites:\n    file: other.geojson\n"),
        words=("overlay.yaml", "line 5", "key 'sites' appears twice"),
    ),
    Case(
        "mapping: duplicate file key",
        _mapping(MAPPING.replace("    file: sites.geojson\n", "    file: sites.geojson\n    file: x.shp\n")),
        words=("overlay.yaml", "line 4", "key 'file' appears twice"),
    ),
    Case(
        "mapping: duplicate default",
        _mapping(MAPPING.replace("{source: test}", "{source: test, source: other}")),
        words=("overlay.yaml", "line 4", "key 'source' appears twice"),
    ),
    Case(
        "mapping: an alias",
        _mapping("layers:\n  sites: &s\n    file: sites.geojson\n  staging_areas: *s\n"),
        words=("overlay.yaml", "line 2", "anchor '&s'", "not allowed in an overlay mapping file"),
    ),
    Case(
        "mapping: a merge key",
        _mapping("layers:\n  sites:\n    <<: {file: sites.geojson}\n"),
        words=("overlay.yaml", "merge key '<<'", "not allowed"),
    ),
    Case(
        "mapping: a python tag",
        _mapping("layers:\n  sites:\n    file: !!python/name:os.system x\n"),
        words=("overlay.yaml", "line 3", "tag '!!python/name:os.system'", "not allowed"),
    ),
    Case(
        "mapping: deeply nested",
        _mapping("layers:\n  sites:\n    values:\n      kind: " + "{a: " * 100 + "1" + "}" * 100 + "\n"),
        words=("overlay.yaml", f"nested deeper than {limits.YAML_DEPTH} levels"),
    ),
    Case(
        "mapping: over the size limit",
        _sparse_mapping(limits.OVERLAY_MAPPING_BYTES + 1),
        words=("overlay.yaml", "over the limit of 1 mib", "overlay mapping file"),
    ),
    Case(
        "mapping: binary garbage",
        _mapping(bytes(range(256)) * 4),
        words=("overlay.yaml", "nul bytes", "utf-8"),
    ),
    Case(
        "mapping: UTF-16",
        _mapping(MAPPING.encode("utf-16")),
        words=("overlay.yaml", "utf-16", "save the overlay mapping file as utf-8"),
    ),
    Case(
        "mapping: a syntax error",
        _mapping("layers:\n  sites: {file: sites.geojson\n"),
        words=("overlay.yaml", "yaml syntax error"),
    ),
    Case(
        "mapping: a list",
        _mapping("- sites\n- bridges\n"),
        words=("overlay.yaml", "expected a mapping with 'layers"),
    ),
    Case(
        "mapping: an unknown top-level key",
        _mapping(MAPPING + "layer: {}\n"),
        words=("overlay.yaml", "layer: unknown key", "'layers' only"),
    ),
    Case(
        "mapping: an unknown layer type",
        _mapping(MAPPING + "  bridgez: {file: sites.geojson}\n"),
        words=("overlay.yaml", "layers.bridgez", "unknown layer type"),
    ),
    Case(
        "mapping: an entry without file",
        _mapping("layers:\n  sites: {layer: x}\n"),
        words=("overlay.yaml", "layers.sites", "needs 'file'"),
    ),
    Case(
        "mapping: file as a list",
        _mapping("layers:\n  sites: {file: [a, b]}\n"),
        words=("overlay.yaml", "layers.sites.file", "as a path"),
    ),
    Case(
        "mapping: layer as a number",
        _mapping("layers:\n  sites: {file: sites.geojson, layer: 3}\n"),
        words=("overlay.yaml", "layers.sites.layer", "as text"),
    ),
    Case(
        "mapping: values as a list",
        _mapping("layers:\n  sites: {file: sites.geojson, values: [1, 2]}\n"),
        words=("overlay.yaml", "layers.sites.values", "their_value: our_value"),
    ),
    Case(
        "mapping: a NaN default",
        _mapping("layers:\n  sites: {file: sites.geojson, defaults: {berths: .nan}}\n"),
        words=("overlay.yaml", "layers.sites.defaults", "finite"),
    ),
    Case(
        "mapping: a mapping as a default",
        _mapping("layers:\n  sites: {file: sites.geojson, defaults: {source: {a: 1}}}\n"),
        words=("overlay.yaml", "layers.sites.defaults", "plain finite value"),
    ),
    Case(
        "mapping: keys of mixed types",
        _mapping("layers:\n  sites: {file: sites.geojson, 1: x, zz: y}\n"),
        words=("overlay.yaml", "unknown key(s) 1, zz"),
    ),
    Case(
        "mapping: a missing file",
        _mapping("layers:\n  sites: {file: nowhere.geojson}\n"),
        words=("overlay.yaml", "layers.sites.file", "does not exist"),
    ),
    Case(
        "--mapping names a missing file",
        _missing_mapping,
        words=("nope.yaml", "cannot be read"),
    ),
    Case(
        "scenario: its overlay's mapping holds an alias",
        _via_scenario("layers:\n  sites: &s {file: sites.geojson}\n  rail_quays: *s\n"),
        words=("s.yaml", "overlays[0]", "overlay.yaml", "anchor '&s'"),
    ),
    # ---- layer files
    Case(
        "layer: binary garbage",
        _raw_sites(bytes(range(256)) * 16),
        words=("sites.geojson", "cannot be read as a vector layer"),
    ),
    Case("layer: empty file", _raw_sites(""), words=("sites.geojson", "cannot be read")),
    Case(
        "layer: JSON that is no GeoJSON",
        _raw_sites('{"hello": "world"}'),
        words=("sites.geojson",),
    ),
    Case(  # NaN in an optional number reads as empty (GDAL gives NaN for null too)
        "layer: a null id",
        _sites(_prop(1, "id", None)),
        words=("sites.geojson", "feature 1", "field 'id' is empty"),
    ),
    Case(
        "layer: infinite berths",
        _sites(_prop(0, "berths", float("inf"))),
        words=("sites.geojson", "feature 0 (port-w)", "berths", "out of range"),
    ),
    Case(
        "layer: a negative discharge rate",
        _sites(_prop(0, "discharge_rate_vph", -120)),
        words=("sites.geojson", "discharge_rate_vph", "out of range [0, 10000]"),
    ),
    Case(
        "layer: a capacity of 1e300",
        _sites(_prop(1, "capacity_vehicles", 1e300)),
        words=("sites.geojson", "capacity_vehicles", "out of range"),
    ),
    Case(
        "layer: ramp tracks as text",
        _sites(_prop(3, "ramp_tracks", "many")),
        words=("sites.geojson", "feature 3 (quay-q)", "ramp_tracks", "'many'"),
    ),
    Case(
        "layer: a missing name",
        _sites(_drop(2, "name")),
        words=("sites.geojson", "feature 2 (border-x)", "field 'name' is empty"),
    ),
    Case(
        "layer: an unknown kind",
        _sites(_prop(0, "kind", "spaceport")),
        words=("sites.geojson", "field 'kind' = 'spaceport'", "use one of"),
    ),
    Case(
        "layer: illustrative as a number",
        _sites(_prop(0, "illustrative", 7)),
        words=("sites.geojson", "illustrative", "use true or false"),
    ),
    Case(
        "layer: one id twice",
        _sites(_same_id),
        words=("sites.geojson", "id 'port-w' is used by more than one feature"),
    ),
    Case(
        "layer: a NaN coordinate",
        _sites(_nan_point),
        words=("sites.geojson", "feature 0", "geometry"),
    ),
    Case(
        "layer: hours out of the day",
        _sites(_prop(0, "hours", "25:00-26:00")),
        words=("sites.geojson", "field 'hours'", "hh:mm-hh:mm"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


def test_the_cases_are_distinct() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


def test_a_layer_over_the_feature_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "OVERLAY_FEATURES", 4)  # the small world has five sites
    with pytest.raises(
        OverlayError, match=r"sites.geojson: 5 features, over the limit of 4 .*OVERLAY_FEATURES"
    ):
        read_overlay(_folder(tmp_path))


def test_a_layer_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "OVERLAY_LAYER_BYTES", 100)
    with pytest.raises(OverlayError, match=r"sites.geojson: the file is .* over the limit of 100 bytes"):
        read_overlay(_folder(tmp_path))


# --------------------------------------------------------------------------- property test

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_keys = st.sampled_from(["file", "layer", "fields", "values", "defaults", "other"])
_spec = st.one_of(
    _values,
    st.fixed_dictionaries(
        {"file": st.sampled_from(["sites.geojson", "nope.geojson", "", "../sites.geojson"])},
        optional={
            "layer": _values,
            "fields": st.one_of(
                _values, st.dictionaries(st.text(max_size=8), st.sampled_from(["id", "name", "kind"]))
            ),
            "values": _values,
            "defaults": st.one_of(
                _values, st.dictionaries(st.sampled_from(["source", "berths", "mode"]), _scalars)
            ),
        },
    ),
    st.dictionaries(_keys, _values, max_size=4),
)
_mappings = st.one_of(
    _values,
    st.fixed_dictionaries(
        {"layers": st.dictionaries(st.sampled_from(["sites", "bridges", "roadz", "closures"]), _spec)}
    ),
)
_site_fields = st.sampled_from(
    [
        "id",
        "name",
        "kind",
        "mode",
        "berths",
        "capacity_vehicles",
        "illustrative",
        "source",
        "hours",
        "ramp_type",
    ]
)
_site_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(["seaport", "road", "road+rail", "00:00-24:00", "end"]),
)


@settings(
    max_examples=int(os.environ.get("BAD_INPUT_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    mapping=_mappings, changes=st.lists(st.tuples(st.integers(0, 4), _site_fields, _site_values), max_size=4)
)
def test_random_overlays_read_or_raise_overlay_error(tmp_path_factory, mapping, changes):
    folder = tmp_path_factory.mktemp("ov")
    sites = copy.deepcopy(SITES)
    for i, key, value in changes:
        sites[i]["properties"][key] = value
    (folder / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": sites}))
    (folder / "overlay.yaml").write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    with contextlib.suppress(OverlayError):
        read_overlay(folder)
