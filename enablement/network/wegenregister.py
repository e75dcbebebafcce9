"""Wegenregister: road attributes from the official Flemish road register, as overlay road lines.

The Wegenregister (Digitaal Vlaanderen) models the road network as *segments*
(``Wegsegment.shp``: one line per stretch between two junctions, ``WS_OIDN``) and
keeps the attributes that vary along a segment in separate tables linked by
``WS_OIDN`` with linear referencing: ``VANPOS``/``TOTPOS`` are metres along the
segment from its first vertex. :func:`read_wegenregister` reads an extract (the
zip as downloaded, or a folder holding its files) and returns one line per
*homogeneous piece*: each segment is cut at every ``VANPOS``/``TOTPOS`` break of
the width (``AttWegbreedte.dbf``) and lane (``AttRijstroken.dbf``) tables, and each
piece carries the values valid over it, plus the segment's own attributes and its
European (``AttEuropweg.dbf``) and national (``AttNationweg.dbf``) road numbers.

Files read and files ignored
----------------------------
An extract is the registry's *change* package and holds three copies of the model:

* unprefixed files (``Wegsegment.shp``, ``AttWegbreedte.dbf``, …): the register's
  features inside the extract's transaction zone (``Transactiezones.shp``), in the
  form meant to be edited and uploaded back. These are read.
* ``e``-prefixed files (``eWegsegment.shp``, ``eAttWegbreedte.dbf``, …): the
  *extract* as it was when downloaded, kept by the registry to compare an upload
  against. In a fresh download they are byte-for-byte identical to the unprefixed
  files (checked on the Tienen extract: all 26 pairs identical), so reading them
  would only duplicate every feature. Ignored.
* ``i``-prefixed files (``iWegsegment.shp``, ``iWegknoop.shp`` only): the
  *integration* zone, read-only context segments and junctions around the
  transaction zone (207 segments in the Tienen extract, none sharing a ``WS_OIDN``
  with the main set). They have no width, lane or road-number tables, so they
  carry none of the attributes this reader exists for. Ignored.

The ``*Lkt*.dbf`` lookup tables are not needed: ``Wegsegment.dbf`` repeats every
label (``LBLMORF``, ``LBLWEGCAT``, ``LBLSTATUS``, ``LBLBEHEER``) next to its code.
Junctions (``Wegknoop``), surface (``AttWegverharding``), numbered roads
(``AttGenumweg``) and grade crossings (``RltOgkruising``) are not read either.

Values
------
``-8`` ("niet gekend", unknown) and ``-9`` ("niet van toepassing", not applicable)
become missing values (``None``/``NaN``), never numbers. The label columns
(``road_category_label``, ``morphology_label``) keep the register's Dutch label, so
they still tell unknown from not applicable. ``highway`` is derived from the
morphology (``MORF``) and, where the morphology says nothing about importance, from
the road category (``WEGCAT``): see :data:`MORF_HIGHWAY` and :data:`WEGCAT_HIGHWAY`.
Positions are clamped to the segment's length (the register's ``TOTPOS`` can
exceed the geometry's length by centimetres) and breaks closer than
:data:`MERGE_TOLERANCE_M` are merged. Segments of every ``STATUS`` are returned;
``status`` says which are in use.

Geometry is read from the shapefile's ``.prj`` (Belgian Lambert 72, EPSG:31370)
and reprojected to EPSG:3812; ``from_m``/``to_m`` stay in the register's metres.
The segment shapefile is a *Measured* LineString; the M values are dropped.

Every problem (missing file or field, no segment at all, attribute rows referring to unknown
segments, ``VANPOS`` > ``TOTPOS``, overlapping ranges, empty geometry, no CRS) is
collected and reported in one :class:`~enablement.errors.OverlayError`.
Data: Wegenregister, Digitaal Vlaanderen (Modellicentie Gratis Hergebruik).
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import warnings
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import LineString
from shapely.ops import substring

from ..errors import OverlayError
from .model import CRS

__all__ = [
    "BY_CATEGORY",
    "LANE_DIRECTIONS",
    "LINK_BY_CATEGORY",
    "MERGE_TOLERANCE_M",
    "MORF_HIGHWAY",
    "WEGCAT_HIGHWAY",
    "WEGENREGISTER_ATTRIBUTION",
    "read_wegenregister",
]

logger = logging.getLogger(__name__)

WEGENREGISTER_ATTRIBUTION = "Road attributes: Wegenregister, Digitaal Vlaanderen"

BY_CATEGORY = "<category>"
"""Marker in :data:`MORF_HIGHWAY`: the class follows the road category (:data:`WEGCAT_HIGHWAY`)."""
LINK_BY_CATEGORY = "<category>_link"
"""Marker in :data:`MORF_HIGHWAY`: the ``_link`` of the category's class (``primary_link``, …)."""

