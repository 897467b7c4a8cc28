"""Exercise figures: the pose format's errors, the drawing's geometry, where figures appear.

PNG snapshots of a few figures (drawn by WeasyPrint through pdftoppm, and by Chromium) are in
tests/golden/figures/; after an intended change to the drawing, regenerate and look at them:

    .venv/bin/pytest tests/test_figures.py --regen-golden
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from markupsafe import escape
from PIL import Image, ImageChops
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from conftest import REPO, problems, require
from movebook import figure as figures
from movebook.cli import main
from movebook.figure import FOREARM, SHIN, THIGH, UPPER_ARM, animation_css, figure_svg
from movebook.model import Exercise, Figure
from movebook.project import load_project
from movebook.render import figure_id, flat_svg, render_booklet, render_pdf, render_site_index

SVG = "{http://www.w3.org/2000/svg}"
GOLDEN = Path(__file__).parent / "golden" / "figures"
BRIDGE = "content/exercises/strength/glute-bridge.md"


@pytest.fixture(scope="module")
def library() -> dict[str, Exercise]:
    return dict(load_project(REPO).library.exercises)


def figure_of(exercise: Exercise) -> Figure:
    assert exercise.meta.figure is not None, exercise.id
    return exercise.meta.figure


def at(offset: int) -> int:
    """A line of the glute bridge's figure block: `offset` lines below its `figure:` key."""
    lines = (REPO / BRIDGE).read_text(encoding="utf-8").splitlines()
    return lines.index("figure:") + 1 + offset


def with_figure(project: Path, block: str) -> None:
    """The glute bridge's figure replaced by `block` (its front matter's last key)."""
    path = project / BRIDGE
    text = path.read_text(encoding="utf-8")
    start = text.index("\nfigure:\n") + 1
    end = text.index("\n---\n", start)
    path.write_text(text[:start] + textwrap.dedent(block).strip("\n") + text[end:], "utf-8")


# --- the format: every mistake is one line with its file, line and field ---------------------


def test_unknown_bases_and_joints_and_angles_out_of_range_are_named(project: Path) -> None:
    with_figure(
        project,
        """
        figure:
          frames:
            - base: crook_lyin
            - set: {hipp: 0, knee: 200}
          alt: Lift your hips.
        """,
    )
    assert problems(project, BRIDGE) == [
        f"{BRIDGE}:{at(2)}: figure.frames[0].base: expected a base pose, got 'crook_lyin' "
        "(did you mean 'crook_lying'?)",
        f"{BRIDGE}:{at(3)}: figure.frames[1].set.hipp: expected a joint, got 'hipp' "
        "(did you mean 'hip'?)",
        f"{BRIDGE}:{at(3)}: figure.frames[1].set.knee: expected 0 to 155 degrees for knee, got 200",
    ]


def test_a_missing_alt_text_is_an_error(project: Path) -> None:
    with_figure(project, "figure:\n  frames:\n    - base: crook_lying")
    assert problems(project, BRIDGE) == [
        f"{BRIDGE}:{at(0)}: figure.alt: expected a value (required), got nothing"
    ]


def test_contacts_that_float_or_sink_and_a_body_through_the_floor_are_errors(
    project: Path,
) -> None:
    with_figure(
        project,
        """
        figure:
          frames:
            - base: crook_lying
              set: {knee: 70}
            - base: prone
              set: {neck: 25}
          alt: Lie down.
        """,
    )
    assert problems(project, BRIDGE) == [
        f"{BRIDGE}:{at(2)}: figure.frames[0].contacts[2]: expected feet resting on the floor, "
        "got feet 16 above it",
        f"{BRIDGE}:{at(4)}: figure.frames[1]: expected the body above the floor, got the head 13 "
        "below it",
    ]


def test_a_contact_on_a_prop_the_figure_does_not_have_is_an_error(project: Path) -> None:
    with_figure(
        project,
        """
        figure:
          frames:
            - base: sitting
          alt: Sit.
        """,
    )
    assert problems(project, BRIDGE) == [
        f"{BRIDGE}:{at(2)}: figure.frames[0].base: expected 'chair' in figure.props for pelvis on "
        "the chair, got no chair",
    ]


