"""Reading a clinician's note: the exercises it names, whether it asks for or stops each one,
how often, the regions of the body it asks to work on without naming an exercise, and the
spine movements it says to avoid. Pure and deterministic.

The reading is small and explicit: word lists and regular expressions over English, read a
clause at a time. A note in another language reads as nothing.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import Literal, TypeVar

from movebook.model import Exercise, Library, SpineMovement

FIRST_THING = "first_thing"  # the trigger of "first thing", "your first move of the day"
MORNING = "morning"  # the trigger of "every morning": in the morning ritual
MOMENTS = (FIRST_THING, MORNING)  # the triggers that are a time of the day, not an event


@dataclass(frozen=True)
class Timing:
    """When or how often the note wants something done; any part may be missing. With an
    event, the other parts are what to do during it: "on the train, every half hour"."""

    every_min: int | None = None  # "every two hours": 120
    per_day: int | None = None  # "twice a day": 2
    per_week: int | None = None  # "three times a week": 3
    # A moment of the day (FIRST_THING, MORNING); without one, the event's words, as before
    # there was `event`.
    trigger: str | None = None
    event: str | None = None  # the note's words: "on the train to Leicester"

    @property
    def moment(self) -> str | None:
        """FIRST_THING, MORNING or None."""
        return self.trigger if self.trigger in MOMENTS else None

    def merged(self, other: Timing | None) -> Timing:
        """This timing, with the parts it lacks taken from `other`; a moment of the day is
        the trigger over an event's words."""
        if other is None:
            return self
        merged = replace(
            self,
            **{
                part.name: getattr(other, part.name)
                for part in fields(self)
                if getattr(self, part.name) is None
            },
        )
        return replace(merged, trigger=self.moment or other.moment or merged.trigger)


@dataclass(frozen=True)
class Mention:
    """An exercise the note names: as written, on which line of the note (1 is its first),
    asked for or stopped, and when."""

    exercise: str  # the exercise id
    words: str
    line: int
    stop: bool = False
    timing: Timing | None = None


Ask = Mention


@dataclass(frozen=True)
class Avoidance:
    """A spine movement the note says to avoid ("hold off bending forward")."""

    movement: SpineMovement
    words: str
    line: int


RegionKind = Literal["strength", "mobility"]
_KIND_BLOCKS: dict[RegionKind, tuple[str, ...]] = {
    "strength": ("stability", "strength"),
    "mobility": ("mobility",),
}


@dataclass(frozen=True)
class RegionAsk:
    """A region of the body the note asks to work on without naming an exercise: "we build
    strength in your left hip standing". An exercise meets it when it targets one of
    `findings` (those the patient has, on `side` if given), starts in one of `positions` (if
    given) and belongs to one of `blocks` (if a kind is given). "Standing and side-lying" is
    two asks, one a position; "standing or side-lying" is one with both."""

    region: str  # the region's name: "hip", "upper back"
    findings: tuple[str, ...]  # the findings there, in the library's vocabulary
    side: Literal["left", "right"] | None
    positions: tuple[str, ...]  # position ids; empty: any position
    kind: RegionKind | None  # "strength" (build, strengthen) or "mobility" (stretch, loosen)
    timing: Timing | None
    line: int  # the line of the ask ("work on those two areas"), 1 the note's first
    words: str  # the note's words for the region: "left hip"
    # "the turning that your upper back and left hip should share": the sentence naming the
    # region asks it to turn
    turning: bool = False

    @property
    def blocks(self) -> tuple[str, ...]:
        """The session blocks its kind of work is in; empty: any block."""
        return () if self.kind is None else _KIND_BLOCKS[self.kind]

    def targets(self, patient: Mapping[str, str | None]) -> tuple[str, ...]:
        """The region's findings the patient has (finding id: side), on the side the note
        names if it names one (an unsided finding, or one on both sides, is on it too); else
        all the region's: the note asks for work there either way."""
        sides = (None, "both", self.side)
        had = tuple(
            finding
            for finding in self.findings
            if finding in patient and (self.side is None or patient[finding] in sides)
        )
        return had or self.findings

    def worked_by(self, exercise: Exercise, patient: Mapping[str, str | None]) -> bool:
        """Whether the exercise meets the ask for this patient: it targets one of the
        region's findings the patient has, starts in one of the positions and belongs to one
        of the blocks the ask names."""
        meta = exercise.meta
        return (
            not set(meta.targets).isdisjoint(self.targets(patient))
            and (not self.positions or meta.position in self.positions)
            and (not self.blocks or meta.block in self.blocks)
        )


