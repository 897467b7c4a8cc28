"""A progress chart: NPRS, Oswestry and PSFS across all assessments, as an accessible inline SVG.

Hand-built SVG, so the PDF stays vector and the build needs no plotting library. The chart
uses presentation attributes only (no `style`, no scripts, no external references), so the
site's Content-Security-Policy allows it and WeasyPrint draws it. The same numbers go into a
data table through `progress_rows`, worded by the same `ChartLabels`.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

__all__ = [
    "ChartLabels",
    "Point",
    "format_number",
    "progress_chart",
    "progress_columns",
    "progress_rows",
    "short_date",
    "summary",
]


@dataclass(frozen=True)
class Point:
    """One assessment's outcome measures; any may be missing."""

    date: datetime.date
    nprs: int | None  # pain 0-10, lower is better
    odi: float | None  # Oswestry Disability Index 0-100 (%), lower is better
    psfs: float | None  # PSFS average 0-10, higher is better


def N_(message: str) -> str:
    """Marks an English default for scripts/messages.py to extract; the renderer translates."""
    return message


@dataclass(frozen=True)
class ChartLabels:
    """Every word the chart and its table show, in English; pass translations to change them.

    Summary templates may use {first}, {last}, {first_date} and {last_date} (a measure with two
    or more values) or {value} and {date} (one value, or the same value throughout). Anything
    else in braces is left as written.
    """

    nprs_title: str = N_("Pain (0-10)")
    odi_title: str = N_("Oswestry (%)")
    psfs_title: str = N_("Activities (0-10)")
    date_heading: str = N_("Date")
    lower_is_better: str = N_("lower is better")
    higher_is_better: str = N_("higher is better")
    not_measured: str = N_("not measured")
    nprs_change: str = N_("Pain went from {first} to {last} out of 10.")
    odi_change: str = N_("Oswestry went from {first} % to {last} %.")
    psfs_change: str = N_("Activity ratings went from {first} to {last} out of 10.")
    nprs_steady: str = N_("Pain stayed at {value} out of 10.")
    odi_steady: str = N_("Oswestry stayed at {value} %.")
    psfs_steady: str = N_("Activity ratings stayed at {value} out of 10.")
    nprs_once: str = N_("Pain was {value} out of 10.")
    odi_once: str = N_("Oswestry was {value} %.")
    psfs_once: str = N_("Activity ratings were {value} out of 10.")
    nprs_missing: str = N_("Pain was not measured.")
    odi_missing: str = N_("Oswestry was not measured.")
    psfs_missing: str = N_("Activity ratings were not measured.")
    no_data: str = N_("No measures recorded yet.")


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_date(day: datetime.date) -> str:
    """The default date wording: "2 Sep 2026", the same in every locale."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def format_number(value: float) -> str:
    """The default number wording: at most one decimal, none when whole: 6, 3.5, 4.3."""
    rounded = round(value, 1)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.1f}"


# --- look ---------------------------------------------------------------------

FONT = "Atkinson Hyperlegible, sans-serif"
TEXT = "#1d2321"  # 15.9:1 on white
MUTED = "#4a5350"  # 7.9:1 on white
GRID = "#d5dcd9"
BACKGROUND = "#ffffff"
DEFAULT_ACCENT = "#2f6f62"
HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

WIDTH = 360  # viewBox units; 1:1 with CSS px on a phone
LEFT = 34  # room for the scale labels
RIGHT = 8
PAD = 22  # between the plot edge and the first/last dot, for their value labels
TITLE_SIZE = 14
HINT_SIZE = 12
LABEL_SIZE = 11  # scale, dates and values
TITLE_Y = 15
HINT_Y = 31
PLOT_TOP = 54  # the scale's top; a value label fits above it, under the hint
PLOT_HEIGHT = 84
DATES_Y = PLOT_TOP + PLOT_HEIGHT + 16
PANEL_HEIGHT = DATES_Y + 4
GAP = 22
CHAR = 0.6  # a generous estimate of a character's width, in ems
LABEL_GAP = 8  # the least space between two date labels


@dataclass(frozen=True)
class Measure:
    title: str
    hint: str
    top: float  # the scale's maximum
    ticks: tuple[float, ...]
    values: tuple[float | None, ...]


def progress_chart(
    points: Sequence[Point],
    *,
    title: str,
    description: str | None = None,
    labels: ChartLabels = ChartLabels(),
    format_date: Callable[[datetime.date], str] = short_date,
    format_value: Callable[[float], str] = format_number,
    accent: str = DEFAULT_ACCENT,
    id_prefix: str = "progress",
) -> str:
    """An inline `<svg>` of pain, Oswestry and activity ratings, one small panel each.

    Points are drawn oldest first, evenly spaced. A missing value leaves a gap in its line; a
    measure never taken says so in its panel. `description` defaults to a summary in words of
    the first and last values. `id_prefix` must make the title's and description's ids unique
    on the page.
    """
    if not ID.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must be a letter then letters, digits, - or _: {id_prefix!r}")
    ordered = _ordered(points)
    measures = _measures(ordered, labels)
    if description is None:
        description = summary(ordered, labels, format_date=format_date, format_value=format_value)
    colour = _accent(accent)
    dates = [format_date(point.date) for point in ordered]
    height = 3 * PANEL_HEIGHT + 2 * GAP
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-labelledby="{title_id} {desc_id}" font-family="{FONT}" '
        f'font-size="{LABEL_SIZE}" fill="{TEXT}">',
        f'<title id="{title_id}">{_text(title)}</title>',
        f'<desc id="{desc_id}">{_text(description)}</desc>',
    ]
    for index, measure in enumerate(measures):
        out.append(f'<g transform="translate(0 {index * (PANEL_HEIGHT + GAP)})">')
        out.extend(_panel(measure, dates, colour, labels, format_value))
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def progress_columns(labels: ChartLabels = ChartLabels()) -> tuple[str, str, str, str]:
    """The data table's column headings, worded as the chart's panels are."""
    return (labels.date_heading, labels.nprs_title, labels.odi_title, labels.psfs_title)


def progress_rows(
    points: Sequence[Point],
    labels: ChartLabels = ChartLabels(),
    format_date: Callable[[datetime.date], str] = short_date,
    format_value: Callable[[float], str] = format_number,
) -> list[tuple[str, str, str, str]]:
    """The chart's numbers as table rows, oldest first: date, pain, Oswestry, activities."""

    def cell(value: float | None) -> str:
        return labels.not_measured if value is None else format_value(value)

    return [
        (
            format_date(point.date),
            cell(_finite(point.nprs)),
            cell(_finite(point.odi)),
            cell(_finite(point.psfs)),
        )
        for point in _ordered(points)
    ]