def test_a_figure_bigger_than_its_drawing_is_an_error(project: Path) -> None:
    with_figure(
        project,
        """
        figure:
          frames:
            - base: standing
            - set: {shoulder: 170}
              shift: 320
          alt: Reach.
        """,
    )
    assert problems(project, BRIDGE) == [
        f"{BRIDGE}:{at(2)}: figure.frames[0]: expected the figure inside its drawing (300 x 240), "
        "got the near (right) heel 26 beyond the left",
        f"{BRIDGE}:{at(3)}: figure.frames[1]: expected the figure inside its drawing (300 x 240), "
        "got the near (right) hand 26 beyond the right",
    ]


def test_an_arrow_needs_a_point_that_moves(project: Path) -> None:
    with_figure(
        project,
        """
        figure:
          frames:
            - base: crook_lying
            - set: {near_hip: 60}
          arrows: [{at: head}]
          alt: Lift one knee.
        """,
    )
    assert problems(project, BRIDGE) == [
        f"{BRIDGE}:{at(4)}: figure.arrows[0].at: expected a point that moves between the frames "
        "(or a dir), got 'head', which moves 0",
    ]


def test_check_reports_a_figure_problem_on_one_line_and_exits_1(project: Path) -> None:
    with_figure(project, "figure:\n  frames:\n    - base: standng\n  alt: Stand.")
    result = CliRunner().invoke(main, ["check", "--project", str(project)])
    assert result.exit_code == 1
    assert (
        f"{BRIDGE}:{at(2)}: figure.frames[0].base: expected a base pose, got 'standng' "
        "(did you mean 'standing'?)\n"
    ) in result.output
    assert "Traceback" not in result.output


# --- the library ------------------------------------------------------------------------------


def test_every_exercise_in_the_library_has_a_figure_without_problems(
    library: dict[str, Exercise],
) -> None:
    assert len(library) == 76
    for exercise in library.values():
        assert figures.figure_problems(figure_of(exercise)) == [], exercise.id


def test_every_contact_rests_on_what_it_rests_on(library: dict[str, Exercise]) -> None:
    """Measured from the drawn points: each contact's lowest surface at its support's height."""
    heights = {"chair": figures.SEAT, "bed": figures.BED, "step": figures.STEP}
    for exercise in library.values():
        figure = figure_of(exercise)
        built, _ = figures.scene(figure)
        assert built is not None
        for index, pose in enumerate(figures._resolve(figure, [])):
            for contact in pose.contacts:
                if contact.on not in ("floor", *heights):
                    continue
                target = heights.get(contact.on, built.floor)
                found = figures._contact_points(contact.part, figure.view)
                assert found is not None
                points = built.frames[index].bones.points
                low = min(points[name][1] - radius for name, radius in found[0])
                assert abs(low - target) <= figures.TOLERANCE, (exercise.id, index, contact)


def test_no_foot_passes_through_a_chair(library: dict[str, Exercise]) -> None:
    """Lower legs resting on a seat end before its backrest; a foot is never inside a chair."""
    inside = []
    for exercise in library.values():
        built, _ = figures.scene(figure_of(exercise))
        assert built is not None
        chairs = [box for _, name, box in built.boxes if name == "chair"]
        for index, solved in enumerate(built.frames):
            for name, (x, y, z) in solved.bones.points.items():
                if name.endswith(("_ankle", "_heel", "_toe")) and any(
                    box.low[0] < x < box.high[0]
                    and box.low[1] < y < box.high[1]
                    and box.low[2] < z < box.high[2]
                    for box in chairs
                ):
                    inside.append((exercise.id, index, name))
    assert inside == []


