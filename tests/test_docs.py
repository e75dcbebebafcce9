"""The documentation stays true: its scenario examples load, and every field and column is documented.

- Every fenced ``yaml`` block of ``docs/*.md`` and ``README.md`` whose first line is the
  marker comment ``# scenario`` is a whole scenario: it is written to a file and loaded with
  the project's loader (what ``enablement validate`` runs), so an example that no longer
  validates fails here. Every other ``yaml`` block must at least be one strict YAML document.
- ``docs/scenario-format.md`` has one table row per field of the scenario schema (its full
  path, e.g. ``policy.halts.roadside``, in backticks in the first cell), and its default
  cell names the default the schema gives: ``required``, the value, and the planning figure
  (``enablement/data/planning.yaml``) the default comes from. A field added to the schema
  without a row, or a row for a field that no longer exists, fails.
- ``docs/reading-the-outputs.md`` lists exactly the files a plan writes (``PLAN_FILES``) and
  has one row per column of ``march_table.csv``, ``permissions.csv`` and ``het_trips.csv``
  (the tables' declared column lists).
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from enablement.defaults import figures
from enablement.outputs.gis import LAYERS as GPKG_LAYERS
from enablement.outputs.tables import HET_TRIP_COLUMNS, MARCH_TABLE_COLUMNS, PERMISSION_COLUMNS
from enablement.outputs.write import PLAN_FILES
from enablement.scenario import load_scenario, validate_scenario
from enablement.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FORMAT = DOCS / "scenario-format.md"
OUTPUTS = DOCS / "reading-the-outputs.md"
GLOSSARY = DOCS / "glossary.md"
MARKER = "# scenario"
"""First line of a fenced ``yaml`` block that holds a whole scenario (validated by this test)."""

_FENCE = re.compile(r"^```yaml[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


# --- the schema's fields ---------------------------------------------------------------


def _nested(annotation: object) -> Iterator[tuple[str, type[BaseModel]]]:
    """The models an annotation holds, each with the suffix its items take in a path (``[]`` for a list)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield "", annotation
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple):
        for arg in args:
            for suffix, model in _nested(arg):
                yield "[]" + suffix, model
    elif origin in (typing.Union, types.UnionType, typing.Annotated):
        for arg in args:
            yield from _nested(arg)


def schema_fields(model: type[BaseModel] = Scenario, prefix: str = "") -> dict[str, FieldInfo]:
    """Every field of the scenario format by its full path (``movements[].via.dwell_h``)."""
    out: dict[str, FieldInfo] = {}
    for name, info in model.model_fields.items():
        path = prefix + (info.alias or name)
        out[path] = info
        for suffix, inner in _nested(info.annotation):
            out.update(schema_fields(inner, f"{path}{suffix}."))
    return out


# --- the docs' tables -----------------------------------------------------------------


def _cells(line: str) -> list[str]:
    return [c.strip() for c in _CELL_SPLIT.split(line.strip().strip("|"))]


def table_rows(text: str) -> dict[str, list[str]]:
    """Table rows whose first cell is one name in backticks, by that name (a name given twice fails)."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.lstrip().startswith("|"):
            continue
        cells = _cells(line)
        m = re.fullmatch(r"`([^`]+)`", cells[0]) if cells else None
        if m is None:
            continue
        name = m.group(1)
        assert name not in rows, f"a table row for `{name}` is given twice"
        rows[name] = cells
    return rows


def section(text: str, heading: str) -> str:
    """The text under a ``## `` heading that starts with ``heading``, up to the next ``## `` heading."""
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    found = [p for p in parts if p.startswith(heading)]
    assert len(found) == 1, f"expected one section '## {heading}…', found {len(found)}"
    return found[0]


def missing_fields(doc: str) -> list[str]:
    """Fields of the schema without a row in ``doc``."""
    rows = table_rows(doc)
    return [path for path in schema_fields() if path not in rows]


# --- default values as the docs write them ----------------------------------------------


def shown(value: object) -> str:
    """A default as the docs write it: ``5`` for 5.0, ``[a, b]`` for a list, ``none`` for None."""
    if value is None:
        return "none"
    if value == "":
        return '""'
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown(v)}" for k, v in value.items()) + "}"
    return str(value)


