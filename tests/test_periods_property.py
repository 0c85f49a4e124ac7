"""Properties of the fiscal calendar (hitplan/periods.py) for every fiscal-year start month: a day's fiscal year and
quarter contain it, the quarters tile the year, labels name their period and sort like it, month arithmetic adds up,
and the named relative periods are the complete spans before ``today`` that resolve_period documents."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from hitplan.errors import UsageError
from hitplan.periods import (
    Period, add_months, fiscal_quarter_start, fiscal_year_of, fiscal_year_start, period_from_text, resolve_period,
)

pytestmark = pytest.mark.slow  # a property suite (about 2 s): `make test` runs it, `make check` does not

# resolve_period accepts 1900..2199 (it says so when a label runs outside); a year of margin for the arithmetic
days = st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2198, 12, 31))
start_months = st.integers(min_value=1, max_value=12)
ONE = dt.timedelta(days=1)
ANY_DAY = dt.date(2026, 9, 30)  # `today` only matters to the relative labels


def _quarters(fy: int, sm: int) -> list[Period]:
    return [period_from_text(f"FY{fy}Q{q}", sm, ANY_DAY) for q in range(1, 5)]


def _quarter_of(d: dt.date, sm: int) -> Period:
    """The fiscal quarter ``d`` falls in, found among its fiscal year's four (exactly one holds it)."""
    holding = [p for p in _quarters(fiscal_year_of(d, sm), sm) if p.start <= d < p.end]
    assert len(holding) == 1, (d, sm, holding)
    return holding[0]


@settings(max_examples=examples(300))
@given(days, start_months)
def test_a_days_fiscal_year_holds_it_and_is_named_by_the_year_it_ends_in(d, sm):
    fy = fiscal_year_of(d, sm)
    start = fiscal_year_start(fy, sm)
    end = add_months(start, 12)
    assert start <= d < end
    assert start.day == 1 and start.month == sm
    assert (end - ONE).year == fy
    year = period_from_text(f"FY{fy}", sm, ANY_DAY)
    assert (year.start, year.end, year.label) == (start, end, f"FY{fy}")


@settings(max_examples=examples(300))
@given(st.integers(min_value=1902, max_value=2198), start_months)
def test_the_four_quarters_tile_the_fiscal_year(fy, sm):
    year = period_from_text(f"FY{fy}", sm, ANY_DAY)
    qs = _quarters(fy, sm)
    assert qs[0].start == year.start and qs[-1].end == year.end
    for a, b in zip(qs, qs[1:]):
        assert a.end == b.start  # no gap, no overlap
    for q, p in enumerate(qs, start=1):
        assert p.start == fiscal_quarter_start(fy, q, sm) and p.start.day == 1
        assert p.end == add_months(p.start, 3) and 89 <= p.days <= 92
    assert sum(p.days for p in qs) == year.days


@settings(max_examples=examples(300))
@given(days, start_months)
def test_a_days_quarter_holds_it_and_its_label_names_it_back(d, sm):
    q = _quarter_of(d, sm)
    fy = fiscal_year_of(d, sm)
    assert q.label == f"FY{fy}Q{_quarters(fy, sm).index(q) + 1}"
    for spelling in (q.label, q.label.lower(), q.label[2:], q.label[2:6] + "-" + q.label[6:].lower()):
        assert period_from_text(spelling, sm, ANY_DAY) == q, spelling  # FY2027Q1, fy2027q1, 2027Q1, 2027-q1
    month = period_from_text(f"{d:%Y-%m}", sm, ANY_DAY)
    assert month.start <= d < month.end and q.start <= month.start and month.end <= q.end
    assert period_from_text(month.label, sm, ANY_DAY) == month


@settings(max_examples=examples(300))
@given(days, days, start_months)
def test_quarter_labels_sort_like_the_quarters(a, b, sm):
    qa, qb = _quarter_of(a, sm), _quarter_of(b, sm)
    assert (qa.label < qb.label) == (qa.start < qb.start)
    assert (qa.label == qb.label) == (qa == qb)
    ma, mb = period_from_text(f"{a:%Y-%m}", sm, ANY_DAY), period_from_text(f"{b:%Y-%m}", sm, ANY_DAY)
    assert (ma.label < mb.label) == (ma.start < mb.start)