def test_moving_between_frames_keeps_every_limb_its_length(
    library: dict[str, Exercise],
) -> None:
    """The moves are joint angles interpolated, never points: no limb stretches or shrinks."""
    bones = [
        ("shoulder", "elbow", UPPER_ARM),
        ("elbow", "wrist", FOREARM),
        ("hip", "knee", THIGH),
        ("knee", "ankle", SHIN),
    ]
    moving = 0
    for exercise in library.values():
        figure = figure_of(exercise)
        if figure.layout != "overlay" or len(figure.frames) < 2:
            continue
        for skeleton in figures.motion(figure):
            for side in "rl":
                for start, end, length in bones:
                    a, b = skeleton.points[f"{side}_{start}"], skeleton.points[f"{side}_{end}"]
                    assert math.dist(a, b) == pytest.approx(length, abs=1e-6), exercise.id
        moving += bool(animation_css(figure, "x"))
    assert moving >= 25  # most figures move on the web


def test_the_web_moves_turn_joints_and_move_only_the_pelvis() -> None:
    """Each keyframe turns a joint, or moves the pelvis: a turn keeps a limb whole."""
    bridge = load_project(REPO).library.exercises["glute-bridge"]
    css = animation_css(figure_of(bridge), "fig-glute-bridge")
    keyframes = re.findall(r"@keyframes (fig-glute-bridge-(\w+))\{(.*)\}\n", css)
    assert keyframes[0][1] == "fr"  # the pelvis rises
    steps = [re.findall(r"\{transform:(\w+)\(", body) for _, _, body in keyframes]
    assert steps[0] == ["translate"] * 7
    assert all(step == ["rotate"] * 7 for step in steps[1:])
    for name, part, _ in keyframes:
        assert f".fb-fig-glute-bridge .{part}{{animation-name:{name}}}" in css


def test_figures_that_cannot_move_truly_on_the_page_stay_still(
    library: dict[str, Exercise],
) -> None:
    # A turn of the upper body seen from the front shortens the shoulders on the page; a
    # held bag would be left behind by the hands.
    assert figures.figure_moves(figure_of(library["glute-bridge"]))
    assert not figures.figure_moves(figure_of(library["seated-thoracic-rotation"]))
    assert not figures.figure_moves(figure_of(library["hip-hinge-bag-pickup"]))
    assert not figures.figure_moves(figure_of(library["sit-to-stand"]))  # numbered steps


# --- the drawing ------------------------------------------------------------------------------


def test_drawing_is_deterministic(library: dict[str, Exercise]) -> None:
    for name in ("glute-bridge", "floor-transfer", "open-book"):
        figure = figure_of(library[name])
        first = figure_svg(figure, "fig-x")
        figures._scene_cached.cache_clear()
        figures._motion_cached.cache_clear()
        again = figure_svg(Figure.model_validate(figure.model_dump()), "fig-x")
        assert first == again


def test_every_figure_is_a_well_formed_accessible_svg(library: dict[str, Exercise]) -> None:
    for exercise in library.values():
        figure = figure_of(exercise)
        prefix = figure_id(exercise)
        svg = ElementTree.fromstring(figure_svg(figure, prefix))
        assert svg.tag == f"{SVG}svg"
        assert svg.get("role") == "img"
        title, desc = svg[0], svg[1]
        assert (title.tag, title.text) == (f"{SVG}title", figure.alt)  # WeasyPrint's Alt
        assert desc.tag == f"{SVG}desc" and desc.text
        assert svg.get("aria-labelledby") == f"{prefix}-title"
        assert svg.get("aria-describedby") == f"{prefix}-desc"
        ids = [element.get("id") for element in svg.iter() if element.get("id")]
        assert all(i.startswith(prefix) for i in ids)
        assert not any(e.get("style") for e in svg.iter())  # the site's CSP forbids them
        assert not any(e.tag.endswith(("script", "marker", "use")) for e in svg.iter())
        if figure.arrows:
            assert svg.find(f".//{SVG}polygon") is not None  # arrows are polygons


def test_the_start_is_a_solid_light_grey_not_a_transparent_copy(
    library: dict[str, Exercise],
) -> None:
    svg = figure_svg(figure_of(library["glute-bridge"]), "fig-x")
    ghost = svg[svg.index('class="figure-ghost"') : svg.index('class="figure-body')]
    assert figures.GHOST in ghost and figures.INK not in ghost
    assert "opacity" not in svg


