"""Every OSM tag-value parser case: understood values, no-limit values, and failures."""

import math

import pytest

from enablement.network import tags as osm_tags


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-3)


@pytest.mark.parametrize(
    ("raw", "value", "ok"),
    [
        ("50", 50, True),
        ("50 mph", 80.467, True),
        ("30 knots", 55.56, True),
        ("90 km/h", 90, True),
        ("BE:urban", 50, True),
        ("BE-VLG:rural", 70, True),
        ("BE-WAL:rural", 90, True),
        ("BE:motorway", 120, True),
        ("none", math.nan, True),
        ("signals", math.nan, True),
        ("variable", math.nan, True),
        ("walk", 6, True),
        ("70;50", 50, True),
        ("fast", math.nan, False),
        ("", math.nan, False),
        ("50;fast", math.nan, False),
        ("0", 0, False),
    ],
)
def test_speed(raw, value, ok):
    v, good = osm_tags.parse_speed_kmh(raw)
    assert good is ok and same(v, value)


@pytest.mark.parametrize(
    ("raw", "value", "ok"),
    [
        ("4", 4, True),
        ("4.5 m", 4.5, True),
        ("4,5", 4.5, True),
        ("450 cm", 4.5, True),
        ("4'6\"", 1.3716, True),
        ("14'", 4.2672, True),
        ("14 ft 6 in", 4.4196, True),
        ("default", math.nan, True),
        ("none", math.nan, True),
        ("below_default", math.nan, True),
        ("low", math.nan, False),
        ("4.5 yards", math.nan, False),
    ],
)
def test_length(raw, value, ok):
    v, good = osm_tags.parse_length_m(raw)
    assert good is ok and same(v, value)


@pytest.mark.parametrize(
    ("raw", "value", "ok"),
    [
        ("3.5", 3.5, True),
        ("3.5 t", 3.5, True),
        ("7500 kg", 7.5, True),
        ("3.5 st", 3.175, True),
        ("20000 lbs", 9.072, True),
        ("none", math.nan, True),
        ("heavy", math.nan, False),
        ("3,5t", 3.5, True),
    ],
)
def test_weight(raw, value, ok):
    v, good = osm_tags.parse_weight_t(raw)
    assert good is ok and same(v, value)


@pytest.mark.parametrize(
    ("fn", "raw", "value", "ok"),
    [
        (osm_tags.parse_int, "2", 2, True),
        (osm_tags.parse_int, "-1", -1, True),
        (osm_tags.parse_int, "2;3", 3, True),
        (osm_tags.parse_int, "two", math.nan, False),
        (osm_tags.parse_mlc, "60", 60, True),
        (osm_tags.parse_mlc, "0", math.nan, False),
        (osm_tags.parse_mlc, "500", math.nan, False),
        (osm_tags.parse_mlc, "class 60", math.nan, False),
        (osm_tags.parse_bool, "yes", 1, True),
        (osm_tags.parse_bool, "viaduct", 1, True),
        (osm_tags.parse_bool, "contact_line", 1, True),
        (osm_tags.parse_bool, "no", 0, True),
        (osm_tags.parse_bool, "", math.nan, False),
    ],
)
def test_misc(fn, raw, value, ok):
    v, good = fn(raw)
    assert good is ok and same(v, value)
