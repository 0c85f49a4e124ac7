"""hitplan: strategic technology planning for hospital IT leadership, over one DuckDB store."""

from hitplan.errors import (
    HitplanError,
    InputError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
    UsageError,
)

__version__ = "0.1.0"

__all__ = [
    "HitplanError",
    "InputError",
    "StoreError",
    "StoreLockedError",
    "StoreVersionError",
    "UsageError",
    "__version__",
]
