"""The SQL models: every declared column equals the real view's columns; the runner works read-only and twice."""

from __future__ import annotations

import duckdb
import pytest

from hitplan import store
from hitplan.models import attach_models, declared_columns, models


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


def test_models_follow_the_house_style():
    for m in models().values():
        assert m.grain.startswith("one row per"), m.name
        assert m.sql.rstrip().endswith("select * from final"), m.name
        if m.layer == "staging":
            assert m.name.startswith("stg_") and not m.depends_on, m.name
        else:
            assert all(models()[d].layer in ("staging", "intermediate", "marts") for d in m.depends_on)


def test_models_come_after_what_they_read():
    order = list(models())
    for i, m in enumerate(models().values()):
        for dep in m.depends_on:
            assert order.index(dep) < i, (m.name, dep)


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
