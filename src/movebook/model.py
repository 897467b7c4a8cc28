"""The validated shapes of what users write: profiles, the exercise library, movebook.yaml.

Field types carry their own checks (ranges, known vocabulary ids), so one
validation pass reports every problem at its exact location. Checks that need
the project's vocabulary read it from the validation context (`Context`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from movebook.errors import describe, did_you_mean
from movebook.site import PASSPHRASE_MIN_LENGTH

# Vocabulary kinds a field can refer to, and how error messages name them.
KIND_NAMES = {
    "finding": "a known finding",
    "task": "a known goal task",
    "precaution": "a known precaution",
    "red_flag": "a known red flag",
    "equipment": "known equipment",
    "position": "a known position",
    "direction": "a known directional preference",
    "block": "a known session block",
    "ritual": "a known ritual",
    "exercise": "an exercise in the library",
    "contraindication": "a known finding or precaution",
}


@dataclass(frozen=True)
class Context:
    """What validation checks ids against: the ids of each vocabulary kind.

    A kind that is missing (its file failed to load) is not checked, so one
    broken vocabulary file does not bury the report under follow-on errors.
    """

    ids: Mapping[str, frozenset[str]] = field(default_factory=dict)
    sided_findings: frozenset[str] = frozenset()


def _context(info: ValidationInfo) -> Context | None:
    context = info.context
    return context if isinstance(context, Context) else None


@dataclass(frozen=True)
class Known:
    """Annotated marker: the string must be an id of a vocabulary kind."""

    kind: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["x-movebook-vocabulary"] = self.kind
        return json_schema

    def _check(self, value: str, info: ValidationInfo) -> str:
        context = _context(info)
        if context is None:
            return value
        if self.kind == "contraindication":
            choices = context.ids.get("finding", frozenset()) | context.ids.get(
                "precaution", frozenset()
            )
            checked = "finding" in context.ids and "precaution" in context.ids
        else:
            choices = context.ids.get(self.kind, frozenset())
            checked = self.kind in context.ids
        if checked and value not in choices:
            raise PydanticCustomError(
                "unknown_id",
                "expected {expected}, got {got}{hint}",
                {
                    "expected": KIND_NAMES[self.kind],
                    "got": describe(value),
                    "hint": did_you_mean(value, choices),
                },
            )
        return value


@dataclass(frozen=True)
class Range:
    """Annotated marker: a number from `low` to `high` (inclusive; `high` may be open)."""

    low: float
    high: float | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["minimum"] = self.low
        if self.high is not None:
            json_schema["maximum"] = self.high
        return json_schema

    def _check(self, value: float) -> float:
        if value < self.low or (self.high is not None and value > self.high):
            expected = (
                f"{self.low:g} or more" if self.high is None else f"{self.low:g}-{self.high:g}"
            )
            raise PydanticCustomError(
                "range", "expected {expected}, got {got}", {"expected": expected, "got": value}
            )
        return value


SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
VOCAB_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _matching(pattern: re.Pattern[str], what: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, str) and not pattern.fullmatch(value):
            raise PydanticCustomError(
                "pattern", "expected {what}, got {got}", {"what": what, "got": describe(value)}
            )
        return value

    return BeforeValidator(check)


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise PydanticCustomError(
                "date", "expected a date as YYYY-MM-DD, got {got}", {"got": describe(value)}
            )
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "date", "expected a real calendar date, got {got}", {"got": describe(value)}
            ) from None
    if isinstance(value, dt.date):
        return value
    raise PydanticCustomError(
        "date", "expected a date as YYYY-MM-DD, got {got}", {"got": describe(value)}
    )


# The image types a logo may be, by extension, as Pillow names their formats.
IMAGE_FORMATS = {
    ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP", ".svg": "SVG",
}  # fmt: skip


def _image_path(value: Any) -> Any:
    """A logo names a file inside the project, never a hidden one (`.movebook-secret`): it is
    published on the site. Whether the file exists and is an image is validate's job."""
    if not isinstance(value, str):
        return value
    path = PurePosixPath(value)
    if not value or path.is_absolute() or ".." in path.parts or value.startswith("~"):
        raise PydanticCustomError(
            "path",
            "expected a path inside the project, relative to movebook.yaml, got {got}",
            {"got": describe(value)},
        )
    if any(part.startswith(".") for part in path.parts):
        raise PydanticCustomError(
            "path",
            "expected a file that is not hidden (no name starting with '.'), got {got}",
            {"got": describe(value)},
        )
    if path.suffix.lower() not in IMAGE_FORMATS:
        raise PydanticCustomError(
            "path",
            "expected a .png, .jpg, .jpeg, .gif, .webp or .svg image, got {got}",
            {"got": describe(value)},
        )
    return value