@dataclass(frozen=True)
class NoteReading:
    """What a note says about the plan."""

    mentions: tuple[Mention, ...] = ()
    program: Timing | None = None  # how often the whole program: "do it three times a week"
    program_line: int | None = None
    avoidances: tuple[Avoidance, ...] = ()
    regions: tuple[RegionAsk, ...] = ()

    @property
    def stops(self) -> frozenset[str]:
        """Exercises the note leaves out, holds off or replaces."""
        return frozenset(m.exercise for m in self.mentions if m.stop)

    @property
    def asks(self) -> tuple[Ask, ...]:
        """Each exercise the note asks for, once, where it is first named, with every timing
        the note gives it; an exercise the note also stops is not asked for."""
        stops = self.stops
        asks: dict[str, Ask] = {}
        for mention in self.mentions:
            if mention.exercise in stops:
                continue
            first = asks.setdefault(mention.exercise, mention)
            if first is not mention:
                asks[mention.exercise] = _timed_also(first, mention.timing)
        return tuple(asks.values())

    @property
    def program_per_week(self) -> int | None:
        if self.program is None:
            return None
        if self.program.per_week is not None:
            return self.program.per_week
        return None if self.program.per_day is None else 7 * self.program.per_day

    @property
    def avoid(self) -> frozenset[SpineMovement]:
        return frozenset(a.movement for a in self.avoidances)


_Timed = TypeVar("_Timed", Mention, RegionAsk)


def _timed_also(ask: _Timed, timing: Timing | None) -> _Timed:
    """The mention or region ask, with the parts of `timing` it lacks."""
    if timing is None:
        return ask
    return replace(ask, timing=timing if ask.timing is None else ask.timing.merged(timing))


# --- names --------------------------------------------------------------------

_SEPARATOR = r"[\s-]+"  # "side-glide", "side glide" and a line break inside a name are alike
_SIBILANT = ("s", "x", "z", "ch", "sh")


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(_SIBILANT):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        return word[:-1]
    return word


def _plural(word: str) -> str:
    if word.endswith(_SIBILANT):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _words(name: str) -> list[str]:
    return re.split(_SEPARATOR, name.strip().lower().replace("\u2019", "'"))


def name_key(name: str) -> str:
    """The form of a name two exercises must not share: case, hyphens and a plural aside."""
    *head, last = _words(name)
    return " ".join([*head, _singular(last)])


def _name_pattern(name: str) -> str:
    *head, last = _words(name)
    forms = sorted({last, _singular(last), _plural(_singular(last))}, key=lambda w: (-len(w), w))
    tail = "(?:" + "|".join(map(re.escape, forms)) + ")"
    return _SEPARATOR.join([*map(re.escape, head), tail])


def _first_words(name: str) -> set[str]:
    """The forms a name's first word takes in a note."""
    first, *rest = _words(name)
    return {first} if rest else {first, _singular(first), _plural(_singular(first))}


@functools.lru_cache(maxsize=8)
def _lexicon(
    names: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[str, frozenset[str], re.Pattern[str]], ...]:
    """For each exercise: the first words of its names, and one pattern for all of them."""
    lexicon: list[tuple[str, frozenset[str], re.Pattern[str]]] = []
    for exercise, written in names:
        # the longest first: an alternation takes the first that matches
        alternatives = sorted({_name_pattern(name) for name in written}, key=lambda p: (-len(p), p))
        pattern = r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)"
        firsts = frozenset(word for name in written for word in _first_words(name))
        lexicon.append((exercise, firsts, re.compile(pattern, re.IGNORECASE)))
    return tuple(lexicon)


def _names(library: Library) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each exercise's names: its title, its id and what it is also called."""
    return tuple(
        (exercise.id, (exercise.meta.title, exercise.id, *exercise.meta.also_called))
        for exercise in library.exercises.values()
    )


# --- timing, stops and movements, as patterns ---------------------------------

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "sixty": 60, "ninety": 90,
    "once": 1, "twice": 2, "thrice": 3, "couple of": 2, "a couple of": 2,
}  # fmt: skip
_NUMBER = (
    r"(?:\d{1,3}|(?:a\s+)?couple\s+of|forty-five|"
    + "|".join(sorted((w for w in _NUMBER_WORDS if w.isalpha()), key=len, reverse=True))
    + ")"
)
_UNIT = r"(?P<unit>minutes?|mins?|hours?|hrs?)"


def _every(match: re.Match[str]) -> Timing:
    hours = match["unit"].lower().startswith("h")
    return Timing(every_min=_number(match["n"]) * (60 if hours else 1))


def _count(match: re.Match[str]) -> Timing:
    times = _number(match["n"])
    return Timing(per_day=times) if match.groupdict().get("daily") else Timing(per_week=times)


