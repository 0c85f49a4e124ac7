"""One key, verified: the store records the key's fingerprint, refuses loads with another key or none, and
`hitplan key` backs the key up and restores it without ever printing it."""

from __future__ import annotations

import stat

import pytest

from conftest import query, write_csv
from hitplan import config
from hitplan.ingest.pseudonymize import fingerprint, load_key, pseudonym

OTHER_KEY = "0123456789abcdef" * 4


def _training(tmp_path, n: int = 1000):
    rows = [[f"Person {i}", "EHR basics", f"2025-01-{i % 28 + 1:02d}"] for i in range(n)]
    return write_csv(tmp_path / "training.csv", ["person", "course", "assigned_on"], rows)


def _contents(path) -> list:
    """Everything a load writes: the training rows, the load log and the recorded fingerprint."""
    return [
        query(path, "select * from training order by all"),
        query(path, "select load_id, feed, rows_loaded from load_log order by load_id"),
        query(path, "select * from key_fingerprint"),
    ]


def _one_line(err: str) -> bool:
    return err.strip() != "" and "\n" not in err.strip()


@pytest.mark.slow
def test_a_missing_key_file_stops_the_load_and_makes_no_new_key(tmp_path, store_path, cli):
    src = _training(tmp_path)
    assert cli("ingest", "training", src)[0] == 0
    fp = fingerprint(load_key(create=False))
    before = _contents(store_path)
    config.key_file().unlink()
    code, out, err = cli("ingest", "training", src, "--force")
    assert code == 4 and _one_line(err), err
    assert str(config.key_file()) in err and fp in err and "hitplan key import" in err and "HITPLAN_KEY_FILE" in err
    assert _contents(store_path) == before and query(store_path, "select count(*) from training") == [(1000,)]
    assert not config.key_file().exists()


@pytest.mark.slow
def test_a_different_key_stops_every_load_even_without_personal_columns(tmp_path, store_path, cli, monkeypatch):
    assert cli("ingest", "training", _training(tmp_path, 5))[0] == 0
    vendors = write_csv(tmp_path / "vendors.csv", ["vendor_id", "name"], [["V1", "Acme"]])
    before = _contents(store_path)
    monkeypatch.setenv("HITPLAN_PSEUDONYM_KEY", OTHER_KEY)
    for feed, src in (("training", _training(tmp_path, 6)), ("vendors", vendors)):
        code, _out, err = cli("ingest", feed, src)
        assert code == 4 and _one_line(err) and fingerprint(OTHER_KEY.encode()) in err, err
    monkeypatch.delenv("HITPLAN_PSEUDONYM_KEY")
    other = tmp_path / "other.key"
    other.write_text(OTHER_KEY + "\n")
    monkeypatch.setenv("HITPLAN_KEY_FILE", str(other))
    assert cli("ingest", "vendors", vendors)[0] == 4
    assert _contents(store_path) == before and query(store_path, "select count(*) from vendors") == [(0,)]


def test_a_store_pseudonymized_before_fingerprints_gets_no_new_key(tmp_path, store_path, cli):
    src = _training(tmp_path, 5)
    assert cli("ingest", "training", src)[0] == 0
    from hitplan import store

    con = store.connect(store_path, read_only=False)
    con.execute("delete from key_fingerprint")  # as a store loaded before migration 0006 is
    con.close()
    config.key_file().unlink()
    code, _out, err = cli("ingest", "training", src, "--force")
    assert code == 4 and "holds pseudonyms" in err and not config.key_file().exists()
    assert query(store_path, "select count(*) from training") == [(5,)]


def test_a_fresh_store_makes_the_key_and_records_its_fingerprint_not_the_key(tmp_path, store_path, cli):
    assert not config.key_file().exists()
    assert cli("ingest", "training", _training(tmp_path, 3))[0] == 0
    key = load_key(create=False)
    assert stat.S_IMODE(config.key_file().stat().st_mode) == 0o600
    assert query(store_path, "select fingerprint from key_fingerprint") == [(fingerprint(key),)]
    assert key.decode() not in store_path.read_bytes().decode("latin-1")