def figure_of(info: FieldInfo) -> str | None:
    """The planning figure a field's default comes from (the name its default factory reads), if any."""
    code = getattr(info.default_factory, "__code__", None)
    if code is None:
        return None
    names = [c for c in code.co_consts if isinstance(c, str) and c in figures()]
    return names[0] if names else None


def default_problems(doc: str) -> list[str]:
    """Rows whose default cell does not say what the schema gives."""
    rows = table_rows(doc)
    problems = []
    for path, info in schema_fields().items():
        if path not in rows:
            continue
        cells = rows[path]
        assert len(cells) >= 4, f"`{path}`: a field row has cells field | type | unit | default | meaning"
        default = cells[3]
        if info.is_required():
            if "required" not in default:
                problems.append(f"`{path}` is required; its default cell says {default!r}")
            continue
        factory = info.default_factory
        value = factory() if factory is not None else info.default
        if isinstance(value, BaseModel):
            continue  # a section of its own: its fields carry the defaults
        if f"`{shown(value)}`" not in default:
            problems.append(f"`{path}` defaults to `{shown(value)}`; its default cell says {default!r}")
        name = figure_of(info)
        if name is not None and f"`{name}`" not in default:
            problems.append(f"`{path}` defaults to the planning figure `{name}`; its cell says {default!r}")
    return problems


# --- tests ----------------------------------------------------------------------------


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def _yaml_blocks() -> list[tuple[str, int, str]]:
    out = []
    for path in _markdown_files():
        text = path.read_text(encoding="utf-8")
        for m in _FENCE.finditer(text):
            out.append((path.name, text.count("\n", 0, m.start()) + 1, m.group(1)))
    return out


def _scenario_blocks() -> list[tuple[str, int, str]]:
    return [b for b in _yaml_blocks() if b[2].splitlines()[0].strip() == MARKER]


def _params(blocks: list[tuple[str, int, str]]) -> list[object]:
    return [pytest.param(name, line, block, id=f"{name}:{line}") for name, line, block in blocks]


def test_the_docs_exist_and_the_readme_links_them():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in (FORMAT, GLOSSARY, OUTPUTS):
        assert path.is_file(), path
        assert f"(docs/{path.name})" in readme, f"README.md does not link docs/{path.name}"