def test_the_clinic_accent_colours_the_arrows(library: dict[str, Exercise]) -> None:
    svg = figure_svg(figure_of(library["glute-bridge"]), "fig-x", accent="#7a3b9c")
    assert '<polygon points="' in svg and 'fill="#7a3b9c"' in svg


def test_an_arm_threaded_to_the_far_side_is_still_the_near_arm(
    library: dict[str, Exercise],
) -> None:
    """Thread the needle: the right (near) hand reaches under the chest past the left one,
    yet stays dark and drawn over the paler supporting arm."""
    figure = figure_of(library["thread-the-needle"])
    built, _ = figures.scene(figure)
    assert built is not None
    bones = built.frames[0].bones
    assert bones.points["r_hand"][2] < bones.points["l_hand"][2]
    drawn = figures._chains(bones, built.camera, figures.layout(figure, built), 0)
    layers = [chain.layer for chain in drawn]
    far = {chain.layer for chain in drawn if chain.far}
    assert "r_arm" not in far and "l_arm" in far
    assert layers.index("r_arm") > layers.index("l_arm")


def test_a_band_stays_anchored_while_the_hands_move(library: dict[str, Exercise]) -> None:
    """The row pulls the hands back from the anchor: the band stretches, its anchor stays."""
    built, _ = figures.scene(figure_of(library["band-row"]))
    assert built is not None
    bands = [(start, end) for _, kind, start, end in built.lines if kind == "band"]
    assert len(bands) == 2
    (hands0, anchor0), (hands1, anchor1) = bands
    assert anchor0 == anchor1
    assert math.dist(hands1, anchor1) > math.dist(hands0, anchor0) + 20


def test_a_chair_between_the_figure_and_you_is_drawn_over_it_in_outline(
    library: dict[str, Exercise],
) -> None:
    """Seen from the front, standing behind a chair: the chair is in front of the legs, so it
    is drawn after the body, unfilled, and the hips sliding behind it still show."""
    svg = figure_svg(figure_of(library["standing-weight-shift"]), "fig-x")
    body = svg.index('class="figure-body')
    behind = re.findall(r'<rect [^>]*fill="([^"]+)"', svg[:body])
    ahead = re.findall(r'<rect [^>]*fill="([^"]+)"', svg[body:])
    assert "none" not in behind
    assert len(ahead) >= 2 and set(ahead) == {"none"}  # the seat, the backrest, the legs
    side = figure_svg(figure_of(library["sit-to-stand"]), "fig-x")  # seen side on: behind
    assert "none" not in re.findall(r'<rect [^>]*fill="([^"]+)"', side)


def test_a_bag_lifted_onto_a_high_shelf_sits_on_it(library: dict[str, Exercise]) -> None:
    """Above the head a counter is a shelf on a wall, with room below for the body; the bag
    the hands put there stands on the shelf instead of hanging from them."""
    figure = figure_of(library["overhead-shelf-reach"])
    built, _ = figures.scene(figure)
    assert built is not None
    boxes = [box for _, name, box in built.boxes if name == "counter"]
    board = min(boxes, key=lambda box: box.high[1] - box.low[1])
    assert board.low[1] > 150  # the shelf is a board, not a cupboard up from the floor
    toes = max(point[0] for point in built.frames[0].bones.points.values())
    assert all(box.low[0] > toes for box in boxes)
    svg = figure_svg(figure, "fig-x")
    place = figures.layout(figure, built)
    shelf = figures._page((board.low[0], board.high[1], 0.0), built.camera, place)[1]
    bags = [
        float(y) + float(h)
        for y, h in re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="22" height="([\d.]+)"', svg)
    ]
    assert bags and bags[-1] == pytest.approx(shelf, abs=1)


