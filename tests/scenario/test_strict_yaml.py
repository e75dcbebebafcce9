"""The strict YAML reader and the limits: the rules on the Python API, and every limit documented."""

from __future__ import annotations

import ast
import copy
import datetime as dt
import inspect
from importlib import resources
from pathlib import Path

import pytest
import yaml

from enablement import limits
from enablement._validate import parse_yaml, read_yaml
from enablement.errors import ScenarioError
from enablement.scenario import validate_scenario
from tests.scenario.test_load import GOOD


def _parse(text: str, *, aliases: bool = False) -> object:
    return parse_yaml(text, "f.yaml", what="scenario", aliases=aliases, error=ScenarioError)


def _problems(text: str, *, aliases: bool = False) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        _parse(text, aliases=aliases)
    return err.value.problems


def _packaged_yaml() -> list[Path]:
    scenarios = resources.files("enablement.scenarios")
    files = [Path(str(p)) for p in scenarios.iterdir() if p.name.endswith(".yaml")]
    files += [Path(str(p)) for p in (scenarios / "batches").iterdir() if p.name.endswith(".yaml")]
    data = resources.files("enablement") / "data"
    return files + [Path(str(data / n)) for n in ("vehicles.yaml", "planning.yaml", "rail.yaml")]


@pytest.mark.parametrize("path", _packaged_yaml(), ids=lambda p: p.name)
def test_packaged_files_read_as_a_plain_safe_load_reads_them(path):
    text = path.read_text(encoding="utf-8")
    assert _parse(text, aliases=True) == yaml.safe_load(text)


def test_every_duplicate_key_is_reported_with_its_line_at_any_depth():
    text = "a: 1\nb:\n  c: [{d: 1, d: 2}]\n  c: 3\na: 4\n"
    assert _problems(text) == [
        "f.yaml: line 3: key 'd' appears twice in one mapping; the second would silently replace the first",
        "f.yaml: line 4: key 'c' appears twice in one mapping; the second would silently replace the first",
        "f.yaml: line 5: key 'a' appears twice in one mapping; the second would silently replace the first",
    ]


def test_keys_that_python_takes_as_equal_are_duplicates():
    assert "key '1' appears twice" in _problems("true: a\n1: b\n")[0]


def test_values_are_the_safe_schema_values():
    doc = _parse("a: [1, 2.5, true, null, '3', .inf, 0x1f, 2026-03-02]\n")
    assert doc == {"a": [1, 2.5, True, None, "3", float("inf"), 31, dt.date(2026, 3, 2)]}


def test_aliases_where_allowed_follow_yaml_merge_rules():
    doc = _parse("a: &x {p: 1, q: 2}\nb:\n  <<: *x\n  q: 3\nc: *x\n", aliases=True)
    assert doc == {"a": {"p": 1, "q": 2}, "b": {"p": 1, "q": 3}, "c": {"p": 1, "q": 2}}


def test_a_billion_laughs_stops_at_the_bound_on_values():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    problems = _problems("\n".join(levels) + "\n", aliases=True)
    assert problems[0].startswith(
        "f.yaml: line 7: more than 5,000,000 values (counting what every alias repeats)"
    )


def test_a_recursive_alias_is_refused():
    assert "names no anchor defined before it" in _problems("a: &r [*r]\n", aliases=True)[0]


def test_the_bound_on_values_holds_without_aliases(monkeypatch):
    monkeypatch.setattr(limits, "YAML_VALUES", 100)
    assert "more than 100 values" in _problems("a: [" + ", ".join(["x"] * 200) + "]\n")[0]


def test_size_is_checked_before_a_byte_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(10**12)  # a terabyte hole
    with pytest.raises(
        ScenarioError, match=r"big.yaml: the file is 9.537e\+05 MiB, over the limit of 64 MiB"
    ):
        read_yaml(path, "big.yaml", what="scenario", max_bytes=limits.SCENARIO_BYTES, error=ScenarioError)


def test_a_utf8_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_yaml(path, "s.yaml", what="scenario", max_bytes=100, error=ScenarioError) == {"a": 1}


def test_nesting_up_to_the_bound_reads():
    depth = limits.YAML_DEPTH
    assert _parse("[" * depth + "]" * depth) is not None
    assert "nested deeper than" in _problems("[" * (depth + 1) + "]" * (depth + 1))[0]


def test_every_limit_is_documented_and_exported():
    tree = ast.parse(inspect.getsource(limits))
    names = []
    for node, after in zip(tree.body, [*tree.body[1:], None], strict=True):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name.isupper() and not name.startswith("_"):
                names.append(name)
                doc = after.value.value if isinstance(after, ast.Expr) else None
                assert isinstance(doc, str) and len(doc) > 40, f"{name} has no docstring giving its reason"
    assert sorted(names) == sorted(n for n in limits.__all__ if n.isupper())


def test_a_message_lists_the_first_problems_and_counts_the_rest():
    data = copy.deepcopy(GOOD)
    item = {"unit": "A", "vehicle": "tiger2", "count": 1}
    data["arrivals"][0]["equipment"] = [dict(item) for _ in range(limits.PROBLEMS_SHOWN + 50)]
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data, "s.yaml")
    assert len(err.value.problems) == limits.PROBLEMS_SHOWN + 50  # every problem is kept
    text = str(err.value)
    assert text.startswith(f"{limits.PROBLEMS_SHOWN + 50} problems in the scenario")
    assert text.count("\n  - ") == limits.PROBLEMS_SHOWN and text.endswith("… and 50 more (fix these first)")


def test_the_lengths_are_checked_before_any_item_is_validated(monkeypatch):
    from enablement.scenario import schema

    calls = []
    monkeypatch.setattr(schema.Scenario, "model_validate", classmethod(lambda cls, d: calls.append(d)))
    data = copy.deepcopy(GOOD)
    data["arrivals"] = [{}] * (limits.ARRIVALS + 1)
    with pytest.raises(ScenarioError, match="over the limit of 20,000"):
        validate_scenario(data, "s.yaml")
    assert calls == []
