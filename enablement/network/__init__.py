"""Networks: the road and rail graph, sites, and their sources."""

from .model import Network
from .osmnx_graph import OSMNX_WAY_TAGS, from_osmnx, to_osmnx

__all__ = ["OSMNX_WAY_TAGS", "Network", "from_osmnx", "to_osmnx"]