_TIMINGS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Timing]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), timing)
    for pattern, timing in (
        (rf"\bevery\s+(?:(?P<n>{_NUMBER})\s+)?{_UNIT}\b", _every),
        (rf"\bonce\s+(?:an?|per|each|every)\s+(?:(?P<n>{_NUMBER})\s+)?{_UNIT}\b", _every),
        (r"\bevery\s+half\s+(?:an\s+)?hour\b", lambda _: Timing(every_min=30)),
        (r"\bevery\s+(?:hour\s+and\s+a\s+half|1\.5\s+hours)\b", lambda _: Timing(every_min=90)),
        (r"\bhourly\b", lambda _: Timing(every_min=60)),
        (
            rf"\b(?P<n>once|twice|thrice|{_NUMBER}\s*(?:times|x))\s+(?:a|an|per|each|every)\s+"
            r"(?:(?P<daily>day)|week)\b",
            _count,
        ),
        (rf"\b(?P<n>once|twice|{_NUMBER}\s+times)\s+(?:(?P<daily>dai)|week)ly\b", _count),
        (rf"\b(?P<n>{_NUMBER})\s+days?\s+(?:a|per|each|every)\s+week\b", _count),
        (r"\b(?:every|each)\s+day\b", lambda _: Timing(per_day=1)),
    )
)
_FIRST_THING = re.compile(
    r"\bfirst\s+thing(?:\s+in\s+the\s+morning)?\b"
    r"|\bfirst\s+(?:move|movement|exercise)\s+(?:of\s+the\s+day|in\s+the\s+morning)\b"
    r"|\bas\s+soon\s+as\s+you\s+(?:get|wake)\s+up\b",
    re.IGNORECASE,
)
_CLAUSE_END = r"(?=\s*[,;.:!?()]|\s*$|\s+(?:and|but|then|while|so|because)\b)"
_TRAILING = re.compile(r"(?:\s+(?:do|use|try|keep|the|your|a|an|some))*\s*$", re.IGNORECASE)
_MORNING = re.compile(
    r"\b(?:every|each)\s+morning\b|\bin\s+the\s+mornings?\b"
    r"|\b(?:in|into|with|as\s+part\s+of)\s+(?:your|the)\s+morning\s+(?:routine|ritual|sequence)\b",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"\b(?:(?:at|after|before|during|between|with)\s+(?:every|each|any)"
    # "with every breath out", "after each rep": a part of the movement, not an event
    r"(?!\s+(?:breaths?|reps?|repetitions?|lifts?|moves?|movements?)\b)"
    r"|(?:each|every)\s+time)\s+[\w'\s-]+?" + _CLAUSE_END,
    re.IGNORECASE,
)
# An occasion or a place the timing is bound to, not a day's routine: "on the train to
# Leicester", "on your next long meeting". A desk is not one: desk work is every day.
_OCCASION = re.compile(
    r"\b(?:on|during|in|at|for|before|after)\s+(?!(?:you|we|they|i|he|she|it)\b)"
    r"(?:[\w'-]+\s+){0,3}?(?:trains?|journeys?|trips?|flights?|planes?|drives?|commutes?"
    r"|bus(?:es)?|coach(?:es)?|ferry|ferries|travels?|meetings?|performances?|shows?|concerts?"
    r"|gigs?|rehearsals?|match(?:es)?|games?|races?|tournaments?|lessons?|class(?:es)?"
    r"|lectures?|hikes?|rides?|holidays?|conferences?|weddings?|runs?|walks?)\b"
    r"[\w'\s-]*?" + _CLAUSE_END,
    re.IGNORECASE,
)

# A clause ends at a sentence's end (or a colon, semicolon, list item or blank line); the
# clause a timing or a stop belongs to ends at a comma, a dash or a joining word as well.
_SENTENCE_END = re.compile(r"[.!?;:](?=\s|$)|\n\s*\n|\n\s*(?:[-*+]|\d+[.)])\s")
_CLAUSE_BREAK = re.compile(r",|\s[-\u2013\u2014]\s|\b(?:and|but|then|while|so|because)\b", re.I)
_LEADING = re.compile(
    r"\s*(?:(?:the|your|a\s+few|a|an|some|more|also|any|those|these|with)\s+)*", re.IGNORECASE
)
# A clause that is only a timing ("twice a day") gives it to the names of the clause before.
_FILLER = re.compile(
    r"(?:\b(?:and|but|then|so|as|the|your|both|all|of|them|do|doing|repeat|repeating|ideally"
    r"|about|around|roughly|too|also|as\s+well|at\s+least|up\s+to)\b|[\s,()\u2013\u2014-])*",
    re.IGNORECASE,
)
_PROGRAM = re.compile(
    r"\b(?:it|this|routine|programme|program|plan|sessions?|exercises|everything)\b", re.I
)

