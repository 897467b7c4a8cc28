"""Write a synthetic caseload: varied, valid profiles drawn from a project's own vocabulary (its
findings, goal tasks, precautions, red flags, equipment, directions and exercises, read through
movebook's loader and validator, so a clinic's additions are used). The same seed gives the same
profiles, byte for byte.

    .venv/bin/python scripts/caseload.py --count 200 --seed 1 --out /tmp/clinic/profiles
    .venv/bin/python scripts/caseload.py --count 50 --seed 7 --out DIR --project ../my-clinic

Each profile has 1-4 assessments in date order; a later one may move the phase up or down and
its measures better or worse. Some have precautions, a chair-only home, clinician overrides
(include, exclude, dose, notes) or, now and then, a red flag. Every one passes `movebook check`.
tests/strategies.py draws the same profiles for property tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from movebook.errors import ProjectError, os_problem
from movebook.load import PROFILES_DIR, load_project_sources, parse_yaml
from movebook.model import Context, Library, Profile
from movebook.plan import patient_of, why_not
from movebook.project import NotAProject, find_root, load_project
from movebook.validate import Report, build_context, validate_profile

REPO = Path(__file__).resolve().parent.parent
SCHEMA_LINE = "# yaml-language-server: $schema=profile.schema.json\n"
GIVEN = ("Ana", "Ben", "Chidi", "Dara", "Emil", "Farah", "Gus", "Hana", "Ivo", "Jun", "Kofi",
         "Lena", "Mateo", "Nia", "Omar", "Pia", "Rosa", "Sami", "Tara", "Ulla", "Wen")  # fmt: skip
FAMILY = ("Abara", "Berg", "Costa", "Dube", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
          "Jensen", "Kaur", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quispe",
          "Rossi", "Silva", "Tanaka", "Ueda", "Varga", "Wong", "Yilmaz", "Zhou")  # fmt: skip
CLINICIANS = ("Sam Okafor, PT", "Jo Reyes, PT", "Lee Park, Physio")
ACTIVITIES = ("Sit through a meeting", "Walk to the shops", "Bend to load the dishwasher",
              "Carry the shopping", "Sleep through the night")  # fmt: skip
SIDES = ("left", "right", "both", None)
FIRST_DATE = dt.date(2026, 1, 5)


@dataclass(frozen=True)
class Shape:
    """What kind of profiles to draw."""

    assessments: tuple[int, ...] = (1, 1, 2, 2, 3, 4)  # drawn from, fewest first
    red_flag_percent: int = 4
    improving: bool = False  # two assessments, the second better: same signature, phase up or same


def maybe(rng: random.Random, percent: int) -> bool:
    """True `percent` times in a hundred. Written so that 0, where hypothesis shrinks a draw,
    means no: a shrunk example leaves out what is optional."""
    return rng.randrange(100) >= 100 - percent


def _some(rng: random.Random, items: Sequence[str], most: int) -> list[str]:
    """Up to `most` distinct items, in a random order (none if there are none)."""
    return rng.sample(list(items), rng.randint(0, min(most, len(items))))


def _minutes(rng: random.Random, low: int, high: int) -> int:
    return rng.randrange(low, high + 1, 5)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _signature(rng: random.Random, library: Library) -> dict[str, Any]:
    vocabulary = library.vocabulary
    findings: list[Any] = []
    for name in rng.sample(sorted(vocabulary.findings), rng.randint(1, 5)):
        side = rng.choice(SIDES) if vocabulary.findings[name].sided else None
        findings.append(name if side is None else {"id": name, "side": side})
    signature: dict[str, Any] = {
        "directional_preference": rng.choice(sorted(vocabulary.directions)),
        "findings": findings,
    }
    if maybe(rng, 30):
        signature["classification"] = rng.choice(("MSI: flexion", "MSI: extension", "MDT"))
    return signature


def _tolerances(rng: random.Random) -> dict[str, int]:
    drawn = {
        "sitting_min": _minutes(rng, 5, 90),
        "standing_min": _minutes(rng, 5, 90),
        "walking_min": _minutes(rng, 5, 90),
        "morning_stiffness_min": _minutes(rng, 0, 90),
        "sleep_disturbed_nights": rng.randint(0, 7),
    }
    return {name: value for name, value in drawn.items() if maybe(rng, 70)}


def _measures(rng: random.Random, goals: list[dict[str, str]], improving: bool) -> dict[str, Any]:
    measures: dict[str, Any] = {}
    if improving or maybe(rng, 85):
        measures["nprs"] = rng.randint(2 if improving else 0, 10)
    if maybe(rng, 75):
        measures["odi"] = rng.randint(0, 70)
    labels = [goal["label"] for goal in goals if "label" in goal] + list(ACTIVITIES)
    measures["psfs"] = {label: rng.randint(0, 10) for label in _some(rng, labels, 3)}
    return measures


def _goals(rng: random.Random, library: Library) -> list[dict[str, str]]:
    goals = []
    for task in _some(rng, sorted(library.vocabulary.tasks), 3):
        goal = {"task": task}
        if maybe(rng, 60):
            goal["label"] = f"{library.vocabulary.tasks[task].label} again"
        goals.append(goal)
    return goals


def _overrides(rng: random.Random, library: Library) -> dict[str, Any]:
    """Excludes, doses and notes; includes come later, once the patient is known."""
    exercises = sorted(library.exercises)
    overrides: dict[str, Any] = {}
    if maybe(rng, 20):
        overrides["exclude"] = _some(rng, exercises, 2)
    if maybe(rng, 20):
        doses = {}
        for name in _some(rng, exercises, 2):
            change: dict[str, int] = {"sets": rng.randint(1, 3), "reps": rng.randint(4, 12)}
            if maybe(rng, 50):
                change |= (
                    {"per_day": rng.randint(1, 3)}
                    if maybe(rng, 50)
                    else {"per_week": rng.randint(2, 5)}
                )
            doses[name] = change
        overrides["dose"] = doses
    if maybe(rng, 15):
        name = rng.choice(exercises)
        overrides["notes"] = {name: f"Take the {library.exercises[name].meta.title} slowly."}
    return {key: value for key, value in overrides.items() if value}


def _later(
    rng: random.Random, library: Library, before: dict[str, Any], shape: Shape
) -> dict[str, Any]:
    """The next assessment: some weeks on, the phase one up, one down or the same, the
    measures better or worse, now and then a finding resolved or a new one."""
    step = rng.choice((0, 1)) if shape.improving else rng.choice((0, 1, -1))
    better = shape.improving or maybe(rng, 65)
    sign = 1 if better else -1
    after: dict[str, Any] = {
        "date": (
            dt.date.fromisoformat(before["date"]) + dt.timedelta(rng.randint(14, 70))
        ).isoformat(),
        "phase": int(_clamp(before["phase"] + step, 1, 4)),
        "signature": dict(before["signature"]),
        "goals": list(before["goals"]),
    }
    findings = list(before["signature"]["findings"])
    if not shape.improving and len(findings) > 1 and maybe(rng, 25):
        findings.pop(rng.randrange(len(findings)))
    after["signature"]["findings"] = findings
    tolerances = {}
    for name, value in before.get("tolerances", {}).items():
        change = (
            rng.randint(0, 3)
            * sign
            * (-1 if name in ("morning_stiffness_min", "sleep_disturbed_nights") else 1)
        )
        if name == "sleep_disturbed_nights":
            tolerances[name] = int(_clamp(value + change, 0, 7))
        else:
            tolerances[name] = int(_clamp(value + change * 5, 0, 120))
    after["tolerances"] = tolerances
    measures: dict[str, Any] = {}
    old = before.get("measures", {})
    if "nprs" in old:
        lower = rng.randint(1, 3) if shape.improving else rng.randint(0, 3)
        measures["nprs"] = int(_clamp(old["nprs"] - lower * sign, 0, 10))
    if "odi" in old:
        measures["odi"] = int(_clamp(old["odi"] - rng.randint(0, 15) * sign, 0, 100))
    measures["psfs"] = {
        label: int(_clamp(score + rng.randint(0, 3) * sign, 0, 10))
        for label, score in old.get("psfs", {}).items()
    }
    after["measures"] = measures
    if maybe(rng, 50):
        after["notes"] = "Better this time." if better else "A harder few weeks."
    overrides = _overrides(rng, library)
    if overrides:
        after["overrides"] = overrides
    return after


def _first(rng: random.Random, library: Library, shape: Shape) -> dict[str, Any]:
    goals = _goals(rng, library)
    first: dict[str, Any] = {
        "date": (FIRST_DATE + dt.timedelta(rng.randint(0, 300))).isoformat(),
        "phase": rng.randint(1, 4),
        "signature": _signature(rng, library),
        "tolerances": _tolerances(rng),
        "measures": _measures(rng, goals, shape.improving),
        "goals": goals,
    }
    if maybe(rng, 50):
        first["notes"] = "Gentle start: little and often."
    overrides = _overrides(rng, library)
    if overrides:
        first["overrides"] = overrides
    return first


def _equipment(rng: random.Random, library: Library) -> list[str] | None:
    owned = sorted(name for name, item in library.vocabulary.equipment.items() if not item.everyday)
    if "chair" in owned and maybe(rng, 15):
        return ["chair"]  # a chair-only home: nothing on the floor
    if maybe(rng, 25):
        return None  # the clinic's default equipment
    return sorted(_some(rng, owned, len(owned)))


def draft(rng: random.Random, library: Library, number: int, shape: Shape) -> dict[str, Any]:
    """A profile as a clinician would write it, before any `include` (those need the patient)."""
    vocabulary = library.vocabulary
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    data: dict[str, Any] = {"id": f"case-{number:04d}", "name": f"{given} {family}"}
    if maybe(rng, 30):
        data["preferred_name"] = given
    if maybe(rng, 50):
        data["clinician"] = rng.choice(CLINICIANS)
    equipment = _equipment(rng, library)
    if equipment is not None:
        data["equipment"] = equipment
    data["precautions"] = _some(rng, sorted(vocabulary.precautions), rng.choice((0, 1, 1, 2)))
    if any(vocabulary.precautions[name].needs_limit for name in data["precautions"]):
        data["load_limit_kg"] = 5  # as its clinician would set (no draw: the seed's caseload stays)
    if not shape.improving and vocabulary.red_flags and maybe(rng, shape.red_flag_percent):
        data["red_flags"] = [rng.choice(sorted(vocabulary.red_flags))]
    assessments = [_first(rng, library, shape)]
    count = 2 if shape.improving else rng.choice(shape.assessments)
    while len(assessments) < count:
        assessments.append(_later(rng, library, assessments[-1], shape))
    data["assessments"] = assessments
    return data


def _with_includes(
    rng: random.Random,
    data: dict[str, Any],
    profile: Profile,
    library: Library,
    default_equipment: Sequence[str],
) -> None:
    """Now and then the clinician pins an exercise the patient may do at that visit (never
    one the same visit excludes, nor at a visit red flags block)."""
    last = len(profile.assessments) - 1
    for index, assessment in enumerate(data["assessments"]):
        if not maybe(rng, 20) or (index == last and profile.red_flags):
            continue
        patient = patient_of(profile, library, default_equipment, at=index)
        excluded = set(assessment.get("overrides", {}).get("exclude", ()))
        allowed = [
            name
            for name, exercise in sorted(library.exercises.items())
            if name not in excluded and not why_not(exercise, patient, library)
        ]
        if allowed:
            assessment.setdefault("overrides", {})["include"] = [rng.choice(allowed)]


def generate(
    rng: random.Random,
    library: Library,
    context: Context,
    default_equipment: Sequence[str],
    number: int,
    shape: Shape = Shape(),
) -> tuple[dict[str, Any], Profile]:
    """One profile: the data to write and the validated model."""
    data = draft(rng, library, number, shape)
    profile = Profile.model_validate(data, context=context)
    _with_includes(rng, data, profile, library, default_equipment)
    return data, Profile.model_validate(data, context=context)


class _Dumper(yaml.SafeDumper):
    """Writes a value again where it repeats, as a clinician would, never as `*id001`."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def profile_yaml(data: dict[str, Any]) -> str:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return SCHEMA_LINE + text


