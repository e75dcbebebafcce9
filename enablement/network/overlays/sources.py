"""Overlay sources: what an entry of a scenario's ``overlays:`` list (or of :func:`read_overlay`) names.

An entry is one of

* an **IGN-style overlay**: a packaged overlay name (``belgium``), a folder of
  layer files or a GeoPackage whose layers are named by type (read by
  :func:`~.read.read_layers`, schema in ``geodata/README.md``);
* ``SCHEME:PATH``: a file or folder read by the reader registered for
  ``SCHEME``. Built in:

  - ``wegenregister:PATH``: an extract of the Flemish road register (the zip as
    downloaded, or the folder it unpacks to), read by
    :func:`~enablement.network.wegenregister.read_wegenregister` into a
    ``roads`` layer;
  - ``infrabel:PATH``: Infrabel's line-section layer (GeoJSON), read by
    :func:`~enablement.network.infrabel.read_infrabel_lines` into a
    ``rail_lines`` layer, with its operational points as network features
    (candidate rail sites).

  :func:`register_overlay_source` adds another scheme.

**Resolution** (:func:`resolve_overlay`, the one rule for scenario validation,
network building, the command line and the Python API): a relative path, the
entry itself or the ``PATH`` of ``SCHEME:PATH``, is looked up in ``base`` (the
folder of the scenario file) first; when nothing exists there it is taken as
given (relative to the working directory). An entry without a scheme that is
found in neither place is a packaged overlay name. Schemes are case-insensitive.
"""

from __future__ import annotations

import logging
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...errors import EnablementError, NetworkError, OverlayError
from ..infrabel import INFRABEL_ATTRIBUTION, REQUIRED_FIELDS, read_infrabel_lines, read_infrabel_sections
from ..wegenregister import WEGENREGISTER_ATTRIBUTION, read_wegenregister
from .read import Overlay, layer_overlay, overlay_path, read_layers

__all__ = [
    "OverlayEntry",
    "OverlayReader",
    "OverlaySource",
    "overlay_sources",
    "read_overlay",
    "register_overlay_source",
    "resolve_overlay",
]

logger = logging.getLogger(__name__)

OverlayReader = Callable[[Path], Overlay]
"""A source's reader: the resolved path of ``SCHEME:PATH`` in, a validated :class:`~.read.Overlay` out."""

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+._-]+):(.*)", re.DOTALL)
"""``SCHEME:PATH``; a scheme has at least two characters (``C:`` is a drive, not a scheme)."""


@dataclass(frozen=True)
class OverlaySource:
    """A registered overlay source.

    Attributes
    ----------
    scheme
        The prefix naming it in an overlay entry (``infrabel`` in ``infrabel:PATH``).
    reader
        Reads the resolved ``PATH`` into an overlay (see :func:`register_overlay_source`).
    what
        What ``PATH`` must be, as messages tell the user (``"Infrabel's line-section
        layer (GeoJSON)"``).
    """

    scheme: str
    reader: OverlayReader
    what: str


@dataclass(frozen=True)
class OverlayEntry:
    """An overlay entry resolved to what reads it and the path it reads.

    Attributes
    ----------
    entry
        The entry as written (``infrabel:rail/sections.geojson``, ``belgium``).
    scheme
        The source's scheme, or ``None`` for an IGN-style overlay (a folder, a
        GeoPackage or a packaged overlay name).
    path
        The file or folder to read: ``PATH`` against ``base`` when it exists
        there, else as given; a packaged overlay's folder in the package.
    name
        How an IGN-style overlay is named in messages and in the network's
        metadata: the path found against ``base``, else the entry as written.
    """

    entry: str
    scheme: str | None
    path: Path
    name: str


_SOURCES: dict[str, OverlaySource] = {}