def summary(
    points: Sequence[Point],
    labels: ChartLabels = ChartLabels(),
    *,
    format_date: Callable[[datetime.date], str] = short_date,
    format_value: Callable[[float], str] = format_number,
) -> str:
    """The chart's description in plain words: each measure's first and last value."""
    ordered = _ordered(points)
    if not ordered:
        return labels.no_data
    templates = (
        (labels.nprs_change, labels.nprs_steady, labels.nprs_once, labels.nprs_missing),
        (labels.odi_change, labels.odi_steady, labels.odi_once, labels.odi_missing),
        (labels.psfs_change, labels.psfs_steady, labels.psfs_once, labels.psfs_missing),
    )
    sentences = []
    for measure, (change, steady, once, missing) in zip(
        _measures(ordered, labels), templates, strict=True
    ):
        taken = [
            (point.date, value)
            for point, value in zip(ordered, measure.values, strict=True)
            if value is not None
        ]
        if not taken:
            sentences.append(missing)
            continue
        (first_day, first), (last_day, last) = taken[0], taken[-1]
        words = {
            "first": format_value(first),
            "last": format_value(last),
            "first_date": format_date(first_day),
            "last_date": format_date(last_day),
            "value": format_value(last),
            "date": format_date(last_day),
        }
        if len(taken) == 1:
            template = once
        elif words["first"] == words["last"] and len({format_value(v) for _, v in taken}) == 1:
            template = steady
        else:
            template = change
        sentences.append(_fill(template, words))
    return " ".join(sentences)


# --- drawing ------------------------------------------------------------------


