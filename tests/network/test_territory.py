"""The country boundaries shipped with the package, and the point-in-country lookup."""

from __future__ import annotations

import numpy as np
import pytest

from enablement.network.territory import COUNTRIES, countries_of, country_at, country_shapes


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        (4.35, 50.85, "BE"),  # Brussels
        (6.08, 50.78, "DE"),  # Aachen
        (5.69, 50.85, "NL"),  # Maastricht
        (6.13, 49.61, "LU"),  # Luxembourg city
        (3.06, 50.63, "FR"),  # Lille
        (2.5, 51.5, ""),  # the North Sea
        (4.321, 51.293, "BE"),  # Antwerp's docks on the Scheldt: water at 1:10m, within SHORE_M
        (100.5, 13.75, ""),  # Bangkok: beyond the area kept
        (5.48, 51.44, "NL"),  # Eindhoven
        (5.87, 50.45, "BE"),  # Stavelot, 6 km from the German border
    ],
)
def test_known_places(lon, lat, code):
    assert country_at(lon, lat) == code


def test_vectorised_and_projected_agree():
    lon = np.array([4.35, 6.08, 2.5, 5.69])
    lat = np.array([50.85, 50.78, 51.5, 50.85])
    import pyproj

    x, y = pyproj.Transformer.from_crs(4326, 3812, always_xy=True).transform(lon, lat)
    assert countries_of(lon, lat).tolist() == countries_of(x, y, 3812).tolist() == ["BE", "DE", "", "NL"]


def test_every_country_has_a_shape():
    assert sorted(country_shapes()) == sorted(COUNTRIES)


def test_belgium_agrees_with_natural_earth_in_shared_data(shared_data):
    import geopandas as gpd

    ref = (
        gpd.read_file(shared_data / "boundaries" / "belgium-naturalearth-10m.geojson")
        .to_crs(3812)
        .geometry.union_all()
    )
    ours = gpd.GeoSeries([country_shapes()["BE"]], crs=4326).to_crs(3812).iloc[0]
    assert ours.symmetric_difference(ref).area < 0.001 * ref.area
    assert ours.boundary.hausdorff_distance(ref.boundary) < 300.0  # metres: the quantisation of world-atlas
