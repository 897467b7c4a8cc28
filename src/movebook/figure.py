"""Exercise figures: a pose written in front matter, drawn as one self-contained SVG.

A figure is a few frames. Each is a named base pose (standing, crook lying...) with joint
angles changed the way a clinician says them: degrees of hip flexion, of knee bend. Python
does the geometry: forward kinematics from the pelvis in 3D, the body tipped until its
contacts rest on the floor (or the chair, the bed, the step), then a view from the side or
the front, tilted down as far as overhead. The SVG has presentation attributes only, so the
site's Content-Security-Policy allows it and WeasyPrint draws it; it moves on the web
through the page stylesheet (`animation_css`), which turns each joint between angles
computed here. Angles, not points, so no limb ever changes length on the way.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from html import escape
from typing import TYPE_CHECKING, NamedTuple

from movebook.chart import N_
from movebook.errors import did_you_mean

if TYPE_CHECKING:
    from movebook.model import Figure

__all__ = [
    "BASES",
    "FigureLabels",
    "animation_css",
    "figure_problems",
    "figure_svg",
    "mirrored",
]

# --- the body -------------------------------------------------------------------------
# Units are about a centimetre: the figure stands 178 tall. x is forward, y up, z to the
# figure's right, which is the side nearer you in a side view.

SPINE = (17.0, 17.0, 17.0)  # lumbar, lower and upper thoracic segments
NECK = 9.0
HEAD = 11.0  # radius
SHOULDER = (0.0, -6.0, 15.0)  # from the top of the spine
UPPER_ARM, FOREARM, HAND = 31.0, 27.0, 10.0
HIP = 8.0  # half the distance between the hip joints
THIGH, SHIN = 44.0, 43.0
HEEL, TOE = (-3.0, -6.0), (14.0, -6.0)  # from the ankle, in the foot's frame
TRUNK_R = 7.0  # half the drawn thickness of the trunk

SEAT = 46.0  # a chair seat's height
BED = 50.0
STEP = 18.0
MAT = 4.0  # a mat's thickness
CHAIR_BACK = 42.0  # backrest above the seat
HIGH_SHELF = 150.0  # a counter top higher than this is a shelf on a wall
TOLERANCE = 3.0  # how far a contact may float above or sink below what it rests on

# Drawn widths, and the radius a point of the body rests on.
WIDTH = {
    "trunk": 14.0, "neck": 8.0, "upper_arm": 8.0, "forearm": 7.0, "hand": 6.0,
    "thigh": 11.0, "shin": 9.0, "foot": 6.0,
}  # fmt: skip

# Share of the body's mass at each segment's middle, for balance when standing.
MASS = {
    ("pelvis", "s1"): 0.17, ("s1", "s2"): 0.17, ("s2", "s3"): 0.16, ("neck", "head"): 0.08,
    ("r_shoulder", "r_elbow"): 0.028, ("r_elbow", "r_hand"): 0.022,
    ("l_shoulder", "l_elbow"): 0.028, ("l_elbow", "l_hand"): 0.022,
    ("r_hip", "r_knee"): 0.10, ("r_knee", "r_ankle"): 0.047, ("r_heel", "r_toe"): 0.014,
    ("l_hip", "l_knee"): 0.10, ("l_knee", "l_ankle"): 0.047, ("l_heel", "l_toe"): 0.014,
}  # fmt: skip

# Joint angles in degrees, positive as clinicians count them, and the range a body allows.
# Limb joints take a side: `hip` is both, `near_hip` or `right_hip` one (near is the right).
LIMB_JOINTS: dict[str, tuple[float, float]] = {
    "shoulder": (-60, 180),  # flexion: the arm forward and up
    "shoulder_abduction": (-30, 180),  # the arm out to the side
    "shoulder_rotation": (-90, 90),  # outward
    "elbow": (0, 150),
    "hip": (-30, 140),  # flexion: the thigh forward and up
    "hip_abduction": (-30, 60),
    "hip_rotation": (-45, 60),  # outward: the knee turns out
    "knee": (0, 155),
    "ankle": (-70, 45),  # dorsiflexion: toes towards the shin; minus points them
}
BODY_JOINTS: dict[str, tuple[float, float]] = {
    "lean": (-180, 180),  # the whole body tipped forward, where no contacts settle it
    "roll": (-180, 180),  # the whole body rolled to its right about its long axis
    "turn": (-180, 180),  # the whole body turned to its left on the spot, about the vertical
    "spine": (-40, 90),  # flexion, spread over three segments
    "spine_side": (-40, 40),  # bending to the right
    "spine_turn": (-60, 60),  # turning to the right
    "lumbar": (-30, 60),
    "lumbar_side": (-25, 25),
    "lumbar_turn": (-15, 15),
    "thoracic": (-30, 60),
    "thoracic_side": (-30, 30),
    "thoracic_turn": (-50, 50),
    "neck": (-60, 70),
    "neck_side": (-45, 45),
    "neck_turn": (-80, 80),
}
SIDES = {"near": "r", "far": "l", "right": "r", "left": "l"}


class Contact(NamedTuple):
    part: str
    on: str = "floor"


@dataclass(frozen=True)
class Base:
    """A named starting pose: angles, where hands rest, what touches the floor."""

    angles: Mapping[str, float]
    contacts: tuple[Contact, ...]
    place: Mapping[str, str] = field(default_factory=dict)
    props: tuple[str, ...] = ()  # props its contacts need


def _both(**angles: float) -> dict[str, float]:
    """Limb angles for both sides: `hip=90` is right_hip and left_hip."""
    out: dict[str, float] = {}
    for name, value in angles.items():
        if name in LIMB_JOINTS:
            out[f"r_{name}"] = out[f"l_{name}"] = value
        else:
            out[name] = value
    return out


BASES: dict[str, Base] = {
    "standing": Base(_both(shoulder=4, elbow=8), (Contact("feet"),)),
    "sitting": Base(
        _both(hip=90, knee=90),
        (Contact("feet"), Contact("pelvis", "chair")),
        {"r_hand": "thigh", "l_hand": "thigh"},
        ("chair",),
    ),
    "high_sitting": Base(
        _both(hip=85, knee=85),
        (Contact("feet"), Contact("pelvis", "bed")),
        {"r_hand": "thigh", "l_hand": "thigh"},
        ("bed",),
    ),
    "crook_lying": Base(
        _both(lean=-90, neck=13, hip=45, knee=95, shoulder=8, elbow=5),
        (Contact("pelvis"), Contact("shoulders"), Contact("feet")),
    ),
    "supine": Base(
        _both(lean=-90, neck=13, shoulder=8, elbow=5, ankle=-20),
        (Contact("pelvis"), Contact("shoulders")),
    ),
    "lying_in_bed": Base(
        _both(lean=-90, neck=20, hip=45, knee=95, shoulder=8, elbow=5),
        (Contact("pelvis", "bed"), Contact("shoulders", "bed"), Contact("feet", "bed")),
        props=("bed",),
    ),
    "prone": Base(
        _both(lean=90, neck=-13, shoulder=-8, elbow=5, ankle=-70),
        (Contact("pelvis"), Contact("chest")),
    ),
    "prone_elbows": Base(
        _both(lean=90, spine=-24, neck=-8, shoulder=78, elbow=65, hip=-12, ankle=-70),
        (Contact("pelvis"), Contact("elbows"), Contact("hands")),
    ),
    "side_lying": Base(
        _both(lean=90, roll=-90, neck=8, hip=45, knee=70, shoulder=80, elbow=20, ankle=-10),
        (Contact("pelvis"), Contact("shoulders")),
    ),
    "four_point": Base(
        _both(lean=90, hip=82, knee=90, shoulder=90, ankle=-70),
        (Contact("hands"), Contact("knees")),
    ),
    "kneeling": Base(
        _both(knee=90, ankle=-60, shoulder=4, elbow=8),
        (Contact("knees"), Contact("toes")),
    ),
    "half_kneeling": Base(
        {
            "r_hip": 90,
            "r_knee": 90,
            "l_hip": -10,
            "l_knee": 90,
            "l_ankle": -70,
            **_both(shoulder=4, elbow=8),
        },
        (Contact("far_knee"), Contact("near_foot")),
    ),
    "plank": Base(
        _both(lean=72, shoulder=72, ankle=18),
        (Contact("hands"), Contact("toes")),
    ),
    "floor_sitting": Base(
        _both(lean=-25, hip=115, knee=95),
        (Contact("pelvis"), Contact("feet"), Contact("hands")),
        {"r_hand": "floor_behind", "l_hand": "floor_behind"},
    ),
}

# A contact part is the lowest of these points; each rests on the floor at its radius.
_LIMB_PARTS: dict[str, tuple[tuple[str, ...], float]] = {
    "foot": (("heel", "toe"), 3.0),
    "toes": (("toe",), 3.0),
    "heel": (("heel",), 3.0),
    "knee": (("knee",), 6.0),
    "shin": (("knee", "ankle"), 5.0),
    "hand": (("wrist", "hand"), 3.5),
    "elbow": (("elbow",), 4.0),
    "forearm": (("elbow", "wrist"), 4.0),
}
_PLURAL = {
    "feet": "foot", "toes": "toes", "heels": "heel", "knees": "knee", "shins": "shin",
    "hands": "hand", "elbows": "elbow", "forearms": "forearm",
}  # fmt: skip
_TRUNK_PARTS: dict[str, tuple[tuple[str, float], ...]] = {
    "pelvis": (("pelvis", TRUNK_R), ("r_hip", 9.0), ("l_hip", 9.0)),
    "shoulders": (("s3", TRUNK_R), ("r_shoulder", 5.0), ("l_shoulder", 5.0)),
    "chest": (("s2", TRUNK_R), ("s3", TRUNK_R)),
    "back": (("s1", TRUNK_R), ("s2", TRUNK_R)),
    "head": (("head", HEAD),),
}
# What a contact rests on, and the prop it needs. Heights are fixed where the thing is.
SUPPORTS: dict[str, str | None] = {
    "floor": None, "chair": "chair", "chair_back": "chair", "bed": "bed", "step": "step",
    "pillow": "pillow", "towel": "towel", "wall": "wall", "counter": "counter", "rail": "rail",
}  # fmt: skip
# These are put where the body touches them: a pillow is as thick as the gap it fills.
_LOCATING = {"wall", "counter", "rail", "chair_back", "pillow", "towel"}
_THICKNESS = {"pillow": (2.0, 24.0), "towel": (1.0, 12.0)}

# Where a hand may rest (`place`), on the hand's own side where there are two.
PLACES = (
    "belly", "lower_ribs", "chest", "ribs", "hip", "hip_bone", "thigh", "knee", "behind_thigh",
    "shin", "lower_back", "nape", "forehead", "opposite_shoulder", "floor", "floor_ahead",
    "floor_behind", "seat_ahead",
)  # fmt: skip
# Placed once the body has settled: on the floor, or a chair seat ahead (a hinge onto it).
_ON_FLOOR = ("floor", "floor_ahead", "floor_behind", "seat_ahead")
_LIMB_PLACES = ("hip", "thigh", "knee", "behind_thigh", "shin", "ribs")  # near_knee...
POINTS = (
    "pelvis", "back", "chest", "head", "shoulders", "hands", "knees", "feet",
    *(f"{side}_{part}" for side in ("near", "far", "left", "right")
      for part in ("hand", "elbow", "knee", "foot", "shoulder", "hip")),
)  # fmt: skip
BAND_ANCHORS = (
    "forward", "back", "up", "up_forward", "up_back", "left", "right", "up_left", "up_right",
    "knees", "ankles",
)  # fmt: skip
HANDS = ("near", "far", "left", "right", "both")

Vec = tuple[float, float, float]
Mat = tuple[Vec, Vec, Vec]  # rows


def _rot(axis: str, degrees: float) -> Mat:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    if axis == "x":
        return ((1.0, 0.0, 0.0), (0.0, c, -s), (0.0, s, c))
    if axis == "y":
        return ((c, 0.0, s), (0.0, 1.0, 0.0), (-s, 0.0, c))
    return ((c, -s, 0.0), (s, c, 0.0), (0.0, 0.0, 1.0))


def _mm(a: Mat, b: Mat) -> Mat:
    (a00, a01, a02), (a10, a11, a12), (a20, a21, a22) = a
    (b00, b01, b02), (b10, b11, b12), (b20, b21, b22) = b
    return (
        (a00 * b00 + a01 * b10 + a02 * b20, a00 * b01 + a01 * b11 + a02 * b21,
         a00 * b02 + a01 * b12 + a02 * b22),
        (a10 * b00 + a11 * b10 + a12 * b20, a10 * b01 + a11 * b11 + a12 * b21,
         a10 * b02 + a11 * b12 + a12 * b22),
        (a20 * b00 + a21 * b10 + a22 * b20, a20 * b01 + a21 * b11 + a22 * b21,
         a20 * b02 + a21 * b12 + a22 * b22),
    )  # fmt: skip


def _mv(a: Mat, v: Vec) -> Vec:
    return (
        a[0][0] * v[0] + a[0][1] * v[1] + a[0][2] * v[2],
        a[1][0] * v[0] + a[1][1] * v[1] + a[1][2] * v[2],
        a[2][0] * v[0] + a[2][1] * v[1] + a[2][2] * v[2],
    )


def _add(a: Vec, b: Vec, k: float = 1.0) -> Vec:
    return (a[0] + k * b[0], a[1] + k * b[1], a[2] + k * b[2])


def _sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _norm(a: Vec) -> float:
    return math.sqrt(_dot(a, a))


def _unit(a: Vec) -> Vec:
    n = _norm(a) or 1.0
    return (a[0] / n, a[1] / n, a[2] / n)


def _mid(a: Vec, b: Vec) -> Vec:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2)


def _limbs(*rotations: tuple[str, float]) -> Mat:
    out: Mat = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    for axis, degrees in rotations:
        if degrees:
            out = _mm(out, _rot(axis, degrees))
    return out


def _column(a: Mat, index: int) -> Vec:
    return (a[0][index], a[1][index], a[2][index])


@dataclass
class Skeleton:
    """Every point of one pose, in the world, and the frames of the trunk and limbs."""

    points: dict[str, Vec]
    frames: dict[str, Mat]
    ankles: dict[str, float]  # the ankle angles flat feet ended up with


def _spine_parts(angles: Mapping[str, float], suffix: str) -> tuple[float, float, float]:
    whole = angles.get(f"spine{suffix}", 0.0) / 3
    lumbar = angles.get(f"lumbar{suffix}", 0.0)
    thoracic = angles.get(f"thoracic{suffix}", 0.0) / 2
    return (whole + lumbar, whole + thoracic, whole + thoracic)


def skeleton(angles: Mapping[str, float], lean: float, flat: Iterable[str] = ()) -> Skeleton:
    """Forward kinematics from the pelvis at the origin. `flat` feet and hands ("r_foot",
    "l_hand") lie level on what they rest on, whatever their ankle or wrist would say."""
    flat = set(flat)
    a = angles.get
    root = _mm(_mm(_rot("y", a("turn", 0.0)), _rot("z", -lean)), _rot("y", a("roll", 0.0)))
    points: dict[str, Vec] = {"pelvis": (0.0, 0.0, 0.0)}
    frames: dict[str, Mat] = {"pelvis": root}
    turn = root
    position = points["pelvis"]
    for index, (flexion, bend, twist) in enumerate(
        zip(_spine_parts(angles, ""), _spine_parts(angles, "_side"),
            _spine_parts(angles, "_turn"), strict=True)
    ):  # fmt: skip
        turn = _mm(turn, _limbs(("z", -flexion), ("x", bend), ("y", -twist)))
        position = _add(position, _mv(turn, (0.0, SPINE[index], 0.0)))
        points[f"s{index + 1}"] = position
        frames[f"s{index + 1}"] = turn
    top = turn
    neck = _mm(top, _limbs(("z", -a("neck", 0.0)), ("x", a("neck_side", 0.0)),
                           ("y", -a("neck_turn", 0.0))))  # fmt: skip
    frames["neck"] = neck
    points["neck"] = _add(points["s3"], _mv(neck, (0.0, NECK, 0.0)))
    points["head"] = _add(points["neck"], _mv(neck, (0.0, HEAD, 0.0)))
    points["eye"] = _add(points["head"], _mv(neck, (HEAD * 0.5, HEAD * 0.12, 0.0)))
    ankles: dict[str, float] = {}
    for side in ("r", "l"):
        sign = 1.0 if side == "r" else -1.0

        def limb(name: str, side: str = side) -> float:
            return a(f"{side}_{name}", 0.0)

        shoulder = _add(points["s3"], _mv(top, (SHOULDER[0], SHOULDER[1], sign * SHOULDER[2])))
        upper = _mm(top, _limbs(("z", limb("shoulder")), ("x", -sign * limb("shoulder_abduction")),
                                ("y", -sign * limb("shoulder_rotation"))))  # fmt: skip
        elbow = _add(shoulder, _mv(upper, (0.0, -UPPER_ARM, 0.0)))
        fore = _mm(upper, _rot("z", limb("elbow")))
        wrist = _add(elbow, _mv(fore, (0.0, -FOREARM, 0.0)))
        points[f"{side}_shoulder"] = shoulder
        points[f"{side}_elbow"] = elbow
        points[f"{side}_wrist"] = wrist
        if f"{side}_hand" in flat:
            points[f"{side}_hand"] = _add(wrist, _column(_level(fore), 0), HAND)
        else:
            points[f"{side}_hand"] = _add(wrist, _mv(fore, (0.0, -HAND, 0.0)))
        frames[f"{side}_upper"], frames[f"{side}_fore"] = upper, fore

        hip = _mv(root, (0.0, 0.0, sign * HIP))
        thigh = _mm(root, _limbs(("z", limb("hip")), ("x", -sign * limb("hip_abduction")),
                                 ("y", -sign * limb("hip_rotation"))))  # fmt: skip
        knee = _add(hip, _mv(thigh, (0.0, -THIGH, 0.0)))
        shin = _mm(thigh, _rot("z", -limb("knee")))
        ankle = _add(knee, _mv(shin, (0.0, -SHIN, 0.0)))
        if f"{side}_foot" in flat:
            foot = _level(shin)
            along = _mv(_transpose(shin), _column(foot, 0))
            ankles[side] = math.degrees(math.atan2(along[1], along[0]))
        else:
            foot = _mm(shin, _rot("z", limb("ankle")))
        points[f"{side}_hip"] = hip
        points[f"{side}_knee"] = knee
        points[f"{side}_ankle"] = ankle
        points[f"{side}_heel"] = _add(ankle, _mv(foot, (HEEL[0], HEEL[1], 0.0)))
        points[f"{side}_toe"] = _add(ankle, _mv(foot, (TOE[0], TOE[1], 0.0)))
        frames[f"{side}_thigh"], frames[f"{side}_shin"] = thigh, shin
    return Skeleton(points, frames, ankles)


def _transpose(a: Mat) -> Mat:
    return tuple(zip(*a, strict=True))  # type: ignore[return-value]


def _level(shin: Mat) -> Mat:
    """A foot frame with its sole level, pointing where the shin's front points."""
    front = _column(shin, 0)
    ahead = _unit((front[0], 0.0, front[2])) if abs(front[1]) < 0.999 else (1.0, 0.0, 0.0)
    side = (-ahead[2], 0.0, ahead[0])
    return (
        (ahead[0], 0.0, side[0]),
        (ahead[1], 1.0, side[1]),
        (ahead[2], 0.0, side[2]),
    )


