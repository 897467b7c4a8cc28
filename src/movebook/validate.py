"""Stage 2, validate: turn parsed sources into a Config, a Library and Profiles.

Every problem is collected with its file and line; the caller aborts once.
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import io
import re
import types
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Union, get_args, get_origin
from xml.etree import ElementTree

from pydantic import BaseModel, TypeAdapter, ValidationError

from movebook.errors import Problem, describe, did_you_mean, field_path
from movebook.figure import figure_problems
from movebook.load import (
    BLOCKS_FILE,
    LOCALE_DIR,
    PHASES_FILE,
    RITUALS_FILE,
    VOCABULARY,
    RawLocale,
    RawProject,
    Source,
    locale_path,
)
from movebook.model import (
    IMAGE_FORMATS,
    SLUG,
    Block,
    BlockWords,
    Config,
    Context,
    DirectionDef,
    EducationMeta,
    EducationPage,
    EducationWords,
    EquipmentDef,
    Exercise,
    ExerciseMeta,
    ExerciseWords,
    Figure,
    FindingDef,
    Library,
    MicroStep,
    PhaseDef,
    PhaseWords,
    PositionDef,
    PrecautionDef,
    Profile,
    RedFlagDef,
    Ritual,
    RitualWords,
    SupportedWords,
    TaskDef,
    Translation,
    Vocabulary,
    VocabularyWords,
)
from movebook.notes import name_key
from movebook.plan import patient_of, why_not
from movebook.wording import catalogue_languages, translations, untranslated_strings

EXERCISE_SECTIONS = ("Set-up", "The movement", "What you should feel", "Common faults", "Stop if")

_TYPE_NAMES = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date as YYYY-MM-DD",
}


# Error kinds whose message is already `expected X, got Y`.
_OWN_MESSAGES = (
    "range",
    "budget",
    "unknown_id",
    "unsided",
    "date",
    "pattern",
    "dose",
    "criterion",
    "path",
    "kilograms",
    "stop_sign",
    "card_lines",
    "url",
)


@dataclass
class Report:
    """What validation found: the problems, the warnings, and how many of each thing it read."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # worth a look, never a failure
    profiles: int = 0
    exercises: int = 0
    education: int = 0


def validate(source: Source, shape: Any, context: Context | None, report: Report) -> Any:
    """Validate a source's data against a model or type; add problems to the report."""
    report.problems.extend(source.problems)
    if not source.ok:
        return None
    try:
        return _adapter(shape).validate_python(source.data, context=context)
    except ValidationError as error:
        report.problems.extend(_problems(source, error, shape))
        return None


@functools.cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


def _problems(source: Source, error: ValidationError, shape: Any) -> Iterable[Problem]:
    for detail in error.errors():
        loc = tuple(part for part in detail["loc"] if part != "[key]")
        kind = detail["type"]
        got = describe(detail.get("input"))
        if kind == "missing":
            message = "expected a value (required), got nothing"
        elif kind == "extra_forbidden":
            allowed = _fields_at(shape, loc[:-1])
            message = f"expected a known key, got {describe(loc[-1])}" + did_you_mean(
                str(loc[-1]), allowed
            )
        elif kind in _TYPE_NAMES:
            message = f"expected {_TYPE_NAMES[kind]}, got {got}"
        elif kind == "literal_error":
            expected = detail.get("ctx", {}).get("expected", "")
            choices = re.findall(r"'([^']*)'", expected)
            hint = (
                did_you_mean(detail["input"], choices) if isinstance(detail["input"], str) else ""
            )
            message = f"expected one of {expected}, got {got}{hint}"
        elif kind == "string_too_short":
            message = f"expected text, got {got}"
        elif kind == "too_short":
            minimum = detail.get("ctx", {}).get("min_length", 1)
            message = f"expected at least {minimum} entr{'y' if minimum == 1 else 'ies'}, got none"
        elif kind in _OWN_MESSAGES:
            message = detail["msg"]
        else:
            message = f"{detail['msg']}, got {got}"
        yield source.problem(loc, field_path(loc, source.data), message)


def _unwrap(shape: Any) -> Any:
    while True:
        origin = get_origin(shape)
        if origin is Annotated:
            shape = get_args(shape)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(shape) if arg is not type(None)]
            if len(members) != 1:
                return shape
            shape = members[0]
        else:
            return shape


def _fields_at(shape: Any, loc: Sequence[str | int]) -> list[str]:
    """The keys a mapping at `loc` accepts, for a "did you mean"."""
    for part in loc:
        shape = _unwrap(shape)
        if isinstance(shape, type) and issubclass(shape, BaseModel):
            info = shape.model_fields.get(str(part))
            if info is None:
                return []
            shape = info.annotation
        elif get_origin(shape) in (list, dict, tuple):
            shape = get_args(shape)[-1]
        else:
            return []
    shape = _unwrap(shape)
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        return list(shape.model_fields)
    return []


# --- the library -------------------------------------------------------------

_VOCABULARY_DEFS: dict[str, type[BaseModel]] = {
    "finding": FindingDef,
    "task": TaskDef,
    "precaution": PrecautionDef,
    "red_flag": RedFlagDef,
    "equipment": EquipmentDef,
    "position": PositionDef,
    "direction": DirectionDef,
}
_VOCABULARY_SHAPES: dict[str, Any] = {
    kind: dict[str, shape]  # type: ignore[valid-type]
    for kind, shape in _VOCABULARY_DEFS.items()
}


def _stem(source: Source) -> str:
    return PurePosixPath(source.path).stem


