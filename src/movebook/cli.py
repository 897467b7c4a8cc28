"""The `movebook` command line: a thin shell over the library API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from movebook.errors import ProjectError, did_you_mean
from movebook.load import PROFILES_DIR, load_project_sources
from movebook.plan import build_plan
from movebook.project import NotAProject, Project, check_project, find_root, load_project
from movebook.schema import SCHEMA_FILE, render_schema
from movebook.validate import build_context
from movebook.views import plan_json_text, plan_text

F = TypeVar("F", bound=Callable[..., Any])


def _project_option(command: F) -> F:
    return click.option(
        "--project",
        "project_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="The project folder (default: the one holding movebook.yaml, here or above).",
    )(command)


def _root(project_dir: Path | None) -> Path:
    try:
        return find_root(project_dir or Path.cwd())
    except NotAProject as error:
        raise click.ClickException(str(error)) from None


def _load(project_dir: Path | None) -> Project:
    """The validated project, or every problem on stderr and exit 1."""
    try:
        return load_project(_root(project_dir))
    except ProjectError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="movebook")
def main() -> None:
    """Personalized exercise-therapy booklets from patient profiles and an exercise library."""


@main.command()
@_project_option
def check(project_dir: Path | None) -> None:
    """Validate every profile, exercise and setting in the project."""
    _, report = check_project(_root(project_dir))
    for problem in report.problems:
        click.echo(str(problem), err=True)
    click.echo(
        f"{_plural(report.profiles, 'profile')}, {_plural(report.exercises, 'exercise')}, "
        f"{_plural(report.education, 'education page')}: "
        + (_plural(len(report.problems), "error") if report.problems else "no errors")
    )
    if report.problems:
        raise SystemExit(1)


@main.command()
@_project_option
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Where to write the schema (default: {SCHEMA_FILE} in the project).",
)
def schema(project_dir: Path | None, output: Path | None) -> None:
    """Write the JSON Schema that lets editors check and complete profiles."""
    root = _root(project_dir)
    target = output or root / SCHEMA_FILE
    text = render_schema(build_context(load_project_sources(root)))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)
    click.echo(f"wrote {target}")


@main.command()
@_project_option
@click.argument("profile_id")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan(project_dir: Path | None, profile_id: str, as_json: bool) -> None:
    """Show the exercise plan for one patient's latest assessment."""
    project = _load(project_dir)
    profile = project.profiles.get(profile_id)
    if profile is None:
        raise click.ClickException(
            f"no profile {profile_id!r} in {project.root / PROFILES_DIR}"
            + did_you_mean(profile_id, project.profiles)
        )
    result = build_plan(profile, project.library, project.config.defaults.equipment)
    click.echo(plan_json_text(result) if as_json else plan_text(result, project.library), nl=False)
