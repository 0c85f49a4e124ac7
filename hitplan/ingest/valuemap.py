"""The user's value map (`hitplan ingest --values FILE`): words of their own tool turned into the feed's values.

The file is YAML, one section per feed, one mapping per column, each export word (compared without regard to case)
to the value hitplan stores::

    incidents:
      state: {"Awaiting Vendor": on_hold, "Fixed": resolved}
      priority: {"Sev A": 1}

It is applied before the profile's own rules, so the user's word wins. Anything the file gets wrong is one
UsageError naming the file, the entry and the fix: a silently ignored entry would load the rows it was meant for
as rejects, or worse, as something else.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from hitplan.config import read_yaml
from hitplan.errors import UsageError
from hitplan.schema import Column, Feed

WHAT = "value map"


def _refuse(path: Path, where: str, problem: str) -> UsageError:
    return UsageError(f"{WHAT} {path}: {where}: {problem}")


def _closest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _canonical(col: Column, value: object, path: Path, where: str) -> str:
    """The stored text a map entry gives, refused when the column could never accept it."""
    if isinstance(value, (dict, list)) or value is None:
        raise _refuse(path, where, "give one value after the colon (a word or a number), not a list or a blank")
    text = str(value).strip()
    if isinstance(value, bool):
        text = "true" if value else "false"
    if col.values:
        word = text.lower().replace(" ", "_").replace("-", "_")
        if word not in col.values:
            raise _refuse(path, where, f"{text!r} is not one of {', '.join(col.values)}{_closest(word, list(col.values))}")
        return word
    if col.type == "integer":
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if number != number or number != int(number):
            raise _refuse(path, where, f"{text!r} is not a whole number; the {col.name} column holds whole numbers")
        return str(int(number))
    return text


def load_value_map(path: Path, feeds: dict[str, Feed]) -> dict[str, dict[str, dict[str, str]]]:
    """{feed: {column: {export word in lower case: stored text}}} from a value map file; UsageError when it is broken."""
    path = Path(path)
    spec = read_yaml(path, WHAT)
    if spec is None:
        raise UsageError(f"{WHAT} {path}: the file is empty; write one section per feed, e.g. incidents: state: "
                         '{"Awaiting Vendor": on_hold}')
    if not isinstance(spec, dict):
        raise UsageError(f"{WHAT} {path}: the file must hold one section per feed (e.g. incidents:), not a "
                         f"{type(spec).__name__}")
    out: dict[str, dict[str, dict[str, str]]] = {}
    for feed_name, columns in spec.items():
        feed = feeds.get(str(feed_name))
        if feed is None:
            raise _refuse(path, str(feed_name), f"not a feed{_closest(str(feed_name), list(feeds))}; feeds are "
                                                f"{', '.join(feeds)}")
        if not isinstance(columns, dict):
            raise _refuse(path, f"{feed_name}", "give one mapping per column under it, e.g. state: "
                                                '{"Awaiting Vendor": on_hold}')
        names = [c.name for c in feed.columns]
        for col_name, words in columns.items():
            where = f"{feed_name}: {col_name}"
            if str(col_name) not in names:
                raise _refuse(path, where, f"the {feed_name} feed has no column {col_name!r}"
                                           f"{_closest(str(col_name), names)} (docs/feeds.md lists them)")
            if not isinstance(words, dict):
                raise _refuse(path, where, 'give the words as a mapping, e.g. {"Awaiting Vendor": on_hold}')
            col = feed.column(str(col_name))
            mapped: dict[str, str] = {}
            for word, value in words.items():
                if isinstance(word, bool) or word is None:
                    # YAML reads Yes, No, On, Off and null unquoted as true, false and blank: the word is lost.
                    raise _refuse(path, f"{where}: {word}", "quote the export's word (YAML reads Yes, No, On, Off "
                                                            "and null unquoted as true, false or blank)")
                key = str(word).strip().lower()
                text = _canonical(col, value, path, f"{where}: {word!r}")
                if key in mapped and mapped[key] != text:
                    raise _refuse(path, f"{where}: {word!r}", f"given twice ({mapped[key]!r} and {text!r}; case does "
                                                              "not count); keep one")
                mapped[key] = text
            out.setdefault(feed.name, {})[col.name] = mapped
    return out