def _raw_ids(source: Source, key: str | None = None) -> frozenset[str] | None:
    """The ids a file declares, read from the raw data so a typo elsewhere in it
    does not turn every reference to it into an error too."""
    data = source.data
    if key is None and isinstance(data, dict):
        return frozenset(str(k) for k in data)
    if key is not None and isinstance(data, list):
        return frozenset(str(item[key]) for item in data if isinstance(item, dict) and key in item)
    return None


def build_context(raw: RawProject) -> Context:
    ids: dict[str, frozenset[str]] = {}
    for kind, source in raw.vocabulary.items():
        found = _raw_ids(source)
        if found is not None:
            ids[kind] = found
    for kind, source in (("block", raw.blocks), ("ritual", raw.rituals)):
        found = _raw_ids(source, "id")
        if found is not None:
            ids[kind] = found
    ids["exercise"] = frozenset(_stem(source) for source in raw.exercises)
    findings = raw.vocabulary["finding"].data
    sided = frozenset(
        str(key)
        for key, value in (findings.items() if isinstance(findings, dict) else ())
        if isinstance(value, dict) and value.get("sided") is True
    )
    return Context(ids=ids, sided_findings=sided)


def validate_library(raw: RawProject, context: Context, report: Report) -> Library | None:
    start = len(report.problems)
    vocabulary = {
        kind: validate(source, _VOCABULARY_SHAPES[kind], context, report)
        for kind, source in raw.vocabulary.items()
    }
    for source in raw.vocabulary.values():
        if isinstance(source.data, dict):
            _check_vocab_ids(source, report)
    blocks = validate(raw.blocks, list[Block], context, report)
    rituals = validate(raw.rituals, list[Ritual], context, report)
    phases = validate(raw.phases, list[PhaseDef], context, report)
    for source, items in ((raw.blocks, blocks), (raw.rituals, rituals)):
        _check_unique(source, [item.id for item in items or ()], "id", report)
    if phases is not None:
        numbers = [phase.number for phase in phases]
        wrong = next((i for i, n in enumerate(numbers) if n != i + 1), len(numbers))
        if numbers != [1, 2, 3, 4]:
            report.problems.append(
                raw.phases.problem(
                    (wrong, "number"),
                    "",
                    f"expected phases numbered 1, 2, 3, 4 in order, got {numbers}",
                )
            )

    positions: dict[str, PositionDef] = vocabulary["position"] or {}
    task_blocks = {block.id for block in blocks or () if block.rehearses_tasks}
    precautions: dict[str, PrecautionDef] | None = vocabulary["precaution"]
    held = (  # unknown while precautions.yaml has problems: no follow-on errors from it
        None
        if precautions is None
        else frozenset(p for d in precautions.values() for p in d.needs_support)
    )
    exercises = _validate_exercises(raw.exercises, context, positions, task_blocks, held, report)
    education = _validate_education(raw.education, context, report)
    report.exercises = len(raw.exercises)
    report.education = len(raw.education)
    if any(value is None for value in vocabulary.values()) or None in (blocks, rituals, phases):
        return None
    if exercises is None or education is None:
        return None
    english = Library(
        vocabulary=Vocabulary(
            findings=vocabulary["finding"],
            tasks=vocabulary["task"],
            precautions=vocabulary["precaution"],
            red_flags=vocabulary["red_flag"],
            equipment=vocabulary["equipment"],
            positions=vocabulary["position"],
            directions=vocabulary["direction"],
        ),
        blocks=tuple(blocks),
        phases=tuple(phases),
        rituals=tuple(rituals),
        exercises=exercises,
        education=education,
    )
    if len(report.problems) > start:  # the translations wait for a sound English library
        return english
    languages = sorted(set(raw.locales) | set(catalogue_languages()))
    before = len(report.problems)
    found = {
        language: _translation(
            raw.locales.get(language) or RawLocale(language, {}, None, None, None, [], []),
            english,
            report,
        )
        for language in languages
    }
    if len(report.problems) > before:
        return None
    return dataclasses.replace(english, translations=found)


def _check_vocab_ids(source: Source, report: Report) -> None:
    for key in source.data:
        if not (isinstance(key, str) and re.fullmatch(r"[a-z][a-z0-9_]*", key)):
            report.problems.append(
                source.problem(
                    (key,),
                    str(key),
                    "expected an id of lower-case letters, digits and underscores, "
                    f"got {describe(key)}",
                )
            )


def _check_unique(source: Source, ids: list[str], name: str, report: Report) -> None:
    seen: set[str] = set()
    for index, item_id in enumerate(ids):
        if item_id in seen:
            report.problems.append(
                source.problem(
                    (index, name),
                    f"[{index}].{name}",
                    f"expected a unique id, got {describe(item_id)} again",
                )
            )
        seen.add(item_id)


def _check_file_ids(sources: list[Source], what: str, report: Report) -> dict[str, Source]:
    """Ids are file stems: safe slugs, unique across folders."""
    first: dict[str, Source] = {}
    for source in sources:
        stem = _stem(source)
        if not SLUG.fullmatch(stem):
            report.problems.append(
                Problem(
                    source.path,
                    1,
                    "id",
                    "expected a file name of lower-case letters, digits and hyphens, "
                    f"got {describe(stem)}",
                )
            )
        if stem in first:
            report.problems.append(
                Problem(
                    source.path,
                    1,
                    "id",
                    f"expected a unique {what} id, got {stem!r} again (also {first[stem].path})",
                )
            )
        else:
            first[stem] = source
    return first