def test_a_hand_on_a_rail_stays_at_its_height(project: Path) -> None:
    """A rail is drawn where the first frame's hand holds it; a later hand must still be on it."""
    with_figure(
        project,
        """
        figure:
          props: [rail, {counter: side}]
          frames:
            - base: standing
              set: {far_shoulder: 45, far_elbow: 50}
              contacts: [feet, {far_hand: rail}]
            - set: {far_shoulder: 0, far_elbow: 0}
          alt: Stand holding a rail.
        """,
    )
    assert problems(project, BRIDGE) == [
        f"{BRIDGE}:{at(1)}: figure.props[1]: expected one of beside for counter, got 'side'",
    ]
    path = project / BRIDGE
    path.write_text(path.read_text("utf-8").replace(", {counter: side}", ""), "utf-8")
    assert problems(project, BRIDGE) == [
        f"{BRIDGE}:{at(6)}: figure.frames[1].contacts[1]: expected far_hand resting on the "
        "rail, got far_hand 48 below it",
    ]


def test_a_rail_and_a_counter_beside_stand_behind_the_hand_that_holds_them(
    library: dict[str, Exercise],
) -> None:
    """Held by the far hand, a stair rail and a counter one stands side-on to are beyond the
    body, drawn behind it, their tops under that hand in every frame."""
    for name, prop in (("stair-practice", "rail"), ("single-leg-rdl", "counter")):
        figure = figure_of(library[name])
        built, _ = figures.scene(figure)
        assert built is not None
        boxes = [box for _, kind, box in built.boxes if kind == prop]
        top = max(box.high[1] for box in boxes)
        for solved in built.frames:
            hand = solved.bones.points["l_hand"]
            assert hand[1] - 3.5 == pytest.approx(top, abs=figures.TOLERANCE), name
            assert any(box.low[0] <= hand[0] <= box.high[0] for box in boxes), name
            assert all(box.high[2] < solved.bones.points["l_shoulder"][2] for box in boxes)
        svg = figure_svg(figure, "fig-x")
        assert f'fill="none" stroke="{figures.PROP_LINE}"' not in svg, name  # none over the body


def test_a_chair_sat_on_at_its_edge_has_the_pelvis_on_the_front_half_of_the_seat(
    library: dict[str, Exercise],
) -> None:
    built, _ = figures.scene(figure_of(library["sit-to-stand"]))
    assert built is not None
    seat = next(box for _, name, box in built.boxes if name == "chair" and box.low[1] > 0)
    pelvis = built.frames[0].bones.points["pelvis"][0]
    assert seat.high[0] - 21 <= pelvis <= seat.high[0]  # the seat's front half
    feet = built.frames[0].bones.points
    assert feet["r_heel"][0] < feet["r_knee"][0]  # slid back, behind the knees


