"""The `movebook` command line, as a clinician uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import GOOD_PROFILE, REPO, write
from movebook.cli import main


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed command for real, as a shell would."""
    return subprocess.run(
        [sys.executable, "-m", "movebook", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "check" in result.output
    assert "schema" in result.output


def test_check_passes_on_the_bundled_project() -> None:
    result = run("check")
    assert result.returncode == 0, result.stderr
    # every sample plan does what its clinician's note asks, regions and events included
    assert result.stderr == ""
    last = result.stdout.splitlines()[-1]
    assert last.endswith("exercises, 8 education pages: no errors")
    assert last.startswith(f"{len(list((REPO / 'profiles').glob('*.yaml')))} profiles, ")


def test_check_reports_problems_one_per_line_and_exits_1(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE.replace("phase: 1", "phase: 7"))
    write(project, "profiles/bo.yaml", "id: bo\nname: Bo\nassessments:\n  - {}\n")
    result = run("check", "--project", str(project), cwd=project.parent)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "profiles/ana-silva.yaml:5: assessments[0].phase: expected 1-4, got 7",
        "profiles/bo.yaml:4: assessments[0].date: expected a value (required), got nothing",
        "profiles/bo.yaml:4: assessments[0].phase: expected a value (required), got nothing",
        "profiles/bo.yaml:4: assessments[0].signature: expected a value (required), got nothing",
    ]
    assert result.stdout.splitlines()[-1].endswith(": 4 errors")
    assert result.stdout.startswith("2 profiles, ")


def test_check_finds_the_project_from_a_subfolder(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    result = run("check", cwd=project / "profiles")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 profile, ")


def test_check_outside_a_project(tmp_path: Path) -> None:
    result = run("check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: no movebook.yaml in {tmp_path.resolve()} or any folder above it "
        "(use --project DIR)"
    )


def test_schema_writes_the_profile_schema(project: Path) -> None:
    result = CliRunner().invoke(main, ["schema", "--project", str(project)])
    assert result.exit_code == 0, result.output
    target = project / "profiles/profile.schema.json"
    assert result.output == f"wrote {target}\n"
    schema = json.loads(target.read_text(encoding="utf-8"))
    findings = schema["$defs"]["Finding"]["properties"]["id"]["enum"]
    assert "lumbar_hinge_dominant" in findings
    assert schema["$defs"]["Assessment"]["properties"]["date"]["format"] == "date"


def test_schema_includes_a_clinic_s_own_findings(project: Path) -> None:
    path = project / "content/vocabulary/findings.yaml"
    path.write_text(path.read_text() + "scar_tissue_pull:\n  label: Scar pulls\n")
    CliRunner().invoke(main, ["schema", "--project", str(project)])
    schema = json.loads((project / "profiles/profile.schema.json").read_text(encoding="utf-8"))
    assert "scar_tissue_pull" in schema["$defs"]["Finding"]["properties"]["id"]["enum"]


@pytest.mark.parametrize("command", ["check", "schema"])
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "--project" in result.output