def _validate_exercises(
    sources: list[Source],
    context: Context,
    positions: dict[str, PositionDef],
    task_blocks: set[str],
    held: frozenset[str] | None,
    report: Report,
) -> dict[str, Exercise] | None:
    before = len(report.problems)
    by_id = _check_file_ids(sources, "exercise", report)
    exercises: dict[str, Exercise] = {}
    for source in sources:
        meta = validate(source, ExerciseMeta, context, report)
        if meta is None:
            continue
        _check_exercise(source, meta, positions, task_blocks, held, report)
        sections = _sections(source, EXERCISE_SECTIONS, report)
        exercises.setdefault(_stem(source), Exercise(_stem(source), source.path, meta, sections))
    cycles = _progression_cycles(exercises, by_id)
    report.problems.extend(cycles)
    if not cycles:  # a cycle already says which links to mend
        report.problems.extend(_inverted_links(exercises, by_id))
    report.problems.extend(_name_clashes(exercises, by_id))
    if len(report.problems) > before:
        return None
    return dict(sorted(exercises.items()))


def _check_exercise(
    source: Source,
    meta: ExerciseMeta,
    positions: dict[str, PositionDef],
    task_blocks: set[str],
    held: frozenset[str] | None,
    report: Report,
) -> None:
    def problem(loc: tuple[str | int, ...], message: str) -> None:
        report.problems.append(source.problem(loc, field_path(loc, source.data), message))

    phases = sorted(set(meta.phases))
    for phase in meta.dose:
        if phase not in phases:
            listed = ", ".join(map(str, phases))
            problem(
                ("dose", phase), f"expected one of the exercise's phases ({listed}), got {phase}"
            )
    if phases[0] not in meta.dose:
        problem(("dose",), f"expected a dose for phase {phases[0]}, its first phase, got none")
    loaded = [phase for phase, dose in sorted(meta.dose.items()) if dose.load]
    for phase, dose in sorted(meta.dose.items()):
        if loaded and not dose.load:
            problem(
                ("dose", phase),
                f"expected a load, as phase {loaded[0]}'s dose gives one, got none",
            )
        if meta.carry and dose.hold_s is None:
            problem(("dose", phase), "expected hold_s, the seconds of each carry, got none")
    position = positions.get(meta.position)
    if position is not None and position.floor and "mat" not in meta.equipment:
        problem(
            ("equipment",), f"expected 'mat' for the floor position {meta.position!r}, got none"
        )
    if meta.block in task_blocks and not meta.tasks:
        problem(("tasks",), f"expected at least one goal task for a {meta.block} drill, got none")
    for name in ("regresses_to", "progresses_to"):
        if getattr(meta, name) == _stem(source):
            problem((name,), f"expected another exercise, got {_stem(source)!r} itself")
    for index, task in enumerate(meta.only_for_tasks):
        if task not in meta.tasks:
            problem(
                ("only_for_tasks", index),
                f"expected a task the exercise rehearses (under tasks), got {task!r}",
            )
    for name in meta.contraindicated_before_phase:
        if name in meta.contraindications:
            problem(
                ("contraindicated_before_phase", name),
                f"expected a finding or precaution not also under contraindications, got {name!r}",
            )
    if meta.marked_side_only and not meta.unilateral:
        problem(("unilateral",), "expected true for a marked_side_only drill, got false")
    if meta.side_cue is not None and not meta.unilateral:
        problem(("unilateral",), "expected true for a drill with a side_cue, got false")
    figures: list[tuple[tuple[str, ...], Figure | None]] = [(("figure",), meta.figure)]
    if meta.supported is not None:
        if held is not None and meta.position not in held:
            where = " or ".join(sorted(held))
            problem(
                ("supported",),
                f"expected an exercise in {where} (where a precaution needs support), "
                f"got one in {meta.position}"
                if held
                else f"expected a precaution with needs_support: [{meta.position}], got none",
            )
        figures.append((("supported", "figure"), meta.supported.figure))
        if meta.supported.load is not None and not any(d.load for d in meta.dose.values()):
            problem(
                ("supported", "load"),
                "expected a dose with a load for it to replace, got a dose without one",
            )
    for at, figure in figures:
        if figure is None:
            continue
        if figure.side is not None and not meta.unilateral:
            problem((*at, "side"), "expected no side for an exercise done on both sides, got "
                    f"{figure.side!r}")  # fmt: skip
        for found in figure_problems(figure):
            problem((*at, *found.loc[1:]), found.message)


def _sections(source: Source, required: Sequence[str], report: Report) -> dict[str, str]:
    """Split a Markdown body at its `## ` headings; check they are the required ones, in order."""
    found: list[tuple[str, int]] = []
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for number, text in enumerate(source.body.splitlines(), start=source.body_line):
        if text.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(lines).strip()
            current, lines = text[3:].strip(), []
            found.append((current, number))
        elif current is not None:
            lines.append(text)
    if current is not None:
        sections[current] = "\n".join(lines).strip()

    for heading, number in found:
        if heading not in required:
            report.problems.append(
                Problem(
                    source.path,
                    number,
                    "body",
                    f"expected a section heading from {', '.join(required)}, "
                    f"got {describe(heading)}" + did_you_mean(heading, required),
                )
            )
    headings = [heading for heading, _ in found if heading in required]
    missing = [heading for heading in required if heading not in headings]
    if missing:
        report.problems.append(
            Problem(
                source.path,
                source.body_line,
                "body",
                f"expected a '## {missing[0]}' section, got none",
            )
        )
    elif headings != list(required):
        report.problems.append(
            Problem(
                source.path,
                source.body_line,
                "body",
                f"expected sections in the order {', '.join(required)}, got {', '.join(headings)}",
            )
        )
    for heading, number in found:
        if heading in required and not sections.get(heading):
            report.problems.append(
                Problem(
                    source.path, number, "body", f"expected text under '## {heading}', got none"
                )
            )
    return sections


