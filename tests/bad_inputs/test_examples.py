"""The harness on two inputs the command already handles (its own test; the catalogue is beside it)."""

from __future__ import annotations

import pytest

from tests.bad_inputs.harness import Case, check, run

CASES = [
    Case(
        "plan: no such scenario file",
        lambda d: ["plan", str(d / "missing.yaml"), "--out", str(d / "o")],
        words=("missing.yaml", "no such scenario file"),
    ),
    Case(
        "validate: not YAML",
        lambda d: (d.joinpath("x.yaml").write_text("a: [1, 2"), ["validate", str(d / "x.yaml")])[1],
        words=("x.yaml",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case, tmp_path):
    check(case, tmp_path)


def test_the_harness_sees_a_crash_and_a_hang(monkeypatch):
    from enablement import cli

    def boom(_argv=None):
        raise ZeroDivisionError

    monkeypatch.setattr(cli, "main", boom)
    assert run(["--version"]).crashed

    def spin(_argv=None):
        while True:
            pass

    monkeypatch.setattr(cli, "main", spin)
    assert run(["--version"], timeout_s=1).hung
