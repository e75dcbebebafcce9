"""Sourced planning figures used as defaults (``enablement/data/planning.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["Figure", "figure", "figures"]


@dataclass(frozen=True, slots=True)
class Figure:
    """A planning figure with its source.

    Attributes
    ----------
    name
        Key in the data file.
    value
        The figure itself.
    unit
        Unit, or an empty string.
    source
        Where the figure comes from.
    illustrative
        True when it is an exercise value with no public figure behind it.
    """

    name: str
    value: Any
    unit: str
    source: str
    illustrative: bool


@cache
def figures() -> dict[str, Figure]:
    """Return every planning figure of the packaged data file, by name."""
    text = (resources.files("enablement") / "data" / "planning.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)["figures"]
    return {
        name: Figure(
            name=name,
            value=spec["value"],
            unit=str(spec.get("unit", "")),
            source=str(spec["source"]),
            illustrative=bool(spec.get("illustrative", False)),
        )
        for name, spec in raw.items()
    }


def figure(name: str) -> Any:
    """Return the value of the planning figure ``name``."""
    return figures()[name].value
