"""The SQL models: every declared column equals the real view's columns; the runner works read-only and twice."""

from __future__ import annotations

import duckdb
import pytest

from hitplan import store
from hitplan.models import LAYERS, Model, _ordered, attach_models, declared_columns, models


@pytest.fixture
def con(store_path):
    c = store.connect(store_path)
    yield c
    c.close()


def test_every_model_is_declared_with_its_real_columns(con):
    attach_models(con)
    declared = declared_columns()
    assert set(declared) == set(models())
    for name in models():
        real = [r[0] for r in con.execute(f"describe {name}").fetchall()]
        assert [c["name"] for c in declared[name]["columns"]] == real, name
        assert all(c["description"] for c in declared[name]["columns"]), name


def layer_breaches(ms: dict[str, Model]) -> list[tuple[str, str]]:
    """(model, model it reads) where the one read sits in a later layer, or a staging model reads any model."""
    return [(m.name, d) for m in ms.values() for d in m.depends_on
            if m.layer == "staging" or LAYERS.index(ms[d].layer) > LAYERS.index(m.layer)]


def order_breaches(ms: dict[str, Model]) -> list[tuple[str, str]]:
    """(model, model it reads) where the one read comes later in ``ms``'s order, or is missing from it."""
    order = list(ms)
    return [(m.name, d) for i, m in enumerate(ms.values()) for d in m.depends_on
            if d not in ms or order.index(d) > i]


def test_models_follow_the_house_style():
    ms = models()
    for m in ms.values():
        assert m.grain.startswith("one row per"), m.name
        assert m.sql.rstrip().endswith("select * from final"), m.name
        assert m.layer in LAYERS and m.name.startswith({"staging": "stg_", "intermediate": "int_",
                                                         "marts": "mart_"}[m.layer]), m.name
    assert layer_breaches(ms) == [], "a model reads only its own layer or the ones below (staging reads none)"
    assert {ms[d].layer for m in ms.values() if m.layer == "marts" for d in m.depends_on} >= {"intermediate"}


def test_models_come_after_what_they_read():
    ms = models()
    assert sum(len(m.depends_on) for m in ms.values()) >= 10, "the models do read each other"
    assert order_breaches(ms) == []
    layers = [LAYERS.index(m.layer) for m in ms.values()]
    assert layers == sorted(layers), "staging first, then intermediate, then marts"


def test_the_layer_and_order_checks_catch_a_breach():
    stg = Model("stg_a", "staging", "one row per a", "", ())
    mart = Model("mart_b", "marts", "one row per b", "", ("stg_a",))
    up = Model("int_c", "intermediate", "one row per c", "", ("mart_b",))  # reads a later layer
    assert layer_breaches({"stg_a": stg, "mart_b": mart}) == []
    assert layer_breaches({"stg_a": stg, "mart_b": mart, "int_c": up}) == [("int_c", "mart_b")]
    stg_reads = Model("stg_x", "staging", "one row per x", "", ("stg_a",))  # staging reads no model
    assert layer_breaches({"stg_a": stg, "stg_x": stg_reads}) == [("stg_x", "stg_a")]
    assert order_breaches({"stg_a": stg, "mart_b": mart}) == []
    assert order_breaches({"mart_b": mart, "stg_a": stg}) == [("mart_b", "stg_a")]
    assert list(_ordered({"mart_b": mart, "stg_a": stg})) == ["stg_a", "mart_b"]


def test_attach_is_idempotent_and_writes_nothing(con, store_path):
    attach_models(con)
    attach_models(con)
    temp = con.execute("select count(*) from duckdb_views() where temporary and not internal").fetchall()[0][0]
    assert temp == len(models())
    con.close()
    raw = duckdb.connect(str(store_path), read_only=True)
    try:
        names = {r[0] for r in raw.execute("select view_name from duckdb_views() where not internal").fetchall()}
    finally:
        raw.close()
    assert not names & set(models()), "models must never be stored"


def test_a_cycle_is_refused():
    from hitplan.models import Model, _ordered

    a = Model("a", "marts", "one row per a", "", ("b",))
    b = Model("b", "marts", "one row per b", "", ("a",))
    with pytest.raises(ValueError, match="cycle"):
        _ordered({"a": a, "b": b})