def _progression_cycles(
    exercises: dict[str, Exercise], sources: dict[str, Source]
) -> list[Problem]:
    """Links say which exercise is harder; following them must never come back round."""
    harder: dict[str, set[str]] = {name: set() for name in exercises}
    for name, exercise in exercises.items():
        if exercise.meta.progresses_to in harder:
            harder[name].add(exercise.meta.progresses_to)
        if exercise.meta.regresses_to in harder:
            harder[exercise.meta.regresses_to].add(name)
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    reported: set[frozenset[str]] = set()

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in sorted(harder[name]):
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                members = frozenset(cycle)
                if members not in reported and name != nxt:
                    reported.add(members)
                    problems.append(
                        sources[cycle[0]].problem(
                            ("progresses_to",),
                            "progresses_to",
                            "expected links that lead from easier to harder, got a cycle: "
                            + " -> ".join(cycle),
                        )
                    )
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in sorted(harder):
        if name not in state:
            visit(name, [name])
    return problems


def _inverted_links(exercises: dict[str, Exercise], sources: dict[str, Source]) -> list[Problem]:
    """An easier version is there from the harder one's first phase: a step back that starts
    later, or a next step that starts earlier, says the link points the wrong way (stair
    practice, phase 1 with the rail, stepping "back" to the step-up of phase 2)."""
    problems: list[Problem] = []
    for name in sorted(exercises):
        meta = exercises[name].meta
        first = min(meta.phases)
        for link, other in (
            ("regresses_to", meta.regresses_to),
            ("progresses_to", meta.progresses_to),
        ):
            if other not in exercises:
                continue
            start = min(exercises[other].meta.phases)
            easier = link == "regresses_to"
            if (start > first) if easier else (start < first):
                kind = "an easier" if easier else "a harder"
                bound = "or earlier" if easier else "or later"
                problems.append(
                    sources[name].problem(
                        (link,),
                        link,
                        f"expected {kind} exercise used from phase {first} (as {name} is) "
                        f"{bound}, got {other!r}, used from phase {start}",
                    )
                )
    return problems


def _name_clashes(exercises: dict[str, Exercise], sources: dict[str, Source]) -> list[Problem]:
    """A clinician's note names an exercise by its title or an `also_called` name, so no two
    exercises may share one (case, hyphens and a plural aside)."""
    owner: dict[str, str] = {}
    for name in sorted(exercises):
        meta = exercises[name].meta
        for title in (meta.title, name):
            owner.setdefault(name_key(title), name)
    problems: list[Problem] = []
    for name in sorted(exercises):
        for index, called in enumerate(exercises[name].meta.also_called):
            other = owner.setdefault(name_key(called), name)
            if other != name:
                loc = ("also_called", index)
                problems.append(
                    sources[name].problem(
                        loc,
                        field_path(loc, sources[name].data),
                        f"expected a name no other exercise has, got {describe(called)} "
                        f"(also a name of {other})",
                    )
                )
    return problems


def _validate_education(
    sources: list[Source], context: Context, report: Report
) -> dict[str, EducationPage] | None:
    before = len(report.problems)
    _check_file_ids(sources, "education page", report)
    pages: dict[str, EducationPage] = {}
    for source in sources:
        meta = validate(source, EducationMeta, context, report)
        if meta is None:
            continue
        if not source.body.strip():
            report.problems.append(
                Problem(source.path, source.body_line, "body", "expected text, got none")
            )
        pages.setdefault(
            _stem(source), EducationPage(_stem(source), source.path, meta, source.body)
        )
    if len(report.problems) > before:
        return None
    return dict(sorted(pages.items(), key=lambda item: (item[1].meta.order, item[0])))


# --- translations ------------------------------------------------------------
# content/locale/<language>/ mirrors content/ and holds only words: the English file stays the
# source of ids, doses and tags. A missing file or field is English, listed as untranslated.

# The vocabulary fields a patient reads, by kind: the only ones worth translating.
PATIENT_WORDS = {
    "finding": ("patient", "replaces_stop_sign", "stop_sign"),
    "task": ("label",),
    "precaution": ("patient", "patient_with_limit", "card_lines"),
    "red_flag": ("patient", "action"),
}
_BLOCK_WORDS = ("name", "purpose")
_RITUAL_WORDS = ("name", "when", "purpose")


def _given(words: Any, names: Sequence[str]) -> dict[str, Any]:
    """The fields among `names` a translation gives, for a model_copy of the English."""
    return {name: value for name in names if (value := getattr(words, name)) is not None}


def section_headings(language: str) -> tuple[str, ...]:
    """An exercise's five headings as a translation writes them: the catalogue's words."""
    return tuple(translations(language).gettext(heading) for heading in EXERCISE_SECTIONS)