# --- what the front matter says, resolved ----------------------------------------------


class FigureProblem(NamedTuple):
    """Something wrong with a figure: where in the front matter, and `expected X, got Y`."""

    loc: tuple[str | int, ...]
    message: str


def joint_names(view: str) -> list[str]:
    """Every joint name a frame's `set` takes in this view."""
    sides = ("left", "right") if view == "front" else ("near", "far", "left", "right")
    limb = [f"{side}_{joint}" for side in sides for joint in LIMB_JOINTS]
    return [*BODY_JOINTS, *LIMB_JOINTS, *limb]


def _sided(name: str, view: str) -> tuple[str | None, str]:
    """("r", "hip") for near_hip, (None, "hip") for hip; view decides which sides exist."""
    prefix, _, rest = name.partition("_")
    if prefix in SIDES and (view != "front" or prefix in ("left", "right")):
        return SIDES[prefix], rest
    return None, name


def _angle_keys(name: str, view: str) -> list[str] | None:
    """The internal keys one `set` name writes: hip -> r_hip and l_hip."""
    if name in BODY_JOINTS:
        return [name]
    side, joint = _sided(name, view)
    if joint not in LIMB_JOINTS:
        return None
    return [f"{side}_{joint}"] if side else [f"r_{joint}", f"l_{joint}"]


def _range(name: str, view: str) -> tuple[float, float]:
    return BODY_JOINTS.get(name) or LIMB_JOINTS[_sided(name, view)[1]]


def _contact_points(
    part: str, view: str
) -> tuple[tuple[tuple[str, float], ...], tuple[str, ...]] | None:
    """The points a contact part rests on, with radii, and the feet and hands it lays flat."""
    if part in _TRUNK_PARTS:
        return _TRUNK_PARTS[part], ()
    side, limb = _sided(part, view)
    sides: tuple[str, ...]
    if part in _PLURAL:
        sides, limb = ("r", "l"), _PLURAL[part]
    elif side and limb in _LIMB_PARTS:
        sides = (side,)
    else:
        return None
    points, radius = _LIMB_PARTS[limb]
    flat = tuple(f"{s}_{limb}" for s in sides) if limb in ("foot", "hand") else ()
    return tuple((f"{s}_{p}", radius) for s in sides for p in points), flat


def contact_parts(view: str) -> list[str]:
    sides = ("left", "right") if view == "front" else ("near", "far", "left", "right")
    return [*_TRUNK_PARTS, *_PLURAL, *(f"{s}_{p}" for s in sides for p in _LIMB_PARTS)]


@dataclass(frozen=True)
class Pose:
    """One frame, resolved: its angles, hand places, contacts and shift."""

    angles: Mapping[str, float]
    place: Mapping[str, str]  # "r_hand" -> "belly"
    contacts: tuple[Contact, ...]
    shift: float
    given_lean: bool  # the frame sets `lean` itself


def _resolve(figure: Figure, problems: list[FigureProblem]) -> list[Pose]:
    """Each frame as a Pose, later frames carrying on from the one before."""
    poses: list[Pose] = []
    view = figure.view
    props = {prop.name for prop in figure.props}
    for index, frame in enumerate(figure.frames):
        at: tuple[str | int, ...] = ("figure", "frames", index)
        base = BASES.get(frame.base) if frame.base else None
        if frame.base and base is None:
            problems.append(
                FigureProblem((*at, "base"), _unknown("a base pose", frame.base, BASES))
            )
            base = BASES["standing"]  # so the frames after it are still checked
        if base is None and not poses:
            problems.append(
                FigureProblem((*at, "base"), "expected a base pose for the first frame, got none")
            )
            continue
        before = poses[-1] if poses else None
        angles = dict(base.angles if base else before.angles)  # type: ignore[union-attr]
        place = dict(base.place if base else before.place)  # type: ignore[union-attr]
        contacts = base.contacts if base else before.contacts  # type: ignore[union-attr]
        ok = True
        for name, value in frame.set.items():
            keys = _angle_keys(name, view)
            if keys is None:
                problems.append(
                    FigureProblem((*at, "set", name), _unknown("a joint", name, joint_names(view)))
                )
                ok = False
                continue
            low, high = _range(name, view)
            if not low <= value <= high:
                problems.append(
                    FigureProblem(
                        (*at, "set", name),
                        f"expected {_angle(low)} to {_angle(high)} degrees for {name}, "
                        f"got {_angle(value)}",
                    )
                )
                ok = False
            for key in keys:
                angles[key] = value
                owner, joint = key.split("_", 1) if "_" in key else ("", key)
                if joint in ("shoulder", "shoulder_abduction", "shoulder_rotation", "elbow"):
                    place.pop(f"{owner}_hand", None)  # an arm set by angles no longer rests
        for hand, target in frame.place.items():
            side, part = _sided(hand, view)
            sides = [side] if side else ["r", "l"] if hand == "hands" else []
            if part not in ("hand", "hands") or not sides:
                known = ["hands", *(f"{s}_hand" for s in SIDES)]
                problems.append(
                    FigureProblem((*at, "place", hand), _unknown("a hand", hand, known))
                )
                ok = False
            limb, spot = _sided(target, view)
            if spot not in PLACES or (limb and spot not in _LIMB_PLACES):
                known = [*PLACES, *(f"{s}_{p}" for s in SIDES for p in _LIMB_PLACES)]
                problems.append(
                    FigureProblem((*at, "place", hand), _unknown("a place", target, known))
                )
                ok = False
            for each in sides:
                place[f"{each}_hand"] = f"{spot}@{limb}" if limb else spot
        if frame.contacts is not None:
            contacts = tuple(Contact(c.part, c.on) for c in frame.contacts)
            for number, contact in enumerate(contacts):
                where = (*at, "contacts", number)
                if _contact_points(contact.part, view) is None:
                    known = contact_parts(view)
                    problems.append(
                        FigureProblem(where, _unknown("a body part", contact.part, known))
                    )
                    ok = False
                elif contact.on not in SUPPORTS:
                    problems.append(
                        FigureProblem(where, _unknown("something to rest on", contact.on, SUPPORTS))
                    )
                    ok = False
        for number, contact in enumerate(contacts):
            needs = SUPPORTS.get(contact.on)
            if needs and needs not in props:
                where = (*at, "contacts", number) if frame.contacts is not None else (*at, "base")
                problems.append(
                    FigureProblem(
                        where,
                        f"expected {needs!r} in figure.props for {contact.part} on the "
                        f"{contact.on.replace('_', ' ')}, got no {needs}",
                    )
                )
                ok = False
        if ok:
            poses.append(Pose(angles, place, contacts, frame.shift, "lean" in frame.set))
        else:
            poses.append(Pose(angles, {}, contacts, frame.shift, True))
    return poses


