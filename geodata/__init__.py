"""Embedded overlay data (IGN-style GeoJSON), imported as ``enablement.geodata``."""
