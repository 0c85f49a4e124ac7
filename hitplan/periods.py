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
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from hitplan.errors import UsageError
from hitplan.models import models

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
    # the last day with data when it falls before the period's end (a partial last month), else None
    data_to: dt.date | None = field(default=None, compare=False)

    @property
    def short_label(self) -> str:
        """The label without the partial-month remark, for titles and slides: "2015-12 to 2016-11"."""
        return self.label.split(" (", 1)[0]

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

# The columns that say how far a feed's data runs: the times of events (a ticket's resolution, closure and last
# update as well as its opening), never a plan's (budgets, contract ends, due dates and initiative starts lie in
# the future by design and would move the as-of day past the data). Feeds not named here (inventory, vendors,
# reference lists, plans) hold no activity and set no as-of day.
EVENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "incidents": ("opened_at", "resolved_at", "closed_at", "updated_at"),
    "usage": ("day",),
    "costs": ("posting_date",),
    "vulnerabilities": ("first_seen", "last_seen", "fixed_at"),
    "dr_tests": ("test_date",),
    "backups": ("started_at", "finished_at"),
    "training": ("assigned_on", "completed_on"),
    "phishing": ("campaign_date",),
    "findings": ("opened_on", "closed_on"),
}
# What a row of each feed is, as a sentence about an empty period says it ("no incidents opened in ...").
_IN_PERIOD = {"incidents": "incidents opened", "usage": "usage days", "costs": "ledger lines posted",
              "vulnerabilities": "vulnerabilities first seen", "dr_tests": "DR tests held",
              "backups": "backup jobs started", "training": "training assignments", "phishing": "phishing campaigns",
              "findings": "audit findings opened"}


@dataclass(frozen=True)
class FeedRange:
    """The days a feed's data covers: its first and last event day, and its rows."""

    feed: str
    first: dt.date
    last: dt.date
    rows: int

    def text(self) -> str:
        """The range as a sentence part: "incidents run from 2012-02-18 to 2016-11-17"."""
        return f"{self.feed} {'runs' if self.feed == 'usage' else 'run'} from {self.first} to {self.last}"


def feeds_behind(model_names: Iterable[str]) -> tuple[str, ...]:
    """The activity feeds (those with event days, ``EVENT_COLUMNS``) the given SQL models read, directly or
    through other models, in the order of ``EVENT_COLUMNS``: for a KPI, ``feeds_behind(kpi_def.models)``."""
    known = models()
    seen: set[str] = set()
    found: set[str] = set()

    def walk(name: str) -> None:
        if name in seen or name not in known:
            return
        seen.add(name)
        m = known[name]
        if m.layer == "staging":
            body = re.sub(r"--[^\n]*", "", m.sql)
            found.update(f for f in EVENT_COLUMNS if re.search(rf"\bfrom\s+{f}\b", body))
        for dep in m.depends_on:
            walk(dep)

    for name in model_names:
        if name in EVENT_COLUMNS:  # a feed named directly
            found.add(name)
        walk(name)
    return tuple(f for f in EVENT_COLUMNS if f in found)


def _columns_of(con: duckdb.DuckDBPyConnection, feed: str) -> set[str]:
    rows = con.execute("select column_name from information_schema.columns where table_name = ? "
                       "and table_schema = current_schema()", [feed]).fetchall()
    return {r[0] for r in rows}


def feed_ranges(con: duckdb.DuckDBPyConnection, feed_names: Iterable[str] = ACTIVITY_FEEDS) -> list[FeedRange]:
    """The first and last event day of each named feed that has rows (a store made before a column was added
    simply lacks it); feeds without event days or rows are left out."""
    out = []
    for feed in feed_names:
        have = _columns_of(con, feed)
        cols = [c for c in EVENT_COLUMNS.get(feed, ()) if c in have]
        if not cols:
            continue
        first = f"least({', '.join(f'min({c})' for c in cols)})" if len(cols) > 1 else f"min({cols[0]})"
        last = f"greatest({', '.join(f'max({c})' for c in cols)})" if len(cols) > 1 else f"max({cols[0]})"
        row = con.execute(f"select cast({first} as date), cast({last} as date), count(*) from {feed}").fetchone()
        if row and row[0] is not None:
            out.append(FeedRange(feed, row[0], row[1], int(row[2])))
    return out