URL_CHARACTERS = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+")  # RFC 3986's, no others
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}  # where a test site may be served over http
HOST_AND_PORT = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])"
    r"(?::[0-9]{1,5})?",
    re.IGNORECASE,
)


def _site_url(value: Any) -> Any:
    """The address the site is published at goes into every QR code and `movebook links`:
    an https:// address with a host and nothing that could smuggle in more."""
    if not isinstance(value, str):
        return value

    def wrong(expected: str, got: str | None = None) -> PydanticCustomError:
        return PydanticCustomError(
            "url",
            "expected {expected}, got {got}",
            {"expected": expected, "got": got or describe(value)},
        )

    if not URL_CHARACTERS.fullmatch(value):
        raise wrong("a web address (no spaces, quotes, control or non-ASCII characters)")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise wrong("an address with a host name, like https://booklets.example.org/") from None
    if parts.scheme not in ("https", "http"):
        raise wrong("an https:// address")
    if "?" in value or "#" in value:
        raise wrong("an address without a query (?) or fragment (#)")
    if "@" in parts.netloc:
        raise wrong("an address without a user name or password", "one with them")
    if not value.lower().startswith(parts.scheme + "://") or not HOST_AND_PORT.fullmatch(
        parts.netloc
    ):
        raise wrong("an address with a host name, like https://booklets.example.org/")
    try:
        parts.port  # noqa: B018 (raises for a port out of range)
    except ValueError:
        raise wrong("an address with a port number up to 65535") from None
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise wrong("an https:// address (http:// only for localhost)")
    return value


Slug = Annotated[str, _matching(SLUG, "a safe id (lower-case letters, digits and single hyphens)")]
VocabId = Annotated[str, _matching(VOCAB_ID, "an id of lower-case letters, digits and underscores")]
Text = Annotated[str, Field(min_length=1)]
ShortName = Annotated[
    str,
    _matching(
        re.compile(r"^\w[\w' -]{0,59}$"),
        "a short name (letters, digits, spaces, hyphens and apostrophes, at most 60 characters)",
    ),
]
Passphrase = Annotated[
    str,
    Field(
        min_length=PASSPHRASE_MIN_LENGTH,
        description="Optional: lets the patient open the private booklet by typing this instead "
        "of scanning the QR code (case and extra spaces are ignored). Four or more words.",
    ),
]
IsoDate = Annotated[
    dt.date, BeforeValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})
]
Count = Annotated[int, Range(1)]
Seconds = Annotated[int, Range(0)]
Minutes = Annotated[int, Range(0)]
Phase = Annotated[int, Range(1, 4)]
Score10 = Annotated[int, Range(0, 10)]
Percent = Annotated[float, Range(0, 100)]
Tempo = Annotated[
    str, _matching(re.compile(r"^\d+-\d+-\d+$"), "a tempo as lower-pause-lift seconds, like 3-1-3")
]
HexColour = Annotated[str, _matching(re.compile(r"^#[0-9a-fA-F]{6}$"), "a colour like #2f6f62")]
LOAD_LIMIT_KG = (0.5, 50.0)  # the lightest and heaviest load ceiling a clinician can set


def _kilograms(value: Any) -> Any:
    low, high = LOAD_LIMIT_KG
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not low <= value <= high:
        raise PydanticCustomError(
            "kilograms",
            f"expected a number of kg between {low:g} and {high:g}, got {{got}}",
            {"got": describe(value)},
        )
    return value


Kilograms = Annotated[float, Range(*LOAD_LIMIT_KG), BeforeValidator(_kilograms)]
KG = "{kg}"  # where a precaution's line with a limit puts the number
WithKilograms = Annotated[
    str, _matching(re.compile(r".*\{kg\}.*", re.DOTALL), "words with {kg} where the limit goes")
]
Language = Annotated[
    str, _matching(re.compile(r"^[a-z]{2,3}(?:[-_][A-Z]{2})?$"), "a language code like en or pt-BR")
]

FindingId = Annotated[str, Known("finding")]
TaskId = Annotated[str, Known("task")]
PrecautionId = Annotated[str, Known("precaution")]
RedFlagId = Annotated[str, Known("red_flag")]
EquipmentId = Annotated[str, Known("equipment")]
PositionId = Annotated[str, Known("position")]
DirectionId = Annotated[str, Known("direction")]
BlockId = Annotated[str, Known("block")]
RitualId = Annotated[str, Known("ritual")]
ExerciseId = Annotated[str, Known("exercise")]
ContraindicationId = Annotated[str, Known("contraindication")]
SpineMovement = Literal["neutral", "flexion", "extension", "rotation", "side_bend", "side_glide"]
Dimension = Literal["tempo", "load", "range", "support", "context"]
Side = Literal["left", "right", "both"]
CriterionMeasure = Literal[
    "nprs",
    "odi",
    "psfs_mean",
    "sitting_min",
    "standing_min",
    "walking_min",
    "morning_stiffness_min",
    "sleep_disturbed_nights",
]


