"""The progress chart: well-formed, accessible SVG that WeasyPrint draws, and its table rows."""

from __future__ import annotations

import datetime
import io
import logging
import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest

from movebook.chart import (
    ChartLabels,
    Point,
    format_number,
    progress_chart,
    progress_columns,
    progress_rows,
    short_date,
)

SVG = "{http://www.w3.org/2000/svg}"
DAY = datetime.date(2026, 9, 2)

THREE = [
    Point(DAY, 6, 42, 3.5),
    Point(DAY + datetime.timedelta(days=28), 5, None, 5.0),
    Point(DAY + datetime.timedelta(days=56), 3, 24, 7.0),
]
EIGHT = [
    Point(
        DAY + datetime.timedelta(days=14 * i),
        [8, 7, 7, 5, 6, 4, 2, 1][i],
        [60, 55, 50, 40, 38, 30, 22, 10][i],
        [1.0, 2.0, 3.3, 4.0, 5.0, 6.7, 8.0, 10.0][i],
    )
    for i in range(8)
]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def panels(root: ET.Element) -> list[ET.Element]:
    """The three panels, top to bottom: pain, Oswestry, activities."""
    groups = root.findall(f"{SVG}g")
    assert len(groups) == 3
    return groups


def texts(element: ET.Element) -> list[str]:
    return [text.text or "" for text in element.iter(f"{SVG}text")]


def dots(panel: ET.Element) -> list[tuple[float, float]]:
    return [(float(c.get("cx", "")), float(c.get("cy", ""))) for c in panel.iter(f"{SVG}circle")]


def lines(panel: ET.Element) -> list[list[tuple[float, float]]]:
    """Each polyline's points."""
    out = []
    for polyline in panel.iter(f"{SVG}polyline"):
        pairs = (pair.split(",") for pair in polyline.get("points", "").split())
        out.append([(float(x), float(y)) for x, y in pairs])
    return out


# --- structure and accessibility ------------------------------------------------


def test_svg_is_well_formed_with_role_title_and_description() -> None:
    svg = progress_chart(THREE, title="Your progress")
    assert svg.startswith("<svg ")
    assert "<?xml" not in svg
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("viewBox", "").startswith("0 0 360 ")
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert title.text == "Your progress"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert (title.get("id"), desc.get("id")) == ("progress-title", "progress-desc")
    assert list(root)[:2] == [title, desc]  # first children, as assistive technology expects


def test_id_prefix_names_the_ids() -> None:
    root = parse(progress_chart(THREE, title="t", id_prefix="chart-2"))
    assert root.get("aria-labelledby") == "chart-2-title chart-2-desc"
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert ids == ["chart-2-title", "chart-2-desc"]


@pytest.mark.parametrize("prefix", ["", "1abc", 'a" onload="x', "a b", "a<b"])
def test_a_bad_id_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="id_prefix"):
        progress_chart(THREE, title="t", id_prefix=prefix)


def test_panels_have_titles_and_hints() -> None:
    root = parse(progress_chart(THREE, title="t"))
    pain, odi, psfs = panels(root)
    assert texts(pain)[:2] == ["Pain (0-10)", "lower is better"]
    assert texts(odi)[:2] == ["Oswestry (%)", "lower is better"]
    assert texts(psfs)[:2] == ["Activities (0-10)", "higher is better"]
    assert {"0", "5", "10"} <= set(texts(pain))
    assert {"0", "50", "100"} <= set(texts(odi))


def test_no_styles_scripts_or_external_references() -> None:
    hostile = '<script>alert(1)</script><style>*{}</style>" style="x'
    svg = progress_chart(
        THREE,
        title=hostile,
        description=hostile,
        labels=ChartLabels(nprs_title=hostile, not_measured=hostile),
        format_date=lambda day: hostile,
        accent=hostile,
    )
    root = parse(svg)
    for element in root.iter():
        assert element.tag.removeprefix(SVG) not in {"style", "script", "image", "use", "a"}
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)
        assert not any("href" in name for name in element.attrib)
        assert not any("url(" in value for value in element.attrib.values())
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_a_hostile_title_is_shown_as_text() -> None:
    svg = progress_chart(THREE, title="<script>alert('x')</script> & more")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    title = parse(svg).find(f"{SVG}title")
    assert title is not None
    assert title.text == "<script>alert('x')</script> & more"