def latest_data_date(con: duckdb.DuckDBPyConnection,
                     feed_names: Iterable[str] | None = None) -> dt.date | None:
    """The last day the named activity feeds have data for (default: incidents, usage and the ledger); None when
    all are empty. A ticket's resolution, closure and last update count, not only its opening.

    Commands default their as-of day to this over the feeds they analyse, so that "last-quarter" on a store
    loaded to 2026-09-30 is the quarter that ends then, whatever day the report runs.
    """
    ranges = feed_ranges(con, ACTIVITY_FEEDS if feed_names is None else feed_names)
    return max((r.last for r in ranges), default=None)


def data_period(last_day: dt.date, months: int = 12) -> Period:
    """The ``months`` calendar months ending with the month that holds ``last_day``: the default period of a
    command. A last month that runs past ``last_day`` is kept and labelled partial
    ("2015-12 to 2016-11 (2016-11 partial, data to 2016-11-17)"); ending on a month's last day, it is the same
    period as ``last-12-months``."""
    end = add_months(last_day, 1)
    start = add_months(end, -months)
    label = f"{start:%Y-%m} to {last_day:%Y-%m}"
    if last_day == _month_end(last_day):
        return Period(label, start, end)
    return Period(f"{label} ({last_day:%Y-%m} partial, data to {last_day})", start, end, data_to=last_day)


def default_period(
    con: duckdb.DuckDBPyConnection,
    text: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    as_of: dt.date | None = None,
    feed_names: Iterable[str] | None = None,
) -> tuple[Period, dt.date | None]:
    """The period and as-of day a command runs on: the ones asked for, else from the data of the feeds it
    analyses (``feed_names``; default incidents, usage and the ledger; when those are empty, the store's last
    day of data). With no label and no dates, the period is the twelve months ending with the as-of day's month
    (``data_period``); the as-of day is None only when the store has no activity and none was given (the period
    is then ``last-12-months`` before today)."""
    day = as_of or latest_data_date(con, feed_names) or (latest_data_date(con) if feed_names is not None else None)
    if text or start or end or day is None:
        return resolve_period(con, text, start=start, end=end, today=day), day
    try:
        return data_period(day), day
    except (ValueError, OverflowError) as exc:  # a month past year 9999
        raise UsageError(f"the 12 months to {day} run outside the calendar ({exc}); give --as-of, or --start and "
                         "--end, between 1900 and 2199") from None


def _year_label(day: dt.date, start_month: int) -> str:
    return f"FY{fiscal_year_of(day, start_month)}"


def no_data_hint(con: duckdb.DuckDBPyConnection, period: Period,
                 feed_names: Iterable[str] = ACTIVITY_FEEDS) -> str | None:
    """One line when none of the named feeds has an event in ``period`` though some hold data: what is missing,
    each feed's date range and the ``--period`` (and ``--start``/``--end``) that holds the data; None when the
    period holds data or every feed is empty."""
    ranges = feed_ranges(con, feed_names)
    if not ranges:
        return None
    for r in ranges:
        cols = [c for c in EVENT_COLUMNS[r.feed] if c in _columns_of(con, r.feed)]
        hit = " or ".join(f"({c} >= ? and {c} < ?)" for c in cols)
        n = con.execute(f"select count(*) from {r.feed} where {hit}", [period.start, period.end] * len(cols)
                        ).fetchone()[0]
        if n:
            return None
    last = max(ranges, key=lambda r: r.last)
    span = data_period(last.last)
    what = " or ".join(_IN_PERIOD.get(r.feed, r.feed) for r in ranges)
    return (f"no {what} in {period.short_label}; {'; '.join(r.text() for r in ranges)}: try --period "
            f"{_year_label(last.last, fiscal_year_start_month(con))} or --as-of {last.last} (or --start {span.start} "
            f"--end {last.last + dt.timedelta(days=1)})")
