"""Rolling stock and rail figures: wagon and locomotive types, train limits, loading rates.

Read from ``enablement/data/rail.yaml`` (each figure with its source), once. A
foundation module: the scenario schema checks wagon types against it and the rail
planners read their figures from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["LocomotiveType", "RailData", "WagonType", "rail_data"]


@dataclass(frozen=True)
class WagonType:
    """A wagon type of the rail data file."""

    id: str
    name: str
    payload_t: float
    length_m: float
    deck_length_m: float
    deck_width_m: float
    tare_t: float
    axles: int


@dataclass(frozen=True)
class LocomotiveType:
    """A locomotive type: traction systems, length and the gross mass it may haul."""

    id: str
    name: str
    traction: tuple[str, ...]
    length_m: float
    max_train_t: float


@dataclass(frozen=True)
class RailData:
    """Rail figures from ``enablement/data/rail.yaml`` (see its sources)."""

    wagons: Mapping[str, WagonType]
    locomotives: Mapping[str, LocomotiveType]
    max_length_m: float
    max_axle_load_t: float
    max_gross_t: float
    loading_gap_m: float
    shunting_setup_min: float
    loading_rate_wagons_per_h: float
    loading_rate_by_ramp_type: Mapping[str, float]
    unloading_time_min: float
    paths_per_hour: float
    railhead_tracks: int
    handover_return_h: float = 0.0
    loading_gauges: tuple[str, ...] = ()
    out_of_gauge_min_gauge: str = ""

    def gauge_rank(self, gauge: object) -> int:
        """Rank of a loading-gauge code in :attr:`loading_gauges` (-1 when unknown)."""
        text = str(gauge).strip().upper()
        return self.loading_gauges.index(text) if text in self.loading_gauges else -1


@cache
def rail_data() -> RailData:
    """Return the packaged rail figures."""
    raw: dict[str, Any] = yaml.safe_load(
        (resources.files("enablement") / "data" / "rail.yaml").read_text(encoding="utf-8")
    )
    t = {k: v["value"] for k, v in raw["train"].items()}
    return RailData(
        wagons={
            k: WagonType(
                k,
                v["name"],
                float(v["payload_t"]),
                float(v["length_m"]),
                float(v["deck_length_m"]),
                float(v["deck_width_m"]),
                float(v["tare_t"]),
                int(v["axles"]),
            )
            for k, v in raw["wagons"].items()
        },
        locomotives={
            k: LocomotiveType(
                k, v["name"], tuple(v["traction"]), float(v["length_m"]), float(v["max_train_t"])
            )
            for k, v in raw["locomotives"].items()
        },
        max_length_m=float(t["max_length_m"]),
        max_axle_load_t=float(t["max_axle_load_t"]),
        max_gross_t=float(t["max_gross_t"]),
        loading_gap_m=float(t["loading_gap_m"]),
        shunting_setup_min=float(t["shunting_setup_min"]),
        loading_rate_wagons_per_h=float(t["default_loading_rate_wagons_per_h"]),
        loading_rate_by_ramp_type={k: float(v) for k, v in t["loading_rate_by_ramp_type"].items()},
        unloading_time_min=float(t["unloading_time_min"]),
        paths_per_hour=float(t["paths_per_hour"]),
        railhead_tracks=int(t["railhead_tracks"]),
        handover_return_h=float(t["handover_return_h"]),
        loading_gauges=tuple(str(g) for g in raw["loading_gauges"]["order"]),
        out_of_gauge_min_gauge=str(raw["loading_gauges"]["out_of_gauge_min"]),
    )