class Strict(BaseModel):
    """Base for every user-written shape: unknown keys are errors, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- profiles ---------------------------------------------------------------


class Finding(Strict):
    """One movement-signature finding, with a side where the finding has one."""

    id: FindingId
    side: Side | None = None

    @field_validator("side")
    @classmethod
    def _side_only_when_sided(cls, side: Side | None, info: ValidationInfo) -> Side | None:
        context = _context(info)
        finding = info.data.get("id")
        if side is not None and context and finding and finding not in context.sided_findings:
            raise PydanticCustomError(
                "unsided",
                "expected no side ('{finding}' is not a sided finding), got {got}",
                {"finding": finding, "got": describe(side)},
            )
        return side


def _finding_from_id(value: Any) -> Any:
    return {"id": value} if isinstance(value, str) else value


FindingEntry = Annotated[
    Finding, BeforeValidator(_finding_from_id, json_schema_input_type=FindingId | Finding)
]


class Signature(Strict):
    """How this back distributes load, braces, compensates and fatigues."""

    directional_preference: DirectionId = "none"
    classification: str | None = None
    findings: list[FindingEntry] = []


class Tolerances(Strict):
    sitting_min: Minutes | None = None
    standing_min: Minutes | None = None
    walking_min: Minutes | None = None
    morning_stiffness_min: Minutes | None = None
    sleep_disturbed_nights: Annotated[int, Range(0, 7)] | None = None


class Measures(Strict):
    """Outcome measures; any may be missing ("not measured yet")."""

    nprs: Score10 | None = None
    odi: Percent | None = None
    psfs: dict[Text, Score10] = {}


class Goal(Strict):
    task: TaskId
    label: str | None = None


class DoseChange(Strict):
    """A clinician's change to an exercise's dose: only the keys given change."""

    sets: Count | None = None
    reps: Count | None = None
    hold_s: Count | None = None
    tempo: Tempo | None = None
    minutes: Count | None = None
    rest_s: Seconds | None = None
    per_day: Annotated[int, Range(1, 12)] | None = None
    per_week: Annotated[int, Range(1, 21)] | None = None
    load: Text | None = None  # what to lift or pull against, as said to the patient


class Overrides(Strict):
    include: list[ExerciseId] = []
    exclude: list[ExerciseId] = []
    dose: dict[ExerciseId, DoseChange] = {}
    notes: dict[ExerciseId, Text] = {}


class Assessment(Strict):
    """One visit: the signature, tolerances, measures and goals on that date."""

    date: IsoDate
    phase: Phase
    signature: Signature
    tolerances: Tolerances = Tolerances()
    measures: Measures = Measures()
    goals: list[Goal] = []
    notes: str = ""
    overrides: Overrides = Overrides()


class Profile(Strict):
    """One patient, written by the clinician; assessments oldest first."""

    id: Slug
    name: Text
    preferred_name: str | None = None
    language: Language | None = None
    clinician: str | None = None
    equipment: list[EquipmentId] | None = None
    precautions: list[PrecautionId] = []
    # The most the clinician wants the patient to lift or carry: a precaution's card line
    # says it (see PrecautionDef.needs_limit).
    load_limit_kg: Kilograms | None = None
    red_flags: list[RedFlagId] = []
    passphrase: Passphrase | None = None
    assessments: Annotated[list[Assessment], Field(min_length=1)]

    @property
    def latest(self) -> Assessment:
        return self.assessments[-1]


# --- the library -------------------------------------------------------------


class FindingDef(Strict):
    label: Text
    sided: bool = False
    # Its side is the way the body is held (a lateral shift): it marks the side a correction
    # drill is done on, never a side that needs a set more.
    directional: bool = False
    patient: str | None = None
    rules_out_floor: bool = False  # no exercise in a floor position while it is recorded
    # The same, only before this phase: getting down and up is the painful part at first.
    rules_out_floor_before_phase: Annotated[int, Range(2, 4)] | None = None
    # A sign of the rule for every exercise that is expected with this finding: the shared
    # sign, word for word, and the one printed in its place (stenosis: legs that grow heavy
    # or tingle on a walk, and ease on sitting, are no reason to stop walking).
    replaces_stop_sign: str | None = None
    stop_sign: str | None = None

    @model_validator(mode="after")
    def _check_stop_sign_pair(self) -> FindingDef:
        if (self.replaces_stop_sign is None) != (self.stop_sign is None):
            raise PydanticCustomError(
                "stop_sign", "expected both replaces_stop_sign and stop_sign, or neither"
            )
        return self


# Where strength work loads the skeleton: the legs standing, through the body's weight or
# more; the spine, under a weight held in the hands (a carry, a lift).
LoadedRegion = Literal["legs", "spine"]
# What a precaution's line on the cards guards: what an exercise loads, or how it moves the spine.
Guarded = Literal[LoadedRegion, SpineMovement]


class TaskDef(Strict):
    label: Text
    sport: bool = False  # a sport may wait for a later phase; a daily-life task may not
    # A task that lifts or carries a load: from phase 3 on, the plan holds a strength
    # exercise that loads these, with the patient's own weights where they have them.
    loads: list[LoadedRegion] = []
    # Words or phrases of a goal's label that name this task ("stairs", "carry"): a goal
    # labelled with any task's words is practised as the tasks its label names, not as the
    # broader task it is filed under ("Carry the shopping up the stairs": a carry, stairs).
    words: list[Text] = []
    # What a patient with this goal has at hand for it (stairs to climb: a step).
    equipment: list[EquipmentId] = []
    # Its practice is a carry: the plan serves it with one (an exercise with carry: true)
    # wherever one suits the patient, not with a lift alone.
    carried: bool = False


class PrecautionDef(Strict):
    label: Text
    patient: str | None = None
    # From phase 2 on, the plan holds a strength exercise that loads each of these (bone
    # needs load: osteoporosis).
    needs_load: list[LoadedRegion] = []
    # Its patient line is printed on the card of every exercise that loads one of these
    # (osteoporosis: a weight carried or lifted loads the spine) or moves the spine so (a
    # turn: rotation), in the words `card_lines` gives for the first of them it names where
    # it gives some (a turning card: to turn gently, not the load limit).
    on_cards: list[Guarded] = []
    card_lines: dict[Guarded, Text] = {}
    # The clinician is to set the patient's `load_limit_kg` (a warning without one), and the
    # patient line then reads `patient_with_limit`, its `{kg}` the limit.
    needs_limit: bool = False
    patient_with_limit: WithKilograms | None = None
    # Exercises in these positions are done holding on, in their `supported:` form, or not
    # at all (balance impairment: every standing exercise).
    needs_support: list[PositionId] = []

    def card_line(self, exercise: ExerciseMeta) -> str | None:
        """What an exercise's card repeats of it: nothing where it guards none of what the
        exercise loads or how it moves the spine, else its line for the first of those it names
        in `on_cards`, or its patient line."""
        done = {*exercise.loads, *exercise.spine}
        guarded = [tag for tag in self.on_cards if tag in done]
        if not guarded or not self.patient:
            return None
        return self.card_lines.get(guarded[0], self.patient)

    @field_validator("card_lines")
    @classmethod
    def _check_card_lines(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        listed = info.data.get("on_cards", [])
        for tag in value:
            if tag not in listed:
                raise PydanticCustomError(
                    "card_lines",
                    "expected only what on_cards lists ({listed}), got {got}",
                    {"listed": ", ".join(listed) or "nothing", "got": describe(tag)},
                )
        return value


URGENCIES = ("emergency", "today", "soon")  # most urgent first


class RedFlagDef(Strict):
    label: Text
    patient: Text
    action: Text
    # how soon its action is needed: a booklet leads with its most urgent flag's action
    urgency: Literal["emergency", "today", "soon"] = "today"


class EquipmentDef(Strict):
    label: Text
    everyday: bool = False


class PositionDef(Strict):
    label: Text
    floor: bool = False


class DirectionDef(Strict):
    label: Text
    favours: list[SpineMovement] = []
    avoids: list[SpineMovement] = []
    avoid_until_phase: Phase | None = None


class Block(Strict):
    id: VocabId
    name: Text
    purpose: Text
    rehearses_tasks: bool = False


class Criterion(Strict):
    """An exit criterion the patient can read, optionally checkable against measures."""

    text: Text
    measure: CriterionMeasure | None = None
    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _check_has_threshold(self) -> Criterion:
        if self.measure and (self.at_least is None) == (self.at_most is None):
            raise PydanticCustomError(
                "criterion", "expected exactly one of at_least or at_most with a measure"
            )
        if not self.measure and (self.at_least is not None or self.at_most is not None):
            raise PydanticCustomError("criterion", "expected a measure for at_least/at_most")
        return self


class PhaseDef(Strict):
    number: Phase
    name: Text
    aim: Text
    exit_criteria: list[Criterion] = []


class Ritual(Strict):
    id: VocabId
    name: Text
    when: Text
    minutes: Count
    purpose: Text
    # Besides the exercises that name it, the ritual takes the patient's own exercises from
    # these blocks that start in these positions, in a micro-dose.
    reuses: list[BlockId] = []
    positions: list[PositionId] = []


class Dose(Strict):
    """How much and how often, for one phase."""

    sets: Count = 1
    reps: Count | None = None
    hold_s: Count | None = None
    tempo: Tempo | None = None
    minutes: Count | None = None
    rest_s: Seconds = 0
    rep_s: Count | None = None  # how long one rep takes, where it is a round of moves
    per_day: Annotated[int, Range(1, 12)] | None = None
    per_week: Annotated[int, Range(1, 21)] | None = None
    # What to lift, carry or pull against in this phase, said to the patient: "Start with
    # about 3 kg in the bag." Given for one phase, it is given for every phase.
    load: Text | None = None

    @model_validator(mode="after")
    def _check_complete(self) -> Dose:
        if (self.per_day is None) == (self.per_week is None):
            got = "both" if self.per_day is not None else "neither"
            raise PydanticCustomError(
                "dose", "expected exactly one of per_day or per_week, got {got}", {"got": got}
            )
        if self.reps is None and self.hold_s is None and self.minutes is None:
            raise PydanticCustomError(
                "dose", "expected at least one of reps, hold_s or minutes, got none"
            )
        return self


class MicroStep(Strict):
    dimension: Dimension
    step: Text


# --- exercise figures ---------------------------------------------------------
# The shapes only: which joints, bases, contacts and places exist, their ranges and whether
# the pose fits its box are figure.py's to check, since they need its body model.

FigureView = Literal["side", "front"]
FigureLayout = Literal["overlay", "sequence"]
PropName = Literal[
    "mat", "chair", "bed", "wall", "step", "band", "bag", "stick", "pillow", "towel", "counter",
    "weight", "rail",
]  # fmt: skip
# A straight arrow one way, or a curved one round the point: the part tips forward, back,
# or rocks both ways; or turns to the figure's left or right, on a ring round the body.
Direction = Literal[
    "up", "down", "forward", "back", "left", "right", "tip_forward", "tip_back", "rock",
    "turn_left", "turn_right",
]  # fmt: skip
Cue = Literal["belly", "ribs", "back"]


def _one_key(first: str, second: str) -> Any:
    """`name` or `{name: option}` in YAML, as {first: name, second: option}."""

    def spread(value: Any) -> Any:
        if isinstance(value, str):
            return {first: value}
        if isinstance(value, dict) and len(value) == 1:
            ((key, option),) = value.items()
            return {first: key, second: option}
        return value

    return spread


class FigureContact(Strict):
    """A part of the body that rests on something: the floor unless `on` says otherwise."""

    part: Text
    on: Text = "floor"


class FigureProp(Strict):
    name: PropName
    option: str | None = None  # where a band is anchored, which hand holds a bag


class FigureArrow(Strict):
    """An arrow beside a body point: along its path between the frames, or one way (`dir`)."""

    at: Text
    dir: Direction | None = None


ContactEntry = Annotated[
    FigureContact,
    BeforeValidator(_one_key("part", "on"), json_schema_input_type=str | dict[str, str]),
]
PropEntry = Annotated[
    FigureProp,
    BeforeValidator(_one_key("name", "option"), json_schema_input_type=str | dict[str, str]),
]


class FigureFrame(Strict):
    """One pose: a named base, or the frame before, with joint angles changed (degrees)."""

    base: str | None = None
    set: dict[str, float] = {}
    place: dict[str, str] = {}  # a hand on a part of the body: {near_hand: belly}
    contacts: list[ContactEntry] | None = None  # what rests on the floor; the base's if unset
    shift: float = 0  # move this frame along the floor, in the figure's units


class Figure(Strict):
    """A picture of the exercise, drawn from poses: see docs/library.md, "Figures"."""

    view: FigureView = "side"
    tilt: Annotated[float, Range(0, 90)] = 0  # seen from this many degrees above: 90 is overhead
    layout: FigureLayout = "overlay"
    props: list[PropEntry] = []
    frames: Annotated[list[FigureFrame], Field(min_length=1)]
    arrows: list[FigureArrow] = []
    cues: list[Cue] = []
    # The side a one-sided drill is drawn on: a patient who does it on the other side sees
    # the figure mirrored.
    side: Literal["left", "right"] | None = None
    alt: Text


class SupportedForm(Strict):
    """How an exercise is done holding on, for a patient whose precaution needs it."""

    hold: Text  # one line, on page 1 and the card: what to hold, and how
    set_up: Text | None = None  # the Set-up section holding on; none: the Set-up holds on already
    figure: Figure | None = None  # the figure holding on; none: the exercise's own
    # what to lift holding on, in every phase whose dose gives a load: where the hold takes
    # the hands a load would need (a bag hugged while both hands hold the counter)
    load: Text | None = None


class SideCue(Strict):
    """A one-sided drill's way, said in full for each side: for a directional drill, which
    side goes to the wall and which way the hips go; for one done on each side, which leg to
    stand on first."""

    left: Text
    right: Text


class ExerciseMeta(Strict):
    """An exercise's front matter."""

    title: Text
    also_called: list[ShortName] = []  # everyday names a clinician's note uses ("the bridges")
    summary: Text
    block: BlockId
    phases: Annotated[list[Phase], Field(min_length=1)]
    targets: list[FindingId] = []
    tasks: list[TaskId] = []
    spine: list[SpineMovement] = ["neutral"]
    contraindications: list[ContraindicationId] = []
    # Contraindicated only in the early phases: {finding or precaution: first phase it is allowed}.
    contraindicated_before_phase: dict[ContraindicationId, Annotated[int, Range(2, 4)]] = {}
    only_for_tasks: list[TaskId] = []  # given only to patients with one of these goals
    position: PositionId
    equipment: list[EquipmentId] = []
    unilateral: bool = False
    marked_side_only: bool = False  # a directional drill: the clinician's marked side, never both
    side_cue: SideCue | None = None  # a one-sided drill's way, for each side
    pattern: VocabId | None = None  # movement pattern (hinge, squat, walk): one a session
    # Practised inside the day's own activity (a walk, standing at the stove, a journey), not
    # in a session: dosed as the library says, and its minutes are the activity's.
    activity: bool = False
    # An activity bound to an occasion ("On a long journey or a long meeting"): done then, as
    # often as its dose says, not every day.
    occasion: Text | None = None
    # A load carried in one hand: the hand that makes the side needing work do more.
    load_hand: Literal["same", "opposite"] | None = None
    # Walked with a load in the hand: its reps (or, done each side, its sets) are carries of
    # hold_s seconds.
    carry: bool = False
    loads: list[LoadedRegion] = []  # what it loads: the legs standing, the spine under a weight
    turns: bool = False  # it turns the hip (a turning spine is `spine: [rotation]`)
    rituals: list[RitualId] = []
    dose: dict[Phase, Dose]
    breathing: Text
    regresses_to: ExerciseId | None = None
    progresses_to: ExerciseId | None = None
    micro_steps: list[MicroStep] = []
    figure: Figure | None = None
    supported: SupportedForm | None = None  # done holding on, for a precaution that needs it