def test_characters_xml_cannot_hold_are_dropped() -> None:
    root = parse(progress_chart(THREE, title="a\x00b\x1bc\ufffe", description="d\x08e"))
    assert root.findtext(f"{SVG}title") == "abc"
    assert root.findtext(f"{SVG}desc") == "de"


@pytest.mark.parametrize(
    ("accent", "drawn"),
    [
        ("#2f6f62", "#2f6f62"),
        ("#A00", "#aa0000"),
        ("#123456", "#123456"),
        ("red", "#2f6f62"),
        ("#12345", "#2f6f62"),
        ('#fff" onload="x', "#2f6f62"),
        ("#ffffff", "#2f6f62"),  # too faint on white to see
        ("#ffeb3b", "#2f6f62"),
    ],
)
def test_accent_only_as_a_visible_hex_colour(accent: str, drawn: str) -> None:
    root = parse(progress_chart(THREE, title="t", accent=accent))
    strokes = {p.get("stroke") for p in root.iter(f"{SVG}polyline")}
    fills = {c.get("fill") for c in root.iter(f"{SVG}circle")}
    assert strokes == fills == {drawn}


def test_text_colours_are_the_dark_and_muted_ones() -> None:
    root = parse(progress_chart(THREE, title="t"))
    assert root.get("fill") == "#1d2321"
    assert root.get("font-family") == "Atkinson Hyperlegible, sans-serif"
    colours = {text.get("fill", "#1d2321") for text in root.iter(f"{SVG}text")}
    assert colours == {"#1d2321", "#4a5350"}


def test_output_is_deterministic() -> None:
    first = progress_chart(EIGHT, title="t")
    assert progress_chart(list(EIGHT), title="t") == first
    assert progress_chart(tuple(reversed(EIGHT)), title="t") == first  # drawn oldest first


def test_numbers_are_short() -> None:
    root = parse(progress_chart(EIGHT, title="t"))
    for element in root.iter():
        for name in ("x", "y", "cx", "cy", "x1", "y1", "x2", "y2"):
            value = element.get(name)
            if value is not None:
                assert len(value.partition(".")[2]) <= 1, (name, value)
        for pair in element.get("points", "").split():
            assert all(len(part.partition(".")[2]) <= 1 for part in pair.split(","))


# --- what is plotted ------------------------------------------------------------


def test_higher_values_are_drawn_higher_up() -> None:
    """A bigger number is always nearer the top (a smaller y), on every panel's own scale."""
    points = [
        Point(DAY + datetime.timedelta(days=i), nprs, odi, psfs)
        for i, (nprs, odi, psfs) in enumerate(
            [(2, 80, 9.0), (9, 10, 1.5), (5, 45, 5.5), (0, 100, 0.0)]
        )
    ]
    root = parse(progress_chart(points, title="t"))
    for panel, values in zip(
        panels(root),
        ([2, 9, 5, 0], [80, 10, 45, 100], [9.0, 1.5, 5.5, 0.0]),
        strict=True,
    ):
        ys = [y for _, y in dots(panel)]
        assert len(ys) == 4
        by_value = [y for _, y in sorted(zip(values, ys, strict=True))]
        assert by_value == sorted(by_value, reverse=True)


def test_each_scale_spans_the_same_height() -> None:
    """0-10 and 0-100 fill the same plot: pain 10 is as high as Oswestry 100."""
    points = [Point(DAY, 10, 100, 10.0), Point(DAY + datetime.timedelta(days=7), 0, 0, 0.0)]
    pain, odi, psfs = (dots(panel) for panel in panels(parse(progress_chart(points, title="t"))))
    assert pain == odi == psfs
    assert pain[0][1] < pain[1][1]


