"""Folder batches on the small world: copies of its scenario that plan, and variants that cannot."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

BAD = ("bad-scenario", "corrupt-network", "missing-network", "unfit-network")
"""The variants of :func:`folder_batch` that fail: at loading, at building the network (three ways)."""


def folder_batch(
    root: Path, world: Path, ok: Iterable[str], *, bad: bool = False, timeout_s: float = 300
) -> Path:
    """Write ``root/batch.yaml``, a folder batch of a copy of ``world`` per name in ``ok``, and return it.

    With ``bad``, also :data:`BAD`: a scenario naming a site that does not exist, a
    network file that is not a GeoPackage, one that does not exist, and a network
    the overlay's sites do not fit (snap tolerance 1 m).
    """
    folder = root / "scenarios"
    folder.mkdir(parents=True)
    text = (
        world.read_text()
        .replace("source: world.gpkg", f"source: {world.parent / 'world.gpkg'}")
        .replace("overlays: [overlay]", f"overlays: [{world.parent / 'overlay'}]")
    )
    for name in ok:
        (folder / f"{name}.yaml").write_text(text)
    if bad:
        (folder / "bad-scenario.yaml").write_text(text.replace("to: border-x", "to: no-such-site", 1))
        whole = (world.parent / "world.gpkg").read_bytes()
        (root / "corrupt.gpkg").write_bytes(whole[: len(whole) // 2])  # cut short
        corrupt = text.replace(str(world.parent / "world.gpkg"), str(root / "corrupt.gpkg"))
        (folder / "corrupt-network.yaml").write_text(corrupt)
        missing = text.replace(str(world.parent / "world.gpkg"), str(root / "nosuch.gpkg"))
        (folder / "missing-network.yaml").write_text(missing)
        (folder / "unfit-network.yaml").write_text(
            text.replace("snap_tolerance_m: 3000", "snap_tolerance_m: 1")
        )
    path = root / "batch.yaml"
    path.write_text(
        f"name: small world folder\nscenarios: scenarios\nsolver: {{road: greedy}}\ntimeout_s: {timeout_s}\n"
    )
    return path