def _panel(
    measure: Measure,
    dates: Sequence[str],
    colour: str,
    labels: ChartLabels,
    format_value: Callable[[float], str],
) -> list[str]:
    out = []
    width = WIDTH - 2
    out.append(
        f'<text x="0" y="{TITLE_Y}" font-size="{_fit(measure.title, TITLE_SIZE, width)}" '
        f'font-weight="bold">{_text(measure.title)}</text>'
    )
    out.append(
        f'<text x="0" y="{HINT_Y}" font-size="{_fit(measure.hint, HINT_SIZE, width)}" '
        f'fill="{MUTED}">{_text(measure.hint)}</text>'
    )
    plot_right = WIDTH - RIGHT
    bottom = PLOT_TOP + PLOT_HEIGHT
    measured = any(value is not None for value in measure.values)

    def y_of(value: float) -> float:
        return bottom - PLOT_HEIGHT * min(max(value, 0.0), measure.top) / measure.top

    # Gridlines and the scale; a panel with nothing to draw keeps only its baseline.
    for tick in measure.ticks if measured else measure.ticks[:1]:
        grid_y = _n(y_of(tick))
        out.append(
            f'<line x1="{LEFT}" y1="{grid_y}" x2="{plot_right}" y2="{grid_y}" stroke="{GRID}" '
            f'stroke-width="1"/>'
        )
        if measured:
            out.append(
                f'<text x="{LEFT - 6}" y="{_n(y_of(tick) + 4)}" text-anchor="end" '
                f'fill="{MUTED}">{_text(format_number(tick))}</text>'
            )

    xs = _xs(len(dates))
    for x in xs:  # a tick under each assessment, labelled or not
        out.append(
            f'<line x1="{_n(x)}" y1="{bottom}" x2="{_n(x)}" y2="{bottom + 4}" stroke="{MUTED}" '
            f'stroke-width="1"/>'
        )
    out.extend(_date_labels(dates, xs))

    if not measured:
        middle = (LEFT + plot_right) / 2
        text = labels.not_measured
        out.append(
            f'<text x="{_n(middle)}" y="{_n(PLOT_TOP + PLOT_HEIGHT / 2 + 5)}" '
            f'text-anchor="middle" font-size="{_fit(text, HINT_SIZE + 2, plot_right - LEFT)}" '
            f'fill="{MUTED}">{_text(text)}</text>'
        )
        return out

    # Each value is printed above or below its dot, away from the line, on a white patch that
    # hides the gridlines (not the line: that is drawn over the patches).
    values = measure.values
    patches, marks = [], []
    for index, (x, value) in enumerate(zip(xs, values, strict=True)):
        if value is None:
            continue
        y = y_of(value)
        marks.append(
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4" fill="{colour}" stroke="{BACKGROUND}" '
            f'stroke-width="1.5"/>'
        )
        before = values[index - 1] if index > 0 else None
        after = values[index + 1] if index + 1 < len(values) else None
        neighbours = [near for near in (before, after) if near is not None]
        above = not neighbours or value >= sum(neighbours) / len(neighbours)
        if bottom - y < 18:  # no room below, over the baseline and dates; always room above
            above = True
        label_y = y - 8 if above else y + 16
        label = format_value(value)
        patch = len(label) * CHAR * LABEL_SIZE + 2
        patches.append(
            f'<rect x="{_n(x - patch / 2)}" y="{_n(label_y - 9)}" width="{_n(patch)}" '
            f'height="11" fill="{BACKGROUND}"/>'
        )
        marks.append(
            f'<text x="{_n(x)}" y="{_n(label_y)}" text-anchor="middle" font-weight="bold">'
            f"{_text(label)}</text>"
        )
    out.extend(patches)

    # The line, broken where a value is missing.
    run: list[str] = []
    runs: list[list[str]] = []
    for x, value in zip(xs, values, strict=True):
        if value is None:
            run = []
            continue
        if not run:
            runs.append(run)
        run.append(f"{_n(x)},{_n(y_of(value))}")
    for run in runs:
        if len(run) > 1:
            out.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                f'stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>'
            )
    out.extend(marks)
    return out


def _xs(count: int) -> list[float]:
    """Evenly spaced by assessment, one alone in the middle."""
    left, right = LEFT + PAD, WIDTH - RIGHT - PAD
    if count == 1:
        return [(left + right) / 2]
    step = (right - left) / max(count - 1, 1)
    return [left + step * index for index in range(count)]


