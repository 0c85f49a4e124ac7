"""`hitplan profiles` from the user's side: every profile listed with what a file needs and what it reads,
one profile in full, JSON, and the ingest help that points to it."""

from __future__ import annotations

import json

from hitplan.ingest.profiles import profile_summary, profiles


def test_list_names_every_profile_with_needs_and_reads(cli):
    code, out, _ = cli("profiles")
    assert code == 0
    for name in profiles():
        assert f"\n{name}: " in "\n" + out
    # As the export names them: HHS's own headings, not their normalized forms.
    block = out.split("hhs-ocr-breaches: ")[1].split("\n\n")[0]
    assert "needs: Name of Covered Entity; Breach Submission Date" in block
    assert "submitted_on <- Breach Submission Date" in block


def test_one_profile_in_full(cli):
    code, out, _ = cli("profiles", "servicenow-incidents")
    assert code == 0
    assert out.startswith("servicenow-incidents: ")
    assert "opened_at <- opened_at | opened | created | sys_created_on" in out
    assert "dates in opened_at: MM/DD/YYYY" in out
    assert "values of priority: " in out and "leading_integer" in out
    assert "person columns (pseudonymized or never stored): caller_id, caller, opened_by" in out
    code, out, _ = cli("profiles", "nessus")
    assert "scan_date" in out and "merge duplicates: \"cvss desc nulls last\"" in out
    code, out, _ = cli("profiles", "canonical", "--feed", "systems")
    assert code == 0 and "needs: system_id; name; kind; category" in out and "incidents:" not in out


def test_json_and_feed_filter(cli):
    code, out, _ = cli("profiles", "--feed", "breaches", "--format", "json")
    got = json.loads(out)
    assert code == 0 and {p["name"] for p in got} == {"canonical", "hhs-ocr-breaches"}
    hhs = next(p for p in got if p["name"] == "hhs-ocr-breaches")
    assert hhs["per_feed"]["breaches"]["detect_markers"] == ["Name of Covered Entity", "Breach Submission Date"]
    assert list(hhs["per_feed"]) == ["breaches"]
    code, out, _ = cli("profiles", "nessus", "--format", "json")
    one = json.loads(out)
    assert one["name"] == "nessus" and one["per_feed"]["vulnerabilities"]["fixed"]["scanner"] == "nessus"


def test_unknown_names_are_usage_errors(cli):
    code, _, err = cli("profiles", "no-such-tool")
    assert code == 2 and "known profiles: " in err
    code, _, err = cli("profiles", "--feed", "nope")
    assert code == 2 and "unknown feed 'nope'" in err


def test_ingest_help_points_to_a_command_that_exists(cli, capsys):
    import pytest

    with pytest.raises(SystemExit):
        cli("ingest", "--help")
    out = capsys.readouterr().out
    assert "`hitplan profiles`" in out
    assert cli("profiles")[0] == 0


def test_summary_needs_are_the_feed_required_columns_a_profile_reads():
    hhs = profile_summary(profiles()["hhs-ocr-breaches"])["per_feed"]["breaches"]
    # breaches requires covered_entity and submitted_on (docs/feeds.md); the profile reads them from these headings.
    assert hhs["needs"] == ["Name of Covered Entity", "Breach Submission Date"]
    assert hhs["reads"]["individuals_affected"] == ["Individuals Affected"]