# Words that stop what follows them in the clause ("I have left out the cat-camel")...
_TAKE_OUT = re.compile(
    r"\b(?:leave|leaves|left|leaving|take|takes|taken|took|taking|cut|cuts|cutting)\s+"
    r"(?:[\w'-]+\s+){0,4}?out\b",
    re.IGNORECASE,
)  # "left out the cat-camel", "take the bridges out"
_STOP_BEFORE = re.compile(
    r"\bhold(?:s|ing)?\s+off\b|\bno\s+(?:more|longer)\b|\binstead\s+of\b|\brather\s+than\b"
    r"|\b(?:stop|stops|stopped|stopping|quit|drop|drops|dropped|dropping|skip|skips|skipped"
    r"|skipping|avoid|avoids|avoiding|remove|removed|removing|pause|paused|pausing|without"
    r"|never)\b|\bg[ai]ve\s+up\b|\b(?:don't|dont|do\s+not)\s+(?:do|use|try|start|add)\b",
    re.IGNORECASE,
)
# A stop reaches a name past these words only ("left out the cat-camel", "the bridges and").
_GAP = re.compile(
    r"(?:[\s,]|\b(?:the|your|any|all|of|a|an|more|those|these|both|and|or|also|do|doing|with"
    r"|now|for\s+now)\b)*",
    re.IGNORECASE,
)
_NOT_BEFORE = re.compile(r"\b(?:not|no)\s+(?:(?:the|any|your)\s+)?$", re.IGNORECASE)  # "not the"
# ... or what comes before them ("the band press is off for now", "the bridges can stop")...
_STOP_AFTER = re.compile(
    r"\b(?:is|are|was|were|be|been|stays?|comes?|goes|go)\s+(?:now\s+|all\s+)?"
    r"(?:out|off|dropped|stopped|paused|removed|on\s+hold)\b"
    r"|\b(?:can|should|must|will|may)\s+(?:now\s+)?(?:stop|go)\b",
    re.IGNORECASE,
)
# ... unless the stop is itself negated: "don't skip the log roll" asks for it.
_NOT_STOP = re.compile(
    r"\b(?:don't|dont|do\s+not|never|without\s+fail)\s+"
    r"(?:stop|skip|drop|forget|miss|leave\s+out|give\s+up|neglect|quit)\b",
    re.IGNORECASE,
)
_MOVEMENTS: tuple[tuple[SpineMovement, re.Pattern[str]], ...] = (
    (
        "flexion",
        re.compile(
            r"\bbend(?:s|ing)?\s+(?:forwards?|over)\b|\bforward\s+bend(?:s|ing)?\b"
            r"|\bstoop(?:s|ing)?\b|\bround(?:s|ing)?\s+(?:your|the)\s+(?:lower\s+)?back\b"
            r"|\btouch(?:ing)?\s+your\s+toes\b",
            re.IGNORECASE,
        ),
    ),
    (
        "extension",
        re.compile(
            r"\bbend(?:s|ing)?\s+backwards?\b|\bbackward\s+bend(?:s|ing)?\b"
            r"|\barch(?:es|ing)?\s+(?:your|the)\s+(?:lower\s+)?back\b",
            re.IGNORECASE,
        ),
    ),
    (
        "rotation",
        re.compile(
            r"\btwist(?:s|ing)?\b|\brotat(?:e|es|ing|ion)\b"
            r"|\bturn(?:s|ing)?\s+(?:your|the)\s+(?:trunk|back|body|spine|upper\s+body)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "side_bend",
        re.compile(
            r"\bbend(?:s|ing)?\s+(?:to\s+the\s+side|sideways)\b|\bside\s+bend(?:s|ing)?\b",
            re.IGNORECASE,
        ),
    ),
)


# --- regions and positions ------------------------------------------------------

# Where a note points without naming an exercise, and the findings an exercise for it targets.
# A finding the library's vocabulary lacks is left out; the plan counts those the patient has.
_REGIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("upper back", r"upper[\s-]+back|mid(?:dle)?[\s-]+back|thoracic(?:\s+spine)?",
     ("thoracic_stiffness",)),
    ("hip", r"hips?", ("hip_mobility_limited", "hip_abductor_weakness", "glute_underuse")),
    ("glute", r"glutes?|buttocks?", ("glute_underuse", "hip_abductor_weakness")),
    ("leg", r"legs?", ("glute_underuse", "hip_abductor_weakness", "ankle_dorsiflexion_limited")),
    ("ankle", r"ankles?", ("ankle_dorsiflexion_limited",)),
    ("core", r"core", ("stabilizer_timing_delay",)),
)  # fmt: skip
_REGION = re.compile(
    r"(?<![\w-])(?:(?:left|right)\s+(?:and|or)\s+(?:left|right)\s+"  # both: no side
    r"|(?P<side>left|right)[\s-]+)?(?:"
    + "|".join(f"(?P<r{number}>{words})" for number, (_, words, _) in enumerate(_REGIONS))
    # "leg pain", "hip-width apart", "a hip hinge" name something else
    + r")(?![\w-]|[\s-]+(?:pain|symptoms?|aches?|numbness|tingling|cramps?|hinges?|flexors?"
    r"|width|height|bones?)\b)",
    re.IGNORECASE,
)
_REGION_FINDINGS = {name: findings for name, _, findings in _REGIONS}
_SIDES: dict[str, Literal["left", "right"]] = {"left": "left", "right": "right"}
# "work on those two areas": the regions named last, before it
_REFERENCE = re.compile(
    r"\b(?:(?:those|these|all\s+(?:the|those|these))\s+(?:(?P<n>two|three|four|2|3|4)\s+)?"
    r"|(?P<both>both)\s+(?:the\s+|those\s+|these\s+)?)(?:areas|regions|spots|parts)\b"
    r"|\b(?P<one>that|this)\s+(?:area|region|spot|part)\b",
    re.IGNORECASE,
)
_POSITIONS: tuple[tuple[str, str], ...] = (
    ("floor_sitting", r"sitting\s+on\s+the\s+floor"),  # before "sitting": the first wins
    ("standing", r"standing|on\s+your\s+feet"),
    ("sitting", r"sitting|seated|in\s+(?:a|the|your)\s+chair"),
    ("side_lying", r"side[\s-]*lying|(?:lying\s+)?on\s+your\s+side"),
    ("supine", r"(?:lying\s+)?on\s+your\s+back|supine"),
    ("prone", r"(?:lying\s+)?on\s+your\s+(?:front|tummy|stomach)|prone"),
    ("quadruped", r"on\s+(?:your\s+)?hands\s+and\s+knees|on\s+all\s+fours|quadruped"),
    ("half_kneeling", r"half[\s-]+kneeling"),  # before "kneeling"
    ("kneeling", r"kneeling"),
    ("lying_in_bed", r"(?:lying\s+)?in\s+bed"),
)
_POSITION = re.compile(
    r"(?<![\w-])(?:"
    + "|".join(f"(?P<p{number}>{words})" for number, (_, words) in enumerate(_POSITIONS))
    + r")(?![\w-])",
    re.IGNORECASE,
)
_STRENGTH = re.compile(r"\bstrength\w*|\bstrong(?:er)?\b|\bstabili[sz]\w*|\bstability\b", re.I)
_MOBILITY = re.compile(
    r"\bmobility\b|\bmobili[sz]\w*|\bstretch(?:es|ing)?\b|\bloosen\w*|\blooser\b|\bsupple\w*"
    r"|\bflexibility\b|\bfree(?:r)?\s+up\b",
    re.IGNORECASE,
)
# A region is asked for in a clause that says to work it, not in one that only names it
# ("your upper back and left hip should share", "so your legs do the work").
_WORK = re.compile(
    r"\bwork(?:s|ing)?\s+(?:on|at|into)\b|\bfocus(?:es|ing)?\s+on\b|\bbuild(?:s|ing)?\b"
    r"|\btrain(?:s|ing)?\b|\bexercis(?:e|es|ing)\b|\bdrills?\b",
    re.IGNORECASE,
)
_WORK_AFTER = re.compile(r"\s+work\b", re.IGNORECASE)  # "your hip work"
# Any of these before the region, or a stop after it, and the clause does not ask for it.
_NEGATION = re.compile(r"\b(?:not|no|never|don't|dont|won't|can't|cannot)\b", re.IGNORECASE)


