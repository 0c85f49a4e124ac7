"""The exceptions hitplan raises: one base class, each subclass telling the user what to fix."""

from __future__ import annotations


class HitplanError(Exception):
    """Base of every error hitplan reports to a user; ``str(err)`` is one line with the fix."""

    exit_code = 1


class UsageError(HitplanError):
    """The command was called with arguments that cannot work."""

    exit_code = 2


class InputError(HitplanError):
    """An input file cannot be loaded as a whole (not a table, missing columns, wrong feed...)."""

    exit_code = 3

    def __init__(self, message: str, *, file: str | None = None) -> None:
        self.file = file
        super().__init__(f"{file}: {message}" if file else message)


class StoreError(HitplanError):
    """The store cannot be opened or used as asked."""

    exit_code = 4


class StoreLockedError(StoreError):
    """Another process holds the store for writing (DuckDB allows one writer per file)."""


class StoreVersionError(StoreError):
    """The store's schema is newer than this hitplan, or older and not yet upgraded."""


class PseudonymKeyError(StoreError):
    """The pseudonymization key is missing, unreadable, or not the key the store's data was pseudonymized with."""


class ChromeMissing(HitplanError):
    """No Chrome or Chromium was found, and static images (PNG) and PDF reports need one."""

    exit_code = 5


class ReportError(HitplanError):
    """A notebook or an export of a report run failed; the previous report was left as it was."""

    exit_code = 6


class ReportBusyError(ReportError):
    """Another report run is writing the same report folder."""

    exit_code = 7


class DataTestError(HitplanError):
    """The store's data fails a declared test of the SQL models (models.yml) whose severity is error."""

    exit_code = 8