def test_the_readme_starts_with_the_two_commands():
    lines = [ln for ln in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert lines[0].startswith("# ")
    assert lines[1] == "```sh"
    assert lines[2].startswith("make demo")
    assert lines[3].startswith("make test")
    assert lines[4] == "```"


def test_there_are_scenario_examples():
    names = {name for name, _, _ in _scenario_blocks()}
    assert FORMAT.name in names  # the annotated example at least


@pytest.mark.parametrize(("name", "line", "block"), _params(_scenario_blocks()))
def test_scenario_examples_validate(name, line, block, tmp_path):
    path = tmp_path / "example.yaml"
    path.write_text(block, encoding="utf-8")
    sc = load_scenario(path)  # raises ScenarioError, naming the field, when the example is wrong
    assert sc.name, f"{name}:{line}"
    assert sc.arrivals and sc.movements


@pytest.mark.parametrize(("name", "line", "block"), _params(_yaml_blocks()))
def test_every_yaml_block_is_one_yaml_document(name, line, block):
    docs = list(yaml.safe_load_all(block))
    assert len(docs) == 1, f"{name}:{line}: {len(docs)} YAML documents"
    assert isinstance(docs[0], dict), f"{name}:{line}: not a mapping"


def _fragments() -> list[tuple[str, int, str]]:
    """The other blocks whose keys are all top-level scenario fields: parts of a scenario."""
    top = set(Scenario.model_fields)
    return [
        b
        for b in _yaml_blocks()
        if b[2].splitlines()[0].strip() != MARKER
        and isinstance(data := yaml.safe_load(b[2]), dict)
        and data
        and set(data) <= top
    ]


@pytest.mark.parametrize(("name", "line", "block"), _params(_fragments()))
def test_scenario_fragments_validate_in_the_example(name, line, block):
    """A part of a scenario shown in the docs, put in the annotated example, still validates."""
    example = next(b for n, _, b in _scenario_blocks() if n == FORMAT.name)
    data = yaml.safe_load(example) | yaml.safe_load(block)
    sc = validate_scenario(data, f"{name}:{line}", base=ROOT)
    assert _within(yaml.safe_load(block), sc.model_dump(mode="json", by_alias=True)), f"{name}:{line}"


def _within(given: object, read: object) -> bool:
    """Whether every value ``given`` in a fragment is what the scenario read (its defaults aside)."""
    if isinstance(given, dict):
        if isinstance(read, list) and len(read) == 1:  # one window given for a list of windows
            read = read[0]
        return isinstance(read, dict) and all(k in read and _within(v, read[k]) for k, v in given.items())
    if isinstance(given, list):
        return isinstance(read, list) and len(given) == len(read) and all(map(_within, given, read))
    return given == read


def test_every_schema_field_has_a_row_in_the_format_reference():
    assert missing_fields(FORMAT.read_text(encoding="utf-8")) == []


def test_every_row_of_the_format_reference_is_a_schema_field():
    known = schema_fields()
    rows = table_rows(section(FORMAT.read_text(encoding="utf-8"), "Fields"))
    assert sorted(set(rows) - set(known)) == []


def test_the_format_reference_gives_every_default_and_its_figure():
    assert default_problems(FORMAT.read_text(encoding="utf-8")) == []


def test_a_field_removed_from_the_docs_is_caught():
    text = FORMAT.read_text(encoding="utf-8")
    for path in ("policy.halts.roadside", "movements[].from", "restrictions[].when[].days"):
        assert path in schema_fields()
        cut = "\n".join(ln for ln in text.splitlines() if not ln.startswith(f"| `{path}`"))
        assert missing_fields(cut) == [path]


def test_a_wrong_default_is_caught():
    text = FORMAT.read_text(encoding="utf-8")
    before = default_problems(text)
    for path, good, bad in (
        ("policy.convoy_speed_kmh", "`convoy_speed_kmh`", "`headway_min`"),  # the wrong figure
        ("policy.halts.first_after_min", "`60`", "`45`"),  # the wrong value
        ("name", "required", "optional"),  # a required field said optional
    ):
        row = next(ln for ln in text.splitlines() if ln.startswith(f"| `{path}` |"))
        assert good in row
        wrong = text.replace(row, row.replace(good, bad))
        found = [p for p in default_problems(wrong) if p not in before]
        assert len(found) == 1, found
        assert found[0].startswith(f"`{path}`")


def test_the_outputs_guide_lists_exactly_the_files_a_plan_writes():
    rows = table_rows(section(OUTPUTS.read_text(encoding="utf-8"), "The files"))
    assert sorted(rows) == sorted(PLAN_FILES)


@pytest.mark.parametrize(
    ("heading", "columns"),
    [
        ("`march_table.csv`", MARCH_TABLE_COLUMNS),
        ("`permissions.csv`", PERMISSION_COLUMNS),
        ("`het_trips.csv`", HET_TRIP_COLUMNS),
    ],
)
def test_the_outputs_guide_has_a_row_per_column(heading, columns):
    rows = table_rows(section(OUTPUTS.read_text(encoding="utf-8"), heading))
    assert list(rows) == list(columns)  # every column, in the file's order, and no other


def test_the_format_reference_lists_every_site_of_the_packaged_overlay_by_kind():
    sites = json.loads((ROOT / "geodata" / "belgium" / "sites.geojson").read_text(encoding="utf-8"))
    by_kind: dict[str, set[str]] = {}
    for f in sites["features"]:
        by_kind.setdefault(f["properties"]["kind"], set()).add(f["properties"]["id"])
    rows = table_rows(FORMAT.read_text(encoding="utf-8"))
    for kind, ids in by_kind.items():
        assert kind in rows, f"no row for site kind {kind} in {FORMAT.name}"
        listed = set(re.findall(r"`([a-z0-9-]+)`", rows[kind][1]))
        assert listed == ids, f"{kind}: the docs list {sorted(listed)}, the overlay has {sorted(ids)}"


def test_the_outputs_guide_has_a_row_per_geopackage_layer():
    rows = table_rows(section(OUTPUTS.read_text(encoding="utf-8"), "`plan.gpkg`"))
    assert sorted(rows) == sorted(GPKG_LAYERS)