# --- reading --------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """Something found in the note: where, and what."""

    start: int
    end: int
    exercise: str = ""
    movement: SpineMovement | None = None
    timing: Timing | None = None
    region: str = ""  # its name in _REGIONS
    side: Literal["left", "right"] | None = None
    position: str = ""
    # "those two areas": how many regions named before it, 0 for all the last sentence named
    refers: int | None = None


class _Spans:
    """Found things that do not overlap, in order, looked up by position."""

    def __init__(self, items: Iterable[_Found] = ()) -> None:
        self.items = sorted(items, key=lambda f: f.start)
        self.starts = [f.start for f in self.items]

    def overlaps(self, item: _Found) -> bool:
        at = bisect.bisect_left(self.starts, item.start)
        after = at < len(self.items) and self.items[at].start < item.end
        return after or (at > 0 and self.items[at - 1].end > item.start)

    def add(self, item: _Found) -> None:
        at = bisect.bisect_left(self.starts, item.start)
        self.starts.insert(at, item.start)
        self.items.insert(at, item)

    def last_before(self, position: int) -> _Found | None:
        """The last one that starts at or before `position`."""
        at = bisect.bisect_right(self.starts, position) - 1
        return self.items[at] if at >= 0 else None

    def first_after(self, position: int) -> _Found | None:
        """The first one that starts at or after `position`."""
        at = bisect.bisect_left(self.starts, position)
        return self.items[at] if at < len(self.items) else None

    def at(self, position: int) -> bool:
        """Whether one of them covers `position`."""
        found = self.last_before(position)
        return found is not None and position < found.end

    def inside(self, position: int) -> bool:
        """Whether `position` is inside one of them, past its first character."""
        found = self.last_before(position)
        return found is not None and found.start < position < found.end

    def between(self, start: int, end: int) -> list[_Found]:
        low = bisect.bisect_left(self.starts, start)
        return self.items[low : bisect.bisect_left(self.starts, end)]


def _number(text: str | None) -> int:
    if text is None:
        return 1
    words = " ".join(re.sub(r"\s*(?:times|x)$", "", text.lower()).split())
    return int(words) if words.isdigit() else _NUMBER_WORDS[words]