# Morphology (MORF, WegsegmentLktMorf.dbf) -> OSM-like highway class. Every code of the lookup
# table is listed; a code missing here gives highway None (and a logged warning).
MORF_HIGHWAY: dict[int, str | None] = {
    -8: None,  # niet gekend
    101: "motorway",  # autosnelweg
    102: "trunk",  # weg met gescheiden rijbanen die geen autosnelweg is (dual carriageway)
    103: BY_CATEGORY,  # weg bestaande uit één rijbaan: its importance is the category's
    104: BY_CATEGORY,  # rotonde: OSM gives a roundabout the class of the roads it joins
    105: BY_CATEGORY,  # speciale verkeerssituatie (a circular construction that is no roundabout)
    106: "service",  # verkeersplein: market squares, car parks, unstructured traffic areas
    107: "motorway_link",  # op- of afrit van een niet-gelijkgrondse verbinding (all motorway ramps)
    # op- of afrit van een gelijkgrondse verbinding: by definition between roads that are no
    # motorway, so the link of the category's class (primary_link, secondary_link, ...)
    108: LINK_BY_CATEGORY,
    109: "motorway_link",  # parallelweg: a ramp joining the same motorway at both ends
    110: BY_CATEGORY,  # ventweg: frontage road beside a main road; its own category decides
    111: "service",  # in- of uitrit van een parking
    112: "service",  # in- of uitrit van een dienst (airport, station, hospital, ...)
    113: "pedestrian",  # voetgangerszone
    114: "path",  # wandel- of fietsweg, niet toegankelijk voor andere voertuigen
    116: None,  # tramweg, niet toegankelijk voor andere voertuigen: no road (OSM railway=tram)
    120: "service",  # dienstweg: reserved to road managers and emergency services
    125: "track",  # aardeweg: unpaved, passable by some four-wheeled vehicles
    130: None,  # veer: a ferry is no road (OSM route=ferry)
}
"""Morphology code → highway class, or a category marker (:data:`BY_CATEGORY`, :data:`LINK_BY_CATEGORY`)."""

# Road category (WEGCAT, WegsegmentLktWegcat.dbf) -> class used where MORF defers to it. Keys are
# code prefixes, the longest matching one wins: H hoofdweg and P* primaire weg -> primary,
# S* secundaire weg -> secondary, L1 lokale verbindingsweg and L2 lokale gebiedsontsluitingsweg
# -> tertiary, L3 lokale erftoegangsweg and plain L -> unclassified. Unknown (-8) and not
# applicable (-9) also give unclassified: a single-carriageway road of no stated function.
WEGCAT_HIGHWAY: dict[str, str] = {
    "H": "primary",
    "P": "primary",
    "S": "secondary",
    "L1": "tertiary",
    "L2": "tertiary",
    "L3": "unclassified",
    "L": "unclassified",
}
"""Road-category code prefix → highway class (the longest matching prefix wins)."""

LANE_DIRECTIONS: dict[int, str] = {1: "forward", 2: "backward", 3: "both"}
"""``RICHTING`` of ``AttRijstroken.dbf``: with, against, or independent of the digitisation direction."""

MERGE_TOLERANCE_M = 0.05
"""Breaks closer than this (metres) are one break; positions within it of an end snap to that end."""

_UNKNOWN = (-8, -9)
_LENGTH_WARN_M = 1.0  # clamping a position by more than this is logged as a warning

