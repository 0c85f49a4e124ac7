"""Ingest: the one way data gets into the store (profile -> map -> validate -> pseudonymize -> load)."""

from hitplan.ingest.load import IngestResult, ingest_file

__all__ = ["IngestResult", "ingest_file"]
