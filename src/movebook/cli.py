"""The `movebook` command line: a thin shell over the library API."""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from movebook import publish
from movebook.audit import audit_profile
from movebook.course import plan_course
from movebook.errors import ProjectError, describe, did_you_mean, os_problem
from movebook.load import PROFILES_DIR, load_project_sources
from movebook.model import SCHEDULER_EXPECTED, is_scheduler
from movebook.plan import build_plan
from movebook.plan.dose import with_load_limit
from movebook.project import NotAProject, Project, check_project, find_root, load_project
from movebook.publish import Outcome
from movebook.readiness import phase_readiness
from movebook.render import render_gallery, untranslated
from movebook.schema import SCHEMA_FILE, render_schema
from movebook.site import SecretError, SiteSecret, created_message, private_url, site_secret
from movebook.validate import build_context
from movebook.views import audit_json_text, audit_text, plan_json_text, plan_text

F = TypeVar("F", bound=Callable[..., Any])
FIGURES_FILE = "output/figures.html"  # `movebook figures`: beside the site, not on it


def _project_option(command: F) -> F:
    return click.option(
        "--project",
        "project_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="The project folder (default: the one holding movebook.yaml, here or above).",
    )(command)


ROOT = "movebook.root"  # the project's folder, once found, in click's context meta


def _root(project_dir: Path | None) -> Path:
    try:
        root = find_root(project_dir or Path.cwd())
    except NotAProject as error:
        raise click.ClickException(str(error)) from None
    click.get_current_context().meta[ROOT] = root
    return root


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


def _announce(secret: SiteSecret) -> None:
    if secret.created:
        click.echo(created_message(secret), err=True)


class Commands(click.Group):
    """Every command: a file that cannot be read or written (a read-only folder, a file where
    a folder should be, a full disk) is one line on stderr naming it, and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise  # stdout closed (`movebook links | head`): click handles it
            root = ctx.meta.get(ROOT)
            click.echo(os_problem(error, root, default=root), err=True)
            raise SystemExit(1) from None


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="movebook")
def main() -> None:
    """Personalized exercise-therapy booklets from patient profiles and an exercise library."""


@main.command()
@_project_option
def check(project_dir: Path | None) -> None:
    """Validate every profile, exercise and setting in the project."""
    project, report = check_project(_root(project_dir), templates=True, clinician=True)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if project is not None:
        for translation in untranslated(project.config, project.library, project.profiles.values()):
            click.echo("\n".join(translation.listing()))
    click.echo(
        f"{_plural(report.profiles, 'profile')}, {_plural(report.exercises, 'exercise')}, "
        f"{_plural(report.education, 'education page')}: "
        + (_plural(len(report.problems), "error") if report.problems else "no errors")
        + (f", {_plural(len(report.warnings), 'warning')}" if report.warnings else "")
    )
    if report.problems:
        raise SystemExit(1)


def _write_whole(target: Path, text: str) -> None:
    """Write a file whole or not at all: a temporary beside it, renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)


@main.command()
@_project_option
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Where to write the page (default: {FIGURES_FILE} in the project).",
)
def figures(project_dir: Path | None, output: Path | None) -> None:
    """Write one page with every exercise's figure, to check the library at a glance."""
    project = _load(project_dir)
    target = output or project.root / FIGURES_FILE
    _write_whole(target, render_gallery(project.root, project.config, project.library))
    drawn = sum(1 for e in project.library.exercises.values() if e.meta.figure is not None)
    missing = len(project.library.exercises) - drawn
    click.echo(
        f"wrote {target}: {_plural(drawn, 'figure')}"
        + (f", {_plural(missing, 'exercise')} without one" if missing else "")
    )


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
    _write_whole(target, text)
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
    config = project.config
    library = with_load_limit(project.library, profile)
    visit = plan_course(profile, library, config.defaults.equipment, config.budget)[-1]
    readiness = phase_readiness(profile, library)
    text = (
        plan_json_text(visit.plan, readiness, visit.changes)
        if as_json
        else plan_text(visit.plan, library, readiness, visit.changes)
    )
    click.echo(text, nl=False)


@main.command()
@_project_option
@click.option("--json", "as_json", is_flag=True, help="Print the audit as JSON.")
def audit(project_dir: Path | None, as_json: bool) -> None:
    """Measure every patient's plan: exercises, minutes and sessions a day, doses off the
    library, precautions; then the whole caseload in one line."""
    project = _load(project_dir)
    equipment = project.config.defaults.equipment
    audits = [
        audit_profile(
            profile, build_plan(profile, project.library, equipment, project.config.budget)
        )
        for profile in project.profiles.values()
    ]
    click.echo(audit_json_text(audits) if as_json else audit_text(audits), nl=False)


@main.command()
@_project_option
@click.argument("profile_id")
@click.option(
    "--date",
    "date_text",
    metavar="YYYY-MM-DD",
    default=None,
    help="The date of the new assessment (default: today).",
)
@click.option(
    "--phase",
    type=int,
    default=None,
    help="The phase from this visit on (default: the last assessment's).",
)
def reassess(
    project_dir: Path | None, profile_id: str, date_text: str | None, phase: int | None
) -> None:
    """Append a new assessment to a profile, prefilled from the last one, to fill in."""
    from movebook.reassess import ReassessError, UnknownProfile
    from movebook.reassess import reassess as append_assessment

    try:
        done = append_assessment(_root(project_dir), profile_id, date_text, phase)
    except UnknownProfile as error:
        raise click.ClickException(str(error)) from None
    except ReassessError as error:
        for line in error.lines:
            click.echo(line, err=True)
        raise SystemExit(1) from None
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"{done.rel}:{done.line}: new assessment {done.date} (phase {done.phase}): "
        "fill in the measures"
    )