_SEGMENTS = "Wegsegment.shp"
_SEGMENT_FIELDS = (
    "WS_OIDN",
    "STATUS",
    "LBLSTATUS",
    "MORF",
    "LBLMORF",
    "WEGCAT",
    "LBLWEGCAT",
    "LSTRNM",
    "BEHEER",
    "LBLBEHEER",
)


@dataclass(frozen=True)
class _Table:
    name: str
    oidn: str  # the table's own feature id, used to name rows in messages
    fields: tuple[str, ...]
    linear: bool  # has VANPOS/TOTPOS


_WIDTH = _Table("AttWegbreedte.dbf", "WB_OIDN", ("WS_OIDN", "BREEDTE", "VANPOS", "TOTPOS"), True)
_LANES = _Table("AttRijstroken.dbf", "RS_OIDN", ("WS_OIDN", "AANTAL", "RICHTING", "VANPOS", "TOTPOS"), True)
_EUROPEAN = _Table("AttEuropweg.dbf", "EU_OIDN", ("WS_OIDN", "EUNUMMER"), False)
_NATIONAL = _Table("AttNationweg.dbf", "NW_OIDN", ("WS_OIDN", "IDENT2"), False)
_TABLES = (_WIDTH, _LANES, _EUROPEAN, _NATIONAL)

_COLUMNS = (
    "id",
    "segment_id",
    "from_m",
    "to_m",
    "road_category",
    "road_category_label",
    "morphology",
    "morphology_label",
    "highway",
    "lanes",
    "lanes_direction",
    "width_m",
    "ref",
    "name",
    "manager",
    "status",
    "source",
    "illustrative",
)


class _Extract:
    """Files of an extract, a zip or a folder, found by name whatever their case."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.is_zip = path.is_file()
        if self.is_zip:
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if not n.endswith("/")]
        else:
            names = [p.name for p in path.iterdir() if p.is_file()]
        self._members: dict[str, str] = {}
        for member in sorted(names, key=lambda n: (n.count("/"), n)):  # shallowest copy wins
            self._members.setdefault(member.rsplit("/", 1)[-1].lower(), member)

    def has(self, name: str) -> bool:
        return name.lower() in self._members

    def gdal_path(self, name: str) -> str:
        member = self._members[name.lower()]
        if self.is_zip:
            return f"/vsizip/{self.path.resolve()}/{member}"
        return str(self.path / member)


def _is_unknown(value: object) -> bool:
    """Tell whether a value is -8/-9 (as a number or text), NaN, None or blank text."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        return not text or text in ("-8", "-9")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return math.isnan(float(value)) or float(value) in _UNKNOWN
    return bool(pd.isna(value))


def _text(value: object) -> str | None:
    """Return the text of a field; None where missing."""
    return None if _is_unknown(value) else str(value).strip()


def _number(value: object) -> float:
    """Return a numeric field as a float; NaN for -8/-9 and missing values."""
    return math.nan if _is_unknown(value) else float(cast("float", value))


def _category_class(category: str | None) -> str:
    if category is None:
        return "unclassified"
    for prefix in sorted(WEGCAT_HIGHWAY, key=len, reverse=True):
        if category.upper().startswith(prefix):
            return WEGCAT_HIGHWAY[prefix]
    return "unclassified"


def _highway(morphology: int | None, category: str | None, unmapped: set[int]) -> str | None:
    """OSM-like class from the morphology code and the road category (see :data:`MORF_HIGHWAY`)."""
    if morphology is None:
        return None
    if morphology not in MORF_HIGHWAY:
        unmapped.add(morphology)
        return None
    value = MORF_HIGHWAY[morphology]
    if value == BY_CATEGORY:
        return _category_class(category)
    if value == LINK_BY_CATEGORY:
        base = _category_class(category)
        return f"{base}_link" if base in ("primary", "secondary", "tertiary") else base
    return value