def register_overlay_source(
    scheme: str, reader: OverlayReader, *, what: str = "a file", replace: bool = False
) -> None:
    """Make ``SCHEME:PATH`` an overlay entry read by ``reader``.

    Parameters
    ----------
    scheme
        The prefix, at least two characters (letters, digits, ``+ . _ -``, starting
        with a letter); case-insensitive.
    reader
        Called with the resolved path (``PATH`` against the scenario's folder when it
        exists there, else as given; it exists when the reader is called). It must
        return an :class:`~.read.Overlay` in EPSG:3812 whose layers passed the
        schema's checks (build it with :func:`~.read.layer_overlay`, or read layer
        files with :func:`~.read.read_layers`), and raise
        :class:`~enablement.errors.OverlayError` (or another
        :class:`~enablement.errors.EnablementError`) naming the file and the fix
        when the path is of the wrong kind or its data are invalid; the message is
        prefixed with the overlay entry.
    what
        What ``PATH`` must be, for messages (``"a road-works GeoJSON"``).
    replace
        Replace a source already registered under ``scheme``.

    Raises
    ------
    ValueError
        The scheme is malformed, or already registered and ``replace`` is false.
    """
    key = scheme.lower()
    if not _SCHEME.fullmatch(f"{key}:"):
        msg = f"overlay source scheme {scheme!r}: use two or more letters, digits, '+', '.', '_' or '-'"
        raise ValueError(msg)
    if key in _SOURCES and not replace:
        msg = f"overlay source scheme '{key}' is already registered; pass replace=True to replace it"
        raise ValueError(msg)
    _SOURCES[key] = OverlaySource(key, reader, what)


def overlay_sources() -> dict[str, str]:
    """Return the registered source schemes and what their ``PATH`` must be, sorted by scheme."""
    return {k: _SOURCES[k].what for k in sorted(_SOURCES)}


def _against(text: str, base: Path | None) -> str:
    """``text`` against ``base`` when something exists there, else ``text`` as given."""
    if base is not None and not Path(text).is_absolute() and (base / text).exists():
        return str(base / text)
    return text


def resolve_overlay(name: str | os.PathLike[str], base: Path | None = None) -> OverlayEntry:
    """Resolve an overlay entry against the folder of the scenario that names it.

    Parameters
    ----------
    name
        A packaged overlay name, a folder, a GeoPackage, or ``SCHEME:PATH``.
    base
        The folder relative paths are resolved against first (a scenario file's
        folder); ``None``: the working directory only.

    Returns
    -------
    OverlayEntry
        The scheme (``None`` for an IGN-style overlay) and the path to read.

    Raises
    ------
    OverlayError
        An unknown scheme, a ``PATH`` that does not exist, or a name that is
        neither a folder, a GeoPackage nor a packaged overlay; the message names
        the entry, the path and the fix.
    """
    text = str(name)
    match = _SCHEME.fullmatch(text)
    if match is not None and match.group(1).lower() in _SOURCES:
        return _resolve_source(text, match.group(1).lower(), match.group(2), base)
    target = _against(text, base)
    if match is not None and not Path(target).exists():
        schemes = ", ".join(f"{s}:PATH" for s in overlay_sources()) or "none"
        msg = (
            f"overlay '{text}': unknown overlay source '{match.group(1)}:'; use one of {schemes}, "
            "a folder, a GeoPackage or a packaged overlay name (or register the scheme with "
            "enablement.network.overlays.register_overlay_source)"
        )
        raise OverlayError(msg)
    return OverlayEntry(text, None, overlay_path(target), target)


def _resolve_source(text: str, scheme: str, rest: str, base: Path | None) -> OverlayEntry:
    what = _SOURCES[scheme].what
    if not rest.strip():
        msg = f"overlay '{text}': names no file; write {scheme}:PATH with PATH {what}"
        raise OverlayError(msg)
    path = Path(_against(rest, base))
    if not path.exists():
        shown = path if base is None or path.is_absolute() else base / path
        where = "the working directory" if base is None else f"{base}"
        msg = (
            f"overlay '{text}': {shown} does not exist; give {what}, as a path relative to {where} "
            "or an absolute path"
        )
        raise OverlayError(msg)
    return OverlayEntry(text, scheme, path, text)