def arrows_of(svg: str) -> list[list[tuple[float, float]]]:
    return [
        [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", points)]
        for points in re.findall(r'<polygon points="([^"]+)" fill="#7a3b9c"', svg)
    ]


def test_a_rocking_pelvis_has_a_curved_arrow_with_a_head_at_each_end(
    library: dict[str, Exercise],
) -> None:
    figure = figure_of(library["seated-pelvic-rocking"])
    assert [(arrow.at, arrow.dir) for arrow in figure.arrows] == [("pelvis", "rock")]
    built, _ = figures.scene(figure)
    assert built is not None
    place = figures.layout(figure, built)
    x, y = figures._page(built.frames[-1].bones.points["pelvis"], built.camera, place)
    halves = arrows_of(figure_svg(figure, "fig-x", accent="#7a3b9c"))
    assert len(halves) == 2  # one from the middle of the arc to each end
    tips = []
    for points in halves:
        # The band's middle line keeps its distance from the pelvis: an arc round it, behind
        # the back (the figure faces right), spanning more height than width.
        band = points[: (len(points) - 3) // 2]
        middle = [math.dist(q, (x, y)) for q in band]
        assert max(middle) - min(middle) < 6
        assert all(qx < x for qx, _ in points)
        tips.append(points[(len(points) - 3) // 2 + 1])
    assert tips[0][1] > y > tips[1][1] or tips[1][1] > y > tips[0][1]  # one up, one down
    assert math.dist(*tips) > 30


def test_a_turn_arrow_is_the_near_half_of_a_ring_round_the_body() -> None:
    """Turning right, the chest of a figure facing right comes towards you: the arrow runs
    along the near (lower) half of a ring round the chest, from the page's right to its left."""
    ways = {}
    for way in ("turn_right", "turn_left"):
        figure = Figure.model_validate(
            {
                "props": ["chair"],
                "frames": [{"base": "sitting"}, {"set": {"thoracic_turn": 40}}],
                "arrows": [{"at": "chest", "dir": way}],
                "alt": "x",
            }
        )
        built, _ = figures.scene(figure)
        assert built is not None
        place = figures.layout(figure, built)
        bones = built.frames[-1].bones
        x, y = figures._page(figures._point_path(bones, "chest"), built.camera, place)
        (points,) = arrows_of(figure_svg(figure, "fig-x", accent="#7a3b9c"))
        tip, start = points[(len(points) - 3) // 2 + 1], points[0]
        assert all(qy >= y - 3 for _, qy in points)  # the near half, below the chest
        left, right = min(qx for qx, _ in points), max(qx for qx, _ in points)
        assert right - left > 40 and abs((left + right) / 2 - x) < 3  # round the chest
        ways[way] = "to the left" if tip[0] < start[0] else "to the right"
    assert ways == {"turn_right": "to the left", "turn_left": "to the right"}


def test_knees_squeezed_together_have_arrows_pressing_in_from_each_side(
    library: dict[str, Exercise],
) -> None:
    figure = figure_of(library["seated-knee-squeeze"])
    svg = figure_svg(figure, "fig-x", accent="#7a3b9c")
    cushion = re.search(r'<rect x="([\d.]+)" y="[\d.]+" width="14"', svg)
    assert cushion is not None
    middle = float(cushion.group(1)) + 7
    sides = []
    for points in sorted(arrows_of(svg)):
        tip = points[(len(points) - 3) // 2 + 1]
        tail = points[0]
        xs = [x for x, _ in points]
        sides.append(
            (
                "left" if max(xs) < middle else "right" if min(xs) > middle else "across",
                "in" if abs(tip[0] - middle) < abs(tail[0] - middle) else "out",
            )
        )
    assert sides == [("left", "in"), ("right", "in")]


def test_a_back_let_down_has_its_arrow_pressing_on_it_from_above(
    library: dict[str, Exercise],
) -> None:
    """The cat-camel's dip: the arrow comes down onto the middle of the back, not beside it."""
    figure = figure_of(library["cat-camel"])
    built, _ = figures.scene(figure)
    assert built is not None
    back = figures._page(built.frames[-1].bones.points["s2"], built.camera,
                         figures.layout(figure, built))  # fmt: skip
    [points] = arrows_of(figure_svg(figure, "fig-x", accent="#7a3b9c"))
    tip, tail = points[(len(points) - 3) // 2 + 1], points[0]
    assert tip[0] == pytest.approx(back[0], abs=1)
    assert tail[1] < tip[1] < back[1]  # from above, pointing down, stopping on the back


def test_a_tip_forward_arrow_turns_the_way_the_figure_faces() -> None:
    """Facing right, a part tipping forward turns clockwise on the page: behind the pelvis
    the arrow points up, as the back of the pelvis rises."""
    directions = {}
    for way in ("tip_forward", "tip_back"):
        figure = Figure.model_validate(
            {
                "props": ["chair"],
                "frames": [{"base": "sitting"}, {"set": {"hip": 100}}],
                "arrows": [{"at": "pelvis", "dir": way}],
                "alt": "x",
            }
        )
        (points,) = arrows_of(figure_svg(figure, "fig-x", accent="#7a3b9c"))
        tip, start = points[(len(points) - 3) // 2 + 1], points[0]
        directions[way] = "up" if tip[1] < start[1] else "down"
    assert directions == {"tip_forward": "up", "tip_back": "down"}


# --- where figures appear --------------------------------------------------------------------


@pytest.fixture(scope="module")
def maria() -> Any:
    project = load_project(REPO)
    booklet = render_booklet(REPO, project.config, project.library, project.profiles["maria-lopez"])
    return project, booklet


def test_each_session_card_exercise_page_and_handout_card_has_its_figure(maria: Any) -> None:
    project, booklet = maria
    from movebook.plan import build_plan

    plan = build_plan(project.profiles["maria-lopez"], project.library, ["mat", "chair"])
    for session in plan.sessions:
        page = booklet.pages[f"session-{session.id}.html"]
        for planned in session.exercises:
            assert f'id="fig-{planned.id}"' in page, planned.id
        assert page.count('role="img"') == len(session.exercises)
    for planned in plan.exercises():
        assert f'id="fig-{planned.id}"' in booklet.pages[f"exercise-{planned.id}.html"]
        # on paper an image of the same drawing, on page 1 and on its card
        alt = f'alt="{escape(figure_of(planned.exercise).alt)}"'
        assert booklet.handout.count(alt) >= 2, planned.id
    assert 'class="figure-pause"' not in booklet.handout  # paper does not move


def test_ids_are_unique_on_every_page(maria: Any) -> None:
    _, booklet = maria
    for name, html in [*booklet.pages.items(), ("handout.html", booklet.handout)]:
        ids = Counter(re.findall(r'\sid="([^"]+)"', html))
        assert [i for i, n in ids.items() if n > 1] == [], name


def test_the_site_stylesheet_moves_every_moving_figure(maria: Any) -> None:
    project, _ = maria
    css = render_site_index(REPO, project.config, project.library)["assets/booklet.css"]
    assert "@media (prefers-reduced-motion: no-preference)" in css
    for exercise in project.library.exercises.values():
        moves = figures.figure_moves(exercise.meta.figure)
        assert (f"@keyframes fig-{exercise.id}-j" in css) == moves, exercise.id


def structure_figures(reader: PdfReader) -> list[str]:
    """The Alt text of every Figure in the PDF's structure tree."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, IndirectObject):
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                found.append(str(node["/Alt"]))
            if "/K" in node:
                walk(node["/K"])
        elif isinstance(node, ArrayObject):
            for kid in node:
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


def test_the_handout_tags_each_figure_with_its_alt_text(maria: Any) -> None:
    project, booklet = maria
    reader = PdfReader(io.BytesIO(render_pdf(booklet, project.config, REPO)))
    alts = structure_figures(reader)
    from movebook.plan import build_plan

    plan = build_plan(project.profiles["maria-lopez"], project.library, ["mat", "chair"])
    for planned in plan.exercises():
        assert figure_of(planned.exercise).alt in alts, planned.id


# --- pictures: what the drawing looks like, on paper and on screen ---------------------------

SNAPSHOTS = ("glute-bridge", "sit-to-stand", "side-lying-clam")


def snapshot_html(svg: str) -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
        "@page { size: 120mm 90mm; margin: 0 } body { margin: 0 } svg { width: 120mm;"
        " height: 90mm; display: block }</style></head><body>" + svg + "</body></html>"
    )


def difference(actual: Image.Image, golden: Path) -> float:
    """Mean difference per pixel and channel, 0-255: antialiasing moves a few pixels."""
    expected = Image.open(golden).convert("RGB")
    assert expected.size == actual.size
    histogram = ImageChops.difference(expected, actual.convert("RGB")).histogram()
    total = sum(value * (index % 256) for index, value in enumerate(histogram))
    return total / (actual.size[0] * actual.size[1] * 3)


def compare(image: Image.Image, golden: Path, regen: bool) -> None:
    if regen:
        golden.parent.mkdir(parents=True, exist_ok=True)
        image.save(golden)
        return
    assert golden.is_file(), f"{golden} is missing (regenerate with --regen-golden)"
    assert difference(image, golden) < 1.5, f"{golden} differs (regenerate with --regen-golden)"


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_a_figure_in_the_pdf_matches_its_snapshot(
    library: dict[str, Exercise], name: str, regen_golden: bool, tmp_path: Path
) -> None:
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")
    from weasyprint import HTML

    pdf = tmp_path / "figure.pdf"
    HTML(string=snapshot_html(figure_svg(figure_of(library[name]), "fig-x"))).write_pdf(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    image = Image.open(tmp_path / "page.png")
    assert image.convert("L").getextrema()[0] < 80  # something dark was drawn
    compare(image, GOLDEN / f"{name}-pdf.png", regen_golden)


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_the_handout_s_flat_figure_matches_the_same_snapshot(
    library: dict[str, Exercise], name: str, tmp_path: Path
) -> None:
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")
    from weasyprint import HTML

    flat = flat_svg(figure_svg(figure_of(library[name]), "fig-x"))
    assert "<g transform" not in flat  # one group a joint on the web, none on paper
    pdf = tmp_path / "figure.pdf"
    HTML(string=snapshot_html(flat)).write_pdf(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    compare(Image.open(tmp_path / "page.png"), GOLDEN / f"{name}-pdf.png", regen=False)


def test_figures_in_the_browser_match_their_snapshots(
    browser: Any, library: dict[str, Exercise], regen_golden: bool
) -> None:
    page = browser.new_page(viewport={"width": 454, "height": 340}, reduced_motion="reduce")
    for name in SNAPSHOTS:
        page.set_content(snapshot_html(figure_svg(figure_of(library[name]), "fig-x")))
        image = Image.open(io.BytesIO(page.screenshot()))
        compare(image, GOLDEN / f"{name}-browser.png", regen_golden)
    page.close()


def test_the_figure_moves_until_paused_and_stays_still_when_motion_is_reduced(
    browser: Any, maria: Any, tmp_path: Path
) -> None:
    """On the exercise page, from file:// and under the page's own CSP."""
    project, booklet = maria
    folder = tmp_path / "p" / "maria"
    folder.mkdir(parents=True)
    (folder / "exercise.html").write_text(booklet.pages["exercise-bird-dog.html"], "utf-8")
    site = render_site_index(REPO, project.config, project.library)
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "booklet.css").write_text(site["assets/booklet.css"], "utf-8")
    url = (folder / "exercise.html").as_uri()
    joint = (
        "(s => [s.animationName, s.animationDuration])"
        "(getComputedStyle(document.querySelector('.fb-fig-bird-dog .j7')))"
    )
    ghost = "getComputedStyle(document.querySelector('.figure-ghost')).display"

    page = browser.new_page(reduced_motion="no-preference")
    page.goto(url)
    assert page.evaluate(joint) == ["fig-bird-dog-j7", "4s"]
    assert page.evaluate(ghost) == "none"
    pause = page.get_by_label("Pause the movement")
    assert pause.is_visible()
    pause.check()
    assert page.evaluate(joint) == ["fig-bird-dog-j7", "0s"]  # a move that takes no time
    assert page.evaluate(ghost) == "inline"  # the still picture: start and end
    page.close()

    still = browser.new_page(reduced_motion="reduce")
    still.goto(url)
    assert still.evaluate(joint)[1] == "0s"
    assert not still.get_by_label("Pause the movement").is_visible()
    still.close()


# --- the gallery ------------------------------------------------------------------------------


def test_the_gallery_shows_every_exercise_with_its_figure(project: Path) -> None:
    with_figure(project, "")  # the glute bridge has no figure now, nor its Spanish alt text
    spanish = project / "content/locale/es/exercises/strength/glute-bridge.md"
    lines = spanish.read_text("utf-8").splitlines(keepends=True)
    spanish.write_text("".join(x for x in lines if not x.startswith("figure_alt:")), "utf-8")
    target = project / "gallery.html"
    result = CliRunner().invoke(
        main, ["figures", "--project", str(project), "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {target}: 75 figures, 1 exercise without one\n"
    html = target.read_text(encoding="utf-8")
    for exercise in load_project(project).library.exercises.values():
        assert exercise.meta.title.replace("'", "&#39;") in html, exercise.id
    assert html.count('role="img"') == 75
    assert "No figure yet." in html