class EducationMeta(Strict):
    title: Text
    summary: Text
    order: int = 100


# --- translations: words only, beside the English files ---------------------
# Each field a translation may give; one left out stays English (and is listed as untranslated).


class SupportedWords(Strict):
    hold: Text | None = None
    set_up: Text | None = None
    figure_alt: Text | None = None
    load: Text | None = None


class ExerciseWords(Strict):
    title: Text | None = None
    summary: Text | None = None
    breathing: Text | None = None
    micro_steps: list[Text] | None = None  # as many as the English, in its order
    figure_alt: Text | None = None
    load: dict[Phase, Text] | None = None  # each phase's dose load, for the phases that give one
    side_cue: SideCue | None = None
    supported: SupportedWords | None = None


class EducationWords(Strict):
    title: Text | None = None
    summary: Text | None = None


class VocabularyWords(Strict):
    label: Text | None = None
    patient: Text | None = None
    action: Text | None = None
    patient_with_limit: WithKilograms | None = None
    card_lines: dict[Guarded, Text] | None = None
    replaces_stop_sign: Text | None = None
    stop_sign: Text | None = None


class BlockWords(Strict):
    name: Text | None = None
    purpose: Text | None = None


class RitualWords(Strict):
    name: Text | None = None
    when: Text | None = None
    purpose: Text | None = None


