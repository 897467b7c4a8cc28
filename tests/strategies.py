"""Hypothesis strategies for property tests: validated profiles drawn from the bundled
vocabulary by the same generator as scripts/caseload.py, so a failing example is a profile the
caseload script could write (and shrinks towards a simple one: one assessment, few findings,
no precautions, no overrides)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from hypothesis import strategies as st

from conftest import REPO
from movebook.load import load_project_sources
from movebook.model import Profile
from movebook.project import load_project
from movebook.validate import build_context


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look themselves up here
    spec.loader.exec_module(module)
    return module


caseload = _script("caseload")
PROJECT = load_project(REPO)
LIBRARY = PROJECT.library
DEFAULT_EQUIPMENT = PROJECT.config.defaults.equipment
CONTEXT = build_context(load_project_sources(REPO))


@st.composite
def profiles(draw: st.DrawFn, red_flags: bool = True) -> Profile:
    """Any profile the caseload script writes; without red flags, one that gets a plan."""
    rng = draw(st.randoms(use_true_random=False))
    shape = caseload.Shape() if red_flags else caseload.Shape(red_flag_percent=0)
    _, profile = caseload.generate(rng, LIBRARY, CONTEXT, DEFAULT_EQUIPMENT, 1, shape)
    assert isinstance(profile, Profile)
    return profile


@st.composite
def improving_profiles(draw: st.DrawFn) -> Profile:
    """Two assessments, the second better: the same signature and goals, measures and
    tolerances no worse (pain lower), the phase the same or one up."""
    rng = draw(st.randoms(use_true_random=False))
    shape = caseload.Shape(improving=True)
    _, profile = caseload.generate(rng, LIBRARY, CONTEXT, DEFAULT_EQUIPMENT, 1, shape)
    assert isinstance(profile, Profile)
    return profile