def _timings(text: str, ends: Iterable[_Found]) -> Iterator[_Found]:
    plain = [
        _Found(match.start(), match.end(), timing=timing(match))
        for pattern, timing in _TIMINGS
        for match in pattern.finditer(text)
    ]
    for pattern, moment in ((_FIRST_THING, FIRST_THING), (_MORNING, MORNING)):
        plain += [_Found(*m.span(), timing=Timing(trigger=moment)) for m in pattern.finditer(text)]
    yield from plain
    # "after every walk do the glide", "on the train every half hour": an event ends where a
    # name, a region or another timing starts
    cuts = _Spans([*ends, *plain])
    for pattern in (_EVENT, _OCCASION):
        for match in pattern.finditer(text):
            cut = cuts.first_after(match.start() + 1)
            end = cut.start if cut is not None and cut.start < match.end() else match.end()
            words = _TRAILING.sub("", text[match.start() : end])
            event = " ".join(words.split())
            event = event[:1].lower() + event[1:]  # "On the train to Leicester" mid-line
            timing = Timing(trigger=event, event=event)
            yield _Found(match.start(), match.start() + len(words), timing=timing)


def _exercises(text: str, library: Library) -> Iterator[_Found]:
    present = {word.strip("'") for word in re.findall(r"[\w']+", text.lower())}
    for exercise, firsts, pattern in _lexicon(_names(library)):
        if firsts.isdisjoint(present):
            continue  # a long note is read in a moment: most names are not in it
        for match in pattern.finditer(text):
            yield _Found(match.start(), match.end(), exercise=exercise)


def _places(text: str) -> Iterator[_Found]:
    """Regions, references to them ("those two areas") and positions."""
    for match in _REGION.finditer(text):
        side = _SIDES.get((match["side"] or "").lower())
        region = _REGIONS[int(str(match.lastgroup)[1:])][0]  # the region's group closes last
        yield _Found(*match.span(), region=region, side=side)
    for match in _REFERENCE.finditer(text):
        count = 1 if match["one"] else 2 if match["both"] else match["n"] and _number(match["n"])
        yield _Found(*match.span(), refers=count or 0)
    for match in _POSITION.finditer(text):
        position = _POSITIONS[int(str(match.lastgroup)[1:])][0]
        yield _Found(*match.span(), position=position)


def _movements(text: str) -> Iterator[_Found]:
    for movement, pattern in _MOVEMENTS:
        for match in pattern.finditer(text):
            yield _Found(match.start(), match.end(), movement=movement)


def _longest_first(found: Iterable[_Found], taken: _Spans) -> _Spans:
    """Where matches overlap, the longest wins (then the first); `taken` ones always win."""
    kept = _Spans()
    for item in sorted(found, key=lambda f: (f.start - f.end, f.start, f.exercise)):
        if not taken.overlaps(item) and not kept.overlaps(item):
            kept.add(item)
    return kept


@dataclass
class _Clause:
    start: int
    end: int
    names: list[_Found]
    timings: list[_Found]
    movements: list[_Found]
    regions: list[_Found]  # and references to them
    # the positions, a group for each part of a list: "standing and side-lying" is two groups,
    # "standing or side-lying" one
    positions: list[list[_Found]]


def _clauses(
    text: str,
    sentence: tuple[int, int],
    spans: _Spans,
    found: tuple[_Spans, _Spans, _Spans, _Spans],
) -> list[_Clause]:
    """A sentence cut at commas, dashes and joining words, outside what was found, with what
    was found in each part: names, timings, movements and places."""
    start, end = sentence
    cuts = [c for c in _CLAUSE_BREAK.finditer(text, start, end) if not spans.inside(c.start())]
    bounds = [(start, cuts[0].start() if cuts else end)] + [
        (cut.end(), cuts[i + 1].start() if i + 1 < len(cuts) else end) for i, cut in enumerate(cuts)
    ]
    names, timings, movements, places = found
    clauses = []
    for low, high in bounds:
        inside = places.between(low, high)
        positions = [f for f in inside if f.position]
        clauses.append(
            _Clause(
                low,
                high,
                names.between(low, high),
                timings.between(low, high),
                movements.between(low, high),
                [f for f in inside if not f.position],
                [positions] if positions else [],
            )
        )
    return clauses


def _sentences(text: str, spans: _Spans) -> list[tuple[int, int]]:
    sentences: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if not spans.inside(match.start()):
            sentences.append((start, match.start()))
            start = match.end()
    sentences.append((start, len(text)))
    return sentences