@dataclass
class _Translating:
    """One language's translation files checked against the English library."""

    locale: RawLocale
    english: Library
    report: Report
    untranslated: list[str] = field(default_factory=list)
    files_missing: dict[str, int] = field(default_factory=dict)  # exercises, education: how many

    @property
    def others(self) -> dict[str, Source]:
        """The translation's YAML files, by the English file they translate."""
        locale = self.locale
        files = {VOCABULARY[kind]: source for kind, source in locale.vocabulary.items()}
        for rel, source in (
            (BLOCKS_FILE, locale.blocks),
            (PHASES_FILE, locale.phases),
            (RITUALS_FILE, locale.rituals),
        ):
            if source is not None:
                files[rel] = source
        return files

    @property
    def language(self) -> str:
        return self.locale.language

    def problem(self, source: Source, loc: tuple[str | int, ...], message: str) -> None:
        self.report.problems.append(source.problem(loc, field_path(loc, source.data), message))

    def words(self, source: Source, shape: Any, allowed: dict[Any, Sequence[str]]) -> Any:
        """The file's words as `shape`; each key that is not a word field is a problem. `allowed`
        gives the word fields of each mapping, by its place (an id or index) or () for the top."""
        self.report.problems.extend(source.problems)
        if not source.ok:
            return None
        data = source.data

        def keep(mapping: Any, loc: tuple[str | int, ...], fields: Sequence[str]) -> Any:
            if not isinstance(mapping, dict):
                return mapping
            kept = {}
            for key, value in mapping.items():
                if key in fields:
                    kept[key] = value
                else:
                    got = f"got {describe(key)}"
                    self.problem(
                        source, (*loc, key), f"expected a word field ({', '.join(fields)}), {got}"
                    )
            return kept

        if () in allowed:
            data = keep(data, (), allowed[()])
        elif isinstance(data, dict):
            data = {k: keep(v, (k,), allowed[k]) if k in allowed else v for k, v in data.items()}
        elif isinstance(data, list):
            data = [keep(v, (i,), allowed[i]) if i in allowed else v for i, v in enumerate(data)]
        return validate(Source(source.path, data, source.lines), shape, None, self.report)

    def missing(self, rel: str, given: Any, fields: Sequence[str], english: Any) -> None:
        """List the fields a translation leaves out that the English has."""
        for name in fields:
            if getattr(given, name, None) is None and getattr(english, name, None):
                self.untranslated.append(f"{rel}: {name}")

    def unknown(
        self, source: Source, loc: tuple[str | int, ...], got: str, known: Sequence[str], what: str
    ) -> None:
        if got not in known:
            message = f"expected {what}, got {describe(got)}" + did_you_mean(got, known)
            self.problem(source, loc, message)

    # --- exercises and education pages ------------------------------------------

    def by_path(
        self, sources: list[Source], english: Mapping[str, Any], what: str
    ) -> dict[str, Source]:
        """Each translation file by the English file it translates; a file none is English for
        is a problem (a `.yml` or `.markdown` lookalike says so already)."""
        found: dict[str, Source] = {}
        prefix = f"{LOCALE_DIR}/{self.language}/"
        for source in sources:
            rel = "content/" + source.path.removeprefix(prefix)
            if rel in english:
                found[rel] = source
                continue
            self.report.problems.extend(source.problems)
            if source.data is None and source.problems:
                continue
            shown = [name.removeprefix("content/") for name in english]
            self.report.problems.append(
                Problem(
                    source.path,
                    1,
                    "",
                    f"expected the path of {what} under content/, got "
                    f"{describe(rel.removeprefix('content/'))}"
                    + did_you_mean(rel.removeprefix("content/"), shown),
                )
            )
        return found

    def exercises(self) -> dict[str, Exercise]:
        english = {e.source: e for e in self.english.exercises.values()}
        given = self.by_path(self.locale.exercises, english, "an English exercise")
        headings = section_headings(self.language)
        result: dict[str, Exercise] = {}
        for rel, exercise in english.items():
            source = given.get(rel)
            if source is None:
                self.untranslated.append(locale_path(self.language, rel))
                self.files_missing["exercises"] = self.files_missing.get("exercises", 0) + 1
                result[exercise.id] = exercise
                continue
            words: ExerciseWords | None = self.words(
                source, ExerciseWords, {(): list(ExerciseWords.model_fields)}
            )
            sections = _sections(source, headings, self.report) if source.ok else {}
            if words is None:
                continue
            result[exercise.id] = self.exercise(
                source,
                exercise,
                words,
                dict(zip(headings, EXERCISE_SECTIONS, strict=True)),
                sections,
            )
        return result

    def exercise(
        self,
        source: Source,
        exercise: Exercise,
        words: ExerciseWords,
        keys: dict[str, str],
        sections: dict[str, str],
    ) -> Exercise:
        meta = exercise.meta
        steps = meta.micro_steps
        if words.micro_steps is not None and len(words.micro_steps) != len(steps):
            self.problem(
                source,
                ("micro_steps",),
                f"expected {len(steps)} steps, as in {exercise.source}, "
                f"got {len(words.micro_steps)}",
            )
        elif words.micro_steps is not None:
            steps = [
                MicroStep(dimension=old.dimension, step=new)
                for old, new in zip(steps, words.micro_steps, strict=True)
            ]
        figure = meta.figure
        if words.figure_alt is not None and figure is None:
            self.problem(
                source,
                ("figure_alt",),
                f"expected no figure_alt ({exercise.source} has no figure), "
                f"got {describe(words.figure_alt)}",
            )
        elif words.figure_alt is not None and figure is not None:
            figure = figure.model_copy(update={"alt": words.figure_alt})
        loads = {phase: dose.load for phase, dose in sorted(meta.dose.items()) if dose.load}
        dose = meta.dose
        if words.load is not None and sorted(words.load) != list(loads):
            listed = ", ".join(map(str, loads)) or "none"
            self.problem(
                source,
                ("load",),
                f"expected a load for each phase whose dose gives one in {exercise.source} "
                f"({listed}), got {', '.join(map(str, sorted(words.load))) or 'none'}",
            )
        elif words.load is not None:
            dose = {
                phase: given.model_copy(update={"load": words.load[phase]})
                if phase in words.load
                else given
                for phase, given in meta.dose.items()
            }
        english_supported = (
            None
            if meta.supported is None
            else SupportedWords(
                hold=meta.supported.hold,
                set_up=meta.supported.set_up,
                figure_alt=meta.supported.figure.alt if meta.supported.figure else None,
                load=meta.supported.load,
            )
        )
        english_words = ExerciseWords(
            title=meta.title,
            summary=meta.summary,
            breathing=meta.breathing,
            micro_steps=[step.step for step in meta.micro_steps] or None,
            figure_alt=meta.figure.alt if meta.figure else None,
            load=loads or None,
            side_cue=meta.side_cue,
            supported=english_supported,
        )
        self.missing(source.path, words, list(ExerciseWords.model_fields), english_words)
        for name in ("side_cue", "supported"):
            if getattr(words, name) is not None and getattr(meta, name) is None:
                self.problem(
                    source, (name,), f"expected no {name} ({exercise.source} has none), got one"
                )
        supported = meta.supported
        if words.supported is not None and supported is not None:
            given = words.supported
            for name in ("set_up", "figure_alt", "load"):
                if getattr(given, name) is not None and not getattr(english_supported, name):
                    self.problem(
                        source,
                        ("supported", name),
                        f"expected no {name} ({exercise.source} has none under supported), got one",
                    )
            self.missing(
                f"{source.path}: supported",
                given,
                list(SupportedWords.model_fields),
                english_supported,
            )
            alt = {"alt": given.figure_alt} if given.figure_alt else {}
            supported = supported.model_copy(
                update={
                    **_given(given, ("hold", "set_up", "load")),
                    "figure": supported.figure.model_copy(update=alt) if supported.figure else None,
                }
            )
        update = {**_given(words, ("title", "summary", "breathing")), "micro_steps": steps}
        if meta.side_cue is not None and words.side_cue is not None:
            update["side_cue"] = words.side_cue
        translated = meta.model_copy(
            update={**update, "figure": figure, "supported": supported, "dose": dose}
        )
        body = {keys[heading]: text for heading, text in sections.items() if heading in keys}
        return dataclasses.replace(exercise, meta=translated, sections=body or exercise.sections)

    def education(self) -> dict[str, EducationPage]:
        english = {p.source: p for p in self.english.education.values()}
        given = self.by_path(self.locale.education, english, "an English education page")
        result: dict[str, EducationPage] = {}
        for rel, page in english.items():
            source = given.get(rel)
            if source is None:
                self.untranslated.append(locale_path(self.language, rel))
                self.files_missing["education"] = self.files_missing.get("education", 0) + 1
                result[page.id] = page
                continue
            words: EducationWords | None = self.words(
                source, EducationWords, {(): list(EducationWords.model_fields)}
            )
            if source.ok and not source.body.strip():
                self.report.problems.append(
                    Problem(source.path, source.body_line, "body", "expected text, got none")
                )
            if words is None:
                continue
            self.missing(source.path, words, list(EducationWords.model_fields), page.meta)
            meta = page.meta.model_copy(update=_given(words, ("title", "summary")))
            result[page.id] = dataclasses.replace(page, meta=meta, body=source.body or page.body)
        return result

    # --- vocabulary, blocks, rituals, phases ------------------------------------

    def by_id(
        self,
        rel: str,
        english: Mapping[str, Any],
        shape: Any,
        allowed: Sequence[str],
        counted: Sequence[str],
    ) -> dict[str, Any]:
        """An `<id>: {field: words}` file (`rel` is the English one): the English items with the
        words it gives. A field in `counted` the English has and the file lacks is untranslated."""
        source = self.others.get(rel)
        if source is None:
            if any(getattr(item, name, None) for item in english.values() for name in counted):
                self.untranslated.append(locale_path(self.language, rel))
            return dict(english)
        data = source.data if isinstance(source.data, dict) else {}
        words = self.words(source, dict[str, shape], {key: allowed for key in data}) or {}
        for key in data:
            self.unknown(source, (key,), str(key), list(english), f"an id of {rel}")
        result = dict(english)
        for key, item in english.items():
            given = words.get(key)
            if given is None:
                if key not in data and any(getattr(item, name, None) for name in counted):
                    self.untranslated.append(f"{source.path}: {key}")
                continue
            self.missing(f"{source.path}: {key}", given, counted, item)
            result[key] = item.model_copy(update=_given(given, allowed))
        return result

    def vocabulary(self) -> Vocabulary:
        english = self.english.vocabulary
        found = {}
        for kind, rel in VOCABULARY.items():
            defined = _VOCABULARY_DEFS[kind].model_fields
            allowed = [name for name in VocabularyWords.model_fields if name in defined]
            name = _VOCABULARY_FIELDS[kind]
            found[name] = self.by_id(
                rel, getattr(english, name), VocabularyWords, allowed, PATIENT_WORDS.get(kind, ())
            )
        return Vocabulary(**found)

    def listed(
        self, rel: str, items: Sequence[Any], shape: Any, fields: Sequence[str]
    ) -> tuple[Any, ...]:
        """Blocks or rituals: a list in English, a mapping by id in a translation."""
        by_id = self.by_id(rel, {item.id: item for item in items}, shape, fields, fields)
        return tuple(by_id[item.id] for item in items)

    def phases(self) -> tuple[PhaseDef, ...]:
        english = self.english.phases
        source = self.others.get(PHASES_FILE)
        if source is None:
            self.untranslated.append(locale_path(self.language, PHASES_FILE))
            return english
        data = source.data if isinstance(source.data, list) else []
        fields = list(PhaseWords.model_fields)
        words: list[PhaseWords] = (
            self.words(source, list[PhaseWords], dict.fromkeys(range(len(data)), fields)) or []
        )
        if source.ok and len(data) != len(english):
            self.problem(
                source, (), f"expected {len(english)} phases, as in {PHASES_FILE}, got {len(data)}"
            )
        result = []
        for index, phase in enumerate(english):
            given = words[index] if index < len(words) else None
            if given is None:
                result.append(phase)
                continue
            if given.number != phase.number:
                self.problem(
                    source,
                    (index, "number"),
                    f"expected {phase.number} (the phase in this place in {PHASES_FILE}), "
                    f"got {given.number}",
                )
            criteria = phase.exit_criteria
            if given.exit_criteria is not None and len(given.exit_criteria) != len(criteria):
                self.problem(
                    source,
                    (index, "exit_criteria"),
                    f"expected {len(criteria)} exit criteria, as phase {phase.number} "
                    f"in {PHASES_FILE}, got {len(given.exit_criteria)}",
                )
            elif given.exit_criteria is not None:
                criteria = [
                    c.model_copy(update={"text": text})
                    for c, text in zip(criteria, given.exit_criteria, strict=True)
                ]
            self.missing(
                f"{source.path}: phase {phase.number}",
                given,
                ("name", "aim", "exit_criteria"),
                PhaseWords(
                    number=phase.number,
                    name=phase.name,
                    aim=phase.aim,
                    exit_criteria=[c.text for c in phase.exit_criteria] or None,
                ),
            )
            update = {**_given(given, ("name", "aim")), "exit_criteria": criteria}
            result.append(phase.model_copy(update=update))
        return tuple(result)

    def library(self) -> Library:
        english = self.english
        return dataclasses.replace(
            english,
            language=self.language,
            vocabulary=self.vocabulary(),
            blocks=self.listed(BLOCKS_FILE, english.blocks, BlockWords, _BLOCK_WORDS),
            phases=self.phases(),
            rituals=self.listed(RITUALS_FILE, english.rituals, RitualWords, _RITUAL_WORDS),
            exercises=self.exercises(),
            education=self.education(),
        )


