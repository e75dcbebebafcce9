"""Turning pydantic validation errors into one line per problem: ``file: field.path: message``."""

from __future__ import annotations

from pydantic import ValidationError

__all__ = ["format_loc", "problems_from"]


def format_loc(loc: tuple[int | str, ...]) -> str:
    """Field path as users write it: ``movements[2].via.site``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + ("from" if part == "from_" else str(part))
    return out or "(top level)"


def problems_from(exc: ValidationError, fname: str, prefix: tuple[int | str, ...] = ()) -> list[str]:
    """Every error of ``exc`` as ``fname: path: message``, with ``prefix`` before each path."""
    problems = []
    for err in exc.errors(include_url=False):
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field; check its spelling against the documented format"
        problems.append(f"{fname}: {format_loc((*prefix, *tuple(err['loc'])))}: {message}")
    return problems
