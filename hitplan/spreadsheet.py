"""Making values safe to put in front of people: spreadsheet formula neutralization."""

from __future__ import annotations

# A spreadsheet evaluates a cell starting with one of these as a formula (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """The value with a leading apostrophe when it is text a spreadsheet would evaluate as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # Plain negative numbers are data, not formulas.
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value
