"""Which export columns hold persons, read from their headers, and which values are accounts rather than people.

The words, patterns and the service-account stop-list live in ``persons.yaml`` beside this module, each with
the reason it is there; the per-tool column lists live in the profiles (``person_columns``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from hitplan.config import load_yaml

# camelCase boundaries: "assignedTo" -> "assigned To", "sysCreatedBy" -> "sys Created By", "UserID" -> "User ID",
# "CoordinatorATF" -> "Coordinator ATF", "ATFUser" -> "ATF User".
_CAMEL = (re.compile(r"([a-z0-9])([A-Z])"), re.compile(r"([A-Z]+)([A-Z][a-z])"))
_SEPARATORS = re.compile(r"[^0-9a-z]+")


def normalize_header(text: str) -> str:
    """A header (or a value) as the word lists compare it: camelCase split, lower case, every run of other
    characters (``_ . - ( )`` and spaces) as one space."""
    text = text.strip().lstrip("\ufeff")
    for pattern in _CAMEL:
        text = pattern.sub(r"\1 \2", text)
    return _SEPARATORS.sub(" ", text.lower()).strip()


def _phrase_regex(phrases: list[str]) -> re.Pattern[str]:
    """One regex matching any of ``phrases`` as whole words of a normalized text."""
    alternatives = sorted({normalize_header(p) for p in phrases if normalize_header(p)}, key=len, reverse=True)
    return re.compile(r"(?:^| )(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?: |$)")


@dataclass(frozen=True)
class _Rules:
    person: re.Pattern[str]
    patterns: tuple[re.Pattern[str], ...]
    things: frozenset[str]
    account_names: frozenset[str]
    account_words: re.Pattern[str]


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    spec = load_yaml(resources.files(__package__).joinpath("persons.yaml").read_text(encoding="utf-8"))
    accounts = spec["service_accounts"]
    return _Rules(
        person=_phrase_regex(spec["person_words"]),
        patterns=tuple(re.compile(p) for p in spec.get("person_patterns", ())),
        things=frozenset(normalize_header(w) for w in spec.get("thing_words", ())),
        account_names=frozenset(normalize_header(n) for n in accounts.get("names", ())),
        account_words=_phrase_regex(list(accounts.get("words", ())) + list(accounts.get("phrases", ()))),
    )


def is_person_header(header: str) -> bool:
    """Whether an export column's header names a person (caller, assigned to, sys_created_by, e-mail, ...); a
    header ending in a thing (``owner_department``, ``caller_id.location``, ``contact_type``) does not."""
    text = normalize_header(header)
    if not text:
        return False
    rules = _rules()
    if text.rsplit(" ", 1)[-1] in rules.things:
        return False
    return bool(rules.person.search(text)) or any(p.search(text) for p in rules.patterns)


def is_service_account(value: str) -> bool:
    """Whether a person column's value is an account rather than a person (``System Administrator``,
    ``survey user``, ``svc_backup``, ``Problem CoordinatorATF``, an API or integration user)."""
    text = normalize_header(value)
    if not text:
        return False
    rules = _rules()
    return text in rules.account_names or bool(rules.account_words.search(text))