def _unknown(what: str, got: str, known: Iterable[str]) -> str:
    return f"expected {what}, got {got!r}{did_you_mean(got, known)}"


def _angle(value: float) -> str:
    return f"{value:g}"


# --- hands on the body --------------------------------------------------------------------


def _place_target(bones: Skeleton, hand: str, place: str) -> tuple[Vec, Vec]:
    """Where a hand rests and which way its elbow points (both in the world). A place on a
    limb is on the hand's own side unless it names one: `knee@r`."""
    p, f = bones.points, bones.frames
    place, _, named = place.partition("@")
    side = named or hand  # of the limb the hand rests on
    sign = 1.0 if hand == "r" else -1.0
    limb_sign = 1.0 if side == "r" else -1.0
    trunk = f["s2"]
    out = _mv(trunk, (-0.2, -0.7, sign * 0.7))  # elbows down and out, a little back
    reach = TRUNK_R + 2.0
    if place == "belly":
        return _add(_mid(p["pelvis"], p["s1"]), _mv(f["s1"], (reach, 2.0, sign * 3.0))), out
    if place == "chest":
        return _add(_mid(p["s2"], p["s3"]), _mv(f["s3"], (reach, 0.0, sign * 3.0))), out
    if place == "lower_ribs":
        return _add(p["s2"], _mv(f["s2"], (reach, 0.0, sign * 4.0))), out
    if place == "ribs":
        back = _mv(trunk, (-1.0, -0.4, sign * 0.2))  # the elbow back along the flank
        return _add(_mid(p["s1"], p["s2"]), _mv(f["s2"], (0.0, 0.0, limb_sign * reach))), back
    if place == "hip_bone":
        return _add(p["pelvis"], _mv(f["pelvis"], (reach, 8.0, sign * 6.0))), out
    if place == "lower_back":
        back = _mv(trunk, (-0.9, 0.0, sign * 0.5))
        return _add(_mid(p["pelvis"], p["s1"]), _mv(f["s1"], (-reach, 0.0, sign * 3.0))), back
    if place == "nape":
        up = _mv(trunk, (0.2, 0.9, sign * 0.6))
        return _add(p["s3"], _mv(f["neck"], (-reach, 4.0, 0.0))), up
    if place == "forehead":
        elbow = _mv(trunk, (-0.3, -0.2, sign))  # out to the side
        return _add(p["head"], _mv(f["neck"], (HEAD + 0.5, 2.0, sign * 2.0))), elbow
    if place == "opposite_shoulder":
        other = "l" if hand == "r" else "r"
        return _add(p[f"{other}_shoulder"], _mv(trunk, (reach, -2.0, 0.0))), out
    thigh, shin = f[f"{side}_thigh"], f[f"{side}_shin"]
    if place == "hip":
        return _add(p[f"{side}_hip"], _mv(f["pelvis"], (reach, 4.0, 0.0))), out
    if place == "thigh":
        return _add(_mid(p[f"{side}_hip"], p[f"{side}_knee"]), _mv(thigh, (8.0, 8.0, 0.0))), out
    if place == "knee":
        return _add(p[f"{side}_knee"], _mv(thigh, (8.0, 3.0, 0.0))), out
    if place == "behind_thigh":
        point = _add(_mid(p[f"{side}_hip"], p[f"{side}_knee"]), _mv(thigh, (-8.0, -6.0, 0.0)))
        return point, _mv(trunk, (0.0, -0.3, sign))
    # shin
    return _add(_mid(p[f"{side}_knee"], p[f"{side}_ankle"]), _mv(shin, (7.0, 0.0, 0.0))), out


def _floor_target(bones: Skeleton, side: str, place: str, floor: float) -> tuple[Vec, Vec]:
    """A hand flat on the floor: beside the body towards the feet, or ahead of the chest,
    as far out as the arm reaches with the elbow a little soft."""
    p, f = bones.points, bones.frames
    sign = 1.0 if side == "r" else -1.0
    shoulder = p[f"{side}_shoulder"]
    if place == "floor":  # beside the body, towards the feet
        way = _sub(p["pelvis"], p["s3"])
    elif place in ("floor_ahead", "seat_ahead"):  # where the head points
        way = _sub(p["s3"], p["pelvis"])
    else:  # behind the back
        way = _mv(f["pelvis"], (-1.0, 0.0, 0.0))
    flat = _unit((way[0], 0.0, way[2])) if abs(way[0]) + abs(way[2]) > 1e-6 else (1.0, 0, 0)
    height = (SEAT if place == "seat_ahead" else floor) + 4.0
    drop = shoulder[1] - height
    arm = (UPPER_ARM + FOREARM) * 0.97
    out = math.sqrt(max(arm**2 - drop**2, 0.0))
    lateral = _column(f["pelvis"], 2)
    target = _add(_add(shoulder, flat, out), lateral, sign * 3.0)
    target = (target[0], height, target[2])
    return target, _mv(f["s2"], (-0.2, 0.0, sign))


def _reach(bones: Skeleton, side: str, place: str, floor: float | None = None) -> float:
    """Put a hand on its place: two-bone inverse kinematics, the elbow towards its pole.
    Returns how far short the hand stays (0 when it reaches)."""
    points = bones.points
    if place in _ON_FLOOR:
        assert floor is not None
        target, pole = _floor_target(bones, side, place, floor)
    else:
        target, pole = _place_target(bones, side, place)
    shoulder = points[f"{side}_shoulder"]
    flat = place in _ON_FLOOR  # the wrist on the floor, the hand laid flat beyond it
    upper, lower = UPPER_ARM, FOREARM if flat else FOREARM + HAND / 2
    offset = _sub(target, shoulder)
    distance = _norm(offset)
    short = max(0.0, distance - (upper + lower - 0.5))
    distance = min(max(distance, abs(upper - lower) + 1.0), upper + lower - 0.5)
    along = _unit(offset)
    a = (upper**2 - lower**2 + distance**2) / (2 * distance)
    h = math.sqrt(max(0.0, upper**2 - a**2))
    across = _sub(pole, (along[0] * _dot(pole, along), along[1] * _dot(pole, along),
                         along[2] * _dot(pole, along)))  # fmt: skip
    if _norm(across) < 1e-6:
        across = (0.0, -1.0, 0.0)
    elbow = _add(_add(shoulder, along, a), _unit(across), h)
    toward = _unit(_sub(_add(shoulder, along, distance), elbow))
    points[f"{side}_elbow"] = elbow
    points[f"{side}_wrist"] = wrist = _add(elbow, toward, FOREARM)
    if flat:
        ahead = _unit((toward[0], 0.0, toward[2])) if abs(toward[1]) < 0.999 else (1.0, 0, 0)
        points[f"{side}_hand"] = _add(wrist, ahead, HAND)
    else:
        points[f"{side}_hand"] = _add(elbow, toward, FOREARM + HAND)
    return short


# --- settling the body on what it rests on ------------------------------------------------


@dataclass
class Solved:
    """One pose settled in the world: its points, its angles (arms that rest somewhere
    included, as the angles that put them there), and whatever went wrong."""

    bones: Skeleton
    lean: float
    problems: list[FigureProblem] = field(default_factory=list)
    angles: Mapping[str, float] = field(default_factory=dict)


def _arm_angles(bones: Skeleton, side: str, rotation: float) -> dict[str, float]:
    """The shoulder and elbow angles that put an arm where it is: the inverse of the arm's
    part of `skeleton`. `rotation` stays when a straight elbow leaves it undecided."""
    p, top = bones.points, bones.frames["s3"]
    sign = 1.0 if side == "r" else -1.0
    back = _transpose(top)
    upper = _unit(_mv(back, _sub(p[f"{side}_elbow"], p[f"{side}_shoulder"])))
    fore = _unit(_mv(back, _sub(p[f"{side}_wrist"], p[f"{side}_elbow"])))
    flexion = math.degrees(math.atan2(upper[0], -upper[1]))
    tilt = -math.asin(max(-1.0, min(1.0, upper[2])))
    arm = _mm(_rot("z", flexion), _rot("x", math.degrees(tilt)))
    local = _mv(_transpose(arm), fore)
    elbow = math.degrees(math.acos(max(-1.0, min(1.0, -local[1]))))
    if elbow > 3:
        rotation = -sign * math.degrees(math.atan2(-local[2], local[0]))
    return {
        f"{side}_shoulder": flexion,
        f"{side}_shoulder_abduction": -sign * math.degrees(tilt),
        f"{side}_shoulder_rotation": rotation,
        f"{side}_elbow": elbow,
    }


def _settles(contact: Contact, floor: float) -> bool:
    """Whether a contact tips the body until it rests: a hand on a chair seat is only
    checked, as the body rests on its feet."""
    if contact.on == "chair" and contact.part not in ("pelvis", "shins", "feet", "back"):
        return False
    return _support_height(contact, floor) is not None


def _support_height(contact: Contact, floor: float) -> float | None:
    return {
        "floor": floor, "chair": SEAT, "bed": BED, "step": STEP,
    }.get(contact.on)  # fmt: skip


def _lowest(bones: Skeleton, contact: Contact, view: str) -> tuple[float, float]:
    """The height of a contact's lowest surface, and the x of its middle."""
    found = _contact_points(contact.part, view)
    assert found is not None
    points = [(bones.points[name], radius) for name, radius in found[0]]
    return (
        min(point[1] - radius for point, radius in points),
        sum(point[0] for point, _ in points) / len(points),
    )


def _flat(contacts: Sequence[Contact], view: str) -> set[str]:
    """Feet and hands that rest on a floor, a seat or a step lie level on it."""
    return {
        name
        for c in contacts
        if c.on not in _LOCATING and (found := _contact_points(c.part, view))
        for name in found[1]
    }


def _build(pose: Pose, lean: float, view: str) -> tuple[Skeleton, dict[str, float]]:
    bones = skeleton(pose.angles, lean, _flat(pose.contacts, view))
    short = {}
    for hand, place in sorted(pose.place.items()):
        if place not in _ON_FLOOR:
            short[hand] = _reach(bones, hand[0], place)
    return bones, short


def _com_x(bones: Skeleton) -> float:
    p = bones.points
    total = sum(MASS.values())
    return sum(w * (p[a][0] + p[b][0]) / 2 for (a, b), w in MASS.items()) / total


def _root(f: Callable[[float], float], start: float) -> float | None:
    """The zero of f nearest `start`: scan outwards both ways, then bisect."""
    first = f(start)
    if first == 0:
        return start
    last = {1: (start, first), -1: (start, first)}
    for step in range(3, 121, 3):
        for sign in (1, -1):
            x = start + sign * step
            fx = f(x)
            px, fp = last[sign]
            if fx == 0:
                return x
            if (fx > 0) != (fp > 0):
                return _refine(f, px, fp, x, fx)
            last[sign] = (x, fx)
    return None


def _refine(f: Callable[[float], float], a: float, fa: float, b: float, fb: float) -> float:
    """The zero of f between a and b, where it changes sign, to a millionth of a degree: by
    false position, halving the weight of an end that stays put (the Illinois rule), so a
    smooth f takes a handful of steps where halving the bracket took twenty."""
    for _ in range(60):
        x = b - fb * (b - a) / (fb - fa)
        if not min(a, b) < x < max(a, b):
            x = (a + b) / 2
        fx = f(x)
        if fx == 0 or abs(b - a) < 1e-6:
            return x
        if (fx > 0) == (fb > 0):
            fa /= 2
        else:
            a, fa = b, fb
        b, fb = x, fx
        if abs(b - a) < 1e-6:
            return b
    return b