def test_points_are_evenly_spaced_left_to_right() -> None:
    pain = dots(panels(parse(progress_chart(EIGHT, title="t")))[0])
    xs = [x for x, _ in pain]
    steps = {round(b - a, 0) for a, b in pairwise(xs)}
    assert len(steps) == 1 and steps.pop() > 20


def test_values_are_printed_next_to_their_dots() -> None:
    root = parse(progress_chart(THREE, title="t"))
    pain, odi, psfs = panels(root)
    assert {"6", "5", "3"} <= set(texts(pain))
    assert {"42", "24"} <= set(texts(odi))
    assert {"3.5", "5", "7"} <= set(texts(psfs))
    for panel in (pain, odi, psfs):
        bold = [t for t in panel.iter(f"{SVG}text") if t.get("font-weight") == "bold"][1:]
        for (x, y), label in zip(dots(panel), bold, strict=True):
            assert float(label.get("x", "")) == x
            assert 5 <= abs(float(label.get("y", "")) - y) <= 20


def test_a_missing_value_leaves_a_gap() -> None:
    points = [
        Point(DAY + datetime.timedelta(days=i), nprs, None if i == 0 else 30, None)
        for i, nprs in enumerate([6, 5, None, 4, 3])
    ]
    pain, odi, _ = panels(parse(progress_chart(points, title="t")))
    assert len(dots(pain)) == 4
    runs = lines(pain)
    assert [len(run) for run in runs] == [2, 2]  # 6-5, a gap, then 4-3
    assert runs[0][-1][0] < runs[1][0][0]
    assert "not measured" not in texts(pain)
    assert len(dots(odi)) == 4 and [len(run) for run in lines(odi)] == [4]


def test_a_lone_value_between_gaps_is_a_dot_without_a_line() -> None:
    points = [
        Point(DAY + datetime.timedelta(days=i), nprs, None, None)
        for i, nprs in enumerate([None, 4, None])
    ]
    pain = panels(parse(progress_chart(points, title="t")))[0]
    assert len(dots(pain)) == 1
    assert lines(pain) == []
    assert "4" in texts(pain)


def test_a_measure_never_taken_says_not_measured() -> None:
    points = [Point(DAY, 6, None, 3.5), Point(DAY + datetime.timedelta(days=30), 4, None, None)]
    pain, odi, psfs = panels(parse(progress_chart(points, title="t")))
    assert "not measured" in texts(odi)
    assert dots(odi) == [] and lines(odi) == []
    assert "100" not in texts(odi)  # no scale for nothing
    assert "not measured" not in texts(pain) + texts(psfs)
    assert len(dots(psfs)) == 1  # 3.5 only, and no line to the missing one
    assert lines(psfs) == []


def test_not_measured_is_translatable() -> None:
    labels = ChartLabels(not_measured="não medido")
    root = parse(progress_chart([Point(DAY, None, None, None)], title="t", labels=labels))
    assert all("não medido" in texts(panel) for panel in panels(root))


def test_a_single_assessment_is_dots_only() -> None:
    root = parse(progress_chart([Point(DAY, 6, 42, 3.5)], title="t"))
    for panel in panels(root):
        assert len(dots(panel)) == 1
        assert lines(panel) == []
        assert "2 Sep 2026" in texts(panel)
    pain = panels(root)[0]
    ((x, _),) = dots(pain)
    assert 150 < x < 210  # in the middle


def test_no_assessments_at_all() -> None:
    root = parse(progress_chart([], title="t"))
    assert root.findtext(f"{SVG}desc") == "No measures recorded yet."
    for panel in panels(root):
        assert "not measured" in texts(panel)
        assert dots(panel) == []