def _stopped_in(text: str, clause: _Clause) -> set[int]:
    """Where the names and movements the clause stops start: those right after words that stop
    what follows them ("left out the cat-camel", "hold off bending forward", "not the
    bridges"), inside "take ... out", or right before words that stop what comes before them
    ("the band press is off"), and the rest of a list one of them starts or ends."""
    items = sorted(clause.names + clause.movements, key=lambda f: f.start)
    if not items:
        return set()
    span = (clause.start, clause.end)
    masks = _Spans(_Found(*m.span()) for m in _NOT_STOP.finditer(text, *span))
    forward = _Spans(
        _Found(*m.span())
        for pattern in (_STOP_BEFORE, _TAKE_OUT)
        for m in pattern.finditer(text, *span)
        if not masks.at(m.start())
    )
    backward = _Spans(_Found(*m.span()) for m in _STOP_AFTER.finditer(text, *span))

    def gap(start: int, end: int) -> bool:
        return _GAP.fullmatch(text, start, end) is not None

    def after_stop(item: _Found) -> bool:
        before = forward.last_before(item.start)
        if before is not None and (before.end > item.start or gap(before.end, item.start)):
            return True  # inside "take ... out", or right after a stop
        low = max(clause.start, item.start - 20)
        return _NOT_BEFORE.search(text, low, item.start) is not None

    def before_stop(item: _Found) -> bool:
        after = backward.first_after(item.end)
        return after is not None and gap(item.end, after.start)

    ahead = {items[0].start} if after_stop(items[0]) else set()  # stopped by what precedes
    for previous, item in itertools.pairwise(items):
        if (previous.start in ahead and gap(previous.end, item.start)) or after_stop(item):
            ahead.add(item.start)
    behind = {items[-1].start} if before_stop(items[-1]) else set()  # by what follows
    for following, item in itertools.pairwise(items[::-1]):
        if (following.start in behind and gap(item.end, following.start)) or before_stop(item):
            behind.add(item.start)
    return ahead | behind


def _merge_lists(text: str, pieces: list[_Clause]) -> list[_Clause]:
    """ "the bridges and step-ups", "twisting or bending forward", "your upper back and left
    hip", "standing and side-lying": one list, one clause."""
    merged: list[_Clause] = []
    for piece in pieces:
        if merged and not text[piece.start : piece.end].strip():
            continue  # between the comma and the "and" of ", and the step-ups"
        lead = _LEADING.match(text, piece.start)
        at = piece.start if lead is None else lead.end()
        last = merged[-1] if merged else None
        if last is None:
            joins = False
        elif _starts(piece.names + piece.movements, at):
            joins = bool(last.names or last.movements)
        elif _starts(piece.regions, at):
            joins = bool(last.regions)
        else:
            joins = bool(last.regions or last.positions) and _starts(
                itertools.chain(*piece.positions), at
            )
        if last is not None and joins:
            last.end = piece.end
            last.names += piece.names
            last.timings += piece.timings
            last.movements += piece.movements
            last.regions += piece.regions
            last.positions += piece.positions
        else:
            merged.append(piece)
    return merged


def _starts(found: Iterable[_Found], at: int) -> bool:
    return any(f.start == at for f in found)


def _timed(clause: _Clause) -> list[tuple[_Found, Timing | None]]:
    """Each name in a clause with its timing: the timings that follow a run of names, up to
    the next name, belong to that run ("the bridges and step-ups every day"); timings before
    the first name belong to the first run."""
    runs: list[tuple[list[_Found], list[_Found]]] = []
    leading: list[_Found] = []
    for item in sorted(clause.names + clause.timings, key=lambda f: f.start):
        if item.timing is None:
            if not runs or runs[-1][1]:
                runs.append(([], []))
            runs[-1][0].append(item)
        elif runs:
            runs[-1][1].append(item)
        else:
            leading.append(item)
    if runs:
        runs[0][1][:0] = leading
    named: list[tuple[_Found, Timing | None]] = []
    for names, timings in runs:
        timing = _combined(timings)
        named += [(name, timing) for name in names]
    return named


def _combined(timings: Iterable[_Found]) -> Timing | None:
    combined: Timing | None = None
    for item in timings:
        if item.timing is not None:
            combined = item.timing if combined is None else combined.merged(item.timing)
    return combined


def _bare(text: str, clause: _Clause) -> bool:
    """Whether a clause says nothing but when: "twice a day", "and both every hour"."""
    at = clause.start
    for timing in clause.timings:
        if _FILLER.fullmatch(text, at, timing.start) is None:
            return False
        at = timing.end
    return _FILLER.fullmatch(text, at, clause.end) is not None


def _asks_work(text: str, clause: _Clause, item: _Found) -> bool:
    """Whether the clause asks for work on the region (or reference) `item`: it says to work,
    build, strengthen or stretch ("hip work" too), and no "not", "stop" or "hold off" comes
    before the region, nor "is off" or "can stop" after it."""
    span = (clause.start, clause.end)
    said = any(p.search(text, *span) for p in (_WORK, _STRENGTH, _MOBILITY))
    if not (said or _WORK_AFTER.match(text, item.end)):
        return False
    masks = _Spans(_Found(*m.span()) for m in _NOT_STOP.finditer(text, *span))
    for pattern in (_NEGATION, _STOP_BEFORE, _TAKE_OUT):
        if any(not masks.at(m.start()) for m in pattern.finditer(text, clause.start, item.start)):
            return False
    return _STOP_AFTER.search(text, item.end, clause.end) is None


_TURNING = re.compile(r"\b(?:turn(?:s|ing)?|rotat\w*|twist\w*)\b", re.IGNORECASE)


