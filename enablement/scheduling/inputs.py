"""What every step of the plan reads: the scenario on its network, sites, clock, catalogue, closures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..network.model import Network
from ..network.sites import Site, site_records
from ..scenario.schema import Scenario
from ..timeline import Clock
from ..vehicles import Catalogue, load_catalogue
from .closures import Closures, closures_in_force

__all__ = ["PlanningInputs"]


@dataclass(frozen=True)
class PlanningInputs:
    """A validated scenario on its network, read once for every step of the plan.

    Attributes
    ----------
    scenario
        The scenario.
    network
        Its network, with the overlays' sites.
    sites
        The network's sites as typed records, by id.
    clock
        The scenario clock (plan times are seconds since its start).
    catalogue
        The vehicle catalogue.
    closures
        The disruptions and overlay closures in force, on the network.
    """

    scenario: Scenario
    network: Network
    sites: Mapping[str, Site]
    clock: Clock
    catalogue: Catalogue
    closures: Closures

    @classmethod
    def of(cls, scenario: Scenario, network: Network) -> PlanningInputs:
        """Read a scenario's sites, clock, catalogue and closures on ``network``."""
        clock = Clock(scenario.start, scenario.zone)
        closures = closures_in_force(scenario, network, clock)
        return cls(scenario, network, site_records(network), clock, load_catalogue(), closures)

    @property
    def road_nodes(self) -> dict[str, int]:
        """Road node of every site on the road network."""
        return {sid: s.node_road for sid, s in self.sites.items() if s.on_road}