def _date_labels(dates: Sequence[str], xs: Sequence[float]) -> list[str]:
    """The dates under the plot: the first and last always, others where they fit.

    Dates too long for the first and last to stand apart are set smaller, down to 8.
    """
    if not dates:
        return []
    last = len(dates) - 1
    size = float(LABEL_SIZE)
    spans = _spans(dates, xs, size)
    while not (spans[0][1] - spans[0][0] <= WIDTH and (last == 0 or _apart(spans[0], spans[last]))):
        if size <= 8:
            return [_date_label(dates[0], spans[0], size)]  # the table has the rest
        size -= 0.5
        spans = _spans(dates, xs, size)

    # Evenly thinned: the smallest stride that leaves room between neighbours.
    chosen = [0]
    for stride in range(1, last + 1):
        picks = [i for i in range(0, last, stride) if _apart(spans[i], spans[last])] + [last]
        if all(_apart(spans[a], spans[b]) for a, b in pairwise(picks)):
            chosen = picks
            break
    return [_date_label(dates[index], spans[index], size) for index in chosen]


def _spans(dates: Sequence[str], xs: Sequence[float], size: float) -> list[tuple[float, float]]:
    """Where each date's label would reach, left and right, centred under its point but
    kept inside the chart."""
    spans = []
    for date, x in zip(dates, xs, strict=True):
        width = len(date) * CHAR * size
        centre = min(max(x, width / 2), WIDTH - width / 2)
        spans.append((centre - width / 2, centre + width / 2))
    return spans


def _apart(left: tuple[float, float], right: tuple[float, float]) -> bool:
    return right[0] - left[1] >= LABEL_GAP


def _date_label(date: str, span: tuple[float, float], size: float) -> str:
    font = "" if size == LABEL_SIZE else f' font-size="{_n(size)}"'
    return (
        f'<text x="{_n((span[0] + span[1]) / 2)}" y="{DATES_Y}" text-anchor="middle"{font} '
        f'fill="{MUTED}">{_text(date)}</text>'
    )


# --- data ---------------------------------------------------------------------


def _ordered(points: Sequence[Point]) -> list[Point]:
    return sorted(points, key=lambda point: point.date)  # stable: same-day order kept


def _measures(points: Sequence[Point], labels: ChartLabels) -> tuple[Measure, Measure, Measure]:
    return (
        Measure(
            labels.nprs_title,
            labels.lower_is_better,
            10,
            (0, 5, 10),
            tuple(_finite(point.nprs) for point in points),
        ),
        Measure(
            labels.odi_title,
            labels.lower_is_better,
            100,
            (0, 50, 100),
            tuple(_finite(point.odi) for point in points),
        ),
        Measure(
            labels.psfs_title,
            labels.higher_is_better,
            10,
            (0, 5, 10),
            tuple(_finite(point.psfs) for point in points),
        ),
    )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


# --- text ---------------------------------------------------------------------

# Characters XML 1.0 can't hold at all; dropped rather than break the document.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    """Escaped for element content and double-quoted attributes."""
    value = NOT_XML.sub("", value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _fill(template: str, words: dict[str, str]) -> str:
    """Only the named placeholders are filled: a translator's stray brace can't break it."""
    return re.sub(r"\{(\w+)\}", lambda match: words.get(match.group(1), match.group(0)), template)


def _fit(text: str, size: float, width: float) -> str:
    """A font size that keeps `text` within `width`, by estimate, never below 9."""
    needed = len(text) * CHAR * size
    return _n(max(9.0, size * min(1.0, width / needed)) if needed else size)


def _n(value: float) -> str:
    """A coordinate, to one decimal at most, so the SVG stays small."""
    rounded = round(value, 1)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.1f}"


def _accent(colour: str) -> str:
    """The accent if it's a hex colour that stands out from white (3:1), else the default."""
    if not HEX_COLOUR.fullmatch(colour):
        return DEFAULT_ACCENT
    digits = colour[1:]
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    if 1.05 / (luminance + 0.05) < 3:
        return DEFAULT_ACCENT
    return "#" + digits.lower()
