"""Upper bounds on what users give ``enablement``, all in one place.

Every input that makes the planner do work in proportion to a number (vehicles,
arrivals, HETs, wagons, rows, features, bytes) is bounded here, and each bound is
checked before any work is done, with a message that names the file, the field,
the limit and the fix. The values leave ample room above the largest real case
(a corps: about 30,000 to 60,000 vehicles), so that every real scenario is valid
and no single number can exhaust memory or time. The readers of the file formats
(:mod:`enablement.scenario`, :mod:`enablement.network.overlays`,
:mod:`enablement.batch`, the march-table reader of
:mod:`enablement.scheduling.checks`) apply them; the README lists them.

Raising a bound is a one-line change here; the tests build inputs from these
names, never from the numbers.
"""

from __future__ import annotations

import math

__all__ = [
    "AREA_POINTS",
    "ARRIVALS",
    "BATCH_BYTES",
    "BATCH_CHANGES",
    "BATCH_LEVELS",
    "BATCH_VARIANTS",
    "CATALOGUE_BYTES",
    "DESCRIPTION_CHARS",
    "DISRUPTIONS",
    "EQUIPMENT_ITEMS",
    "HETS",
    "LOCOMOTIVES",
    "MARCH_TABLE_BYTES",
    "MARCH_TABLE_ROWS",
    "MATRIX_PAIRS",
    "MATRIX_PLACES",
    "MOVEMENTS",
    "NAME_CHARS",
    "OVERLAYS",
    "OVERLAY_FEATURES",
    "OVERLAY_LAYER_BYTES",
    "OVERLAY_MAPPING_BYTES",
    "PATH_CHARS",
    "PROBLEMS_SHOWN",
    "RESTRICTIONS",
    "SCENARIO_BYTES",
    "SCENARIO_DAYS",
    "SEED",
    "VEHICLES",
    "VEHICLES_PER_ITEM",
    "WAGONS",
    "YAML_DEPTH",
    "YAML_SCALAR_CHARS",
    "YAML_VALUES",
    "YEARS",
    "lonlat_problem",
    "mib",
]

_MIB = 1024 * 1024


def mib(n: int) -> str:
    """Write a byte count as users read it: ``64 MiB``, ``1.5 MiB``, ``120 KiB``, ``17 bytes``."""
    if n >= _MIB:
        return f"{n / _MIB:.4g} MiB"
    if n >= 1024:
        return f"{n / 1024:.4g} KiB"
    return f"{n} bytes"


# --------------------------------------------------------------------------- file sizes

SCENARIO_BYTES = 64 * _MIB
"""Largest scenario file. The packaged division scenario (6,000 vehicles) is 20 KiB in
block style; a corps written one vehicle per line with a comment each (200,000 items) is
about 50 MB, which validates in well under a minute: 64 MiB leaves room above that."""

BATCH_BYTES = 1 * _MIB
"""Largest batch file. A batch names a base scenario and a few changes (the packaged one
is 2 KiB); even thousands of bridge or site ids fit in a few hundred KiB."""

OVERLAY_MAPPING_BYTES = 1 * _MIB
"""Largest ``overlay.yaml`` mapping. It maps a dozen layers' files, field names and value
tables; a value table of several thousand codes is still well under 1 MiB."""

CATALOGUE_BYTES = 8 * _MIB
"""Largest vehicle catalogue file. The packaged one (24 types with their sources) is about
30 KiB; 8 MiB holds thousands of types."""

OVERLAY_LAYER_BYTES = 4 * 1024 * _MIB
"""Largest overlay layer file (GeoJSON, GeoPackage, Shapefile). A national road layer
(the Flemish Wegenregister as a GeoPackage) is a few hundred MiB; 4 GiB leaves room."""

MARCH_TABLE_BYTES = 1024 * _MIB
"""Largest march-table CSV given to ``enablement check``: :data:`MARCH_TABLE_ROWS` rows of
about 250 bytes is 500 MB; 1 GiB leaves room."""

# --------------------------------------------------------------------------- YAML structure

YAML_DEPTH = 32
"""Deepest nesting of mappings and lists in a YAML file. The formats nest at most five
levels (``arrivals[0].equipment[0].count``); 32 allows any hand-written layout and stops a
file of nested brackets before it costs memory or a recursion error."""

YAML_SCALAR_CHARS = 100_000
"""Longest single value (text, number) in a YAML file: a long description is a few
thousand characters; a 100,000-character value is a pasted file, not a field."""

YAML_VALUES = 5_000_000
"""Most values (every scalar, mapping and list counts one) in one YAML file. A scenario at
every count limit below (200,000 equipment items of seven values, 20,000 arrivals, 50,000
movements) holds about 2.1 million; the bound keeps a file of ``[a,a,a,…]`` from making
tens of millions of objects."""

# --------------------------------------------------------------------------- scenario counts

VEHICLES = 200_000
"""Most vehicles in one scenario (the sum of every equipment ``count``). A corps is about
30,000-60,000 vehicles, and the largest deployments planned through a single port area
are of that order; 200,000 leaves room for several corps while keeping the per-vehicle
work of planning (march units, HET and rail loads) bounded."""

VEHICLES_PER_ITEM = 100_000
"""Most vehicles in one equipment item (``count``): more than a corps' worth of one type."""

EQUIPMENT_ITEMS = 200_000
"""Most equipment items in one scenario, over every arrival: each holds at least one vehicle,
so :data:`VEHICLES` bounds them anyway; a load list of one line per vehicle fits."""