@settings(max_examples=examples(300))
@given(days, st.integers(min_value=-1200, max_value=1200), st.integers(min_value=-1200, max_value=1200))
def test_add_months_adds_up(d, m, n):
    first = d.replace(day=1)
    assert add_months(d, 0) == first
    moved = add_months(d, n)
    assert moved.day == 1
    assert (moved.year * 12 + moved.month) - (d.year * 12 + d.month) == n
    assert add_months(moved, -n) == first  # the inverse, up to the day of the month
    assert add_months(add_months(d, m), n) == add_months(d, m + n)
    assert (add_months(d, n) > first) == (n > 0) and (add_months(d, n) < first) == (n < 0)


def _month_end(d: dt.date) -> bool:
    return (d + ONE).day == 1


@settings(max_examples=examples(300))
@given(days, start_months)
def test_last_quarter_is_the_complete_quarter_before_today(today, sm):
    p = period_from_text("last-quarter", sm, today)
    current = _quarter_of(today, sm)
    assert p.start < p.end and p.last_day <= today, "a complete quarter, never one still running"
    assert p == period_from_text(p.label, sm, ANY_DAY), "a real fiscal quarter, named by its label"
    if today == current.last_day:
        assert p == current  # on its last day the quarter is complete
    else:
        assert p.end == current.start  # it abuts the quarter today falls in


@settings(max_examples=examples(300))
@given(days, start_months)
def test_last_month_and_last_12_months_are_the_complete_months_before_today(today, sm):
    this_month = dt.date(today.year, today.month, 1)
    end = today + ONE if _month_end(today) else this_month
    month = period_from_text("last-month", sm, today)
    assert month.start < month.end == end and month.start == add_months(end, -1)
    assert period_from_text(month.label, sm, ANY_DAY) == month
    year = period_from_text("last-12-months", sm, today)
    assert year.start < year.end == end and year.start == add_months(end, -12) and year.start.day == 1
    assert 365 <= year.days <= 366 and year.last_day <= today


@settings(max_examples=examples(300))
@given(days, start_months)
def test_year_to_date_runs_from_the_fiscal_year_start_through_today(today, sm):
    for label in ("ytd", "this-fy", "YTD"):
        p = period_from_text(label, sm, today)
        assert p.start == fiscal_year_start(fiscal_year_of(today, sm), sm)
        assert p.start <= today and p.end == today + ONE and p.last_day == today


@pytest.fixture(scope="module")
def hospital():
    """An in-memory connection with only the hospital feed's fiscal-year start month (resolve_period reads it)."""
    con = duckdb.connect()
    con.execute("create table hospital (fiscal_year_start_month integer)")
    yield con
    con.close()


@settings(max_examples=examples(100))
@given(days, start_months, st.sampled_from(["last-quarter", "last-month", "last-12-months", "ytd", "this-fy",
                                            "FY2027", "FY2027Q3", "2026-02", None]))
def test_resolve_period_uses_the_hospitals_fiscal_calendar(hospital, today, sm, label):
    hospital.execute("delete from hospital")
    hospital.execute("insert into hospital values (?)", [sm])
    p = resolve_period(hospital, label, today=today)
    assert p == period_from_text(label or "last-12-months", sm, today)
    assert p.start < p.end


@settings(max_examples=examples(200))
@given(days, st.integers(min_value=-400, max_value=400))
def test_explicit_dates_are_a_half_open_period_or_refused(hospital, start, length):
    end = start + dt.timedelta(days=length)
    if length <= 0:
        with pytest.raises(UsageError, match="must be after"):
            resolve_period(hospital, start=start, end=end)
        return
    p = resolve_period(hospital, start=start, end=end)
    assert (p.start, p.end, p.days, p.last_day) == (start, end, length, end - ONE)
    assert p.label == f"{start.isoformat()} to {(end - ONE).isoformat()}"