def settle(pose: Pose, view: str, floor: float) -> Solved:
    """Tip the body until two contacts rest on what they rest on (or, standing on one,
    until it balances over it), then lift it onto them."""
    start = pose.angles.get("lean", 0.0)
    resting = [c for c in pose.contacts if _settles(c, floor)]
    problems: list[FigureProblem] = []

    def gap(contact: Contact, bones: Skeleton) -> float:
        height = _support_height(contact, floor)
        assert height is not None
        return _lowest(bones, contact, view)[0] - height

    lean = start
    if len(resting) >= 2:
        first, second = resting[0], resting[1]

        def difference(angle: float) -> float:
            bones = _build(pose, angle, view)[0]
            return gap(first, bones) - gap(second, bones)

        found = _root(difference, start)
        if found is not None:
            lean = found
        else:
            problems.append(
                FigureProblem(
                    ("contacts",),
                    f"expected a pose whose {first.part} and {second.part} can rest on the "
                    f"{first.on} and the {second.on} together, got none that fits",
                )
            )
    elif resting and not pose.given_lean and not set(c.on for c in pose.contacts) & _LOCATING:

        def balance(angle: float) -> float:
            bones = _build(pose, angle, view)[0]
            return _com_x(bones) - _lowest(bones, resting[0], view)[1]

        lean = _root(balance, start) or start
    bones, short = _build(pose, lean, view)
    if resting:
        lift = -gap(resting[0], bones)
    else:
        lift = floor - min(point[1] for point in bones.points.values()) + 3.0
    shift = pose.shift
    for name, point in bones.points.items():
        bones.points[name] = (point[0] + shift, point[1] + lift, point[2])
    for hand, place in sorted(pose.place.items()):
        if place in _ON_FLOOR:
            short[hand] = _reach(bones, hand[0], place, floor)
    angles = dict(pose.angles)
    for hand in pose.place:
        side = hand[0]
        angles.update(_arm_angles(bones, side, angles.get(f"{side}_shoulder_rotation", 0.0)))
    for hand, distance in short.items():
        if distance > TOLERANCE:
            problems.append(
                FigureProblem(
                    ("place", hand),
                    f"expected a place the hand can reach, got {pose.place[hand]!r} "
                    f"({distance:.0f} beyond its reach)",
                )
            )
    return Solved(bones, lean, problems, angles)


# --- a scene: the frames settled, lined up and propped -------------------------------------


@dataclass
class Box3:
    """A box of a prop in the world: two opposite corners."""

    low: Vec
    high: Vec


@dataclass
class Scene:
    """A figure's frames settled and lined up on one floor, with its props."""

    view: str
    camera: Camera
    floor: float
    frames: list[Solved]
    boxes: list[tuple[int | None, str, Box3]]  # (frame or None for all, prop, box)
    lines: list[tuple[int, str, Vec, Vec]]  # bands and sticks: (frame, kind, from, to)
    dots: list[tuple[int, str, Vec]]  # weights: (frame, kind, at)
    problems: list[FigureProblem]
    tops: dict[str, float] = field(default_factory=dict)  # a chair back's, a counter's height


def _anchor(part: str, bones: Skeleton, view: str) -> Vec:
    """The middle of a contact part's points."""
    found = _contact_points(part, view)
    assert found is not None
    points = [bones.points[name] for name, _ in found[0]]
    return tuple(sum(q[i] for q in points) / len(points) for i in range(3))  # type: ignore[return-value]


def scene(figure: Figure) -> tuple[Scene | None, list[FigureProblem]]:
    """Settle every frame, line them up and place the props; or say what is wrong. Cached:
    the same figure is checked once and drawn on many pages."""
    found, problems = _scene_cached(_figure_key(figure))
    return found, list(problems)


def _figure_key(figure: Figure) -> str:
    return figure.model_dump_json()


def _parse(key: str) -> Figure:
    from movebook.model import Figure  # model imports nothing from here: no cycle

    return Figure.model_validate_json(key)


@functools.lru_cache(maxsize=512)
def _scene_cached(key: str) -> tuple[Scene | None, tuple[FigureProblem, ...]]:
    found, problems = _make_scene(_parse(key))
    return found, tuple(problems)


def _make_scene(figure: Figure) -> tuple[Scene | None, list[FigureProblem]]:
    problems: list[FigureProblem] = []
    poses = _resolve(figure, problems)
    _check_props(figure, problems)
    if problems:
        return None, problems
    view = figure.view
    props: dict[str, str | None] = {prop.name: prop.option for prop in figure.props}
    floor = MAT if "mat" in props else 0.0
    frames: list[Solved] = []
    for index, pose in enumerate(poses):
        solved = settle(pose, view, floor)
        at = ("figure", "frames", index)
        problems.extend(FigureProblem((*at, *p.loc), p.message) for p in solved.problems)
        if frames:
            _line_up(solved, pose, poses[index - 1], frames[-1], view)
        frames.append(solved)
    if problems:
        return None, problems
    built = Scene(view, Camera(view, figure.tilt), floor, frames, [], [], [], [])
    _place_props(built, poses, props)
    for index, (pose, solved) in enumerate(zip(poses, frames, strict=True)):
        problems.extend(_check_contacts(index, pose, solved, built))
    return (None if problems else built), problems


def _line_up(solved: Solved, pose: Pose, before: Pose, previous: Solved, view: str) -> None:
    """Keep what stays put in place: a contact both frames share, else the pelvis; then the
    frame's own `shift` moves it along the floor from there."""
    shared = [c.part for c in pose.contacts if c.part in {b.part for b in before.contacts}]
    if shared:
        was, now = _anchor(shared[0], previous.bones, view), _anchor(shared[0], solved.bones, view)
    else:
        was, now = previous.bones.points["pelvis"], solved.bones.points["pelvis"]
    dx, dz = was[0] - now[0] + pose.shift, was[2] - now[2]  # now has the shift in it
    for name, point in solved.bones.points.items():
        solved.bones.points[name] = (point[0] + dx, point[1], point[2] + dz)


def _check_props(figure: Figure, problems: list[FigureProblem]) -> None:
    for index, prop in enumerate(figure.props):
        if prop.name == "band":
            choices: Sequence[str] = BAND_ANCHORS
        elif prop.name in ("bag", "weight"):
            choices = HANDS
        elif prop.name == "pillow":
            choices = ("knees",)  # squeezed between them; otherwise it is under a contact
        elif prop.name == "chair":
            # ahead: in front of the feet, its seat towards them; edge: sat on its front half
            choices = ("ahead", "edge")
        elif prop.name == "counter":
            choices = ("beside",)  # along the figure's far side, as one stands side-on to it
        else:
            choices = ()
        if prop.option is not None and prop.option not in choices:
            expected = (
                f"no option for {prop.name}"
                if not choices
                else f"one of {', '.join(choices)} for {prop.name}"
            )
            problems.append(
                FigureProblem(
                    ("figure", "props", index), f"expected {expected}, got {prop.option!r}"
                )
            )
    if figure.layout == "sequence" and figure.arrows:
        problems.append(
            FigureProblem(
                ("figure", "arrows"),
                "expected no arrows in a sequence (its panels are numbered), got some",
            )
        )
    for index, arrow in enumerate(figure.arrows):
        if arrow.at not in POINTS:
            problems.append(
                FigureProblem(
                    ("figure", "arrows", index, "at"), _unknown("a point", arrow.at, POINTS)
                )
            )


def _place_props(built: Scene, poses: Sequence[Pose], props: Mapping[str, str | None]) -> None:
    """Each prop where a frame first touches it; a mat under everything on the floor."""
    view = built.view
    placed: set[str] = set()
    for pose, solved in zip(poses, built.frames, strict=True):
        p = solved.bones.points
        for contact in pose.contacts:
            needs = SUPPORTS.get(contact.on)
            if not needs or needs in placed:
                continue
            placed.add(needs)
            found = _contact_points(contact.part, view)
            assert found is not None
            spots = [p[name] for name, _ in found[0]]
            x = sum(s[0] for s in spots) / len(spots)
            z = sum(s[2] for s in spots) / len(spots)
            low = _lowest(solved.bones, contact, view)[0]
            if contact.on in ("chair_back", "counter", "rail"):
                built.tops[contact.on] = low
            facing = 1.0 if _mv(solved.bones.frames["pelvis"], (1.0, 0.0, 0.0))[0] >= 0 else -1.0
            option = props.get(needs)
            for box in _prop_boxes(contact, needs, x, z, low, p, facing, built.floor, option):
                built.boxes.append((None, needs, box))
    if props.get("chair") == "ahead" and "chair" not in placed:
        p = built.frames[0].bones.points
        toes = max(p[f"{side}_{end}"][0] for side in "rl" for end in ("toe", "heel"))
        built.boxes += [
            (None, "chair", box) for box in _chair(toes + 52, toes + 10, 0.0, SEAT + CHAIR_BACK)
        ]
    if "mat" in props:
        lows = [
            point
            for solved in built.frames
            for point in solved.bones.points.values()
            if point[1] < built.floor + 14
        ]
        if lows:
            x0, x1 = min(q[0] for q in lows) - 14, max(q[0] for q in lows) + 14
            z0, z1 = min(q[2] for q in lows) - 14, max(q[2] for q in lows) + 14
            built.boxes.append((None, "mat", Box3((x0, 0.0, z0), (x1, MAT, z1))))
    for index, solved in enumerate(built.frames):
        p = solved.bones.points
        hands = _mid(p["r_hand"], p["l_hand"])
        option = props.get("band", "") or "forward"
        if "band" in props:
            if option in ("knees", "ankles"):
                joint = "knee" if option == "knees" else "ankle"
                built.lines.append((index, "loop", p[f"r_{joint}"], p[f"l_{joint}"]))
            else:
                # Fixed where the first frame's hands point to it: the band stretches as
                # the hands move away, rather than carrying its anchor with them.
                first = built.frames[0].bones.points
                start = _mid(first["r_hand"], first["l_hand"])
                anchor = _add(start, _unit(_BAND_WAYS[option]), 80.0)
                built.lines.append((index, "band", hands, anchor))
        if "stick" in props:
            trunk = solved.bones.frames["s2"]
            along = _unit(_sub(p["s3"], p["pelvis"]))
            back = _mv(trunk, (-(TRUNK_R + 4.0), 0.0, 0.0))
            built.lines.append(
                (index, "stick", _add(_add(p["pelvis"], along, -14), back),
                 _add(_add(p["s3"], along, 42), back))
            )  # fmt: skip
        if props.get("pillow") == "knees":
            built.dots.append((index, "cushion", _mid(p["r_knee"], p["l_knee"])))
        for kind in ("bag", "weight"):
            if kind in props:
                holder = props[kind] or ("near" if kind == "bag" else "both")
                at = hands if holder == "both" else p[f"{SIDES[holder]}_hand"]
                built.dots.append((index, kind, at))


_HELD = {"band", "bag", "stick", "weight"}
_BAND_WAYS: dict[str, Vec] = {
    "forward": (1.0, 0.0, 0.0), "back": (-1.0, 0.0, 0.0), "up": (0.0, 1.0, 0.0),
    "up_forward": (1.0, 1.0, 0.0), "up_back": (-1.0, 1.0, 0.0), "left": (0.0, 0.0, -1.0),
    "right": (0.0, 0.0, 1.0), "up_left": (0.0, 1.0, -1.0), "up_right": (0.0, 1.0, 1.0),
}  # fmt: skip


