"""Properties of hitplan.formatting: what a figure reads as is the number within its rounding, keeps its sign and
its order, stays within a percentage's bounds, and never shows "nan" or "inf"; plus the missing values it knows."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest
from budget import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hitplan import charts
from hitplan.formatting import MISSING, cell, cents, count, fixed, is_missing, money, month_label, number, pct

SCALE = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9}
MONEY = re.compile(r"(-?)\$(\d{1,3}(?:,\d{3})*(?:\.\d+)?)([kMB]?)")
PERCENT = re.compile(r"(-?\d{1,3}(?:,\d{3})*(?:\.\d+)?)%")
# the properties are marked slow (about 7 s together): `make test` runs them, `make check` the examples below

dollars = st.floats(min_value=-1e13, max_value=1e13, allow_nan=False, allow_infinity=False)
anything = st.one_of(st.floats(), st.integers(min_value=-10**15, max_value=10**15), st.none(),
                     st.sampled_from([pd.NA, pd.NaT, np.nan, np.float32("nan"), np.inf, -np.inf]))


def read_money(text: str) -> float:
    """The dollars a money text stands for ("-$1.25M" -> -1250000.0)."""
    m = MONEY.fullmatch(text)
    assert m, f"{text!r} is not money as leadership reads it"
    v = float(m[2].replace(",", "")) * SCALE[m[3]]
    return -v if m[1] else v


def read_pct(text: str) -> float:
    m = PERCENT.fullmatch(text)
    assert m, f"{text!r} is not a percentage"
    return float(m[1].replace(",", ""))


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(dollars)
@example(999.4)
@example(999.5)
@example(999_499.0)
@example(999_500.0)
@example(-1.5e6)
@example(2.1e9)
@example(0.4)
def test_money_reads_as_the_amount_within_three_significant_figures(x):
    text = money(x)
    # under $1k to the dollar; from $1k on three significant figures (half a unit in the third, at most 0.5 %)
    assert abs(read_money(text) - x) <= max(0.5, 0.005 * abs(x)) * (1 + 1e-9)
    assert text.startswith("-") == (x < 0)  # a credit never reads as spend


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(dollars, dollars)
def test_money_keeps_the_order_of_amounts(x, y):
    lo, hi = sorted((x, y))
    assert read_money(money(lo)) <= read_money(money(hi))


@pytest.mark.slow
@settings(max_examples=examples(200), deadline=None)
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(min_value=0, max_value=4))
def test_pct_reads_as_the_value_within_its_last_digit(x, digits):
    assert abs(read_pct(pct(x, digits)) - x) <= 0.5 * 10.0 ** -digits + 1e-9 * abs(x)
    share = x / 1e9
    assert abs(read_pct(pct(share, digits, fraction=True)) - 100 * share) <= 0.5 * 10.0 ** -digits + 1e-9


@pytest.mark.slow
@settings(max_examples=examples(200), deadline=None)
@given(st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1))
def test_a_share_reads_between_0_and_100_percent_in_order(a, b):
    lo, hi = sorted((a, b))
    assert 0 <= read_pct(pct(lo, 0, fraction=True)) <= read_pct(pct(hi, 0, fraction=True)) <= 100


@pytest.mark.slow
@settings(max_examples=examples(200), deadline=None)
@given(st.floats(min_value=0, max_value=99.9999))
@example(99.95)
@example(99.9996)
@example(99.94999)
@example(0.0)
def test_a_percentage_short_of_100_never_reads_as_100(x):
    shown = read_pct(number(x, "%"))
    assert 0 <= shown < 100
    assert abs(shown - x) <= 0.05 + 1e-9


@pytest.mark.slow
@settings(max_examples=examples(200), deadline=None)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.floats(min_value=-1e12, max_value=1e12))
def test_count_is_the_rounded_number_with_separators_in_order(x, y):
    assert int(count(x).replace(",", "")) == round(x)
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*", count(x))
    lo, hi = sorted((x, y))
    assert int(count(lo).replace(",", "")) <= int(count(hi).replace(",", ""))


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(anything, st.sampled_from(["", "$", "%", "hours", "incidents"]))
def test_no_formatter_shows_nan_or_inf(x, unit):
    texts = [money(x), cents(x), pct(x), pct(x, 0, fraction=True), count(x), number(x, unit), fixed(x),
             fixed(x, ",.0f"), cell(x), cell(x, True)]
    for text in texts:
        assert "nan" not in text.lower() and "inf" not in text.lower(), texts
    finite = not is_missing(x) and math.isfinite(float(x))
    assert (money(x) == MISSING) == (not finite)
    assert (number(x, unit) == MISSING) == (not finite)


@pytest.mark.slow
@settings(max_examples=examples(200), deadline=None)
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_cents_reads_as_the_amount_to_the_cent(x):
    text = cents(x)
    assert re.fullmatch(r"-?\$\d{1,3}(,\d{3})*\.\d\d", text)
    assert abs(read_money(text) - x) <= 0.005 + 1e-9 * abs(x)
    assert text.startswith("-") == (x < 0)


@pytest.mark.parametrize("value", [None, float("nan"), np.nan, np.float32("nan"), pd.NA, pd.NaT,
                                   np.datetime64("NaT")])
def test_missing_values(value):
    assert is_missing(value)
    assert money(value) == pct(value) == count(value) == number(value, "%") == month_label(value) == MISSING
    assert cell(value) == "" and fixed(value, missing="") == ""


@pytest.mark.parametrize("value", [0, 0.0, -1.5, "text", "", dt.date(2026, 7, 1), pd.Timestamp("2026-07-01"),
                                   np.array([np.nan, 1.0])])
def test_values_that_are_there(value):
    assert not is_missing(value)


@pytest.mark.parametrize("value", [dt.date(2026, 7, 15), dt.datetime(2026, 7, 15, 8, 30), pd.Timestamp("2026-07-15"),
                                   np.datetime64("2026-07-15"), "2026-07-15", "2026-07-15T08:30:00"])
def test_month_label_takes_any_kind_of_day(value):
    assert month_label(value) == "Jul 2026"


def test_cell_writes_a_plain_text_table_cell():
    assert cell(1234.5) == "1,234.50" and cell(1234.5, True) == "1,234" and cell(7) == "7"
    assert cell(dt.date(2026, 7, 1)) == cell(pd.Timestamp("2026-07-01 00:00")) == "2026-07-01"
    assert cell(float("inf")) == "" and cell("P1") == "P1"


def test_charts_shows_the_same_formats():
    # charts re-exports the one implementation: the figures and the reports read the same
    assert charts.money is money and charts.pct is pct and charts.count is count and charts.number is number
    assert charts.month_label is month_label and charts.MISSING == MISSING
