import datetime

import pytest
from django.core.exceptions import ValidationError

from requests_app.periods import Period, human_duration, periods_between


def test_label_round_trips():
    period = Period.parse("2020-H2")
    assert (period.year, period.half) == (2020, 2)
    assert period.label == "2020-H2"
    assert period.start == datetime.date(2020, 7, 1)
    assert period.end == datetime.date(2020, 12, 31)
    assert Period.parse(period.label) == period


@pytest.mark.parametrize("label", ["2020-H3", "20-H1", "2020H2", "2020-h2", "2020-H0", "", "2020-H1 x"])
def test_bad_labels_are_rejected_with_the_value_named(label):
    with pytest.raises(ValidationError) as excinfo:
        Period.parse(label)
    assert f"'{label}'" in excinfo.value.messages[0]
    assert "YYYY-H1 or YYYY-H2" in excinfo.value.messages[0]


def test_received_date_decides_the_period():
    assert Period.containing(datetime.date(2020, 6, 30)).label == "2020-H1"
    assert Period.containing(datetime.date(2020, 7, 1)).label == "2020-H2"
    assert Period.containing(datetime.date(2020, 12, 31)).label == "2020-H2"


def test_navigation_and_ranges():
    assert Period.parse("2020-H2").next().label == "2021-H1"
    assert Period.parse("2021-H1").previous().label == "2020-H2"
    labels = [p.label for p in periods_between(Period.parse("2019-H2"), Period.parse("2021-H1"))]
    assert labels == ["2019-H2", "2020-H1", "2020-H2", "2021-H1"]
    assert Period.parse("2020-H2").has_ended(datetime.date(2021, 1, 1))
    assert not Period.parse("2020-H2").has_ended(datetime.date(2020, 12, 31))


@pytest.mark.parametrize(
    "start, end, text",
    [
        ("2020-07-06", "2024-12-05", "4 years 4 months"),
        ("2020-07-06", "2024-12-06", "4 years 5 months"),
        ("2020-07-06", "2021-07-06", "1 year"),
        ("2020-07-06", "2020-10-05", "2 months"),
        ("2020-07-06", "2020-08-06", "1 month"),
        ("2020-07-06", "2020-07-18", "12 days"),
        ("2020-07-06", "2020-07-07", "1 day"),
        ("2020-07-06", "2020-07-06", "0 days"),
        ("2020-01-31", "2020-02-29", "29 days"),
    ],
)
def test_durations_read_as_a_reader_says_them(start, end, text):
    assert human_duration(datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)) == text