_VOCABULARY_FIELDS = {
    "finding": "findings",
    "task": "tasks",
    "precaution": "precautions",
    "red_flag": "red_flags",
    "equipment": "equipment",
    "position": "positions",
    "direction": "directions",
}


def _translation(locale: RawLocale, english: Library, report: Report) -> Translation:
    """One language's view of the library, every file of it checked against the English."""
    translating = _Translating(locale, english, report)
    library = translating.library()
    missing = translating.files_missing
    return Translation(
        language=locale.language,
        library=library,
        untranslated=tuple(sorted(translating.untranslated)),
        exercises=(missing.get("exercises", 0), len(english.exercises)),
        education=(missing.get("education", 0), len(english.education)),
        strings=untranslated_strings(locale.language),
    )


# --- profiles and config -----------------------------------------------------

LOGO_MAX_BYTES = 1_000_000
LOGO_MAX_PIXELS = 4096  # on either side: a logo is printed 70 mm wide at most
SVG_ROOT = "{http://www.w3.org/2000/svg}svg"
_NOT_AN_IMAGE = "expected {kind} image data (as the extension says), got {got}"


def logo_problem(root: Path, logo: str) -> str | None:
    """Why the logo cannot be published, or None. It is copied onto the site as it is, so
    it must really be an image file inside the project, also once links are followed."""
    got = describe(logo)
    project = root.resolve()
    try:
        path = (root / logo).resolve(strict=True)
    except FileNotFoundError:
        return f"expected an existing image file, got {got} (no such file)"
    except (OSError, RuntimeError) as error:  # RuntimeError: a loop, before Python 3.13
        looped = isinstance(error, RuntimeError) or error.errno == errno.ELOOP
        reason = "a loop of links" if looped else getattr(error, "strerror", None) or error
        return f"expected a readable image file, got {got} ({reason})"
    if not path.is_relative_to(project):
        return f"expected a file inside the project, got {got} (a link to a file outside it)"
    if any(part.startswith(".") for part in path.relative_to(project).parts):
        return f"expected a file that is not hidden, got {got} (a link to a hidden file)"
    if path.is_dir():
        return f"expected an image file, got {got} (a folder)"
    if not path.is_file():
        return f"expected an image file, got {got} (not a regular file)"
    try:
        size = path.stat().st_size
        if size > LOGO_MAX_BYTES:
            most = f"{LOGO_MAX_BYTES / 1e6:g} MB"
            return f"expected an image of at most {most}, got {got} ({size / 1e6:.1f} MB)"
        data = path.read_bytes()
    except OSError as error:
        return f"expected a readable image file, got {got} ({error.strerror})"
    kind = IMAGE_FORMATS[PurePosixPath(logo).suffix.lower()]
    if kind == "SVG":
        return _svg_problem(data, got)
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # a decompression bomb warning: refused just below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return f"{_NOT_AN_IMAGE.format(kind=kind, got=got)}, which has other content"
    if max(width, height) > LOGO_MAX_PIXELS:
        return (
            f"expected an image at most {LOGO_MAX_PIXELS} pixels on each side, "
            f"got {got} ({width} x {height})"
        )
    return None


