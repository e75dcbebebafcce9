"""Every OR-Tools import of ``enablement`` lives here (the version is pinned in ``pyproject.toml``).

The schedulers import the solver modules from this one place, so an OR-Tools
upgrade that moves a module is fixed once: CP-SAT (road movement, rail) and the
routing library (HET shuttles, VRPTW).
"""

from __future__ import annotations

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.sat.python import cp_model
from ortools.util import optional_boolean_pb2

__all__ = ["cp_model", "optional_boolean_pb2", "pywrapcp", "routing_enums_pb2"]
