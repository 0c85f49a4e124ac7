"""Properties of the one fiscal-quarter calendar (hitplan.periods) that periods, forecasts, charts and the roadmap
share: a day's quarter label names the quarter that holds it, consecutive labels follow the calendar, and the
complete quarters of a span are exactly those lying wholly inside it."""

from __future__ import annotations

import datetime as dt

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from hitplan import charts
from hitplan.periods import (
    add_months,
    complete_quarters,
    fiscal_quarter_label,
    fiscal_quarter_start,
    period_from_text,
    quarter_labels,
    quarter_start,
)

pytestmark = pytest.mark.slow  # a property suite (about 4 s): `make test` runs it, `make check` does not

days = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2150, 12, 31))
start_months = st.integers(min_value=1, max_value=12)


@settings(max_examples=examples(300), deadline=None)
@given(days, start_months)
def test_a_days_quarter_label_names_the_quarter_that_holds_it(d, m):
    label = fiscal_quarter_label(d, m)
    p = period_from_text(label, m, d)  # the label read back as a period, as `--period FY2027Q1` does
    assert p.label == label and p.start <= d < p.end and p.days in range(89, 93)
    assert p.start == quarter_start(d, m) and p.end == add_months(quarter_start(d, m), 3)
    assert fiscal_quarter_label(p.start, m) == fiscal_quarter_label(p.last_day, m) == label
    assert charts.fiscal_quarter(d, m) == label  # the charts name quarters the same way


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(min_value=1951, max_value=2149), st.integers(min_value=1, max_value=4),
       st.integers(min_value=0, max_value=24), start_months)
def test_consecutive_labels_follow_the_calendar(fy, q, n, m):
    first = fiscal_quarter_start(fy, q, m)
    assert quarter_labels(fy, q, n) == [fiscal_quarter_label(add_months(first, 3 * i), m) for i in range(n)]


@settings(max_examples=examples(200), deadline=None)
@given(days, st.integers(min_value=0, max_value=1500), start_months)
def test_complete_quarters_are_exactly_those_inside_the_span(first_day, length, m):
    as_of = first_day + dt.timedelta(days=length)
    qs = complete_quarters(first_day, as_of, m)
    for q in qs:
        assert quarter_start(q, m) == q and first_day <= q and add_months(q, 3) - dt.timedelta(days=1) <= as_of
    assert all(add_months(a, 3) == b for a, b in zip(qs, qs[1:]))  # no gap
    # the quarters just outside are not whole inside the span
    before = add_months(qs[0] if qs else quarter_start(first_day, m), -3)
    assert before < first_day
    after = add_months(qs[-1], 3) if qs else quarter_start(as_of, m)
    assert add_months(after, 3) - dt.timedelta(days=1) > as_of or after < first_day