def _read_table(
    extract: _Extract, name: str, fields: tuple[str, ...], problems: list[str]
) -> pd.DataFrame | None:
    """Read a dbf table (or a shapefile with its geometry); None when missing or lacking fields."""
    if not extract.has(name):
        problems.append(f"{name}: missing from {extract.path}")
        return None
    try:
        with warnings.catch_warnings():
            # the segment shapefile is 'Measured LineString'; GDAL drops M with a warning
            warnings.filterwarnings(
                "ignore", message=r"Measured \(M\) geometry types are not supported", category=UserWarning
            )
            table = pyogrio.read_dataframe(extract.gdal_path(name))
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types; report them all the same way
        problems.append(f"{name}: cannot be read ({exc})")
        return None
    missing = [f for f in fields if f not in table.columns]
    if missing:
        problems.append(f"{name}: missing required field(s) {', '.join(missing)}")
        return None
    return table


def _row_label(table: pd.DataFrame, spec: _Table, i: int) -> str:
    if spec.oidn in table.columns:
        return f"{spec.oidn} {table[spec.oidn].iloc[i]}"
    return f"row {i}"


@dataclass(frozen=True)
class _Range:
    start: float
    end: float
    row: int


def _check_linear(
    spec: _Table, table: pd.DataFrame, segment_ids: set[int] | None, problems: list[str]
) -> dict[int, list[_Range]]:
    """Ranges of a linearly referenced table per segment; bad rows are reported, not kept."""
    ranges: dict[int, list[_Range]] = defaultdict(list)
    for i, (ws, start, end) in enumerate(
        zip(table["WS_OIDN"], table["VANPOS"], table["TOTPOS"], strict=True)
    ):
        label = f"{spec.name}: {_row_label(table, spec, i)}"
        ok = True
        if pd.isna(ws):
            problems.append(f"{label}: WS_OIDN: empty")
            continue
        if segment_ids is not None and int(ws) not in segment_ids:
            problems.append(f"{label}: WS_OIDN: {int(ws)} refers to no segment in {_SEGMENTS}")
            ok = False
        where = f"{label} (WS_OIDN {int(ws)})"
        if pd.isna(start) or pd.isna(end):
            problems.append(f"{where}: VANPOS/TOTPOS: empty position")
            continue
        if start < 0:
            problems.append(f"{where}: VANPOS: {start} is negative")
            ok = False
        if start > end:
            problems.append(f"{where}: VANPOS {start} > TOTPOS {end}")
            ok = False
        if ok and end > start:
            ranges[int(ws)].append(_Range(float(start), float(end), i))
    for ws, rows in ranges.items():
        rows.sort(key=lambda r: r.start)
        for prev, cur in itertools.pairwise(rows):
            if prev.end - cur.start > MERGE_TOLERANCE_M:
                problems.append(
                    f"{spec.name}: {_row_label(table, spec, cur.row)} (WS_OIDN {ws}): VANPOS: "
                    f"{cur.start} overlaps {_row_label(table, spec, prev.row)} (TOTPOS {prev.end})"
                )
    return ranges


def _check_refs(spec: _Table, table: pd.DataFrame, segment_ids: set[int] | None, problems: list[str]) -> None:
    if segment_ids is None:
        return
    for i, ws in enumerate(table["WS_OIDN"]):
        if pd.isna(ws) or int(ws) not in segment_ids:
            shown = "empty" if pd.isna(ws) else f"{int(ws)} refers to no segment in {_SEGMENTS}"
            problems.append(f"{spec.name}: {_row_label(table, spec, i)}: WS_OIDN: {shown}")


def _breaks(length: float, ranges: list[_Range], segment: int) -> list[float]:
    """Sorted cut positions along a segment, from 0 to its length."""
    raw = [0.0, length]
    for r in ranges:
        for pos in (r.start, r.end):
            if pos > length + _LENGTH_WARN_M:
                logger.warning(
                    "%s: WS_OIDN %d: position %.3f m clamped to the geometry's length %.3f m",
                    _SEGMENTS,
                    segment,
                    pos,
                    length,
                )
            raw.append(min(max(pos, 0.0), length))
    cuts = [0.0]
    for pos in sorted(raw):
        if pos - cuts[-1] > MERGE_TOLERANCE_M:
            cuts.append(pos)
    if length - cuts[-1] <= MERGE_TOLERANCE_M:
        cuts[-1] = length  # the last cut snaps to the end
    else:
        cuts.append(length)
    if len(cuts) == 1:  # a segment shorter than the tolerance: one piece
        cuts.append(length)
    return cuts