def _prop_boxes(
    contact: Contact,
    prop: str,
    x: float,
    z: float,
    low: float,
    p: Mapping[str, Vec],
    facing: float,
    floor: float,
    option: str | None,
) -> list[Box3]:
    """The boxes a prop is drawn from, placed at the contact that touches it."""
    if prop == "chair":
        seated = contact.part == "pelvis"
        # A sitter's chair faces the way they do; one held by its back, away from them (they
        # stand behind it); one they touch otherwise faces them.
        towards = 1.0 if p["pelvis"][0] >= x else -1.0
        way = facing if seated else -towards if contact.on == "chair_back" else towards
        if contact.on == "chair_back":
            back_x, top = x, low
        elif contact.part.endswith(("shins", "shin")):
            # Lower legs on the seat: its front edge under the backs of the knees, the
            # backrest beyond the feet, however long the shins are.
            away = -towards
            knees = [q[0] * away for name, q in p.items() if name.endswith("knee")]
            feet = [q[0] * away for name, q in p.items() if name.endswith(("ankle", "heel", "toe"))]
            return _chair(away * (max(feet) + 9), away * (min(knees) - 3), z, SEAT + CHAIR_BACK)
        else:
            # A sitter's pelvis near the backrest, or on the front half (`edge`); hands on
            # the front half of the seat, so whoever leans on it stays clear of its legs.
            back_x = x - way * (28 if option == "edge" else 12) if seated else x - way * 30
            top = SEAT + CHAIR_BACK
        front_x = back_x + way * 42
        return _chair(back_x, front_x, z, top)
    if prop == "bed":
        xs = [q[0] for name, q in p.items() if q[1] < BED + 30]
        x0, x1 = min(min(xs) - 12, x - 100), max(max(xs) + 12, x + 100)
        # The body lies near the edge it will get out over, the one nearer you.
        z0, z1 = z - 60, z + 30
        return [
            Box3((x0, BED - 14, z0), (x1, BED, z1)),
            Box3((x0 + 4, 0.0, z0 + 5), (x0 + 10, BED - 14, z1 - 5)),
            Box3((x1 - 10, 0.0, z0 + 5), (x1 - 4, BED - 14, z1 - 5)),
        ]
    if prop == "step":
        return [Box3((x - 20, 0.0, z - 30), (x + 24, STEP, z + 30))]
    if prop in ("pillow", "towel"):
        half = 26.0 if contact.part in ("chest", "back") else 15.0 if prop == "pillow" else 11.0
        return [Box3((x - half, floor, z - 16), (x + half, max(low, floor + 1.0), z + 16))]
    if prop == "wall":
        pelvis = p["pelvis"]
        # which way the wall is: from the middle of the body, not the pelvis, which may be
        # the very part that touches it (a hinge's bottom pushed back onto the wall)
        middle = [sum(q[i] for q in p.values()) / len(p) for i in (0, 2)]
        dx, dz = x - middle[0], z - middle[1]
        reach = max(abs(q[0] - pelvis[0]) for q in p.values()) + 2
        if abs(dz) > abs(dx):
            edge = max(q[2] for q in p.values()) if dz > 0 else min(q[2] for q in p.values())
            edge = edge + 5 if dz > 0 else edge - 5
            return [
                Box3(
                    (pelvis[0] - reach - 30, 0.0, min(edge, edge + 6 * (dz > 0 or -1))),
                    (pelvis[0] + reach + 30, 200.0, max(edge, edge + 6 * (dz > 0 or -1))),
                )
            ]
        edge = max(q[0] for q in p.values()) if dx > 0 else min(q[0] for q in p.values())
        edge = edge + 3 if dx > 0 else edge - 3
        x0, x1 = (edge, edge + 7) if dx > 0 else (edge - 7, edge)
        return [Box3((x0, 0.0, z - 60), (x1, 200.0, z + 60))]
    if prop == "rail":  # a handrail held at the hand's height, beside the body on its side
        side = 1.0 if z >= p["pelvis"][2] else -1.0
        bar = z + side * 6
        return [
            Box3((x - 45, low - 3, bar - 1), (x + 45, low, bar + 1)),
            *(Box3((post - 1.5, 0.0, bar - 1), (post + 1.5, low - 3, bar + 1))
              for post in (x - 40, x + 40)),
        ]  # fmt: skip
    # counter: its top where the arms rest, reaching away from the body
    pelvis = p["pelvis"]
    if option == "beside":  # side-on: it runs along the body, behind it, under the hand
        return [Box3((x - 90, 0.0, z - 50), (x + 20, low, z - 8))]
    way = 1.0 if x >= pelvis[0] else -1.0
    near = x - way * 6
    if low > HIGH_SHELF:  # above the head: a shelf on a wall, with room below it
        board = (near, near + way * 30)
        wall = (near + way * 30, near + way * 36)
        return [
            Box3((min(board), low - 4, z - 40), (max(board), low, z + 40)),
            Box3((min(wall), 0.0, z - 40), (max(wall), low + 40, z + 40)),
        ]
    return [Box3((min(near, near + way * 60), 0.0, z - 40), (max(near, near + way * 60), low,
                  z + 40))]  # fmt: skip


def _chair(back_x: float, front_x: float, z: float, top: float) -> list[Box3]:
    x0, x1 = min(back_x, front_x), max(back_x, front_x)
    way = 1.0 if front_x > back_x else -1.0
    back0, back1 = (x0, x0 + 5) if way > 0 else (x1 - 5, x1)
    legs = [(x0 + 1, x0 + 5), (x1 - 5, x1 - 1)]
    boxes = [Box3((x0, SEAT - 4, z - 20), (x1, SEAT, z + 20))]
    boxes.append(Box3((back0, SEAT, z - 20), (back1, top, z + 20)))
    boxes += [Box3((a, 0.0, z - 19), (b, SEAT - 4, z + 19)) for a, b in legs]
    return boxes


def _check_contacts(index: int, pose: Pose, solved: Solved, built: Scene) -> list[FigureProblem]:
    """Every contact touches what it rests on; nothing sinks through the floor."""
    problems: list[FigureProblem] = []
    at = ("figure", "frames", index)
    bones = solved.bones
    for number, contact in enumerate(pose.contacts):
        height = _support_height(contact, built.floor)
        if contact.on in built.tops:  # the chair back or counter an earlier frame placed
            height = built.tops[contact.on]
        if contact.on in _THICKNESS:
            low, high = _THICKNESS[contact.on]
            thick = _lowest(bones, contact, built.view)[0] - built.floor
            if not low <= thick <= high:
                problems.append(
                    FigureProblem(
                        (*at, "contacts", number),
                        f"expected {contact.part} resting on a {contact.on} {low:g} to "
                        f"{high:g} thick, got {contact.part} {thick:.0f} above the floor",
                    )
                )
        if height is None:
            continue
        gap = _lowest(bones, contact, built.view)[0] - height
        if abs(gap) > TOLERANCE:
            where = "above" if gap > 0 else "below"
            on = contact.on.replace("_", " ")
            problems.append(
                FigureProblem(
                    (*at, "contacts", number),
                    f"expected {contact.part} resting on the {on}, "
                    f"got {contact.part} {abs(gap):.0f} {where} it",
                )
            )
    for side, ankle in sorted(bones.ankles.items()):
        low, high = LIMB_JOINTS["ankle"]
        if not low - 5 <= ankle <= high + 5:
            problems.append(
                FigureProblem(
                    (*at, "contacts"),
                    f"expected a foot that can rest flat (ankle {low:g} to {high:g} degrees), "
                    f"got the {_SIDE_WORDS[side]} ankle at {ankle:.0f}",
                )
            )
    lowest = min(
        (point[1] - _radius(name), name) for name, point in bones.points.items() if name != "eye"
    )
    if lowest[0] < built.floor - TOLERANCE:
        problems.append(
            FigureProblem(
                at,
                f"expected the body above the floor, got the {_point_words(lowest[1])} "
                f"{built.floor - lowest[0]:.0f} below it",
            )
        )
    return problems


_SIDE_WORDS = {"r": "near (right)", "l": "far (left)"}


def _radius(name: str) -> float:
    part = name.split("_")[-1]
    return {"head": HEAD, "heel": 3.0, "toe": 3.0, "hand": 3.0, "knee": 5.0}.get(
        part, TRUNK_R if name in ("pelvis", "s1", "s2", "s3") else 4.0
    )


def _point_words(name: str) -> str:
    if "_" not in name:
        return {"s1": "lower back", "s2": "middle back", "s3": "upper back"}.get(name, name)
    side, part = name.split("_", 1)
    return f"{_SIDE_WORDS[side]} {part}"


# --- in between frames: angles interpolated, contacts settled again ----------------------


def between(before: Pose, after: Pose, t: float) -> Pose:
    """The pose a fraction t of the way from one frame to the next, by joint angles (the
    frames' settled ones: an arm resting somewhere by the angles that put it there). A hand
    resting on the same place in both frames stays there all the way."""
    keys = set(before.angles) | set(after.angles)
    angles = {
        key: before.angles.get(key, 0.0) * (1 - t) + after.angles.get(key, 0.0) * t for key in keys
    }
    kept = {hand: place for hand, place in after.place.items() if before.place.get(hand) == place}
    return Pose(
        angles,
        kept if 0 < t < 1 else after.place if t else before.place,
        after.contacts if t > 0 else before.contacts,
        before.shift * (1 - t) + after.shift * t,
        after.given_lean,
    )


STOPS = 7  # keyframes of the web animation (and points of an arrow), each settled


def motion(figure: Figure, count: int = STOPS) -> list[Skeleton]:
    """The figure's skeletons at `count` evenly spaced moments from its first frame to its
    last, each one settled and lined up with the frame before."""
    return list(_motion_cached(_figure_key(figure), count))


@functools.lru_cache(maxsize=512)
def _motion_cached(key: str, count: int) -> tuple[Skeleton, ...]:
    figure = _parse(key)
    problems: list[FigureProblem] = []
    poses = _resolve(figure, problems)
    built, _ = scene(figure)
    assert built is not None and not problems
    floor = built.floor
    out: list[Skeleton] = []
    spans = len(poses) - 1
    for step in range(count):
        # Eased: the stops crowd at both ends, so a stylesheet stepping through them evenly
        # starts and stops the move gently.
        where = spans * (1 - math.cos(math.pi * step / (count - 1))) / 2 if spans else 0.0
        index = min(int(where), spans - 1) if spans else 0
        t = where - index
        if step == 0 or not spans:
            out.append(built.frames[0].bones)
            continue
        if t == 0 and index > 0:
            index, t = index - 1, 1.0
        start, end = (replace(poses[i], angles=built.frames[i].angles) for i in (index, index + 1))
        # Lined up with the frame it starts from, which is where it is: shifted from there.
        pose = between(replace(start, shift=0.0), end, t)
        solved = settle(pose, figure.view, floor)
        reference = built.frames[index]
        _line_up(solved, pose, poses[index], reference, figure.view)
        out.append(solved.bones)
    return tuple(out)


# --- the drawing ---------------------------------------------------------------------------

PANEL_W, PANEL_H = 300.0, 240.0  # the most a panel may take; each is cropped to its figure
MIN_W, MIN_H = 150.0, 100.0
PAD, PAD_TOP, PAD_BOTTOM = 14.0, 14.0, 7.0  # around the figure, its arrows and cues
BADGE_ROOM = 22.0  # above a numbered panel
MARGIN = 3.0
INK = "#26302d"
FAR = "#8b9894"
GHOST = "#cdd5d2"
GHOST_FAR = "#e1e6e4"
PROP_FILL = "#eef2f0"
PROP_LINE = "#a7b3af"
BAND = "#b0563a"
DEFAULT_ACCENT = "#2f6f62"

# The drawn chains, from the pelvis out: (from, to, width or None when not drawn).
Chain = tuple[tuple[str, str, str | None], ...]
_SPINE: Chain = (("pelvis", "s1", "trunk"), ("s1", "s2", "trunk"), ("s2", "s3", "trunk"))
_HIDDEN_SPINE: Chain = tuple((a, b, None) for a, b, _ in _SPINE)
CHAINS: dict[str, Chain] = {
    "trunk": (*_SPINE, ("s3", "neck", "neck"), ("neck", "head", None), ("head", "eye", None)),
    **{
        f"{s}_arm": (
            *_HIDDEN_SPINE,
            ("s3", f"{s}_shoulder", None),
            (f"{s}_shoulder", f"{s}_elbow", "upper_arm"),
            (f"{s}_elbow", f"{s}_wrist", "forearm"),
            (f"{s}_wrist", f"{s}_hand", "hand"),
        )
        for s in ("r", "l")
    },
    **{
        f"{s}_leg": (
            ("pelvis", f"{s}_hip", None),
            (f"{s}_hip", f"{s}_knee", "thigh"),
            (f"{s}_knee", f"{s}_ankle", "shin"),
            (f"{s}_ankle", f"{s}_heel", "foot"),
            (f"{s}_heel", f"{s}_toe", "foot"),
        )
        for s in ("r", "l")
    },
}
EDGES: tuple[tuple[str, str], ...] = tuple(
    dict.fromkeys((a, b) for chain in CHAINS.values() for a, b, _ in chain)
)
_EDGE_INDEX = {edge: number for number, edge in enumerate(EDGES)}
_LAYER_ORDER = ("l_leg", "l_arm", "trunk", "r_leg", "r_arm")
_ROOTS = {"r_arm": "r_shoulder", "l_arm": "l_shoulder", "r_leg": "r_hip", "l_leg": "l_hip"}