def _svg_problem(data: bytes, got: str) -> str | None:
    """An SVG is a document: it must be one, and carry nothing that runs if it is opened."""
    wrong = _NOT_AN_IMAGE.format(kind="SVG", got=got)
    if b"<!ENTITY" in data:
        return f"{wrong}, which declares XML entities"
    try:
        svg = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return f"{wrong}, which is not XML"
    if svg.tag != SVG_ROOT:
        return f"{wrong}, which has other content"
    for element in svg.iter():
        handlers = [name for name in element.attrib if name.rsplit("}", 1)[-1].startswith("on")]
        scripted = any(
            value.strip().lower().startswith("javascript:") for value in element.attrib.values()
        )
        if element.tag.rsplit("}", 1)[-1] == "script" or handlers or scripted:
            return f"expected an SVG image without scripts, got {got}, which has one"
    return None


def _check_config(source: Source, config: Config, root: Path, report: Report) -> None:
    if config.clinic.logo is not None:
        problem = logo_problem(root, config.clinic.logo)
        if problem:
            report.problems.append(source.problem(("clinic", "logo"), "clinic.logo", problem))


def validate_profile(source: Source, context: Context, report: Report) -> Profile | None:
    before = len(report.problems)
    profile: Profile | None = validate(source, Profile, context, report)
    if profile is None:
        return None

    def problem(loc: tuple[str | int, ...], message: str) -> None:
        report.problems.append(source.problem(loc, field_path(loc, source.data), message))

    stem = _stem(source)
    if profile.id != stem:
        problem(("id",), f"expected {stem!r} (the file name), got {describe(profile.id)}")
    for index in range(1, len(profile.assessments)):
        previous, current = profile.assessments[index - 1].date, profile.assessments[index].date
        if current <= previous:
            problem(
                ("assessments", index, "date"),
                f"expected a date after {previous.isoformat()} (the assessment before), "
                f"got {current.isoformat()}",
            )
    for index, assessment in enumerate(profile.assessments):
        seen: set[str] = set()
        for number, finding in enumerate(assessment.signature.findings):
            if finding.id in seen:
                problem(
                    ("assessments", index, "signature", "findings", number),
                    f"expected each finding once, got {finding.id!r} again",
                )
            seen.add(finding.id)
        overrides = assessment.overrides
        for number, exercise in enumerate(overrides.include):
            if exercise in overrides.exclude:
                problem(
                    ("assessments", index, "overrides", "include", number),
                    f"expected an exercise not also excluded, got {exercise!r} in both",
                )
    return profile if len(report.problems) == before else None


