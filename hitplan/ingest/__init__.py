"""Ingest: the one way data gets into the store (profile -> map -> validate -> pseudonymize -> load).

``ingest_file`` and ``IngestResult`` are imported on first use, so that the layer below (hitplan.privacy) can use
``hitplan.ingest.pseudonymize`` without importing the loader that builds on it.
"""

__all__ = ["IngestResult", "ingest_file"]


def __getattr__(name: str):
    if name in __all__:
        from hitplan.ingest import load

        return getattr(load, name)
    raise AttributeError(f"module 'hitplan.ingest' has no attribute {name!r}")