class Camera(NamedTuple):
    """Where the figure is seen from: its side or front, tilted down from above by `tilt`."""

    view: str = "side"
    tilt: float = 0.0


def project(point: Vec, camera: Camera) -> tuple[float, float, float]:
    """(x right, y up, depth towards you) on the page for a point in the world."""
    x, y, z = point
    if camera.view == "front":
        x, z = -z, x
    if not camera.tilt:
        return (x, y, z)
    c, s = math.cos(math.radians(camera.tilt)), math.sin(math.radians(camera.tilt))
    return (x, y * c - z * s, z * c + y * s)


@dataclass
class Placement:
    """How a scene sits in its panels: the page offset of the world's origin in each."""

    dx: tuple[float, ...]  # one per panel
    base_y: float  # page y of what sits on the floor
    columns: int
    panels: int
    width: float = PANEL_W  # of one panel
    height: float = PANEL_H


def _extent(points: Iterable[tuple[float, ...]]) -> tuple[float, ...]:
    items = list(points)
    return (
        min(x - r for x, _, r, _ in items),
        max(x + r for x, _, r, _ in items),
        min(y - r for _, y, r, _ in items),
        max(y + r for _, y, r, _ in items),
    )


def _figure_points(bones: Skeleton, camera: Camera) -> Iterator[tuple[float, ...]]:
    for name, point in bones.points.items():
        x, y, _ = project(point, camera)
        yield x, y, (HEAD if name == "head" else 5.0), 0.0


def _box_points(box: Box3, camera: Camera) -> Iterator[tuple[float, ...]]:
    for corner in _corners(box):
        x, y, _ = project(corner, camera)
        yield x, y, 0.0, 0.0


def _corners(box: Box3) -> Iterator[Vec]:
    for x in (box.low[0], box.high[0]):
        for y in (box.low[1], box.high[1]):
            for z in (box.low[2], box.high[2]):
                yield (x, y, z)


def layout(figure: Figure, built: Scene) -> Placement:
    """Where a figure sits in its panels: around every frame, the moves between them and
    the arrows beside them."""
    moves = figure.layout == "overlay" and len(figure.frames) > 1
    extra = motion(figure) if moves else []
    marks: list[tuple[float, ...]] = []
    if figure.arrows and moves:
        origin = Placement((0.0,), 0.0, 1, 1)  # page coordinates are then (x, -y)
        marks = [(x, -y, 8.0, 0.0) for path in _arrow_paths(figure, built, origin)
                 for x, y in path]  # fmt: skip
    return placement(built, figure.layout, extra, marks)


def placement(
    built: Scene,
    layout: str,
    extra: Sequence[Skeleton] = (),
    marks: Sequence[tuple[float, ...]] = (),
) -> Placement:
    """Crop the panels to the figure, its props, moves and arrows; the floor at the bottom.
    Numbered panels are as big as the biggest, each centred on its own frame."""
    camera = built.camera
    # A wall is as tall as the drawing; a mat under a sequence may be longer than one panel.
    cropped = {"wall", "mat"} if layout == "sequence" else {"wall"}
    props = [
        q for _, name, box in built.boxes if name not in cropped for q in _box_points(box, camera)
    ]
    groups = [[q for solved in built.frames for q in _figure_points(solved.bones, camera)]]
    if layout == "sequence":
        groups = [list(_figure_points(solved.bones, camera)) for solved in built.frames]
    groups[0] += [q for bones in extra for q in _figure_points(bones, camera)] + list(marks)
    spans = []
    for points in groups:
        x0, x1, _, _ = _extent(points)
        if props:
            px0, px1, _, _ = _extent(points + props)
            if px1 - px0 <= PANEL_W - 2 * MARGIN:
                x0, x1 = px0, px1
        spans.append((x0, x1))
    _, _, y0, y1 = _extent([q for points in groups for q in points] + props)
    top = PAD_TOP + (BADGE_ROOM if layout == "sequence" else 0.0)
    width = min(max(max(x1 - x0 for x0, x1 in spans) + 2 * PAD, MIN_W), PANEL_W)
    height = min(max(y1 - y0 + top + PAD_BOTTOM, MIN_H), PANEL_H)
    base_y = height - PAD_BOTTOM + y0  # the lowest thing drawn sits on the panel's floor
    panels = len(built.frames) if layout == "sequence" else 1
    columns = 2 if panels == 4 else min(panels, 3)
    dx = tuple(width / 2 - (x0 + x1) / 2 for x0, x1 in spans)
    return Placement(dx, base_y, columns, panels, width, height)


def _page(point: Vec, camera: Camera, place: Placement, panel: int = 0) -> tuple[float, float]:
    x, y, _ = project(point, camera)
    column, row = panel % place.columns, panel // place.columns
    return (place.dx[panel] + x + column * place.width, place.base_y - y + row * place.height)


def box_problems(figure: Figure, built: Scene) -> list[FigureProblem]:
    """A figure that would be cut off at the edge of its drawing."""
    problems: list[FigureProblem] = []
    place = placement(built, figure.layout)  # the frames; the moves between them stay inside
    for index, solved in enumerate(built.frames):
        panel = index if figure.layout == "sequence" else 0
        column, row = panel % place.columns, panel // place.columns
        left, top = column * place.width, row * place.height
        worst: tuple[float, str, str] | None = None
        for name, point in solved.bones.points.items():
            x, y = _page(point, built.camera, place, panel)
            r = HEAD if name == "head" else 3.0
            for over, edge in (
                (left + MARGIN - (x - r), "left"),
                ((x + r) - (left + place.width - MARGIN), "right"),
                (top + MARGIN - (y - r), "top"),
                ((y + r) - (top + place.height - MARGIN), "bottom"),
            ):
                if over > 0.5 and (worst is None or over > worst[0]):
                    worst = (over, name, edge)
        if worst:
            problems.append(
                FigureProblem(
                    ("figure", "frames", index),
                    f"expected the figure inside its drawing ({PANEL_W:g} x {PANEL_H:g}), got "
                    f"the {_point_words(worst[1])} {worst[0]:.0f} beyond the {worst[2]}",
                )
            )
    return problems


def figure_problems(figure: Figure) -> list[FigureProblem]:
    """Everything wrong with a figure, each with its place in the front matter; for a figure
    with a `side`, with its mirror for the other side too."""
    problems = _drawing_problems(figure)
    if not problems and figure.side is not None:
        problems += [
            FigureProblem(
                ("figure", "side"),
                f"expected a figure that can be drawn for the other side too, got, mirrored: "
                f"{'.'.join(map(str, found.loc[1:]))}: {found.message}",
            )
            for found in _drawing_problems(mirrored(figure))
        ]
    return problems


def _drawing_problems(figure: Figure) -> list[FigureProblem]:
    built, problems = scene(figure)
    if built is None:
        return problems
    problems += box_problems(figure, built)
    if not problems and figure.layout == "overlay":
        problems += _arrow_problems(figure, built)
    return problems


# --- the other side ----------------------------------------------------------------------

_OTHER_SIDE = {"left": "right", "right": "left", "near": "far", "far": "near"}
# Angles that go one way or the other about the body's long axis or to one side: a mirror
# turns them the other way.
_SIDEWAYS = {
    "roll", "turn", "spine_side", "spine_turn", "lumbar_side", "lumbar_turn", "thoracic_side",
    "thoracic_turn", "neck_side", "neck_turn",
}  # fmt: skip
_OTHER_WAY = {
    "left": "right",
    "right": "left",
    "turn_left": "turn_right",
    "turn_right": "turn_left",
}


def _other(name: str) -> str:
    """near_hip -> far_hip, left_hand -> right_hand, up_left -> up_right; hip stays hip."""
    first, joined, rest = name.partition("_")
    if joined and first in _OTHER_SIDE:
        return f"{_OTHER_SIDE[first]}_{rest}"
    head, _, last = name.rpartition("_")
    if head and last in ("left", "right"):
        return f"{head}_{_OTHER_SIDE[last]}"
    return _OTHER_SIDE.get(name, name)


def mirrored(figure: Figure) -> Figure:
    """The same figure done on the body's other side: every sided joint, hand, contact, prop
    and arrow swapped, every sideways angle turned the other way. Seen from the front (or
    from above) it is the mirror image; from the side the other limbs are the near ones."""
    frames = [
        frame.model_copy(
            update={
                "set": {
                    _other(name): -value if name in _SIDEWAYS else value
                    for name, value in frame.set.items()
                },
                "place": {_other(hand): _other(spot) for hand, spot in frame.place.items()},
                "contacts": None
                if frame.contacts is None
                else [c.model_copy(update={"part": _other(c.part)}) for c in frame.contacts],
            }
        )
        for frame in figure.frames
    ]
    props = [
        p if p.option is None else p.model_copy(update={"option": _other(p.option)})
        for p in figure.props
    ]
    arrows = [
        a.model_copy(
            update={"at": _other(a.at), "dir": _OTHER_WAY.get(a.dir, a.dir) if a.dir else None}
        )
        for a in figure.arrows
    ]
    side = None if figure.side is None else _OTHER_SIDE[figure.side]
    return figure.model_copy(
        update={"frames": frames, "props": props, "arrows": arrows, "side": side}
    )


# --- SVG -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureLabels:
    """The words of a figure's description, in English; pass translations to change them."""

    overlay: str = N_("A drawing. Light grey: where you start. Dark: where you finish.")
    still: str = N_("A drawing of the position.")
    sequence: str = N_("A drawing in {count} numbered steps, left to right.")
    arrow: str = N_("The arrow shows which way you move.")
    far: str = N_("The paler arm and leg are the ones further from you.")