class PhaseWords(Strict):
    number: Phase
    name: Text | None = None
    aim: Text | None = None
    exit_criteria: list[Text] | None = None  # as many as the English, in its order


# --- movebook.yaml -----------------------------------------------------------


class Clinic(Strict):
    name: Text
    contact: str | None = None
    logo: Annotated[str, BeforeValidator(_image_path)] | None = None
    accent: HexColour = "#2f6f62"


class Defaults(Strict):
    language: Language = "en"
    clinician: str | None = None
    equipment: list[EquipmentId] = ["mat", "chair"]


class SiteConfig(Strict):
    private: bool = True
    base_url: Annotated[str, BeforeValidator(_site_url)] | None = None


class PdfConfig(Strict):
    page_size: Literal["A4", "Letter"] = "A4"
    # summary: the program page, the tracker and the warning signs, for a clinic that prints
    # the short version and leaves the detail to the web booklet
    layout: Literal["full", "summary"] = "full"


class Budget(Strict):
    """How much a day may hold (DOMAIN.md 3-4); a clinic may set its own in movebook.yaml."""

    main_min: Annotated[int, Range(1, 12)] = 4  # exercises in the main session
    main_max: Annotated[int, Range(1, 12)] = 6
    distinct_max: Annotated[int, Range(1, 20)] = 8  # different exercises a day, rituals included
    day_minutes: Annotated[int, Range(5, 120)] = 20  # a day without the main session, at most
    day_minimum: Annotated[int, Range(0, 120)] = 10  # and at least, where the rituals can hold it
    main_day_minutes: Annotated[int, Range(5, 180)] = 25  # a day with the main session, at most
    main_minutes: Annotated[int, Range(5, 120)] = 15  # the main session itself, at most
    maintenance_min: Annotated[int, Range(5, 60)] = 10  # phase 4: one routine, in minutes
    maintenance_max: Annotated[int, Range(5, 60)] = 15
    resets_max: Annotated[int, Range(1, 8)] = 4  # mid-day resets a day
    reset_every_min: Annotated[int, Range(10, 240)] = 30  # minutes between resets, at least
    reset_every_max: Annotated[int, Range(10, 240)] = 120  # and at most

    @model_validator(mode="after")
    def _check_ranges(self) -> Budget:
        for low, high in (
            ("main_min", "main_max"),
            ("day_minimum", "day_minutes"),
            ("main_minutes", "main_day_minutes"),
            ("maintenance_min", "maintenance_max"),
            ("reset_every_min", "reset_every_max"),
        ):
            if getattr(self, low) > getattr(self, high):
                raise PydanticCustomError(
                    "budget",
                    "expected {low} at most {high}, got {a} and {b}",
                    {"low": low, "high": high, "a": getattr(self, low), "b": getattr(self, high)},
                )
        if self.main_max > self.distinct_max:
            raise PydanticCustomError(
                "budget",
                "expected main_max at most distinct_max, got {a} and {b}",
                {"a": self.main_max, "b": self.distinct_max},
            )
        return self


