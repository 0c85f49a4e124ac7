"""The `duration` value rule: a tool's exported duration, as text, turned into hours in DuckDB SQL.

What the tools write (checked against their public documentation):
- ServiceNow list export (CSV/Excel) of a glide_duration field (calendar_duration, business_duration, time_worked):
  its display value, "2 Days 3 Hours 4 Minutes", "5 Minutes", "1 Day 30 Seconds" (GlideDuration.getDisplayValue);
  its duration value "d HH:mm:ss" ("3 12:00:00", GlideDuration.getDurationValue); and, in XML/JSON exports, the
  stored value, a date-time counted from the epoch: "1970-01-03 03:04:00" is 2 days 3 h 4 min.
- Jira CSV exports write time tracking fields (Time Spent, Original Estimate) as a number of seconds.
- A plain "HH:MM:SS" (hours may exceed 24) and a plain number of seconds (some ServiceNow exports of a duration).
A value in none of these layouts is left as written, so the feed's number check rejects it; DURATION_LAYOUTS names
the layouts tried for that message.
"""

from __future__ import annotations

DURATION_LAYOUTS = ("N Days N Hours N Minutes N Seconds (any of them)", "d HH:MM:SS", "HH:MM:SS",
                    "1970-01-DD HH:MM:SS (time since the epoch)", "a number of seconds")

_UNITS = (("day", 24.0), ("hour", 1.0), ("minute", 1 / 60), ("second", 1 / 3600))
_WORDS = r"^\s*([0-9]+(\.[0-9]+)?\s*(days?|hours?|minutes?|seconds?)\s*,?\s*)+$"


def duration_sql(expr: str) -> str:
    """SQL turning a duration's text ``expr`` into hours written as text (the feed's number check reads it); a
    value in no known layout is returned unchanged, so the check rejects it."""
    low = f"lower({expr})"
    words = " + ".join(
        f"coalesce(try_cast(regexp_extract({low}, '([0-9]+(\\.[0-9]+)?)\\s*{unit}s?\\b', 1) AS DOUBLE), 0) * {factor!r}"
        for unit, factor in _UNITS
    )
    clock = (f"(coalesce(try_cast(NULLIF(regexp_extract({expr}, '^([0-9]+) ', 1), '') AS DOUBLE), 0) * 24 "
             f"+ try_cast(regexp_extract({expr}, '([0-9]+):[0-9]{{2}}:[0-9]{{2}}$', 1) AS DOUBLE) "
             f"+ try_cast(regexp_extract({expr}, ':([0-9]{{2}}):[0-9]{{2}}$', 1) AS DOUBLE) / 60 "
             f"+ try_cast(regexp_extract({expr}, ':([0-9]{{2}})$', 1) AS DOUBLE) / 3600)")
    hours = (
        "CASE "
        f"WHEN regexp_full_match({expr}, '[0-9]+(\\.[0-9]+)?') THEN CAST({expr} AS DOUBLE) / 3600 "
        f"WHEN regexp_full_match({expr}, '1970-01-[0-9]{{2}}[ T][0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(\\.[0-9]+)?') "
        f"THEN epoch(try_cast(replace({expr}, 'T', ' ') AS TIMESTAMP)) / 3600 "
        f"WHEN regexp_full_match({expr}, '([0-9]+ )?[0-9]+:[0-5][0-9]:[0-5][0-9]') THEN {clock} "
        f"WHEN regexp_full_match({low}, '{_WORDS}') THEN {words} "
        "END"
    )
    return f"coalesce(CAST({hours} AS VARCHAR), {expr})"


def layouts_text() -> str:
    """The duration layouts accepted, for a message."""
    return "; ".join(DURATION_LAYOUTS)
