"""Networks: the road and rail graph, sites, and their sources."""

from .model import Network

__all__ = ["Network"]