LOCAL_SCHEDULER = "local"
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
_SCHEDULER = re.compile(r"(?:([a-z]+)://)?([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}")


SCHEDULER_EXPECTED = (
    f"expected {LOCAL_SCHEDULER} or a Dask scheduler's address like tcp://host:8786"
)


def is_scheduler(value: str) -> bool:
    """A Dask scheduler's address (`tcp://host:8786`, `host:8786`), or `local` for a cluster
    on this machine."""
    match = _SCHEDULER.fullmatch(value)
    return value == LOCAL_SCHEDULER or bool(match and (match[1] or "tcp") in SCHEDULER_SCHEMES)


def _scheduler(value: Any) -> Any:
    if isinstance(value, str) and not is_scheduler(value):
        raise PydanticCustomError("scheduler", SCHEDULER_EXPECTED)
    return value


class BuildConfig(Strict):
    """How `movebook build` renders: on this machine, or on a Dask cluster."""

    scheduler: Annotated[str, BeforeValidator(_scheduler)] | None = None


class Mcid(Strict):
    """Minimal clinically important differences: a change this big or bigger is marked as
    meaningful in "what changed". Defaults from the literature; a clinic may set its own."""

    nprs: Annotated[float, Field(gt=0, le=10)] = 2
    odi: Annotated[float, Field(gt=0, le=100)] = 10
    psfs_average: Annotated[float, Field(gt=0, le=10)] = 2
    psfs_activity: Annotated[float, Field(gt=0, le=10)] = 3