def test_eight_assessments_label_the_first_and_last_date_and_never_overlap() -> None:
    root = parse(progress_chart(EIGHT, title="t"))
    for panel in panels(root):
        assert len(dots(panel)) == 8
        assert [len(run) for run in lines(panel)] == [8]
        dates = [t for t in panel.iter(f"{SVG}text") if t.text and "2026" in t.text]
        assert dates[0].text == "2 Sep 2026" and dates[-1].text == short_date(EIGHT[-1].date)
        assert 3 <= len(dates) <= 8
        _assert_apart(dates, font_size=11)


def test_long_dates_are_thinned_to_fit() -> None:
    def long_date(day: datetime.date) -> str:
        return f"{day.strftime('%B')} {day.day}, {day.year}"

    root = parse(progress_chart(EIGHT, title="t", format_date=long_date))
    pain = panels(root)[0]
    dates = [t for t in pain.iter(f"{SVG}text") if t.text and t.text.endswith(", 2026")]
    assert 2 <= len(dates) < 8
    assert dates[0].text == "September 2, 2026"
    _assert_apart(dates, font_size=11)
    for date in dates:  # and none runs off either edge
        half = len(date.text or "") * 0.6 * 11 / 2
        assert half <= float(date.get("x", "")) <= 360 - half


def test_very_long_dates_are_set_smaller() -> None:
    def longest(day: datetime.date) -> str:
        return f"Wednesday, {day.day} September {day.year}"

    pain = panels(parse(progress_chart(EIGHT, title="t", format_date=longest)))[0]
    dates = [t for t in pain.iter(f"{SVG}text") if (t.text or "").startswith("Wednesday")]
    assert len(dates) == 2
    size = float(dates[0].get("font-size", ""))
    assert 8 <= size < 11
    _assert_apart(dates, font_size=size)


def _assert_apart(labels: list[ET.Element], font_size: float) -> None:
    for a, b in pairwise(labels):
        gap = float(b.get("x", "")) - float(a.get("x", ""))
        widths = (len(a.text or "") + len(b.text or "")) * 0.6 * font_size / 2
        assert gap >= widths, (a.text, b.text)


def test_value_labels_stay_inside_their_panel() -> None:
    """A value at the top or bottom of the scale keeps its label clear of hint and dates."""
    points = [
        Point(DAY + datetime.timedelta(days=i), v, v * 10, float(v))
        for i, v in enumerate([10, 0, 10])
    ]
    for panel in panels(parse(progress_chart(points, title="t"))):
        bold = [t for t in panel.iter(f"{SVG}text") if t.get("font-weight") == "bold"][1:]
        hint_y = float(panel[1].get("y", ""))
        date_y = min(
            float(t.get("y", "")) for t in panel.iter(f"{SVG}text") if "2026" in (t.text or "")
        )
        for label in bold:
            y = float(label.get("y", ""))
            assert hint_y + 12 <= y <= date_y - 12


def test_long_panel_titles_shrink_to_fit() -> None:
    title = "Dor (0-10), quanto mais baixo, melhor, numa escala de zero a dez"
    root = parse(progress_chart(THREE, title="t", labels=ChartLabels(nprs_title=title)))
    heading = panels(root)[0][0]
    assert heading.text == title
    assert len(title) * 0.6 * float(heading.get("font-size", "")) <= 360


# --- the description ------------------------------------------------------------


def test_description_summarises_first_and_last_values() -> None:
    points = [
        Point(DAY, 6, 42, 3.5),
        Point(DAY + datetime.timedelta(days=30), 5, 30, 5.0),
        Point(DAY + datetime.timedelta(days=60), 3, 24, 7.0),
    ]
    desc = parse(progress_chart(points, title="t")).findtext(f"{SVG}desc")
    assert desc == (
        "Pain went from 6 to 3 out of 10. Oswestry went from 42 % to 24 %. "
        "Activity ratings went from 3.5 to 7 out of 10."
    )


