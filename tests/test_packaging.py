"""Packaging promises: environment.yml lists what pyproject.toml does; every command has --help."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].strip().lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {_name(r): r.replace(" ", "") for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    listed = {_name(d): d.replace(" ", "") for d in env["dependencies"] if isinstance(d, str)}
    listed.pop("python"), listed.pop("pip")
    assert listed == wanted
    assert {"-e ."} == set(next(d for d in env["dependencies"] if isinstance(d, dict))["pip"])


def _commands() -> dict:
    """Every `hitplan` command's parser, by name."""
    from hitplan.cli import build_parser

    return next(a for a in build_parser()._actions if a.dest == "command").choices


def test_every_command_has_help_with_exit_codes():
    commands = _commands()
    assert {"kpi", "scorecard", "score", "forecast", "report", "settings", "models", "key"} <= set(commands)
    for name, parser in commands.items():
        text = parser.format_help()
        assert text.startswith(f"usage: hitplan {name}") and "exit codes:" in text, name
    out = subprocess.run([sys.executable, "-m", "hitplan", "--help"], capture_output=True, text=True, check=True).stdout
    assert "usage: hitplan" in out and "exit codes:" in out and all(c in out for c in commands)


@pytest.mark.parametrize("command", ["kpi", "scorecard", "score", "forecast", "report"])
def test_commands_that_compute_take_a_settings_file(command):
    assert "--settings" in _commands()[command].format_help()


@pytest.mark.slow
def test_unexpected_errors_are_one_line_and_debug_shows_the_traceback(tmp_path):
    bad = tmp_path / "store.duckdb"
    bad.write_text("this is not a database")
    run = lambda *a: subprocess.run([sys.executable, "-m", "hitplan", "status", "--store", str(bad), *a],
                                    capture_output=True, text=True)
    res = run()
    assert res.returncode == 4 and res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    res = run("--debug")
    assert "Traceback" in res.stderr
