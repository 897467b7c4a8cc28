"""A movebook project on disk: find it, load it, validate it (stages 1 and 2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from movebook.checks import clinician_warnings
from movebook.errors import ProjectError
from movebook.load import CONFIG_FILE, load_project_sources
from movebook.model import Config, Library, Profile
from movebook.render import template_problems
from movebook.validate import Report, validate_project


class NotAProject(Exception):
    """The folder given (or the current one) is not inside a movebook project."""


@dataclass(frozen=True)
class Project:
    """A validated project: its config, its library and its patients."""

    root: Path
    config: Config
    library: Library
    profiles: Mapping[str, Profile]


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding a movebook.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise NotAProject(f"no {CONFIG_FILE} in {start} or any folder above it (use --project DIR)")


def check_project(
    root: Path, templates: bool = False, clinician: bool = False
) -> tuple[Project | None, Report]:
    """Load and validate every file (and compile every template, if asked); the project is
    None if anything is wrong. With `clinician`, a valid project's report also warns where a
    plan does not follow its clinician's note or includes (movebook.checks)."""
    raw = load_project_sources(root)
    config, library, profiles, report = validate_project(raw)
    if templates:
        report.problems.extend(template_problems(root))
    if report.problems or config is None or library is None:
        return None, report
    if clinician:
        for source in raw.profiles:
            profile = profiles[PurePosixPath(source.path).stem]
            report.warnings += clinician_warnings(
                source, profile, library, config.defaults.equipment, config.budget
            )
    return Project(root, config, library, dict(sorted(profiles.items()))), report


def load_project(root: Path) -> Project:
    """Load a project, or raise ProjectError listing every problem in it."""
    project, report = check_project(root)
    if project is None:
        raise ProjectError(report.problems)
    return project