def test_description_for_one_missing_and_steady_measures() -> None:
    points = [Point(DAY, 4, None, None), Point(DAY + datetime.timedelta(days=9), 4, None, 6.25)]
    desc = parse(progress_chart(points, title="t")).findtext(f"{SVG}desc")
    assert desc == (
        "Pain stayed at 4 out of 10. Oswestry was not measured. "
        "Activity ratings were 6.2 out of 10."
    )


def test_description_skips_missing_ends() -> None:
    points = [
        Point(DAY, None, 50, 2.0),
        Point(DAY + datetime.timedelta(days=9), 7, 40, None),
        Point(DAY + datetime.timedelta(days=19), 5, None, 4.0),
    ]
    desc = parse(progress_chart(points, title="t")).findtext(f"{SVG}desc") or ""
    assert desc.startswith("Pain went from 7 to 5 out of 10. Oswestry went from 50 % to 40 %.")


def test_a_given_description_is_used_as_it_is() -> None:
    root = parse(progress_chart(THREE, title="t", description="Numbers in the table below."))
    assert root.findtext(f"{SVG}desc") == "Numbers in the table below."


def test_description_wording_is_translatable() -> None:
    labels = ChartLabels(
        nprs_change="Dor: de {first} ({first_date}) para {last} ({last_date}).",
        odi_change="Oswestry: {first} → {last} {unknown}",
        psfs_change="{0} PSFS {last}",
    )
    desc = parse(
        progress_chart(
            THREE,
            title="t",
            labels=labels,
            format_value=lambda v: format_number(v).replace(".", ","),
        )
    ).findtext(f"{SVG}desc")
    assert desc == (
        "Dor: de 6 (2 Sep 2026) para 3 (28 Oct 2026). Oswestry: 42 → 24 {unknown} {0} PSFS 7"
    )


def test_numbers_can_be_worded_for_a_locale() -> None:
    root = parse(
        progress_chart(THREE, title="t", format_value=lambda v: format_number(v).replace(".", ","))
    )
    assert "3,5" in texts(panels(root)[2])


# --- the table ------------------------------------------------------------------


def test_table_rows_and_columns() -> None:
    assert progress_columns() == ("Date", "Pain (0-10)", "Oswestry (%)", "Activities (0-10)")
    assert progress_rows(THREE) == [
        ("2 Sep 2026", "6", "42", "3.5"),
        ("30 Sep 2026", "5", "not measured", "5"),
        ("28 Oct 2026", "3", "24", "7"),
    ]


def test_table_rows_use_the_same_words() -> None:
    labels = ChartLabels(not_measured="—", date_heading="Data")
    rows = progress_rows(
        [THREE[1], THREE[0]], labels, format_date=lambda day: day.isoformat()
    )  # oldest first, as the chart
    assert rows == [("2026-09-02", "6", "42", "3.5"), ("2026-09-30", "5", "—", "5")]
    assert progress_columns(labels)[0] == "Data"


def test_odi_may_be_a_decimal_percentage() -> None:
    rows = progress_rows([Point(DAY, 2, 42.0, 4.333), Point(DAY, 2, 31.1, None)])
    assert [row[2:] for row in rows] == [("42", "4.3"), ("31.1", "not measured")]


# --- in the PDF -----------------------------------------------------------------


def test_weasyprint_draws_it_as_vector_text(caplog: pytest.LogCaptureFixture) -> None:
    import pypdf
    import weasyprint

    svg = progress_chart(THREE, title="Your progress")
    with caplog.at_level(logging.WARNING):
        pdf = weasyprint.HTML(string=f"<html><body>{svg}</body></html>").write_pdf()
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    assert [record for record in caplog.records if record.name.startswith("weasyprint")] == []
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 1
    text = pages[0].extract_text()
    for words in ("Pain (0-10)", "Oswestry (%)", "Activities (0-10)", "lower is better"):
        assert words in text
    assert {"6", "42", "3.5", "2 Sep 2026"} <= set(text.splitlines())
    assert "/Subtype /Image" not in pdf.decode("latin-1")  # drawn, not rasterised
