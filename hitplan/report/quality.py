"""The data-quality section: what the store holds and how far to trust it (coverage, freshness, rejects, links)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from hitplan import charts
from hitplan.charts import count, pct
from hitplan.periods import latest_data_date
from hitplan.report.findings import load_hint, names, plural
from hitplan.report.sections import Draft, Section, fix_captions
from hitplan.settings import Settings, load_settings
from hitplan.store.status import feed_status, load_totals, reject_summary

# feeds exported again every month or so, whose last record shows how current the store is; the others are
# reference lists or plans whose dates (go-live, contract end, budget month) say nothing about freshness
RECURRING_FEEDS = ("incidents", "usage", "costs", "vulnerabilities", "backups", "training", "phishing")


def data_quality_section(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None,
                         settings: Settings | None = None) -> Section:
    """What the store holds and how far to trust it: coverage and freshness per feed, rejected rows by feed and
    reason, and links that do not resolve (e.g. incidents naming a system missing from the inventory)."""
    settings = settings or load_settings()
    stale_days = settings.value("report", "data_quality", "freshness_days")
    link_floor = settings.value("report", "data_quality", "link_match_pct")
    s = Draft("data_quality", None, "it")
    day = as_of or latest_data_date(con)
    fs = feed_status(con)
    src = "load_log, rejects and every feed table (hitplan.store.status.feed_status)"
    feeds = pd.DataFrame([{
        "feed": f.feed, "rows": f.rows, "first": f.first, "last": f.last, "loads": f.loads, "last_load": f.last_load,
        "rejected_rows": f.rejects,
        "days_since_last_data": ((day - dt.date.fromisoformat(f.last)).days
                                 if f.last and day and f.feed in RECURRING_FEEDS else None),
        "lowest_link_match_pct": (100 * min(v for v in f.link_match.values() if v is not None)
                                  if any(v is not None for v in f.link_match.values()) else None),
    } for f in fs])
    feeds.attrs["source"] = src
    empty = feeds[feeds["rows"] == 0]
    loaded = feeds[feeds["rows"] > 0]
    s.say((f"All {len(feeds)} feeds hold data" if not len(empty) else f"{len(loaded)} of {len(feeds)} feeds hold data") + (
        f"; {names(empty['feed'], 6)} {'is' if len(empty) == 1 else 'are'} empty ({load_hint('FEED')})." if len(empty)
        else "."), "watch" if len(empty) else None)
    s.number("Feeds with data", f"{len(loaded)} of {len(feeds)}")
    dated = loaded.dropna(subset=["days_since_last_data"])
    if day and not dated.empty:
        stale = dated[dated["days_since_last_data"] > stale_days]
        s.say((f"{names(stale['feed'], 5)} {'ends' if len(stale) == 1 else 'end'} more than {stale_days} days "
               f"before {day:%Y-%m-%d}, the last day with activity data: reports on recent periods will undercount "
               f"{'it' if len(stale) == 1 else 'them'}.") if len(stale) else
              f"Every recurring export ({names(dated['feed'], 9)}) runs to within {stale_days} days of "
              f"{day:%Y-%m-%d}, the last day with activity data.", "watch" if len(stale) else None)
        s.figure(fig=charts.ranked_bars(dated, "feed", "days_since_last_data", unit="days", top=20,
                                                 title=f"Days between each feed's last record and {day:%Y-%m-%d}",
                                                 x_title="Days behind"))
    rej = reject_summary(con)
    total = int(rej["rows_rejected"].sum()) if not rej.empty else 0
    read = load_totals(con)
    if total:
        top = rej.iloc[0]
        s.say(f"{count(total)} of {count(read[0])} rows read were rejected and kept with their reasons; the most common "
              f"is {top['feed']}.{top['column_name']}: {top['reason']} ({count(top['rows_rejected'])} rows). "
              "`hitplan rejects --out FILE.csv` lists them ready to fix and reload.", "watch")
        by_feed = rej.groupby("feed", as_index=False)["rows_rejected"].sum()
        s.figure(fig=charts.ranked_bars(by_feed, "feed", "rows_rejected", unit="rows",
                                                 title="Rejected rows by feed"))
        s.table("Rejected rows by feed, column and reason", rej)
    else:
        s.say(f"No row was rejected: all {count(read[0])} rows read were loaded." if read[0] else
              f"Nothing has been loaded yet; {load_hint('FEED')} (or run `hitplan demo` for the synthetic hospital).",
              None if read[0] else "watch")
    s.number("Rows rejected", count(total))
    links = pd.DataFrame([{"feed": f.feed, "link": c, "match_pct": 100 * v}
                          for f in fs for c, v in f.link_match.items() if v is not None])
    links.attrs["source"] = "every feed's link columns against their targets (hitplan/schema/feeds.yaml)"
    if not links.empty:
        weak = links[links["match_pct"] < link_floor].sort_values("match_pct")
        s.say((f"{plural(len(weak), 'link')} {'resolves' if len(weak) == 1 else 'resolve'} for less than "
               f"{link_floor:g} % of rows; the weakest is {weak.iloc[0]['feed']}.{weak.iloc[0]['link']} at {pct(weak.iloc[0]['match_pct'])} "
               "(load the missing inventory rows or system aliases: `hitplan ingest system_aliases FILE`).")
              if len(weak) else
              f"All {plural(len(links), 'link')} between feeds resolve for at least {link_floor:g} % of rows.",
              "watch" if len(weak) else None)
        s.number("Lowest link match", pct(links["match_pct"].min()))
        s.table("Links between feeds: share of non-blank values that resolve", links.sort_values("match_pct"))
    if read[1]:
        s.say(f"{count(read[1])} loaded rows name something the store does not know (unlinked); they are kept and "
              "counted, and link once the missing rows are loaded.")
    s.table("Feeds: rows, date range, last load, rejects and freshness", feeds)
    s.source(feeds, rej, links)
    fix_captions(s)
    return s.done()
