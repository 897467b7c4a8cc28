"""Reading a clinician's note: the exercises it names, whether it asks for or stops each one,
how often, and the spine movements it says to avoid. Pure and deterministic.

The reading is small and explicit: word lists and regular expressions over English, read a
clause at a time. A note in another language reads as nothing.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields, replace

from movebook.model import Library, SpineMovement

FIRST_THING = "first_thing"  # the trigger of "first thing", "your first move of the day"


@dataclass(frozen=True)
class Timing:
    """When or how often the note wants something done; any part may be missing."""

    every_min: int | None = None  # "every two hours": 120
    per_day: int | None = None  # "twice a day": 2
    per_week: int | None = None  # "three times a week": 3
    trigger: str | None = None  # FIRST_THING, or the note's words: "before every performance"

    def merged(self, other: Timing | None) -> Timing:
        """This timing, with the parts it lacks taken from `other`."""
        if other is None:
            return self
        return replace(
            self,
            **{
                part.name: getattr(other, part.name)
                for part in fields(self)
                if getattr(self, part.name) is None
            },
        )


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


@dataclass(frozen=True)
class NoteReading:
    """What a note says about the plan."""

    mentions: tuple[Mention, ...] = ()
    program: Timing | None = None  # how often the whole program: "do it three times a week"
    program_line: int | None = None
    avoidances: tuple[Avoidance, ...] = ()

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


def _timed_also(mention: Mention, timing: Timing | None) -> Mention:
    """The mention, with the parts of `timing` it lacks."""
    if timing is None:
        return mention
    return replace(
        mention, timing=timing if mention.timing is None else mention.timing.merged(timing)
    )


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
_EVENT = re.compile(
    r"\b(?:(?:at|after|before|during|between|with)\s+(?:every|each|any)"
    r"|(?:each|every)\s+time)\s+[\w'\s-]+?" + _CLAUSE_END,
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


# --- reading --------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """Something found in the note: where, and what."""

    start: int
    end: int
    exercise: str = ""
    movement: SpineMovement | None = None
    timing: Timing | None = None


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


def _timings(text: str, names: _Spans) -> Iterator[_Found]:
    for pattern, timing in _TIMINGS:
        for match in pattern.finditer(text):
            yield _Found(match.start(), match.end(), timing=timing(match))
    for match in _FIRST_THING.finditer(text):
        yield _Found(match.start(), match.end(), timing=Timing(trigger=FIRST_THING))
    for match in _EVENT.finditer(text):
        # "after every walk do the glide": the event ends where a name starts
        name = names.first_after(match.start() + 1)
        end = name.start if name is not None and name.start < match.end() else match.end()
        words = _TRAILING.sub("", text[match.start() : end])
        trigger = " ".join(words.lower().split())
        yield _Found(match.start(), match.start() + len(words), timing=Timing(trigger=trigger))


def _exercises(text: str, library: Library) -> Iterator[_Found]:
    present = {word.strip("'") for word in re.findall(r"[\w']+", text.lower())}
    for exercise, firsts, pattern in _lexicon(_names(library)):
        if firsts.isdisjoint(present):
            continue  # a long note is read in a moment: most names are not in it
        for match in pattern.finditer(text):
            yield _Found(match.start(), match.end(), exercise=exercise)


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


def _clauses(text: str, sentence: tuple[int, int], spans: _Spans, *kinds: _Spans) -> list[_Clause]:
    """A sentence cut at commas, dashes and joining words, outside what was found, with what
    was found in each part."""
    start, end = sentence
    cuts = [c for c in _CLAUSE_BREAK.finditer(text, start, end) if not spans.inside(c.start())]
    bounds = [(start, cuts[0].start() if cuts else end)] + [
        (cut.end(), cuts[i + 1].start() if i + 1 < len(cuts) else end) for i, cut in enumerate(cuts)
    ]
    return [
        _Clause(low, high, *(kind.between(low, high) for kind in kinds)) for low, high in bounds
    ]


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
    """ "the bridges and step-ups", "twisting or bending forward": one list, one clause."""
    merged: list[_Clause] = []
    for piece in pieces:
        lead = _LEADING.match(text, piece.start)
        listed = piece.names + piece.movements
        starts_a_name = lead is not None and any(f.start == lead.end() for f in listed)
        if merged and (merged[-1].names or merged[-1].movements) and starts_a_name:
            last = merged[-1]
            last.end = piece.end
            last.names += piece.names
            last.timings += piece.timings
            last.movements += piece.movements
        else:
            merged.append(piece)
    return merged


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


def read_note(text: str, library: Library) -> NoteReading:
    """Read a clinician's note against the library's exercise names."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    names = _longest_first(_exercises(text, library), _Spans())
    timings = _longest_first(_timings(text, names), names)
    movements = _longest_first(_movements(text), _Spans(names.items + timings.items))
    spans = _Spans(names.items + timings.items + movements.items)
    breaks = [m.start() for m in re.finditer("\n", text)]

    def line(at: int) -> int:
        return bisect.bisect_left(breaks, at) + 1

    def words(found: _Found) -> str:
        return " ".join(text[found.start : found.end].split())

    mentions: list[Mention] = []
    avoidances: list[Avoidance] = []
    program: Timing | None = None
    program_line: int | None = None
    for sentence in _sentences(text, spans):
        clauses = _merge_lists(text, _clauses(text, sentence, spans, names, timings, movements))
        said: list[list[Mention]] = []
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
        # A timing with no name in its clause is the whole program's ("do it three times a
        # week"), or, said on its own ("twice a day"), the asks' of the clause nearest it.
        asking = [i for i, group in enumerate(said) if any(not m.stop for m in group)]
        for index, clause in enumerate(clauses):
            timing = _combined(clause.timings)
            if clause.names or timing is None:
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
        mentions += [m for group in said for m in group]
    return NoteReading(tuple(mentions), program, program_line, tuple(avoidances))