@main.command()
@_project_option
@click.argument("profile_ids", nargs=-1, metavar="[ID]...")
@click.option("--no-pdf", is_flag=True, help="Skip the PDF handouts (faster while editing).")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="the number of CPUs",
    help="How many booklets to render at once.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Build every booklet again, even those whose inputs have not changed.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Render on a Dask cluster: its scheduler's address (tcp://host:8786), or `local` "
    "for one on this machine with --jobs workers (default: build.scheduler in movebook.yaml, "
    "else no cluster).",
)
def build(
    project_dir: Path | None,
    profile_ids: tuple[str, ...],
    no_pdf: bool,
    jobs: int,
    force: bool,
    scheduler: str | None,
) -> None:
    """Render web booklets and PDF handouts for every profile (or the named ones) into output/.

    A booklet whose profile, library, templates and settings have not changed since the last
    build is left as it is."""
    if scheduler is not None and not is_scheduler(scheduler):
        click.echo(f"--scheduler: {SCHEDULER_EXPECTED}, got {describe(scheduler)}", err=True)
        raise SystemExit(1)
    root = _root(project_dir)
    started = time.monotonic()
    bar: Any = None

    def on_start(total: int) -> None:
        nonlocal bar
        bar = click.progressbar(length=total, label="Building booklets", file=sys.stderr)
        bar.__enter__()

    def on_done(outcome: Outcome) -> None:
        bar.update(1)

    def on_wait(text: str) -> None:
        nonlocal started
        click.echo(text, err=True)
        started = time.monotonic()  # the summary gives the time the build took, not the wait

    try:
        result = publish.build(
            root,
            profile_ids,
            pdf=not no_pdf,
            jobs=jobs,
            force=force,
            scheduler=scheduler,
            on_start=on_start,
            on_done=on_done,
            on_wait=on_wait,
        )
    except ProjectError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None
    except publish.ClusterError as error:
        click.echo(str(error), err=True)
        raise SystemExit(1) from None
    except SecretError as error:
        raise click.ClickException(str(error)) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    _announce(result.secret)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.removed:
        click.echo(
            f"Took down {_plural(result.removed, 'booklet')} whose profile no longer exists.",
            err=True,
        )
    for outcome in result.failed:
        for line in outcome.problems:
            click.echo(line, err=True)
    unchanged = sum(1 for outcome in result.outcomes if outcome.unchanged)
    built = len(result.outcomes) - len(result.failed) - unchanged
    pdfs = sum(1 for outcome in result.outcomes if outcome.pdf is not None)
    summary = f"{_plural(built, 'booklet')} built"
    if not no_pdf and built:
        summary += f" with {_plural(pdfs, 'PDF')}"
    if unchanged:
        summary += f", {unchanged} unchanged"
    if result.failed:
        summary += f", {len(result.failed)} failed"
    click.echo(f"{summary} in {time.monotonic() - started:.1f} s: {root / publish.OUTPUT_DIR}")
    if result.failed:
        raise SystemExit(1)


@main.command()
@_project_option
@click.argument("profile_ids", nargs=-1, metavar="[ID]...")
def links(project_dir: Path | None, profile_ids: tuple[str, ...]) -> None:
    """Print each patient's private link (with its key) to give to the patient."""
    project = _load(project_dir)
    unknown = [name for name in profile_ids if name not in project.profiles]
    if unknown:
        raise click.ClickException(
            "; ".join(
                f"no profile {name!r} in {project.root / PROFILES_DIR}"
                + did_you_mean(name, project.profiles)
                for name in unknown
            )
        )
    try:
        secret = site_secret(project.root)
    except SecretError as error:
        raise click.ClickException(str(error)) from None
    _announce(secret)
    site = project.config.site
    if not site.base_url:
        click.echo(
            "site.base_url is not set in movebook.yaml, so these links are relative to where "
            "you publish output/site.",
            err=True,
        )
    for name in profile_ids or sorted(project.profiles):
        key = secret.page_key(name) if site.private else None
        url = private_url(site.base_url, secret.slug(name), key)
        typed = site.private and project.profiles[name].passphrase
        click.echo(f"{name}\t{url}" + (" (or the passphrase in the profile)" if typed else ""))


@main.command()
@_project_option
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port to listen on, on 127.0.0.1 only (0 picks a free one).",
)
@click.option("--pdf", is_flag=True, help="Render the PDF handouts too (slower rebuilds).")
def serve(project_dir: Path | None, port: int, pdf: bool) -> None:
    """Preview the booklets on this computer, rebuilding and reloading them as you save."""
    from movebook.serve import Preview

    root = _root(project_dir)
    preview = Preview(
        root,
        port,
        pdf=pdf,
        jobs=os.cpu_count() or 1,
        on_message=lambda text, error: click.echo(text, err=error),
    )
    try:
        preview.bind()
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on 127.0.0.1:{port} ({error.strerror or error}): "
            "is another preview running? Try --port 0"
        ) from None
    try:
        click.echo("Building booklets…", err=True)
        preview.start(watch=False)
        click.echo(f"Previewing {root / publish.OUTPUT_DIR / publish.SITE_DIR} at {preview.url}")
        for name, url in preview.links():
            click.echo(f"{name}\t{url}")
        click.echo(
            "Only this computer can open these links. Save a profile, an exercise or a "
            "template and the page rebuilds and reloads. Press Ctrl-C to stop."
        )
        preview.watch()
    except SecretError as error:
        raise click.ClickException(str(error)) from None
    except KeyboardInterrupt:
        click.echo("Stopped the preview.")
    finally:
        preview.stop()
