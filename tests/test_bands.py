"""Band arithmetic of national-security figures: the edges, each width, the delay."""

import datetime

import pytest

from requests_app.bands import Band, band_of, band_problem, reportable_from
from requests_app.periods import Period


@pytest.mark.parametrize(
    "count, width, band",
    [
        (0, 500, Band(0, 499)),  # a zero is published as the band from 0
        (1, 500, Band(0, 499)),
        (499, 500, Band(0, 499)),
        (500, 500, Band(500, 999)),
        (999, 500, Band(500, 999)),
        (1000, 500, Band(1000, 1499)),
        (115_208, 500, Band(115_000, 115_499)),
        (0, 250, Band(0, 249)),
        (249, 250, Band(0, 249)),
        (250, 250, Band(250, 499)),
        (999, 1000, Band(0, 999)),
        (1000, 1000, Band(1000, 1999)),
        (317, 1, Band(317, 317)),
    ],
)
def test_a_count_falls_in_the_band_of_its_width(count, width, band):
    assert band_of(count, width) == band


def test_a_band_is_written_as_a_range():
    assert str(Band(115_000, 115_499)) == "115,000–115,499"


@pytest.mark.parametrize("count, width", [(-1, 500), (5, 0)])
def test_no_band_of_a_negative_count_or_a_zero_width(count, width):
    with pytest.raises(ValueError):
        band_of(count, width)


@pytest.mark.parametrize(
    "low, high, problem",
    [
        (0, 499, ""),
        (1, 499, ""),  # older reports' bands are kept as published
        (2, 499, ""),
        (0, 0, ""),
        (500, 499, "the minimum (500) is above the maximum (499)"),
        (-1, 499, "a band's bounds are never negative"),
        (None, 499, "a band needs both its minimum and its maximum"),
    ],
)
def test_only_what_is_no_range_is_refused(low, high, problem):
    assert band_problem(low, high) == problem


def test_a_category_without_delay_is_reportable_the_day_after_the_period():
    assert reportable_from(Period(2020, 2), 0) == datetime.date(2021, 1, 1)


def test_fisa_waits_180_days_after_the_period_ends():
    assert reportable_from(Period(2020, 2), 180) == datetime.date(2021, 6, 29)
    assert reportable_from(Period(2021, 1), 180) == datetime.date(2021, 12, 27)