class Config(Strict):
    """The project's movebook.yaml."""

    clinic: Clinic
    defaults: Defaults = Defaults()
    site: SiteConfig = SiteConfig()
    pdf: PdfConfig = PdfConfig()
    mcid: Mcid = Mcid()
    budget: Budget = Budget()
    build: BuildConfig = BuildConfig()


# --- validated, assembled project -------------------------------------------


@dataclass(frozen=True)
class Exercise:
    """An exercise: its id (the file stem), front matter and body sections."""

    id: str
    source: str
    meta: ExerciseMeta
    sections: Mapping[str, str]
    # Which drawing its figure is: "" its own, "supported" holding on, "left" or "right"
    # mirrored to that side, "supported-left"...: each has its own moves on the web.
    figure_form: str = ""

    def shown(self, supported: bool = False, side: str | None = None) -> Exercise:
        """The exercise as one patient does it: in its supported form (the Set-up, figure and
        load holding on) where `supported`, and its figure drawn on the `side` it is done on."""
        meta, sections, figure, form = self.meta, self.sections, self.meta.figure, []
        dose, steps = meta.dose, meta.micro_steps
        if supported and meta.supported is not None:
            if meta.supported.set_up is not None:
                sections = {**sections, "Set-up": meta.supported.set_up}
            if meta.supported.load is not None:  # and no step forward in load either
                held = meta.supported.load
                dose = {
                    p: d.model_copy(update={"load": held}) if d.load else d for p, d in dose.items()
                }
                steps = [step for step in steps if step.dimension != "load"]
            if meta.supported.figure is not None:
                figure, form = meta.supported.figure, ["supported"]
        if figure is not None and figure.side and side in ("left", "right") and side != figure.side:
            from movebook.figure import mirrored  # the body model lives there

            figure, form = mirrored(figure), [*form, side]
        if sections is self.sections and figure is meta.figure and dose is meta.dose:
            return self
        return dataclasses.replace(
            self,
            meta=meta.model_copy(update={"figure": figure, "dose": dose, "micro_steps": steps}),
            sections=sections,
            figure_form="-".join(form),
        )

    def figure_forms(self) -> list[Exercise]:
        """Itself and each other drawing of its figure a patient may be shown."""
        found = {"": self}
        for supported in (False, True):
            for side in ("left", "right"):
                form = self.shown(supported, side)
                if form.meta.figure is not None:
                    found.setdefault(form.figure_form, form)
        return list(found.values())


