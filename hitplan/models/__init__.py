"""The SQL models: staging -> intermediate -> marts, attached to a connection as temporary views.

Each model is one ``.sql`` file; its name is the file name. ``attach_models(con)`` creates every model
as a ``TEMP VIEW`` on the given connection (read-only connections too: temporary objects live in the
connection's own catalog, never in the store), staging first, then intermediate and marts in the order
their references to other models require. Analysis never writes to the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import duckdb

from hitplan.config import load_yaml

LAYERS = ("staging", "intermediate", "marts")


@dataclass(frozen=True)
class Model:
    """One SQL model: its name, layer, grain sentence, SQL text and the models it reads."""

    name: str
    layer: str
    grain: str
    sql: str
    depends_on: tuple[str, ...]


@lru_cache(maxsize=1)
def models() -> dict[str, Model]:
    """Every model shipped with hitplan, keyed by name, in dependency order."""
    texts: dict[str, tuple[str, str]] = {}
    root = resources.files(__package__)
    for layer in LAYERS:
        for entry in sorted(root.joinpath(layer).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".sql"):
                texts[entry.name[:-4]] = (layer, entry.read_text(encoding="utf-8"))
    found: dict[str, Model] = {}
    for name, (layer, sql) in texts.items():
        m = re.match(r"\s*--\s*grain:\s*(.+)", sql)
        if not m:
            raise ValueError(f"model {name} does not start with a '-- grain: one row per ...' comment")
        body = re.sub(r"--[^\n]*", "", sql)
        refs = tuple(sorted(o for o in texts if o != name and re.search(rf"\b{o}\b", body)))
        found[name] = Model(name, layer, m.group(1).strip(), sql, refs)
    return _ordered(found)


def _ordered(found: dict[str, Model]) -> dict[str, Model]:
    """The models in an order where each comes after every model it reads (staging first)."""
    done: dict[str, Model] = {}
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise ValueError(f"models reference each other in a cycle through {name}")
        visiting.add(name)
        for dep in found[name].depends_on:
            visit(dep)
        visiting.discard(name)
        done[name] = found[name]

    for layer in LAYERS:
        for name, model in found.items():
            if model.layer == layer:
                visit(name)
    return done


@lru_cache(maxsize=1)
def declared_columns() -> dict[str, dict]:
    """models.yml: for each model its description and its columns with their descriptions."""
    text = resources.files(__package__).joinpath("models.yml").read_text(encoding="utf-8")
    return {m["name"]: m for m in load_yaml(text)["models"]}


def attach_models(con: duckdb.DuckDBPyConnection) -> None:
    """Create every model as a temporary view on ``con``; a second call on the same connection does nothing."""
    ms = models()
    present = {
        r[0]
        for r in con.execute(
            "select view_name from duckdb_views() where temporary and not internal"
        ).fetchall()
    }
    if set(ms) <= present:
        return
    for model in ms.values():
        body = model.sql.strip().rstrip(";")
        con.execute(f"create or replace temp view {model.name} as\n{body}")
