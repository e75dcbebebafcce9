"""Outputs: tables (CSV/JSON) and maps (Folium HTML). Outputs never solve."""

from .maps import write_map, write_route_map
from .queries import write_geojson, write_matrix_csv
from .tables import march_table, train_table, unit_table
from .write import write_outputs

__all__ = [
    "march_table",
    "train_table",
    "unit_table",
    "write_geojson",
    "write_map",
    "write_matrix_csv",
    "write_outputs",
    "write_route_map",
]
