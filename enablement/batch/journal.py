"""The results journal: ``results.jsonl`` (a line per finished variant) and the batch's fingerprint."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._io import write_text_atomic
from ..errors import BatchError
from .spec import Batch
from .worker import _Task

logger = logging.getLogger(__name__)

RESULTS = "results.jsonl"
META = "batch.json"


def read_results(out_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read the rows recorded in ``out_dir/results.jsonl``.

    Parameters
    ----------
    out_dir
        Output folder of a batch run.

    Returns
    -------
    list of dict
        One row per finished variant, in the order recorded (a line cut short by an
        interruption is left out); empty when the folder holds no journal.
    """
    path = Path(out_dir) / RESULTS
    if not path.is_file():
        return []
    rows = []
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if i < len(lines) - 1:
                logger.warning("%s: line %d is not JSON; left out", path, i + 1)
            continue
        if isinstance(row, dict) and "variant" in row:
            rows.append(row)
    return rows


def _earlier_rows(out: Path, resume: bool) -> list[dict[str, Any]]:
    """Rows recorded in ``out`` to resume from; without ``resume``, refuse a folder that holds results."""
    if out.exists() and not out.is_dir():
        msg = f"{out} is a file, not a folder: the output of a batch is a folder; choose another --out"
        raise BatchError(msg)
    if resume:
        return read_results(out)
    journal = out / RESULTS
    if journal.is_file() and journal.stat().st_size > 0:
        msg = (
            f"{out} already holds the results of a batch ({RESULTS}); resume it (--resume) or choose "
            "another output folder"
        )
        raise BatchError(msg)
    return []


def _write_meta(out: Path, meta: Mapping[str, Any], *, check: bool) -> None:
    """Write ``batch.json``; with ``check`` (resuming), first refuse the results of another batch."""
    path = out / META
    if check:
        fingerprint = _recorded_fingerprint(out)
        if fingerprint is None:
            msg = (
                f"{out} holds results but no readable {META}, so they cannot be told to be this batch's; "
                "use another output folder, or remove it to start over"
            )
            raise BatchError(msg)
        if fingerprint != meta["fingerprint"]:
            msg = (
                f"{out} holds the results of a different batch (variants, base scenario or solver settings "
                "differ); use another output folder, or remove it to start over"
            )
            raise BatchError(msg)
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(meta, indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        msg = f"{out}: cannot write the batch's outputs there ({exc.strerror or exc}); choose another --out"
        raise BatchError(msg) from None


def _recorded_fingerprint(out: Path) -> str | None:
    """Read the fingerprint in ``out/batch.json``; None when it is missing or unreadable."""
    try:
        old = json.loads((out / META).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    value = old.get("fingerprint") if isinstance(old, dict) else None
    return value if isinstance(value, str) else None


class _Journal:
    """``results.jsonl``: one JSON line per finished variant, synced to disk before the next."""

    def __init__(self, path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
        self.path = path
        try:
            if path.exists():  # rewrite clean: drop a line cut short by an interruption
                write_text_atomic(path, "".join(_line(r) for r in rows))
            self._file = path.open("a", encoding="utf-8")
        except OSError as exc:
            msg = f"{path}: cannot write the results journal ({exc.strerror or exc}); choose another --out"
            raise BatchError(msg) from None

    def append(self, row: Mapping[str, Any]) -> None:
        self._file.write(_line(row))
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def _line(row: Mapping[str, Any]) -> str:
    return json.dumps(dict(row), sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def _fingerprint(batch: Batch, tasks: Sequence[_Task], failed: Sequence[Mapping[str, Any]]) -> str:
    """Hash what the batch plans: solver settings, each variant and its scenario, files that fail to load."""
    h = hashlib.sha256()
    h.update(json.dumps(batch.solver.overrides(), sort_keys=True).encode())
    data: dict[int, dict[str, Any]] = {}  # one dump per scenario (the base is shared by its variants)
    for t in sorted(tasks, key=lambda t: t.id):
        if id(t.scenario) not in data:
            data[id(t.scenario)] = t.scenario.model_dump(mode="json", by_alias=True)
        h.update(
            json.dumps([t.id, t.variant.key, data[id(t.scenario)]], sort_keys=True, default=str).encode()
        )
    for r in sorted(failed, key=lambda r: r["variant"]):
        h.update(json.dumps([r["variant"], r["key"], r["message"]], sort_keys=True).encode())
    return h.hexdigest()
