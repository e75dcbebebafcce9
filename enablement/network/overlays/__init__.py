"""Overlays: IGN-style geodata layers validated, then conflated onto a network.

An overlay adds what OpenStreetMap rarely holds to a network: sites with
capacities, bridges with military load classes, clearances, width restrictions,
closures, and agency road and rail-line attributes. The package reads one way:

- :mod:`.schema`: what a valid layer is (:data:`LAYERS`, :class:`LayerSpec`,
  :data:`SITE_KINDS`, :data:`BRIDGE_FIELDS`, ranges);
- :mod:`.validate`: the checks of one layer against its type, every problem collected;
- :mod:`.read`: an overlay folder or GeoPackage read into a validated
  :class:`Overlay` (layer discovery, the ``overlay.yaml`` mapping, one
  :class:`~enablement.errors.OverlayError` listing every problem), and
  :func:`layer_overlay` for a layer an importer made;
- :mod:`.sources`: what an overlay entry names (a packaged name, a folder, a
  GeoPackage, ``wegenregister:PATH``, ``infrabel:PATH`` or a registered scheme),
  resolved against the scenario's folder by :func:`resolve_overlay`, read by
  :func:`read_overlay`;
- :mod:`.apply`: :func:`conflate` and :func:`apply_overlay`, which match features
  to edges, split edges, write attributes with their provenance
  (``<column>_src``: overlay > OSM tag > default) and report every feature
  (:class:`ConflationReport`).

The schema is documented in ``geodata/README.md``.
"""

from .apply import ConflationReport, apply_overlay, closure_spans, conflate
from .read import Overlay, layer_overlay, overlay_path, read_layers
from .schema import BRIDGE_FIELDS, LAYERS, SITE_KINDS, SITE_LAYERS, LayerSpec
from .sources import (
    OverlayEntry,
    OverlayReader,
    OverlaySource,
    overlay_sources,
    read_overlay,
    register_overlay_source,
    resolve_overlay,
)

__all__ = [
    "BRIDGE_FIELDS",
    "LAYERS",
    "SITE_KINDS",
    "SITE_LAYERS",
    "ConflationReport",
    "LayerSpec",
    "Overlay",
    "OverlayEntry",
    "OverlayReader",
    "OverlaySource",
    "apply_overlay",
    "closure_spans",
    "conflate",
    "layer_overlay",
    "overlay_path",
    "overlay_sources",
    "read_layers",
    "read_overlay",
    "register_overlay_source",
    "resolve_overlay",
]