def test_export_then_import_restores_loading_and_the_same_pseudonyms(tmp_path, store_path, cli):
    src = _training(tmp_path, 50)
    assert cli("ingest", "training", src)[0] == 0
    pseudonyms = query(store_path, "select person from training order by all")
    assert (pseudonym("Person 0", load_key(create=False)),) in pseudonyms
    backup = tmp_path / "backup.key"
    assert cli("key", "export", backup)[0] == 0
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert cli("key", "export", backup)[0] == 2  # never overwrites
    config.key_file().unlink()
    config.key_file().parent.rmdir()
    code, out, _err = cli("key", "import", backup)
    assert code == 0 and "matches store" in out, out
    assert stat.S_IMODE(config.key_file().stat().st_mode) == 0o600
    assert stat.S_IMODE(config.key_file().parent.stat().st_mode) == 0o700
    code, out, _err = cli("ingest", "training", src, "--force")
    assert code == 0 and "50 replaced" in out, out
    assert query(store_path, "select person from training order by all") == pseudonyms


def test_import_refuses_a_key_of_another_store_and_keeps_a_replaced_key(tmp_path, store_path, cli):
    assert cli("ingest", "training", _training(tmp_path, 3))[0] == 0
    mine = config.key_file().read_bytes()
    other = tmp_path / "other.key"
    other.write_text(OTHER_KEY + "\n")
    for args in ([], ["--replace"]):
        code, _out, err = cli("key", "import", other, *args)
        assert code == 4 and _one_line(err) and "nothing was installed" in err, err
    assert config.key_file().read_bytes() == mine
    # With no store to check against, a different installed key is replaced only with --replace, and kept.
    elsewhere = tmp_path / "none.duckdb"
    assert cli("key", "import", other, "--store", elsewhere)[0] == 2
    code, out, _err = cli("key", "import", other, "--store", elsewhere, "--replace")
    assert code == 0 and "replaced" in out
    assert config.key_file().read_text().strip() == OTHER_KEY
    kept = list(config.key_file().parent.glob("*.replaced-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == mine and stat.S_IMODE(kept[0].stat().st_mode) == 0o600


def test_show_prints_the_fingerprint_and_no_command_prints_the_key(tmp_path, store_path, cli, monkeypatch):
    assert cli("ingest", "training", _training(tmp_path, 3))[0] == 0
    key = load_key(create=False).decode()
    backup = tmp_path / "backup.key"
    outputs = [cli("key", "show"), cli("key", "export", backup), cli("key", "import", backup)]
    code, out, _err = outputs[0]
    assert code == 0 and fingerprint(key.encode()) in out and "matches" in out and str(config.key_file()) in out
    monkeypatch.setenv("HITPLAN_PSEUDONYM_KEY", OTHER_KEY)
    outputs += [cli("key", "show"), cli("ingest", "training", _training(tmp_path, 4))]
    assert outputs[-2][0] == 4 and "DOES NOT MATCH" in outputs[-2][1]
    for _code, out, err in outputs:
        assert key not in out + err and OTHER_KEY not in out + err
    assert backup.read_text().strip() == key


def test_a_damaged_key_file_is_one_clear_line(tmp_path, store_path, cli):
    short = tmp_path / "short.key"
    short.write_text("too short\n")
    code, _out, err = cli("key", "import", short)
    assert code == 3 and _one_line(err) and "short.key" in err and "not a hitplan key" in err, err
    config.key_file().parent.mkdir(parents=True)
    config.key_file().write_text("abc\n")
    code, _out, err = cli("ingest", "training", _training(tmp_path, 3))
    assert code == 4 and _one_line(err) and str(config.key_file()) in err and "hitplan key import" in err, err


def test_a_first_load_that_fails_records_no_fingerprint(tmp_path, store_path, cli):
    bad = tmp_path / "vendors.csv"
    bad.write_text('vendor_id,name\nV1,"Acme\nV2,Other\n', encoding="utf-8")  # a quote that never closes
    assert cli("ingest", "vendors", bad)[0] == 3
    assert query(store_path, "select count(*) from key_fingerprint") == [(0,)]
    good = tmp_path / "vendors2.csv"
    good.write_text("vendor_id,name\nV1,Acme\n", encoding="utf-8")
    assert cli("ingest", "vendors", good)[0] == 0
    assert query(store_path, "select count(*) from key_fingerprint") == [(1,)]
