"""How numbers and dates read in charts, reports, slides and the command line: money as $450k / $1.25M, percentages
as 99.8%, counts with thousands separators, months as "Jul 2026".

Pure functions of one value. A missing value (None, NaN, pandas' NA or NaT) and a value that is not finite (an
infinity from a division by zero) both show as the missing mark "–" (or the ``missing`` text a caller gives, the
command line's blank): a reader never sees "nan" or "inf". Only the standard library is imported, so the command
line can use these without paying for pandas at start-up. Fiscal quarters are named in ``hitplan.periods``.
"""

from __future__ import annotations

import datetime as dt
import math

MISSING = "–"
MONEY_UNITS = ("$", "usd", "USD")


def is_missing(x: object) -> bool:
    """True for None, NaN (of any float type), pandas' NA and NaT: a value that is not there."""
    if x is None:
        return True
    try:
        return bool(x != x)  # NaN and NaT are the only values unequal to themselves
    except (TypeError, ValueError):  # pandas' NA compares to NA, which has no truth value
        return type(x).__name__ == "NAType"


def _shown(x: object) -> bool:
    """A value a number can be written for: not missing and, when it is a number, finite."""
    if is_missing(x):
        return False
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return True  # not a number (text, a date): written as it is


def _sig3(v: float) -> str:
    """A positive number with three significant figures and no trailing zeros (4.5, 45, 450, 1.25)."""
    digits = max(0, 2 - int(math.floor(math.log10(v)))) if v > 0 else 0
    return f"{v:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:,.0f}"


def money(x: object, *, missing: str = MISSING) -> str:
    """Dollars as leadership reads them: $950, $4.5k, $450k, $1.25M, $2.1B, -$1.5M (three significant figures
    from $1k on)."""
    if not _shown(x):
        return missing
    v = float(x)
    sign, a = ("-" if v < 0 else ""), abs(v)
    if a < 999.5:
        return f"{sign}${a:,.0f}"
    for limit, suffix in ((1e3, "k"), (1e6, "M"), (1e9, "B")):
        text = _sig3(a / limit)
        if float(text.replace(",", "")) < 1000 or suffix == "B":  # 999,999 is $1M, not $1,000k
            return f"{sign}${text}{suffix}"
    raise AssertionError("unreachable")


def cents(x: object, *, missing: str = MISSING) -> str:
    """Dollars to the cent, for a single ledger line: $1,150.00, -$12.50."""
    if not _shown(x):
        return missing
    v = float(x)
    return f"{'-' if v < 0 else ''}${abs(v):,.2f}"


def pct(x: object, digits: int = 1, *, fraction: bool = False, missing: str = MISSING) -> str:
    """A percentage with ``digits`` decimals from a value in percent (99.82 -> "99.8%"), or from a 0-1 share
    with ``fraction=True``."""
    if not _shown(x):
        return missing
    v = float(x) * (100.0 if fraction else 1.0)
    if not math.isfinite(v):  # a share near the largest float overflows when made a percentage
        return missing
    return f"{v:,.{digits}f}%"


def count(x: object, *, missing: str = MISSING) -> str:
    """A whole number with thousands separators (12,345)."""
    if not _shown(x):
        return missing
    return f"{round(float(x)):,}"


def number(x: object, unit: str = "", *, missing: str = MISSING) -> str:
    """A value in ``unit``: "$" is money, "%" a percentage, anything else a count or a short decimal plus unit."""
    if not _shown(x):
        return missing
    if unit in MONEY_UNITS:
        return money(x)
    v = float(x)
    if unit == "%":
        digits = 2 if 99 <= abs(v) < 100 else 1  # 99.95% availability must not read as 100.0%
        while digits < 4 and abs(round(v, digits)) >= 100 > abs(v):
            digits += 1
        return pct(v, digits)
    text = f"{v:,.0f}" if abs(v) >= 100 or v == int(v) else f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".rstrip()


def fixed(x: object, fmt: str = ".2f", *, missing: str = MISSING) -> str:
    """A number in a format spec (".2f" gives 0.87, ",.0f" 1,204) for a figure with its own scale, e.g. a MASE."""
    if not _shown(x):
        return missing
    return format(x, fmt)


def cell(v: object, whole: bool = False) -> str:
    """A value as a plain-text table cell: decimals with two places (none when ``whole``), dates as 2026-07-01,
    blank when missing."""
    if is_missing(v):
        return ""
    if isinstance(v, float):
        return fixed(v, ",.0f" if whole else ",.2f", missing="")
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d")
    return str(v)


def month_label(d: object, *, missing: str = MISSING) -> str:
    """A month as "Jul 2026" (from a date, a datetime or pandas Timestamp, numpy datetime64 or ISO text)."""
    if is_missing(d):
        return missing
    if not hasattr(d, "strftime"):
        d = dt.date.fromisoformat(str(d)[:10])
    return d.strftime("%b %Y")


__all__ = ["MISSING", "MONEY_UNITS", "cell", "cents", "count", "fixed", "is_missing", "money", "month_label",
           "number", "pct"]