@dataclass(frozen=True)
class EducationPage:
    id: str
    source: str
    meta: EducationMeta
    body: str


@dataclass(frozen=True)
class Vocabulary:
    findings: Mapping[str, FindingDef]
    tasks: Mapping[str, TaskDef]
    precautions: Mapping[str, PrecautionDef]
    red_flags: Mapping[str, RedFlagDef]
    equipment: Mapping[str, EquipmentDef]
    positions: Mapping[str, PositionDef]
    directions: Mapping[str, DirectionDef]


@dataclass(frozen=True)
class Library:
    """Everything in content/: vocabulary, blocks, phases, rituals, exercises, education."""

    vocabulary: Vocabulary
    blocks: tuple[Block, ...]
    phases: tuple[PhaseDef, ...]
    rituals: tuple[Ritual, ...]
    exercises: Mapping[str, Exercise]
    education: Mapping[str, EducationPage]
    language: str = "en"  # of its words
    # The library in each other language: its words where translated, English elsewhere.
    translations: Mapping[str, Translation] = field(default_factory=dict)

    def translation(self, language: str) -> Translation | None:
        """The translation a language reads (`es-MX` reads `es`), if there is one."""
        for tag in (language, re.split(r"[-_]", language)[0]):
            if tag in self.translations:
                return self.translations[tag]
        return None

    def in_language(self, language: str) -> Library:
        """The library in a language, or in English."""
        translation = self.translation(language)
        return translation.library if translation is not None else self


@dataclass(frozen=True)
class Translation:
    """One language's view of the library, and what it still lacks."""

    language: str
    library: Library
    untranslated: tuple[str, ...]  # files with no translation; `path: field` for a field
    exercises: tuple[int, int]  # untranslated, of all
    education: tuple[int, int]
    strings: tuple[int, int]  # of the message catalogue: untranslated, of all

    def summary(self) -> str:
        """One line for the build: `es: 12 of 75 exercises, ... untranslated; English used`."""
        return (
            f"{self.language}: {self.exercises[0]} of {self.exercises[1]} exercises, "
            f"{self.education[0]} of {self.education[1]} education pages, "
            f"{self.strings[0]} of {self.strings[1]} strings untranslated; English used"
        )

    @property
    def complete(self) -> bool:
        return not self.untranslated and not self.strings[0]

    def listing(self) -> list[str]:
        """What `movebook check` says of it: the summary, then each file or field left in
        English, indented; nothing for a complete translation."""
        if self.complete:
            return []
        strings = [f"  {self.strings[0]} strings of the catalogue"] if self.strings[0] else []
        return [self.summary(), *(f"  {rel}" for rel in self.untranslated), *strings]
