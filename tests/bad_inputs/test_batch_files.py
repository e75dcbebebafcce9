"""Bad batch files (their format's limits): each is refused with exit 2, no traceback, a clear message.

Only what the file format bounds: its size, its bytes, the strict YAML reader's rules
(duplicate keys, aliases, merge keys, tags, nesting, documents) and the number of
variants its changes make. Every case runs ``enablement batch FILE --out …``, which
reads the batch file before it plans anything.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from enablement import limits
from tests.bad_inputs.harness import Case, check

GOOD = """\
version: 1
name: bad batch
base: enablement:bridge-closure
design: one_at_a_time
solver: {road: greedy, time_limit_s: 1, seed: 0}
changes:
  - kind: close_sites
    sites: [port-antwerp]
    windows:
      - {start_h: 12, hours: 24}
  - kind: delay_arrivals
    hours: [12, 24]
"""


def _batch(content: str | bytes) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / "b.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return ["batch", str(path), "--out", str(folder / "out")]

    return make


def _sparse(size: int) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / "b.yaml"
        with path.open("wb") as f:
            f.truncate(size)
        return ["batch", str(path), "--out", str(folder / "out")]

    return make


def _sites(n: int, start: int = 0) -> str:
    return "[" + ", ".join(f"site-{i}" for i in range(start, start + n)) + "]"


HEAD = "version: 1\nname: big\nbase: enablement:bridge-closure\n"
GRID = (
    HEAD
    + "design: grid\nchanges:\n"
    + "".join(f"  - {{kind: close_sites, sites: {_sites(20, 20 * k)}}}\n" for k in range(4))
)
WIDE = (
    HEAD
    + "changes:\n"
    + "".join(f"  - {{kind: close_sites, sites: {_sites(4_000, 4_000 * k)}}}\n" for k in range(3))
)
MANY = HEAD + "changes:\n" + "  - {kind: delay_arrivals, hours: [1]}\n" * (limits.BATCH_CHANGES + 1)

CASES = [
    Case("empty file", _batch(""), words=("b.yaml", "empty", "name, base and changes")),
    Case("binary garbage", _batch(bytes(range(256)) * 4), words=("b.yaml", "nul bytes", "utf-8")),
    Case("UTF-16", _batch(GOOD.encode("utf-16")), words=("b.yaml", "utf-16", "save the batch file as utf-8")),
    Case(
        "over the size limit",
        _sparse(limits.BATCH_BYTES + 1),
        words=("b.yaml", "over the limit of 1 mib for a batch file"),
    ),
    Case(
        "duplicate top-level key",
        _batch(GOOD.replace("design: one_at_a_time\n", "design: one_at_a_time\ndesign: grid\n")),
        words=("b.yaml", "line 5", "key 'design' appears twice"),
    ),
    Case(
        "duplicate key in a change",
        _batch(GOOD.replace("    hours: [12, 24]\n", "    hours: [12, 24]\n    hours: [1]\n")),
        words=("b.yaml", "line 13", "key 'hours' appears twice"),
    ),
    Case(
        "duplicate key in a window",
        _batch(GOOD.replace("{start_h: 12, hours: 24}", "{start_h: 12, hours: 24, start_h: 0}")),
        words=("b.yaml", "line 10", "key 'start_h' appears twice"),
    ),
    Case(
        "duplicate key in solver",
        _batch(GOOD.replace("seed: 0}", "seed: 0, seed: 1}")),
        words=("b.yaml", "line 5", "key 'seed' appears twice"),
    ),
    Case(
        "an anchor and an alias",
        _batch(
            GOOD.replace("windows:\n", "windows: &w\n")
            + "  - {kind: close_bridges, bridges: [b], windows: *w}\n"
        ),
        words=("b.yaml", "line 9", "anchor '&w'", "not allowed in a batch file"),
    ),
    Case(
        "a merge key",
        _batch(GOOD.replace("solver: {", "solver: {<<: {road: cp-sat}, ")),
        words=("b.yaml", "merge key '<<'"),
    ),
    Case(
        "a python tag",
        _batch(GOOD.replace("name: bad batch", "name: !!python/object/new:os.system [ls]")),
        words=("b.yaml", "line 2", "tag '!!python/object/new:os.system'"),
    ),
    Case(
        "deeply nested",
        _batch(GOOD + "extra: " + "[" * 500 + "]" * 500 + "\n"),
        words=("b.yaml", f"nested deeper than {limits.YAML_DEPTH} levels"),
    ),
    Case("two documents", _batch(GOOD + "---\n" + GOOD), words=("b.yaml", "second yaml document")),
    Case("a list, not a mapping", _batch("- a\n- b\n"), words=("b.yaml", "must hold a mapping")),
    Case(
        "a grid of 194,480 variants",
        _batch(GRID),
        words=("b.yaml", "at least 194,480 variants (grid)", "limit of 10,000", "design: sample"),
    ),
    Case(
        "12,000 variants one at a time",
        _batch(WIDE),
        words=("b.yaml", "at least 12,000 variants (one_at_a_time)", "limits.batch_variants"),
    ),
    Case(
        "more samples than the limit",
        _batch(GOOD.replace("design: one_at_a_time", "design: sample\nsamples: 1000000")),
        words=("b.yaml", "samples", "less than or equal to 10000"),
    ),
    Case(
        "more changes than the limit",
        _batch(MANY),
        words=("b.yaml", "changes", f"at most {limits.BATCH_CHANGES} items"),
    ),
    Case(
        "a level list over the limit",
        _batch(HEAD + f"changes:\n  - {{kind: close_sites, sites: {_sites(limits.BATCH_LEVELS + 1)}}}\n"),
        words=("b.yaml", "changes[0].close_sites.sites", f"at most {limits.BATCH_LEVELS} items"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


def test_the_cases_are_distinct() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
