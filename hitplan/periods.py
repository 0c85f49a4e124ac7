"""Reporting periods on the hospital's fiscal calendar: FY2027, FY2027Q1, 2026-03, last-quarter, ytd...

A period is a half-open range of days ``[start, end)``. Fiscal years are named by the calendar year they
end in (with a July start, FY2027 = 2026-07-01 .. 2027-06-30), and ``2027Q1`` means fiscal Q1 of
FY2027, as finance says it. Time stamps in the store are naive hospital local time, so a period is
compared with them as local midnight to local midnight: a day with a DST change is still one day and
no event is dropped or counted twice (durations inside the models use the hospital's time zone).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb

from hitplan.errors import UsageError
from hitplan.schema import feeds

ACCEPTED = (
    "FY2027 (fiscal year), FY2027Q1 or 2027Q1 (fiscal quarter), 2026-03 (calendar month), "
    "last-quarter, last-month, this-fy or ytd (fiscal year to date), last-12-months, "
    "or explicit --start YYYY-MM-DD --end YYYY-MM-DD (end exclusive)"
)


@dataclass(frozen=True)
class Period:
    """A named range of days, start included, end excluded."""

    label: str
    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        """The last day inside the period."""
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days


def add_months(d: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months after the month of ``d``."""
    k = d.year * 12 + (d.month - 1) + n
    return dt.date(k // 12, k % 12 + 1, 1)


def fiscal_year_start_month(con: duckdb.DuckDBPyConnection) -> int:
    """The hospital's fiscal-year start month from the hospital feed (1 when the feed is empty)."""
    rows = con.execute("select max(fiscal_year_start_month) from hospital").fetchall()
    value = rows[0][0] if rows else None
    return int(value) if value else 1


def fiscal_year_of(d: dt.date, start_month: int) -> int:
    """The fiscal year a day falls in, named by the calendar year the fiscal year ends in."""
    if start_month == 1:
        return d.year
    return d.year + 1 if d.month >= start_month else d.year


def fiscal_year_start(fy: int, start_month: int) -> dt.date:
    """The first day of fiscal year ``fy``."""
    return dt.date(fy if start_month == 1 else fy - 1, start_month, 1)


def fiscal_quarter_start(fy: int, q: int, start_month: int) -> dt.date:
    """The first day of quarter ``q`` (1-4) of fiscal year ``fy``."""
    return add_months(fiscal_year_start(fy, start_month), 3 * (q - 1))


def quarter_label(fy: int, q: int) -> str:
    """Quarter ``q`` (1-4) of fiscal year ``fy`` as finance names it: FY2027Q1."""
    return f"FY{fy}Q{q}"


def fiscal_quarter_of(d: dt.date, start_month: int) -> tuple[int, int]:
    """The fiscal year and the quarter (1-4) a day falls in."""
    return fiscal_year_of(d, start_month), (d.month - start_month) % 12 // 3 + 1


def fiscal_quarter_label(d: dt.date, start_month: int) -> str:
    """The fiscal quarter a day falls in, as finance names it: FY2027Q1."""
    return quarter_label(*fiscal_quarter_of(d, start_month))


def quarter_labels(fy: int, q: int, n: int) -> list[str]:
    """The labels of ``n`` consecutive fiscal quarters from quarter ``q`` of ``fy``: FY2027Q4, FY2028Q1, ..."""
    k = fy * 4 + q - 1
    return [quarter_label((k + i) // 4, (k + i) % 4 + 1) for i in range(n)]


def quarter_start(d: dt.date, start_month: int) -> dt.date:
    """The first day of the fiscal quarter ``d`` falls in."""
    offset = (d.month - start_month) % 3
    return add_months(dt.date(d.year, d.month, 1), -offset)


def complete_quarters(first_day: dt.date, as_of: dt.date, start_month: int) -> list[dt.date]:
    """Start days of the fiscal quarters lying wholly inside ``[first_day, as_of]`` (a partial first or last
    quarter is left out, so every count covers a whole quarter)."""
    q = quarter_start(first_day, start_month)
    if q < first_day:
        q = add_months(q, 3)
    out = []
    while add_months(q, 3) - dt.timedelta(days=1) <= as_of:
        out.append(q)
        q = add_months(q, 3)
    return out


def period_from_text(text: str, start_month: int, today: dt.date) -> Period:
    """The period a label names on a fiscal calendar starting in ``start_month``, as seen on ``today``."""
    t = text.strip()
    low = t.lower()
    fy_now = fiscal_year_of(today, start_month)
    if m := re.fullmatch(r"fy(\d{4})", low):
        fy = int(m.group(1))
        s = fiscal_year_start(fy, start_month)
        return Period(f"FY{fy}", s, add_months(s, 12))
    if m := re.fullmatch(r"(?:fy)?(\d{4})-?q([1-4])", low):
        fy, q = int(m.group(1)), int(m.group(2))
        s = fiscal_quarter_start(fy, q, start_month)
        return Period(quarter_label(fy, q), s, add_months(s, 3))
    if m := re.fullmatch(r"(\d{4})-(\d{2})", low):
        y, mo = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            raise UsageError(f"period {text!r}: month {mo} does not exist; accepted: {ACCEPTED}")
        s = dt.date(y, mo, 1)
        return Period(f"{y:04d}-{mo:02d}", s, add_months(s, 1))
    if low == "last-month":
        s = add_months(today, 0 if today == _month_end(today) else -1)
        return Period(f"{s:%Y-%m}", s, add_months(s, 1))
    if low == "last-quarter":
        fy_start = fiscal_year_start(fy_now, start_month)
        q_now = ((today.year * 12 + today.month) - (fy_start.year * 12 + fy_start.month)) // 3 + 1
        fy, q = (fy_now, q_now - 1) if q_now > 1 else (fy_now - 1, 4)
        if today == add_months(fiscal_quarter_start(fy_now, q_now, start_month), 3) - dt.timedelta(days=1):
            fy, q = fy_now, q_now  # on its last day the quarter is complete
        s = fiscal_quarter_start(fy, q, start_month)
        return Period(quarter_label(fy, q), s, add_months(s, 3))
    if low in ("this-fy", "ytd"):
        s = fiscal_year_start(fy_now, start_month)
        return Period(f"FY{fy_now} to {today.isoformat()}", s, today + dt.timedelta(days=1))
    if low == "last-12-months":
        end = add_months(today, 1) if today == _month_end(today) else dt.date(today.year, today.month, 1)
        s = add_months(end, -12)
        return Period(f"{s:%Y-%m} to {add_months(end, -1):%Y-%m}", s, end)
    raise UsageError(f"unknown period {text!r}; accepted: {ACCEPTED}")


def _month_end(d: dt.date) -> dt.date:
    return add_months(d, 1) - dt.timedelta(days=1)


def resolve_period(
    con: duckdb.DuckDBPyConnection,
    text: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    today: dt.date | None = None,
) -> Period:
    """The period asked for, on the hospital's fiscal calendar; ``today`` (default: the real date) anchors relative labels.

    Relative labels name the latest complete span: ``last-12-months`` is the twelve complete calendar months
    before ``today``, ``last-month`` and ``last-quarter`` the calendar month and the fiscal quarter before the
    one ``today`` falls in (each including the span ``today`` falls in when ``today`` is its last day, so a
    store whose data runs to 2026-09-30 has FY2027Q1 as its last quarter); ``this-fy``/``ytd`` runs from the start of the fiscal
    year through ``today``. With neither a label nor dates, the period is ``last-12-months``.
    """
    today = today or dt.date.today()
    try:
        return _resolved(con, text, start, end, today)
    except (ValueError, OverflowError) as exc:  # date arithmetic past year 9999 (or before year 1)
        raise UsageError(f"period {text or 'last-12-months'} as of {today} runs outside the calendar ({exc}); "
                         "give --as-of, --start and --end between 1900 and 2199") from None


def _resolved(con: duckdb.DuckDBPyConnection, text: str | None, start: dt.date | None, end: dt.date | None,
              today: dt.date) -> Period:
    if text and (start or end):
        raise UsageError("give either a period label or --start/--end, not both")
    if start or end:
        if not (start and end):
            raise UsageError("give both --start and --end (end exclusive), or a period label; accepted: " + ACCEPTED)
        if end <= start:
            raise UsageError(f"--end ({end}) must be after --start ({start}); the end day is excluded")
        return Period(f"{start.isoformat()} to {(end - dt.timedelta(days=1)).isoformat()}", start, end)
    return period_from_text(text or "last-12-months", fiscal_year_start_month(con), today)


ACTIVITY_FEEDS = ("incidents", "usage", "costs")


def latest_data_date(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The last day the store's activity feeds (incidents, usage, ledger) have data for; None when all are empty.

    Reports default their as-of date to this, so that "last-quarter" on a store loaded to 2026-09-30 is the
    quarter that ends then, whatever day the report runs.
    """
    parts = [f"select max({feeds()[f].date_column})::date as d from {f}" for f in ACTIVITY_FEEDS]
    rows = con.execute(f"select max(d) from ({' union all '.join(parts)})").fetchall()
    return rows[0][0] if rows and rows[0][0] else None
