"""Periods on the fiscal calendar: labels, relative periods, explicit dates, errors and calendar edges."""

from __future__ import annotations

import datetime as dt

import pytest

from hitplan import store
from hitplan.errors import UsageError
from hitplan.periods import Period, period_from_text, resolve_period
from kpi_fixtures import tiny_store

D = dt.date


@pytest.mark.parametrize("text,start,end,label", [
    ("FY2027", D(2026, 7, 1), D(2027, 7, 1), "FY2027"),
    ("fy2027q1", D(2026, 7, 1), D(2026, 10, 1), "FY2027Q1"),
    ("2027Q1", D(2026, 7, 1), D(2026, 10, 1), "FY2027Q1"),
    ("2027Q3", D(2027, 1, 1), D(2027, 4, 1), "FY2027Q3"),
    ("FY2027Q2", D(2026, 10, 1), D(2027, 1, 1), "FY2027Q2"),  # a quarter crossing the calendar year
    ("2026-03", D(2026, 3, 1), D(2026, 4, 1), "2026-03"),
    ("2024-02", D(2024, 2, 1), D(2024, 3, 1), "2024-02"),  # leap February: 29 days
])
def test_labels_on_a_july_fiscal_year(text, start, end, label):
    p = period_from_text(text, 7, D(2026, 11, 28))
    assert (p.start, p.end, p.label) == (start, end, label)


def test_leap_february_has_29_days():
    assert period_from_text("2024-02", 7, D(2026, 1, 1)).days == 29


def test_relative_periods():
    today = D(2026, 11, 28)
    lm = period_from_text("last-month", 7, today)
    assert (lm.start, lm.end) == (D(2026, 10, 1), D(2026, 11, 1))
    lq = period_from_text("last-quarter", 7, today)
    assert (lq.start, lq.end, lq.label) == (D(2026, 7, 1), D(2026, 10, 1), "FY2027Q1")
    lq = period_from_text("last-quarter", 7, D(2026, 8, 15))  # first quarter: last quarter of the previous FY
    assert (lq.start, lq.end, lq.label) == (D(2026, 4, 1), D(2026, 7, 1), "FY2026Q4")
    ytd = period_from_text("ytd", 7, today)
    assert (ytd.start, ytd.end) == (D(2026, 7, 1), D(2026, 11, 29))
    assert period_from_text("this-fy", 7, today) == ytd
    l12 = period_from_text("last-12-months", 7, today)
    assert (l12.start, l12.end) == (D(2025, 11, 1), D(2026, 11, 1))
    l12 = period_from_text("last-12-months", 7, D(2026, 9, 30))  # a month's last day completes it
    assert (l12.start, l12.end) == (D(2025, 10, 1), D(2026, 10, 1))
    lq = period_from_text("last-quarter", 7, D(2026, 9, 30))  # and a quarter's last day completes the quarter
    assert lq.label == "FY2027Q1"
    lq = period_from_text("last-quarter", 7, D(2026, 9, 29))
    assert lq.label == "FY2026Q4"
    assert period_from_text("last-month", 7, D(2026, 9, 30)).label == "2026-09"


def test_calendar_fiscal_year():
    p = period_from_text("FY2026Q1", 1, D(2026, 5, 1))
    assert (p.start, p.end) == (D(2026, 1, 1), D(2026, 4, 1))


def test_resolve_reads_the_fiscal_start_from_the_store(tmp_path):
    path = tiny_store(tmp_path / "s.duckdb")
    con = store.connect(path)
    try:
        assert resolve_period(con, "FY2027").start == D(2026, 7, 1)
        p = resolve_period(con, start=D(2026, 3, 1), end=D(2026, 3, 15))
        assert p == Period("2026-03-01 to 2026-03-14", D(2026, 3, 1), D(2026, 3, 15))
        assert resolve_period(con, today=D(2026, 9, 30)).start == D(2025, 10, 1)
    finally:
        con.close()


def test_empty_hospital_feed_means_calendar_years(store_path):
    con = store.connect(store_path)
    try:
        assert resolve_period(con, "FY2027").start == D(2027, 1, 1)
    finally:
        con.close()


@pytest.mark.parametrize("text", ["FY27", "2026-13", "Q1", "yesterday", "2027Q5"])
def test_unknown_labels_list_the_accepted_forms(text):
    with pytest.raises(UsageError, match="accepted: FY2027"):
        period_from_text(text, 7, D(2026, 1, 1))


def test_explicit_dates_must_be_complete_and_ordered(store_path):
    con = store.connect(store_path)
    try:
        with pytest.raises(UsageError, match="both --start and --end"):
            resolve_period(con, start=D(2026, 1, 1))
        with pytest.raises(UsageError, match="must be after"):
            resolve_period(con, start=D(2026, 1, 2), end=D(2026, 1, 1))
        with pytest.raises(UsageError, match="not both"):
            resolve_period(con, "FY2026", start=D(2026, 1, 1), end=D(2026, 2, 1))
    finally:
        con.close()