def read_overlay(
    name: str | os.PathLike[str] = "belgium",
    *,
    mapping: str | os.PathLike[str] | None = None,
    base: Path | None = None,
) -> Overlay:
    """Read and validate an overlay: IGN-style layers, or a registered source.

    Parameters
    ----------
    name
        A packaged overlay name, a folder of layer files, a GeoPackage whose
        layers are named by type, or ``SCHEME:PATH`` (``wegenregister:``,
        ``infrabel:`` or a scheme added with :func:`register_overlay_source`).
    mapping
        For a folder or GeoPackage: a mapping file (default: ``overlay.yaml`` in
        the folder when present) naming, per layer type, its ``file`` (and
        GeoPackage ``layer``), ``fields`` (their name → ours), ``values`` (per
        field, their value → ours) and ``defaults`` (values for fields a layer
        lacks, e.g. ``source``).
    base
        The folder relative paths are resolved against first, normally the
        scenario file's folder (see :func:`resolve_overlay`).

    Returns
    -------
    Overlay
        Every layer in EPSG:3812.

    Raises
    ------
    OverlayError
        With every problem found in the overlay's layers (nothing is returned
        unless all of them are valid), or naming the entry, the path and the fix
        when the entry cannot be resolved or its file is of the wrong kind.
    """
    entry = resolve_overlay(name, base)
    if entry.scheme is None:
        return read_layers(entry.path, name=entry.name, mapping=mapping)
    if mapping is not None:
        msg = (
            f"overlay '{entry.entry}': a field mapping applies to overlay folders and GeoPackages, "
            f"not to a {entry.scheme}: source; leave the mapping out"
        )
        raise OverlayError(msg)
    source = _SOURCES[entry.scheme]
    try:
        overlay: object = source.reader(entry.path)
    except EnablementError as exc:
        msg = f"overlay '{entry.entry}': {exc}"
        raise OverlayError(msg) from exc
    if not isinstance(overlay, Overlay):  # a registered reader that breaks its contract
        got = type(overlay).__name__
        msg = f"the reader of overlay source '{entry.scheme}:' returned a {got}, not an Overlay"
        raise TypeError(msg)
    logger.debug("overlay %s: %s source read from %s", entry.entry, entry.scheme, entry.path)
    return overlay


def _read_wegenregister(path: Path) -> Overlay:
    """Read a Wegenregister extract (zip or folder) as a ``roads`` overlay named after the file."""
    if path.is_file() and not zipfile.is_zipfile(path):
        msg = (
            f"{path} is not a zip archive; give the Wegenregister extract as downloaded (a zip) "
            "or the folder it unpacks to"
        )
        raise OverlayError(msg)
    roads = read_wegenregister(path)
    return layer_overlay(path.name, "roads", roads, attribution=WEGENREGISTER_ATTRIBUTION)


def _read_infrabel(path: Path) -> Overlay:
    """Read Infrabel line sections as a ``rail_lines`` overlay, operational points as features."""
    if path.is_dir():
        msg = f"{path} is a folder; give Infrabel's line-section file (GeoJSON)"
        raise OverlayError(msg)
    try:
        points = read_infrabel_sections(path).features
        lines = read_infrabel_lines(path)
    except NetworkError as exc:
        fields = ", ".join(REQUIRED_FIELDS)
        msg = f"not Infrabel's line-section layer (a GeoJSON with fields {fields}): {exc}"
        raise OverlayError(msg) from exc
    return layer_overlay(path.name, "rail_lines", lines, features=points, attribution=INFRABEL_ATTRIBUTION)


register_overlay_source(
    "wegenregister",
    _read_wegenregister,
    what="a Wegenregister extract (the zip as downloaded from Digitaal Vlaanderen, or its folder)",
)
register_overlay_source("infrabel", _read_infrabel, what="Infrabel's line-section layer (GeoJSON)")
