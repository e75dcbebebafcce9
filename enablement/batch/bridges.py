"""Bridge analysis: which bridges' closure hurts the base plan's road routes most."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..network.model import Network
    from ..scenario.schema import Scenario

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BridgeImpact:
    """How much closing a bridge costs the base plan's columns.

    Attributes
    ----------
    bridge_id
        The bridge.
    legs
        March-unit legs whose route crosses it.
    cut
        Legs left without any route when it closes.
    extra_s
        Sum of the detour times (s) of the other legs.
    """

    bridge_id: str
    legs: int
    cut: int
    extra_s: float


def critical_bridges(scenario: Scenario, network: Network, top: int) -> list[BridgeImpact]:
    """Rank the bridges whose closure hurts the base plan's road routes most.

    The base scenario is planned with the greedy road scheduler; for each march-unit
    leg, :meth:`enablement.routing.Router.criticality` gives the detour when each
    bridge on its route is closed (one kernel call per distinct route and profile).
    Bridges are ranked by the legs they cut off, then by the sum of the detours,
    then by the legs crossing them, then by id.

    Parameters
    ----------
    scenario
        The base scenario.
    network
        Its network (with the overlay's bridges).
    top
        How many bridges to return.

    Returns
    -------
    list of BridgeImpact
        The ``top`` worst first; fewer when the routes cross fewer bridges.
    """
    import numpy as np

    from ..plan import make_plan
    from ..routing import Router

    plan = make_plan(scenario, network=network, solver={"road": "greedy"})
    router = Router(network, "road", plan.rules.territory if plan.rules is not None else None)
    profiles = {mu.id: mu.profile for mu in plan.march_units}
    legs: Counter[str] = Counter()
    cut: Counter[str] = Counter()
    extra: defaultdict[str, float] = defaultdict(float)
    cache: dict[tuple[object, ...], dict[str, float]] = {}
    for (mu, _leg), route in sorted(plan.march.routes.items()):
        profile = profiles[mu]
        key = (route.edges, profile)
        if key not in cache:
            worst: dict[str, float] = {}
            for c in router.criticality(route, profile, top=len(route.edges), bridges_only=True):
                if c.bridge_id is not None and not pd.isna(c.bridge_id):
                    bid = str(c.bridge_id)
                    worst[bid] = max(worst.get(bid, 0.0), float(c.extra_s))
            cache[key] = worst
        for bid, x in cache[key].items():
            legs[bid] += 1
            if np.isinf(x):
                cut[bid] += 1
            else:
                extra[bid] += max(0.0, x)
    ranked = sorted(legs, key=lambda b: (-cut[b], -extra[b], -legs[b], b))
    out = [BridgeImpact(b, legs[b], cut[b], round(extra[b], 3)) for b in ranked[:top]]
    if len(out) < top:
        logger.info("the base plan's routes cross %d bridge(s) with a known class (%d asked)", len(out), top)
    return out