def _n(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _colour(layer: str, far: bool, ghost: bool) -> str:
    if ghost:
        return GHOST_FAR if far else GHOST
    return FAR if far else INK


@dataclass
class Drawn:
    """The 2D chain of one layer: per edge its page length and turn from the edge before."""

    layer: str
    far: bool
    root: tuple[float, float]
    edges: list[tuple[int, float, float, str | None]]  # (edge index, length, turn, width)


def _chains(bones: Skeleton, camera: Camera, place: Placement, panel: int) -> list[Drawn]:
    """Each layer as a chain of turns and lengths on the page, furthest layer first."""
    depth = {
        layer: sum(project(bones.points[b], camera)[2] for _, b, _ in chain) / len(chain)
        for layer, chain in CHAINS.items()
    }
    trunk_side = sum(bones.points[b][2] for _, b, _ in CHAINS["trunk"]) / len(CHAINS["trunk"])
    # A limb belongs to the side it hangs from: an arm threaded under the chest to the far
    # side is still the near arm, and is drawn over the far one.
    roots = {layer: bones.points[_ROOTS[layer]][2] for layer in _ROOTS}
    for near, other in (("r_arm", "l_arm"), ("r_leg", "l_leg")):
        if camera.view == "side" and roots[near] > roots[other] + 8 and depth[near] < depth[other]:
            depth[near], depth[other] = depth[other], depth[near]
    drawn = []
    for layer in sorted(CHAINS, key=lambda name: (depth[name], _LAYER_ORDER.index(name))):
        root = _page(bones.points["pelvis"], camera, place, panel)
        heading = 0.0
        edges = []
        for start, end, width in CHAINS[layer]:
            x0, y0 = _page(bones.points[start], camera, place, panel)
            x1, y1 = _page(bones.points[end], camera, place, panel)
            length = math.hypot(x1 - x0, y1 - y0)
            angle = math.degrees(math.atan2(y1 - y0, x1 - x0)) if length > 0.05 else heading
            turn = (angle - heading + 180) % 360 - 180
            edges.append((_EDGE_INDEX[(start, end)], length, turn, width))
            heading = angle
        # Paler: the limbs of the figure's far side, seen from its side (from the front
        # both sides are as near, and from above the lower limbs are not the far ones).
        side_on = sum(bones.points[b][2] for _, b, _ in CHAINS[layer]) / len(CHAINS[layer])
        hangs_near = roots.get(layer, trunk_side) > trunk_side + 4
        far = camera.view == "side" and not hangs_near and side_on < trunk_side - 4
        drawn.append(Drawn(layer, far, root, edges))
    return drawn


def _chain_svg(drawn: Drawn, colour: str, animated: set[int] | None, root_class: bool) -> str:
    """Nested groups, one per edge: rotate by the joint's turn, draw, move to its end."""
    out = [f'<g transform="translate({_n(drawn.root[0])},{_n(drawn.root[1])})"']
    out.append(' class="fr">' if root_class else ">")
    closing = ["</g>"]
    for number, length, turn, width in drawn.edges:
        cls = f' class="fj j{number}"' if animated is not None and number in animated else ""
        out.append(f'<g transform="rotate({_n(turn)})"{cls}>')
        end = EDGES[number][1]
        if width:
            out.append(_line(0.0, length, WIDTH[width], colour))
        if end == "head":
            out.append(f'<circle cx="{_n(length)}" cy="0" r="{_n(HEAD)}" fill="{colour}"/>')
        if end == "eye" and length > HEAD * 0.25:  # facing you, the face has no side to show
            out.append(f'<circle cx="{_n(length)}" cy="0" r="1.9" fill="#ffffff"/>')
        out.append(f'<g transform="translate({_n(length)},0)">')
        closing.append("</g></g>")
    return "".join(out) + "".join(reversed(closing))


def _line(x0: float, x1: float, width: float, colour: str) -> str:
    return (
        f'<line x1="{_n(x0)}" y1="0" x2="{_n(x1)}" y2="0" stroke="{colour}" '
        f'stroke-width="{_n(width)}" stroke-linecap="round"/>'
    )


def _props_svg(
    built: Scene, place: Placement, frame: int | None, panel: int, ahead: bool = False
) -> str:
    """The props behind the body; or, `ahead`, those between it and you, in outline only so
    the body shows through (a chair the figure stands behind, seen from the front)."""
    camera = built.camera
    out = []
    column, row = panel % place.columns, panel // place.columns
    left, top = column * place.width, row * place.height
    body = project(built.frames[frame or 0].bones.points["pelvis"], camera)[2]
    if camera.tilt < 20 and not ahead:  # seen from much higher, the mat is the floor
        y = place.base_y + row * place.height
        out.append(
            f'<line x1="{_n(left + 6)}" y1="{_n(y)}" x2="{_n(left + place.width - 6)}" '
            f'y2="{_n(y)}" stroke="{PROP_LINE}" stroke-width="2" stroke-linecap="round"/>'
        )
    for order in ("wall", "mat", "bed", "step", "chair", "counter", "rail", "pillow", "towel"):
        for owner, name, box in built.boxes:
            if name != order or (owner is not None and owner != frame):
                continue
            centre = project(_mid(box.low, box.high), camera)[2]
            if (name != "mat" and centre > body + TRUNK_R + 10) != ahead:
                continue
            xs, ys = zip(*(_page(c, camera, place, panel) for c in _corners(box)), strict=True)
            x0, x1 = max(min(xs), left + 1), min(max(xs), left + place.width - 1)
            y0, y1 = max(min(ys), top + 1), min(max(ys), top + place.height - 1)
            if x1 - x0 < 0.5 or y1 - y0 < 0.5:
                continue
            rounded = 4 if name in ("mat", "pillow", "towel") else 1.5
            out.append(
                f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(x1 - x0)}" height="{_n(y1 - y0)}" '
                f'rx="{rounded}" fill="{"none" if ahead else PROP_FILL}" stroke="{PROP_LINE}" '
                f'stroke-width="{2 if ahead else 1.5}"/>'
            )
    return "".join(out)


def _held_svg(built: Scene, place: Placement, frame: int, panel: int, ghost: bool = False) -> str:
    """Bands, sticks, bags and weights, drawn over the body that holds them (a bag rests on
    the floor, or a chair seat, when the hands are lower than it is tall)."""
    camera = built.camera
    ink, band, wood, fill = (GHOST, GHOST, GHOST, GHOST_FAR) if ghost else (
        INK, BAND, "#8a6a43", "#f3e3c9")  # fmt: skip
    out = []
    for owner, kind, start, end in built.lines:
        if owner != frame:
            continue
        a, b = _page(start, camera, place, panel), _page(end, camera, place, panel)
        if kind == "stick":
            out.append(_segment(a, b, 4.0, wood))
        else:
            out.append(_segment(a, b, 3.0, band))
            if kind == "band":
                out.append(f'<circle cx="{_n(b[0])}" cy="{_n(b[1])}" r="4" fill="{ink}"/>')
    for owner, kind, at in built.dots:
        if owner != frame:
            continue
        x, y = _page(at, camera, place, panel)
        if kind == "weight":
            out.append(f'<circle cx="{_n(x)}" cy="{_n(y + 5)}" r="7" fill="{ink}"/>')
            out.append(_segment((x - 6, y), (x + 6, y), 3.0, ink))
        elif kind == "cushion":
            out.append(
                f'<rect x="{_n(x - 7)}" y="{_n(y - 8)}" width="14" height="16" rx="5" '
                f'fill="{PROP_FILL}" stroke="{PROP_LINE}" stroke-width="1.5"/>'
            )
        else:
            rest = _page((at[0], _rest_height(built, at), at[2]), camera, place, panel)[1]
            top = min(y + 7, rest - 26)
            out.append(
                f'<path d="M{_n(x - 6)},{_n(top + 1)} q6,-12 12,0" fill="none" stroke="{band}" '
                f'stroke-width="2.5"/>'
                f'<rect x="{_n(x - 11)}" y="{_n(top)}" width="22" height="26" rx="3" '
                f'fill="{fill}" stroke="{band}" stroke-width="2"/>'
            )
    return "".join(out)


def _rest_height(built: Scene, at: Vec) -> float:
    """What a bag hanging at `at` would rest on: the floor, a seat under it, or the shelf
    the hands are setting it on."""
    tops = [built.floor] + [
        box.high[1]
        for _, name, box in built.boxes
        if ((name == "chair" and box.high[1] == SEAT) or name == "counter")
        and box.low[0] <= at[0] <= box.high[0]
    ]
    return max(top for top in tops if top <= at[1] + TOLERANCE)


def _segment(a: tuple[float, float], b: tuple[float, float], width: float, colour: str) -> str:
    return (
        f'<line x1="{_n(a[0])}" y1="{_n(a[1])}" x2="{_n(b[0])}" y2="{_n(b[1])}" '
        f'stroke="{colour}" stroke-width="{_n(width)}" stroke-linecap="round"/>'
    )


def _point_path(bones: Skeleton, name: str) -> Vec:
    p = bones.points
    if name in p:
        return p[name]
    if name in ("hands", "knees", "feet", "shoulders"):
        part = {"hands": "hand", "knees": "knee", "feet": "ankle", "shoulders": "shoulder"}[name]
        return _mid(p[f"r_{part}"], p[f"l_{part}"])
    if name == "chest":
        return _mid(p["s2"], p["s3"])
    if name == "back":
        return p["s2"]
    side, part = name.split("_", 1)
    return p[f"{SIDES[side]}_{'ankle' if part == 'foot' else part}"]


_DIRECTIONS = {
    "up": (0.0, -1.0), "down": (0.0, 1.0), "forward": (1.0, 0.0), "right": (1.0, 0.0),
    "back": (-1.0, 0.0), "left": (-1.0, 0.0),
}  # fmt: skip


def _arrow_tracks(
    figure: Figure, built: Scene, place: Placement
) -> list[list[tuple[float, float]]]:
    """The path each arrow's point takes on the page, from the first frame to the last."""
    steps = motion(figure)
    return [
        [_page(_point_path(bones, arrow.at), built.camera, place) for bones in steps]
        for arrow in figure.arrows
    ]


_SIDE_ROOM = 9.0  # between a limb point and an arrow pressing on it
_POINT_ROOM = {"pelvis": 12.0, "chest": 12.0, "head": 15.0, "shoulders": 10.0}


def _arrow_paths(figure: Figure, built: Scene, place: Placement) -> list[list[tuple[float, float]]]:
    """Each arrow as a line on the page: along the path its point takes, stopping short of
    where it ends; or set off beside the body where that path is short, or for a `dir`."""
    camera = built.camera
    last = built.frames[-1].bones
    body = [_page(q, camera, place) for q in last.points.values()]
    cx = sum(x for x, _ in body) / len(body)
    cy = sum(y for _, y in body) / len(body)
    paths = []
    for arrow, track in zip(figure.arrows, _arrow_tracks(figure, built, place), strict=True):
        if arrow.dir in _CURVES:
            paths += _curve_paths(last, arrow.at, arrow.dir, camera, place, cx)
            continue
        if arrow.dir:
            x, y = _page(_point_path(last, arrow.at), camera, place)
            ux, uy = _DIRECTIONS[arrow.dir]
            pressed = arrow.at == "back" or arrow.at.partition("_")[0] in SIDES
            if pressed and (cx - x) * ux + (cy - y) * uy > 0:
                # One side's knee or hand pushed towards the middle, or the back let down:
                # pressed in from outside, so a pair of them meets the body, not each other.
                tip = (x - ux * _SIDE_ROOM, y - uy * _SIDE_ROOM)
                paths.append([(tip[0] - ux * 28, tip[1] - uy * 28), tip])
                continue
            nx, ny = -uy, ux
            if (x + nx - cx) * nx + (y + ny - cy) * ny < 0:
                nx, ny = -nx, -ny
            x, y = x + nx * 20, y + ny * 20
            paths.append([(x - ux * 14, y - uy * 14), (x + ux * 16, y + uy * 16)])
            continue
        room = _POINT_ROOM.get(arrow.at, 8.0)
        along = _cut(track, 5.0, room)
        if _path_length(along) >= 16:
            paths.append(along)
            continue
        # A short move: a straight arrow the way it goes, its tip just short of the point.
        (x0, y0), (x1, y1) = track[0], track[-1]
        chord = math.hypot(x1 - x0, y1 - y0) or 1.0
        ux, uy = (x1 - x0) / chord, (y1 - y0) / chord
        tip = (x1 - ux * room, y1 - uy * room)
        paths.append([(tip[0] - ux * 20, tip[1] - uy * 20), tip])
    return paths


_CURVES = ("tip_forward", "tip_back", "rock", "turn_left", "turn_right")
CURVE_R = 25.0  # the radius of a curved arrow round its point
RING = (27.0, 8.0)  # a turn's ring round the body, seen a little from above


def _curve_paths(
    bones: Skeleton, at: str, way: str, camera: Camera, place: Placement, body_x: float
) -> list[list[tuple[float, float]]]:
    """A curved arrow on an arc round the point, on the side away from the rest of the
    body: tipping forward turns the top of the part the way the figure faces. A rock is two
    arrows from the middle of the arc, one to each end."""
    x, y = _page(_point_path(bones, at), camera, place)
    facing = project(_mv(bones.frames["pelvis"], (1.0, 0.0, 0.0)), camera)[0]
    if way in ("turn_left", "turn_right"):
        # The near half of a ring round the body: turning right, the front of a figure
        # facing right (or facing you) comes towards you and goes to the page's left.
        start, stop = 0.2, math.pi - 0.2
        if (way == "turn_left") == (facing >= 0 or camera.view == "front"):
            start, stop = stop, start
        return [
            [
                (x + RING[0] * math.cos(a), y + RING[1] * math.sin(a))
                for a in (start + (stop - start) * i / 16 for i in range(17))
            ]
        ]
    middle = math.pi if x <= body_x else 0.0  # behind or in front of the point
    start, stop = middle - 1.0, middle + 1.0  # clockwise on the page (y points down)
    if (way == "tip_back") == (facing >= 0):
        start, stop = stop, start  # a clockwise turn tips a figure facing right forward
    arc = [
        (x + CURVE_R * math.cos(a), y + CURVE_R * math.sin(a))
        for a in (start + (stop - start) * i / 16 for i in range(17))
    ]
    return [arc[8:], arc[8::-1]] if way == "rock" else [arc]


def _cut(
    track: Sequence[tuple[float, float]], head: float, tail: float
) -> list[tuple[float, float]]:
    """The path without its first `head` and last `tail` units of length."""
    total = _path_length(track)
    return _resample(track, head, total - tail) if total > head + tail else []


def _trim(track: Sequence[tuple[float, float]], share: float) -> list[tuple[float, float]]:
    """The middle of a path, `share` of its length cut off each end."""
    total = _path_length(track)
    return _resample(track, total * share, total * (1 - share))