def _kind(text: str, clause: _Clause) -> RegionKind | None:
    strength = _STRENGTH.search(text, clause.start, clause.end) is not None
    mobility = _MOBILITY.search(text, clause.start, clause.end) is not None
    if strength == mobility:
        return None  # neither, or both: any work there
    return "strength" if strength else "mobility"


def _referred(named: list[tuple[int, _Found]], reference: _Found) -> list[_Found]:
    """The regions a reference is to: as many as it counts ("those two areas"), named last
    before it, or those of the last sentence that named one ("those areas")."""
    count = reference.refers or 0
    if not count and named:
        last = named[-1][0]
        count = next(
            (n for n, (sentence, _) in enumerate(reversed(named)) if sentence != last),
            len(named),
        )
    return [region for _, region in named[max(0, len(named) - count) :]]


def read_note(text: str, library: Library) -> NoteReading:
    """Read a clinician's note against the library's exercise names and vocabulary."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    names = _longest_first(_exercises(text, library), _Spans())
    found_places = list(_places(text))
    timings = _longest_first(_timings(text, [*names.items, *found_places]), names)
    movements = _longest_first(_movements(text), _Spans(names.items + timings.items))
    places = _longest_first(found_places, _Spans(names.items + timings.items + movements.items))
    spans = _Spans(names.items + timings.items + movements.items + places.items)
    breaks = [m.start() for m in re.finditer("\n", text)]
    vocabulary = library.vocabulary

    def line(at: int) -> int:
        return bisect.bisect_left(breaks, at) + 1

    def words(found: _Found) -> str:
        return " ".join(text[found.start : found.end].split())

    turning: set[int] = set()  # where each region that is named in a turning sentence starts

    def region_asks(clause: _Clause, asked_at: _Found, region: _Found) -> list[RegionAsk]:
        findings = tuple(f for f in _REGION_FINDINGS[region.region] if f in vocabulary.findings)
        groups = [
            tuple(dict.fromkeys(f.position for f in group if f.position in vocabulary.positions))
            for group in clause.positions
        ]
        timing = _combined(clause.timings)
        kind = _kind(text, clause)
        return [
            RegionAsk(
                region.region,
                findings,
                region.side,
                group,
                kind,
                timing,
                line(asked_at.start),
                words(region),
                region.start in turning,
            )
            for group in dict.fromkeys(groups or [()])
            if findings
        ]

    mentions: list[Mention] = []
    avoidances: list[Avoidance] = []
    regions: list[RegionAsk] = []
    named: list[tuple[int, _Found]] = []  # (its sentence, the region) for each region named
    program: Timing | None = None
    program_line: int | None = None
    found = (names, timings, movements, places)
    for number, sentence in enumerate(_sentences(text, spans)):
        clauses = _merge_lists(text, _clauses(text, sentence, spans, found))
        said: list[list[Mention]] = []
        regioned: list[list[RegionAsk]] = []
        for clause in clauses:
            stopped = _stopped_in(text, clause)
            said.append([])
            for name, timing in _timed(clause):
                stop = name.start in stopped
                timing = None if stop else timing
                said[-1].append(Mention(name.exercise, words(name), line(name.start), stop, timing))
            avoidances += [
                Avoidance(m.movement, words(m), line(m.start))
                for m in clause.movements
                if m.movement is not None and m.start in stopped
            ]
            regioned.append([])
            for item in clause.regions:
                if item.refers is None:
                    named.append((number, item))
                    if _TURNING.search(text, *sentence):
                        turning.add(item.start)
                    meant = [item]
                else:
                    meant = _referred(named, item)
                if _asks_work(text, clause, item):
                    regioned[-1] += [
                        a for region in meant for a in region_asks(clause, item, region)
                    ]
        # A timing with no name in its clause is the whole program's ("do it three times a
        # week"), or, said on its own ("twice a day"), the asks' of the clause nearest it.
        asking = [
            i
            for i, (group, areas) in enumerate(zip(said, regioned, strict=True))
            if areas or any(not m.stop for m in group)
        ]
        for index, clause in enumerate(clauses):
            timing = _combined(clause.timings)
            if clause.names or regioned[index] or timing is None:
                continue
            counted = timing.per_day is not None or timing.per_week is not None
            whole = _PROGRAM.search(text, clause.start, clause.end) is not None
            if counted and (whole or not asking):
                if program is None:
                    program, program_line = timing, line(clause.timings[0].start)
            elif asking and _bare(text, clause):
                before = bisect.bisect_left(asking, index)
                near = asking[before - 1] if before else asking[0]
                said[near] = [m if m.stop else _timed_also(m, timing) for m in said[near]]
                regioned[near] = [_timed_also(a, timing) for a in regioned[near]]
        mentions += [m for group in said for m in group]
        regions += [a for areas in regioned for a in areas]
    return NoteReading(tuple(mentions), program, program_line, tuple(avoidances), tuple(regions))