def caseload(root: Path, count: int, seed: int) -> dict[str, str]:
    """File name -> text of each profile, every one checked as `movebook check` would."""
    project = load_project(root)
    context = build_context(load_project_sources(root))
    rng = random.Random(seed)
    texts: dict[str, str] = {}
    report = Report()
    for number in range(1, count + 1):
        data, _ = generate(rng, project.library, context, project.config.defaults.equipment, number)
        name = f"{data['id']}.yaml"
        texts[name] = profile_yaml(data)
        validate_profile(parse_yaml(texts[name], f"{PROFILES_DIR}/{name}"), context, report)
    if report.problems:
        raise ProjectError(report.problems)
    return texts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="how many profiles")
    parser.add_argument("--seed", type=int, required=True, help="the same seed, the same profiles")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write them to")
    parser.add_argument(
        "--project", type=Path, default=None, help="whose vocabulary (default: this repository)"
    )
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error(f"--count: expected 1 or more, got {args.count}")
    try:
        texts = caseload(find_root(args.project or REPO), args.count, args.seed)
    except NotAProject as error:
        print(error, file=sys.stderr)
        return 1
    except ProjectError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    out: Path = args.out
    taken = sorted(name for name in texts if (out / name).exists())
    if taken:
        print(f"{out / taken[0]}: expected a new file, got one already there", file=sys.stderr)
        return 1
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            temporary = out / f".{name}.tmp"
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(out / name)
    except OSError as error:
        print(os_problem(error, None, default=out), file=sys.stderr)
        return 1
    print(f"wrote {len(texts)} profiles to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