ARRIVALS = 20_000
"""Most arrivals (ships, flights, trains, road arrivals). A corps arrives in a few hundred
ships or a few thousand flights (a C-17 carries one tank); 20,000 leaves room for a
scenario of one arrival per few vehicles."""

MOVEMENTS = 50_000
"""Most movements (one per unit). A corps has about 1,000-2,000 company-size units; 50,000
allows units of four vehicles for :data:`VEHICLES`."""

DISRUPTIONS = 1_000
"""Most disruptions (closures) in one scenario. Each is matched to the network; more than a
thousand closures are an overlay's ``closures`` layer, not a scenario list."""

RESTRICTIONS = 1_000
"""Most recurring restrictions in one scenario (``restrictions``). Each is matched to the network's
road edges by its area or road refs; a thousand named roads and areas is more than a country's
published convoy bans."""

AREA_POINTS = 10_000
"""Most corners of one restriction's ``area`` polygon: a city ring drawn by hand has tens, one
traced from a map a few thousand; more is a layer of geodata, not a scenario field."""

OVERLAYS = 50
"""Most entries in a scenario's ``overlays`` list (the packaged scenarios name one)."""

HETS = 1_000
"""Most heavy equipment transporters. A HET company has about 90-100 and an army's fleet a
few hundred (the US Army in Europe, the British Army's ~90 Oshkosh HETs); 1,000 leaves
room, and bounds the HET shuttle model, which grows with every HET."""

WAGONS = 20_000
"""Most heavy flat wagons, per pool and in all. Europe's military rail moves draw on pools of
hundreds to a few thousand wagons (a train carries about 20); 20,000 leaves room."""

LOCOMOTIVES = 2_000
"""Most locomotives of each kind (electric, diesel). A move of a corps uses a few dozen to a
few hundred trains a day; 2,000 locomotives leaves room."""

SCENARIO_DAYS = 366
"""Longest span between the scenario start and any time in it (arrivals, required delivery
dates, closures). A deployment is planned over days to weeks; a time a year away is a typo
(a wrong year), and the schedulers' horizons grow with the span."""

YEARS = (1900, 2200)
"""Years a scenario's times may fall in: a wrong century is a typo, and the plan's tables use
pandas timestamps, which end in 2262."""

SEED = 2**31 - 1
"""Largest solver seed: OR-Tools takes a 32-bit seed."""

# --------------------------------------------------------------------------- text

NAME_CHARS = 200
"""Longest name or reference (scenario and batch names, site, vehicle, bridge and HET type
ids): real ids are 10-40 characters; 200 keeps messages and tables readable."""

DESCRIPTION_CHARS = 20_000
"""Longest description (a few pages of text)."""

PATH_CHARS = 4_096
"""Longest path or overlay entry (the usual operating-system limit on a path)."""

# --------------------------------------------------------------------------- batch

BATCH_VARIANTS = 10_000
"""Most variants in a batch. Each variant is a plan of seconds to minutes: 10,000 is half a
day to days of computing even on many workers; beyond that, draw a sample
(``design: sample``)."""

BATCH_CHANGES = 100
"""Most entries in a batch's ``changes`` list: each is a kind of change with its levels."""

BATCH_LEVELS = 10_000
"""Most entries in one list of a change (bridges, sites, arrivals, hours, factors, windows):
every entry is at least one variant, so :data:`BATCH_VARIANTS` bounds them."""

# --------------------------------------------------------------------------- tables and layers

MARCH_TABLE_ROWS = 2_000_000
"""Most rows in a march table given to ``enablement check``. A corps of 200,000 vehicles in
march units of 25 is 8,000 columns of about a hundred control points: 800,000 rows."""

OVERLAY_FEATURES = 2_000_000
"""Most features in one overlay layer. The largest layers are agency road and rail lines
(the Flemish Wegenregister holds on the order of a million road segments); sites and
bridges are thousands."""

MATRIX_PLACES = 10_000
"""Most origins, and most destinations, of one ``enablement matrix`` (from flags or a CSV file): more
than every node of the coarse embedded network's road graph a planner would name, and a CSV file of
places is read whole before any search."""

MATRIX_PAIRS = 1_000_000
"""Most origin-destination pairs of one ``enablement matrix``: a million rows of CSV (about 50 MB) and a
few minutes of searches on the embedded network; a larger study is a batch of smaller matrices."""

# --------------------------------------------------------------------------- messages

PROBLEMS_SHOWN = 200
"""Most problems listed in one error message; the rest are counted (``… and 1,234 more``).
Every problem is still found; a file with 200,000 bad lines gets a readable message."""


# --------------------------------------------------------------------------- coordinates


def lonlat_problem(lon: float, lat: float) -> str | None:
    """Say why ``lon, lat`` is no WGS84 coordinate, or ``None`` when it is one.

    A coordinate is two finite numbers, longitude within ±180° and latitude within ±90°.
    Every reader of a point users give (scenario disruptions, route endpoints, network
    nodes) asks this one rule.

    Parameters
    ----------
    lon, lat
        Degrees, longitude first.

    Returns
    -------
    str or None
        The reason, to follow the point in a message (``"4.36,95 is not a point on Earth: …"``).
    """
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return "is not a point: longitude and latitude must be finite numbers (degrees, lon,lat)"
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        return (
            "is not a point on Earth: longitude must be within ±180° and latitude within ±90° "
            "(degrees, lon,lat)"
        )
    return None