def _check_includes(
    source: Source,
    profile: Profile,
    library: Library,
    default_equipment: Sequence[str],
    report: Report,
) -> None:
    """A clinician's `include` never beats a contraindication, the phase, or a red flag."""
    last = len(profile.assessments) - 1
    for index, assessment in enumerate(profile.assessments):
        patient = patient_of(profile, library, default_equipment, at=index)
        for number, name in enumerate(assessment.overrides.include):
            loc = ("assessments", index, "overrides", "include", number)
            why = why_not(library.exercises[name], patient, library)
            if index == last and profile.red_flags and not why:
                why = "red flags block the exercise plan"
            if why:
                report.problems.append(
                    source.problem(
                        loc,
                        field_path(loc, source.data),
                        f"expected an exercise this patient may do, got {name!r}: {why}",
                    )
                )


def validate_project(
    raw: RawProject,
) -> tuple[Config | None, Library | None, dict[str, Profile], Report]:
    """Validate everything; return what validated and the report of problems."""
    report = Report()
    context = build_context(raw)
    config = validate_config(raw, context, report)
    library = validate_library(raw, context, report)
    profiles = validate_profiles(raw.profiles, context, config, library, report)
    report.problems.sort()
    return config, library, profiles, report


def validate_config(raw: RawProject, context: Context, report: Report) -> Config | None:
    """The project's settings, movebook.yaml."""
    config: Config | None = validate(raw.config, Config, context, report)
    if config is not None:
        _check_config(raw.config, config, raw.root, report)
    return config


def validate_profiles(
    sources: Sequence[Source],
    context: Context,
    config: Config | None,
    library: Library | None,
    report: Report,
) -> dict[str, Profile]:
    """Validate profiles against a project's validated settings and library (a build
    validates only the profiles it has to: the others are as they were when last built)."""
    profiles: dict[str, Profile] = {}
    for source in sources:
        profile = validate_profile(source, context, report)
        if profile is not None:
            profiles[profile.id] = profile
    report.profiles += len(sources)
    if library is not None and config is not None:
        for source in sources:
            profile = profiles.get(_stem(source))
            if profile is not None:
                _check_includes(source, profile, library, config.defaults.equipment, report)
                _check_load_limit(source, profile, library, report)
    return profiles


def _check_load_limit(source: Source, profile: Profile, library: Library, report: Report) -> None:
    """A warning, not an error: without the clinician's limit the patient reads the line
    that names no weight, which is safe but vague."""
    if profile.load_limit_kg is not None:
        return
    precautions = library.vocabulary.precautions
    for number, name in enumerate(profile.precautions):
        if name in precautions and precautions[name].needs_limit:
            loc = ("precautions", number)
            report.warnings.append(
                source.problem(
                    loc,
                    field_path(loc, source.data),
                    f"{name} needs load_limit_kg (the most you want lifted or carried), got "
                    "none: the Take care line names no weight",
                )
            )
