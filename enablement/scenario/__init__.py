"""Scenarios: format v1 (:mod:`.schema`) and loading with collected validation (:mod:`.load`)."""

from .load import load_scenario, packaged_scenarios, resolve_scenario_path, validate_scenario
from .schema import Scenario

__all__ = ["Scenario", "load_scenario", "packaged_scenarios", "resolve_scenario_path", "validate_scenario"]