def _covering(ranges: list[_Range], start: float, end: float) -> _Range | None:
    """Return the range that overlaps the piece ``[start, end]`` most; None where none does."""
    best, best_overlap = None, 0.0
    for r in ranges:
        overlap = min(end, r.end) - max(start, r.start)
        if overlap > best_overlap:
            best, best_overlap = r, overlap
    return best


def _as_line(geom: shapely.Geometry | None) -> LineString | None:
    """Return one LineString, merging multi-part lines that join up; None if empty or not a line."""
    if geom is None or not isinstance(geom, shapely.Geometry) or geom.is_empty:
        return None
    if isinstance(geom, LineString):
        return geom
    if geom.geom_type == "MultiLineString":
        merged = shapely.line_merge(geom)
        if isinstance(merged, LineString):
            return merged
    return None


def _refs(european: pd.DataFrame | None, national: pd.DataFrame | None) -> dict[int, str]:
    """``E40;A3``: European then national numbers of each segment, each sorted and unique."""
    numbers: dict[int, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for k, (table, field) in enumerate(((european, "EUNUMMER"), (national, "IDENT2"))):
        if table is None:
            continue
        for ws, value in zip(table["WS_OIDN"], table[field], strict=True):
            text = _text(value)
            if text is not None and not pd.isna(ws) and text not in numbers[int(ws)][k]:
                numbers[int(ws)][k].append(text)
    return {ws: ";".join(sorted(eu) + sorted(nat)) for ws, (eu, nat) in numbers.items() if eu or nat}


_FLOATS = ("from_m", "to_m", "lanes", "width_m")


def _frame(records: list[dict[str, object]], geometry: gpd.GeoSeries) -> gpd.GeoDataFrame:
    """Build the output table; text columns stay ``object`` so missing text is None, not NaN."""
    columns: dict[str, object] = {}
    for column in _COLUMNS:
        values = [r[column] for r in records]
        if column == "segment_id":
            columns[column] = np.asarray(values, dtype="int64")
        elif column == "morphology":
            columns[column] = pd.array(values, dtype="Int64")
        elif column in _FLOATS:
            columns[column] = np.asarray(values, dtype="float64")
        elif column == "illustrative":
            columns[column] = np.asarray(values, dtype=bool)
        else:
            columns[column] = pd.Series(values, dtype=object)
    return gpd.GeoDataFrame(pd.DataFrame(columns), geometry=geometry.reset_index(drop=True), crs=CRS)


def read_wegenregister(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Road-attribute line features from a Wegenregister extract, in EPSG:3812.

    Parameters
    ----------
    path
        The extract: the zip as downloaded, or a folder holding its files. Only the
        unprefixed files are read (see the module docstring for the ``e``/``i`` ones).

    Returns
    -------
    geopandas.GeoDataFrame
        One LineString per homogeneous piece of a segment, in segment order then
        along the segment, with columns ``id`` (``wr-<WS_OIDN>-<k>``, k from 1),
        ``segment_id``, ``from_m``, ``to_m`` (metres along the segment),
        ``road_category``, ``road_category_label``, ``morphology`` (nullable int),
        ``morphology_label``, ``highway``, ``lanes``, ``lanes_direction``
        (``forward``/``backward``/``both``), ``width_m``, ``ref``, ``name``,
        ``manager``, ``status``, ``source`` and ``illustrative`` (False). Unknown or
        not-applicable values are None (text) or NaN (numbers).

    Raises
    ------
    OverlayError
        The path does not exist or is not an extract, or the extract has problems:
        all of them are listed in one message, each naming the file, the feature
        (its OIDN) and the field.
    """
    source_path = Path(path)
    extract = _open_extract(source_path)
    problems: list[str] = []
    segments = _read_segments(extract, problems)
    segment_ids, lines = (None, {}) if segments is None else _segment_lines(segments, problems)
    tables, ranges = _read_attributes(extract, segment_ids, problems)
    if problems:
        n = len(problems)
        head = "1 problem" if n == 1 else f"{n} problems"
        msg = f"{head} in the Wegenregister extract {source_path}:\n" + "\n".join(
            f"  - {p}" for p in problems
        )
        raise OverlayError(msg)
    width_table, lanes_table = tables[_WIDTH.name], tables[_LANES.name]
    if segments is None or width_table is None or lanes_table is None:  # pragma: no cover - reported above
        msg = f"Wegenregister extract {source_path}: tables could not be read"
        raise OverlayError(msg)

    refs = _refs(tables[_EUROPEAN.name], tables[_NATIONAL.name])
    records: list[dict[str, object]] = []
    pieces: list[LineString] = []
    unmapped: set[int] = set()
    label = source_path.name
    has_name_id = "LSTRNMID" in segments.columns
    for row in segments.itertuples(index=False):
        common = _segment_attributes(row, refs, has_name_id, label, unmapped)
        ws_id = int(row.WS_OIDN)
        line = lines[ws_id]
        widths = ranges[_WIDTH.name].get(ws_id, [])
        lanes = ranges[_LANES.name].get(ws_id, [])
        cuts = _breaks(line.length, widths + lanes, ws_id)
        for k, (start, end) in enumerate(itertools.pairwise(cuts), start=1):
            records.append(
                {
                    "id": f"wr-{ws_id}-{k}",
                    "from_m": start,
                    "to_m": end,
                    **_piece_values(widths, lanes, start, end, width_table, lanes_table),
                    **common,
                }
            )
            pieces.append(line if (start, end) == (0.0, line.length) else substring(line, start, end))
        if not widths or not lanes:
            logger.debug("WS_OIDN %d: no %s rows", ws_id, "width" if not widths else "lane")
    for code in sorted(unmapped):
        logger.warning(
            "%s: MORF %d has no highway class in MORF_HIGHWAY; highway left empty", _SEGMENTS, code
        )

    geometry = gpd.GeoSeries(pieces, crs=segments.crs).to_crs(CRS)
    result = _frame(records, geometry)
    logger.info("Wegenregister %s: %d segments -> %d road pieces", label, len(lines), len(result))
    return result


def _open_extract(source_path: Path) -> _Extract:
    """Open the extract at ``source_path`` (a zip or a folder).

    Raises
    ------
    OverlayError
        When the path does not exist or is a file but no zip archive.
    """
    if not source_path.exists():
        msg = f"Wegenregister extract {source_path} does not exist; give the downloaded zip or its folder"
        raise OverlayError(msg)
    if source_path.is_file() and not zipfile.is_zipfile(source_path):
        msg = f"Wegenregister extract {source_path} is neither a zip archive nor a folder"
        raise OverlayError(msg)
    return _Extract(source_path)


def _read_segments(extract: _Extract, problems: list[str]) -> gpd.GeoDataFrame | None:
    """Read the segment shapefile and check its companions and CRS; None when it cannot be used."""
    segments = _read_table(extract, _SEGMENTS, _SEGMENT_FIELDS, problems)
    stem = _SEGMENTS.removesuffix(".shp")
    for companion in (f"{stem}.shx", f"{stem}.dbf", f"{stem}.prj"):
        if extract.has(_SEGMENTS) and not extract.has(companion):
            why = " (no CRS: the geometry cannot be placed)" if companion.endswith(".prj") else ""
            problems.append(f"{companion}: missing from {extract.path}{why}")
    if segments is None:
        return None
    if not isinstance(segments, gpd.GeoDataFrame):
        problems.append(f"{_SEGMENTS}: has no geometry")
        return None
    if not len(segments):
        problems.append(
            f"{_SEGMENTS}: holds no road segment; give an extract of an area with roads "
            "(the zip as downloaded from Digitaal Vlaanderen)"
        )
        return None
    if segments.crs is None:
        if extract.has(f"{stem}.prj"):  # a missing .prj is reported above
            problems.append(f"{stem}.prj: does not name a CRS; the register uses EPSG:31370")
        return None
    return segments


def _segment_lines(segments: gpd.GeoDataFrame, problems: list[str]) -> tuple[set[int], dict[int, LineString]]:
    """Collect the segment ids, and the line of each segment with a usable geometry.

    An empty or duplicated ``WS_OIDN`` and an empty, multi-part (not joining up) or
    zero-length geometry are reported.
    """
    segment_ids: set[int] = set()
    lines: dict[int, LineString] = {}
    for ws, geom in zip(segments["WS_OIDN"], segments.geometry, strict=True):
        if pd.isna(ws):
            problems.append(f"{_SEGMENTS}: a feature: WS_OIDN: empty")
            continue
        ws_id = int(ws)
        if ws_id in segment_ids:
            problems.append(f"{_SEGMENTS}: WS_OIDN {ws_id}: WS_OIDN: duplicated")
        segment_ids.add(ws_id)
        line = _as_line(geom)
        if line is not None and line.length > 0:
            lines[ws_id] = line
        elif geom is None or geom.is_empty:
            problems.append(f"{_SEGMENTS}: WS_OIDN {ws_id}: geometry: empty")
        elif line is None:
            problems.append(f"{_SEGMENTS}: WS_OIDN {ws_id}: geometry: not a single line ({geom.geom_type})")
        else:
            problems.append(f"{_SEGMENTS}: WS_OIDN {ws_id}: geometry: zero length")
    return segment_ids, lines


def _read_attributes(
    extract: _Extract, segment_ids: set[int] | None, problems: list[str]
) -> tuple[dict[str, pd.DataFrame | None], dict[str, dict[int, list[_Range]]]]:
    """Read the attribute tables (None where unreadable) and check the ranges of the linear ones."""
    tables = {spec.name: _read_table(extract, spec.name, spec.fields, problems) for spec in _TABLES}
    ranges: dict[str, dict[int, list[_Range]]] = {}
    for spec in _TABLES:
        table = tables[spec.name]
        if table is None:
            continue
        if spec.linear:
            ranges[spec.name] = _check_linear(spec, table, segment_ids, problems)
        else:
            _check_refs(spec, table, segment_ids, problems)
    return tables, ranges


def _segment_attributes(
    row: Any, refs: dict[int, str], has_name_id: bool, label: str, unmapped: set[int]
) -> dict[str, object]:
    """Give the attributes a segment passes to each of its pieces (one row of ``Wegsegment.dbf``)."""
    ws_id = int(row.WS_OIDN)
    category = _text(row.WEGCAT)
    morphology = None if _is_unknown(row.MORF) else int(row.MORF)
    name = None if has_name_id and _is_unknown(row.LSTRNMID) else _text(row.LSTRNM)
    return {
        "segment_id": ws_id,
        "road_category": category,
        "road_category_label": _text(row.LBLWEGCAT),
        "morphology": morphology,
        "morphology_label": _text(row.LBLMORF),
        "highway": _highway(morphology, category, unmapped),
        "ref": refs.get(ws_id),
        "name": name,
        "manager": None if _is_unknown(row.BEHEER) else _text(row.LBLBEHEER),
        "status": None if _is_unknown(row.STATUS) else _text(row.LBLSTATUS),
        "source": f"Wegenregister {label}, WS_OIDN {ws_id}",
        "illustrative": False,
    }


def _piece_values(
    widths: list[_Range],
    lanes: list[_Range],
    start: float,
    end: float,
    width_table: pd.DataFrame,
    lanes_table: pd.DataFrame,
) -> dict[str, object]:
    """Give the lanes, their direction and the width valid over the piece ``[start, end]`` of a segment."""
    width = _covering(widths, start, end)
    lane = _covering(lanes, start, end)
    direction = None
    if lane is not None:
        code = lanes_table["RICHTING"].iloc[lane.row]
        direction = None if _is_unknown(code) else LANE_DIRECTIONS.get(int(code))
    return {
        "lanes": math.nan if lane is None else _number(lanes_table["AANTAL"].iloc[lane.row]),
        "lanes_direction": direction,
        "width_m": math.nan if width is None else _number(width_table["BREEDTE"].iloc[width.row]),
    }