def _resample(
    track: Sequence[tuple[float, float]], start: float, stop: float, count: int = 16
) -> list[tuple[float, float]]:
    """Evenly spaced points along a path, from `start` to `stop` units along it."""
    lengths = [0.0]
    for (x0, y0), (x1, y1) in itertools.pairwise(track):
        lengths.append(lengths[-1] + math.hypot(x1 - x0, y1 - y0))

    def at(distance: float) -> tuple[float, float]:
        for index in range(1, len(track)):
            if lengths[index] >= distance:
                span = lengths[index] - lengths[index - 1] or 1.0
                t = (distance - lengths[index - 1]) / span
                (x0, y0), (x1, y1) = track[index - 1], track[index]
                return (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
        return track[-1]

    return [at(start + (stop - start) * i / count) for i in range(count + 1)]


def _path_length(path: Sequence[tuple[float, float]]) -> float:
    return sum(math.hypot(x1 - x0, y1 - y0) for (x0, y0), (x1, y1) in itertools.pairwise(path))


def _arrow_problems(figure: Figure, built: Scene) -> list[FigureProblem]:
    """An arrow needs something to show: its point moving from the first frame to the last
    (seen from where the figure is seen), or a `dir`."""
    problems = []
    first, last = built.frames[0].bones, built.frames[-1].bones
    for index, arrow in enumerate(figure.arrows):
        x0, y0, _ = project(_point_path(first, arrow.at), built.camera)
        x1, y1, _ = project(_point_path(last, arrow.at), built.camera)
        moved = math.hypot(x1 - x0, y1 - y0)
        if not arrow.dir and moved < 10:
            problems.append(
                FigureProblem(
                    ("figure", "arrows", index, "at"),
                    f"expected a point that moves between the frames (or a dir), got "
                    f"{arrow.at!r}, which moves {moved:.0f}",
                )
            )
    return problems


def _arrow_svg(path: Sequence[tuple[float, float]], colour: str) -> str:
    """A bold arrow as one polygon: a band along the path and a head at its end."""
    half, head, head_half = 2.6, 11.0, 7.5
    total = _path_length(path)
    if total < 1:
        return ""
    # Stop the band where the head begins.
    body: list[tuple[float, float]] = [path[0]]
    walked = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(path):
        step = math.hypot(x1 - x0, y1 - y0)
        if walked + step >= total - head:
            t = (total - head - walked) / (step or 1.0)
            body.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
            break
        body.append((x1, y1))
        walked += step
    tip = path[-1]
    bx, by = body[-1]
    ux, uy = (
        (tip[0] - bx) / (math.hypot(tip[0] - bx, tip[1] - by) or 1.0),
        (tip[1] - by) / (math.hypot(tip[0] - bx, tip[1] - by) or 1.0),
    )
    left, right = [], []
    for index, (x, y) in enumerate(body):
        ax, ay = body[max(index - 1, 0)]
        cx, cy = body[min(index + 1, len(body) - 1)]
        dx, dy = cx - ax, cy - ay
        length = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / length, dx / length
        left.append((x + nx * half, y + ny * half))
        right.append((x - nx * half, y - ny * half))
    nx, ny = -uy, ux
    points = [
        *left,
        (bx + nx * head_half, by + ny * head_half),
        tip,
        (bx - nx * head_half, by - ny * head_half),
        *reversed(right),
    ]
    text = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
    return f'<polygon points="{text}" fill="{colour}"/>'


def _cue_svg(bones: Skeleton, cue: str, camera: Camera, place: Placement, colour: str) -> str:
    """Breath cues: two arcs where the body widens as the breath comes in."""
    p, f = bones.points, bones.frames
    if cue == "belly":
        spots = [(_mid(p["pelvis"], p["s1"]), _mv(f["s1"], (1.0, 0.0, 0.0)))]
    elif cue == "back":
        spots = [(_mid(p["s1"], p["s2"]), _mv(f["s1"], (-1.0, 0.0, 0.0)))]
    else:
        spots = [
            (p["s2"], _mv(f["s2"], way))
            for way in ((1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 0.0, 1.0), (0.0, 0.0, -1.0))
        ]
    out = []
    for centre, normal in spots:
        cx, cy = _page(centre, camera, place)
        nx, ny, _ = project(normal, camera)
        length = math.hypot(nx, ny)
        if length < 0.6 or normal[1] < -0.6:  # seen end on, or pressing into the floor
            continue
        angle = math.atan2(-ny, nx)
        for radius in (TRUNK_R + 6, TRUNK_R + 12):
            a0, a1 = angle - 0.6, angle + 0.6
            x0, y0 = cx + radius * math.cos(a0), cy + radius * math.sin(a0)
            x1, y1 = cx + radius * math.cos(a1), cy + radius * math.sin(a1)
            out.append(
                f'<path d="M{_n(x0)},{_n(y0)} A{_n(radius)},{_n(radius)} 0 0 1 {_n(x1)},{_n(y1)}"'
                f' fill="none" stroke="{colour}" stroke-width="3" stroke-linecap="round"/>'
            )
    return "".join(out)


def _badge(number: int, panel: int, place: Placement, colour: str) -> str:
    column, row = panel % place.columns, panel // place.columns
    x, y = column * place.width + 14, row * place.height + 14
    return (
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="11" fill="{colour}"/>'
        f'<text x="{_n(x)}" y="{_n(y + 5)}" text-anchor="middle" font-size="15" '
        f'font-weight="700" font-family="Atkinson Hyperlegible, sans-serif" fill="#ffffff">'
        f"{number}</text>"
    )


@dataclass(frozen=True)
class Motion:
    """The web animation of one figure: per animated edge its turn at each stop."""

    turns: Mapping[int, tuple[float, ...]]
    roots: tuple[tuple[float, float], ...]


def _animation(figure: Figure, built: Scene, place: Placement) -> Motion | None:
    """Joint turns at each stop, if the figure moves in the plane of the page: then turning
    each joint between its stops moves it truly, limbs keeping their length. A turn out of
    the page (a hip rotating in a front view) shortens a limb on the page: no animation."""
    if figure.layout != "overlay" or len(figure.frames) < 2:
        return None
    if figure.cues or any(p.name in _HELD or p.option == "knees" for p in figure.props):
        return None  # drawn where the last frame has them, they would stay behind
    stops = motion(figure)
    lengths: dict[int, list[float]] = {}
    turns: dict[int, list[float]] = {}
    for bones in stops:
        edges = {
            number: (length, turn)
            for drawn in reversed(_chains(bones, built.camera, place, 0))
            for number, length, turn, _ in drawn.edges
        }
        for number, (length, turn) in edges.items():
            lengths.setdefault(number, []).append(length)
            turns.setdefault(number, []).append(turn)
    for values in lengths.values():
        if max(values) - min(values) > 0.6:
            return None
    unwrapped: dict[int, tuple[float, ...]] = {}
    for number, values in turns.items():
        out = [values[0]]
        for value in values[1:]:
            while value - out[-1] > 180:
                value -= 360
            while value - out[-1] < -180:
                value += 360
            out.append(value)
        if max(out) - min(out) > 0.3:
            unwrapped[number] = tuple(out)
    roots = tuple(_page(bones.points["pelvis"], built.camera, place) for bones in stops)
    return Motion(unwrapped, roots)


def figure_svg(
    figure: Figure,
    id_prefix: str,
    *,
    labels: FigureLabels = FigureLabels(),
    accent: str = DEFAULT_ACCENT,
) -> str:
    """The figure as one inline SVG: role img, its alt as the title, ids from `id_prefix`.

    The static drawing is the last frame over the earlier ones in light grey (or numbered
    panels); `animation_css` makes the same markup move on the web."""
    built, problems = scene(figure)
    if built is None or problems:
        raise ValueError(f"figure has problems: {problems}")
    return _figure_svg(figure, built, id_prefix, labels, accent)


def _figure_svg(
    figure: Figure, built: Scene, prefix: str, labels: FigureLabels, accent: str
) -> str:
    camera = built.camera
    overlay = figure.layout == "overlay"
    place = layout(figure, built)
    moving = _animation(figure, built, place) if overlay else None
    rows = math.ceil(place.panels / place.columns)
    width, height = place.columns * place.width, rows * place.height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" role="img" '
        f'aria-labelledby="{prefix}-title" aria-describedby="{prefix}-desc" '
        f'class="figure-svg{" figure-moves" if moving else ""}" id="{prefix}">',
        f'<title id="{prefix}-title">{escape(figure.alt)}</title>',
        f'<desc id="{prefix}-desc">{escape(_description(figure, built, labels))}</desc>',
    ]
    if overlay:
        last = len(built.frames) - 1
        parts.append(_props_svg(built, place, None, 0))
        if last:
            parts.append('<g class="figure-ghost">')
            for index, solved in enumerate(built.frames[:-1]):
                parts.append(_held_svg(built, place, index, 0, ghost=True))
                for drawn in _chains(solved.bones, camera, place, 0):
                    parts.append(_chain_svg(drawn, _colour(drawn.layer, drawn.far, True), None,
                                            False))  # fmt: skip
            parts.append("</g>")
        animated = set(moving.turns) if moving else None
        parts.append(f'<g class="figure-body{" fb-" + prefix if moving else ""}">')
        for drawn in _chains(built.frames[-1].bones, camera, place, 0):
            colour = _colour(drawn.layer, drawn.far, False)
            parts.append(_chain_svg(drawn, colour, animated, moving is not None))
        parts.append(_held_svg(built, place, last, 0))
        parts.append("</g>")
        parts.append(_props_svg(built, place, None, 0, ahead=True))
        for path in _arrow_paths(figure, built, place):
            parts.append(_arrow_svg(path, accent))
        for cue in figure.cues:
            parts.append(_cue_svg(built.frames[-1].bones, cue, camera, place, accent))
    else:
        for index, solved in enumerate(built.frames):
            parts.append(_props_svg(built, place, index, index))
            for drawn in _chains(solved.bones, camera, place, index):
                parts.append(_chain_svg(drawn, _colour(drawn.layer, drawn.far, False), None,
                                        False))  # fmt: skip
            parts.append(_held_svg(built, place, index, index))
            parts.append(_props_svg(built, place, index, index, ahead=True))
            parts.append(_badge(index + 1, index, place, accent))
    parts.append("</svg>")
    return "".join(parts)


def _description(figure: Figure, built: Scene, labels: FigureLabels) -> str:
    if figure.layout == "sequence":
        words = [labels.sequence.replace("{count}", str(len(figure.frames)))]
    elif len(figure.frames) > 1:
        words = [labels.overlay]
    else:
        words = [labels.still]
    if figure.arrows:
        words.append(labels.arrow)
    if figure.view != "front":
        words.append(labels.far)
    return " ".join(words)


# Where each stop falls in a swing from the first frame to the last (booklet.css plays it
# back and forth): a moment's rest at each end.
KEYS = ("0%,10%", "23.3%", "36.7%", "50%", "63.3%", "76.7%", "90%,100%")


def animation_css(figure: Figure, id_prefix: str) -> str:
    """The stylesheet rules that make one figure move: keyframes turning each joint through
    its angle at each stop (and the pelvis to its place), named after the figure. Only names:
    booklet.css says when they play. Empty for a figure that stays still. Cached: every page
    that shows the exercise asks again."""
    return _animation_css_cached(_figure_key(figure), id_prefix)


@functools.lru_cache(maxsize=1024)
def _animation_css_cached(key: str, id_prefix: str) -> str:
    figure = _parse(key)
    built, problems = scene(figure)
    if built is None or problems or figure.layout != "overlay" or len(figure.frames) < 2:
        return ""
    place = layout(figure, built)
    moving = _animation(figure, built, place)
    if moving is None:
        return ""
    scope = f".fb-{id_prefix}"

    def keyframes(name: str, values: Iterable[str]) -> str:
        steps = "".join(f"{key}{{transform:{v}}}" for key, v in zip(KEYS, values, strict=True))
        animation = f"{id_prefix}-{name}"
        return f"@keyframes {animation}{{{steps}}}\n{scope} .{name}{{animation-name:{animation}}}\n"

    roots = [f"translate({_n(x)}px,{_n(y)}px)" for x, y in moving.roots]
    out = keyframes("fr", roots) if len(set(roots)) > 1 else ""  # the pelvis may stay put
    for number, turns in sorted(moving.turns.items()):
        out += keyframes(f"j{number}", (f"rotate({_n(turn)}deg)" for turn in turns))
    return out


def figure_moves(figure: Figure | None) -> bool:
    """Whether the figure moves on the web (and so has a pause control beside it)."""
    return bool(figure is not None and animation_css(figure, "x"))
