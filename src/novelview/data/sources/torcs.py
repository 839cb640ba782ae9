"""``torcs:[PATH]``: the race cars of TORCS (Debian's ``torcs-data``), each with its four wheels.

PATH is a folder of car folders (``CAR/CAR.xml`` and the AC3D body it names); empty means where
Debian puts them. TORCS draws a car's wheels itself from the car's XML, so its body files have
none: here each wheel is added as a cylinder where the XML puts it: at the axle's ``xpos``, the
wheel's ``ypos``, with the radius ``rim diameter / 2 + tire width x height-width ratio`` and the
tyre's width, standing on the ground (height 0) with the body. Its sides wear the car's own
``tex-wheel.rgb`` (the standing wheel, top-left of that image: rim, spokes and tyre wall), its tread
is dark rubber; without that file the sides are a dark tyre wall round a grey disc, and a notice
says so.

TORCS's car frame is x forward, y left, z up; through AC3D's y-up file frame that is front +x
and up +y in the file (the file's z points right), which is what the refs record.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from novelview.data.sources.ac3d import load_ac
from novelview.data.sources.ac3d_textures import over_colour
from novelview.data.sources.assets import lexically_inside
from novelview.data.sources.registry import LoadedModel, ModelRef, package_folder, register
from novelview.data.sources.xml_files import read_xml
from novelview.data.surface import Surface, concatenate
from novelview.errors import NovelviewError

DEBIAN_FOLDER = "/usr/share/games/torcs/cars"
INSTALL_HINT = "install it with `sudo apt-get install torcs-data` (Debian, Ubuntu) or give torcs:PATH"
LICENCE = {"licence": "Free Art Licence or GPL-2+", "library": "TORCS cars (torcs-data)",
           "licence_url": "https://artlibre.org/licence/lal/en/"}
WHEELS = (("Front Right Wheel", "Front Axle"), ("Front Left Wheel", "Front Axle"),
          ("Rear Right Wheel", "Rear Axle"), ("Rear Left Wheel", "Rear Axle"))
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254, "ft": 0.3048}  # TORCS reads lengths in metres
TYRE, RIM_FACE = (0.06, 0.06, 0.065), (0.62, 0.63, 0.65)
WHEEL_TEXTURE = "tex-wheel.rgb"  # four wheel pictures; the top-left one stands still
WHEEL_QUADRANT = (0.25, 0.75, 0.245)  # its centre (u, v; v up) and radius in texture coordinates
SEGMENTS = 32


@register("torcs")
class TorcsSource:
    def list(self, location: str, selection: str, models: int | None, seed: int) -> list[ModelRef]:
        root = package_folder(location, DEBIAN_FOLDER, "TORCS cars", "TORCS car folders", INSTALL_HINT)
        refs = []
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            xml = folder / f"{folder.name}.xml"
            if not xml.is_file():
                continue
            try:
                params = read_xml(xml)
            except ValueError:
                params = None  # listed anyway: the load names the problem, and the body alone may do
            body = folder / (_body_name(params) or f"{folder.name}.acc")
            if not body.is_file() or not lexically_inside(body, folder):  # as named: a linked car folder is fine
                continue
            info = {**LICENCE, "name": params.get("name", folder.name) if params is not None else folder.name,
                    "creator": _creator(folder), "model_file": body.relative_to(root).as_posix()}
            refs.append(ModelRef(folder.name, "car", str(body), front="+x", root=str(root), info=info, source="torcs"))
        if not refs:
            raise NovelviewError(f"no TORCS cars (CAR/CAR.xml with its .acc body) under {root}: {INSTALL_HINT}")
        return refs if models is None else refs[:models]

    def load(self, ref: ModelRef, texture_side: int | None) -> LoadedModel:
        body = Path(ref.path)
        loaded = load_ac(body, texture_side, [body.parent], body.parent)
        wheels = car_wheels(read_xml(body.parent / f"{body.parent.name}.xml"))
        texture, notice = wheel_texture(body.parent / WHEEL_TEXTURE, texture_side)
        if notice:
            loaded.notices.append(notice)
        loaded.surface = concatenate([loaded.surface] + [wheel_surface(*wheel, texture) for wheel in wheels])
        return loaded


def _body_name(params) -> str | None:
    """The detailed body: the first level of detail ('Ranges/1/car'), else 'env'."""
    if params is None:
        return None
    graphics = _section(params, "Graphic Objects")
    ranges = _section(graphics, "Ranges") if graphics is not None else None
    first = _section(ranges, "1") if ranges is not None else None
    for section, name in ((first, "car"), (graphics, "env")):
        if section is not None:
            value = _attribute(section, "attstr", name)
            if value and "/" not in value and "\\" not in value:
                return value
    return None


def _creator(folder: Path) -> str:
    """Who made the car, from the copyright line of its readme, if it has one."""
    try:
        text = (folder / "readme.txt").read_bytes()[:4096].decode("latin-1")
    except OSError:
        return ""
    for line in text.splitlines():
        if "copyright" in line.lower():
            words = line.split()
            return " ".join(w for w in words if w.lower() not in ("copyright", "(c)") and not w.isdigit())
    return ""


def car_wheels(params) -> list[tuple[np.ndarray, float, float, float]]:
    """(centre in the file's frame, tyre radius, rim radius, width) of each wheel the XML gives;
    raises ValueError naming what is missing."""
    wheels = []
    for wheel_name, axle_name in WHEELS:
        wheel, axle = _section(params, wheel_name), _section(params, axle_name)
        if wheel is None or axle is None:
            raise ValueError(f"car XML has no section {wheel_name if wheel is None else axle_name!r}")
        rim = _length(wheel, "rim diameter") / 2
        width = _length(wheel, "tire width")
        height = _length(wheel, "tire height", None)
        radius = rim + (height if height is not None else width * _number(wheel, "tire height-width ratio"))
        centre = np.array([_length(axle, "xpos"), radius, -_length(wheel, "ypos")])  # TORCS y left = file -z
        if not (np.isfinite(centre).all() and 0 < rim < radius < 5 and 0 < width < 5):
            raise ValueError(f"car XML gives an impossible {wheel_name.lower()} (radius {radius:.3g} m, width {width:.3g} m)")
        wheels.append((centre, radius, rim, width))
    return wheels


def wheel_texture(path: Path, texture_side: int | None) -> tuple[np.ndarray | None, tuple[str, str] | None]:
    """The car's wheel picture as (H, W, 3) sRGB in [0, 1], see-through parts (between spokes) on a
    dark hub; (None, notice) when it is missing or cannot be decoded."""
    if not path.is_file():
        return None, ("missing texture", f"{path.parent.name}: no {path.name}; wheels drawn in plain colours")
    try:
        with Image.open(path) as image:
            return over_colour(image, texture_side, np.float32(TYRE)), None
    except Exception as exc:  # PIL raises many types for broken images
        return None, ("unreadable texture", f"{path.parent.name}: {path.name} cannot be decoded ({type(exc).__name__}); "
                      "wheels drawn in plain colours")


def wheel_surface(centre: np.ndarray, radius: float, rim: float, width: float,
                  texture: np.ndarray | None = None) -> Surface:
    """A closed cylinder along z: a dark tread; its sides the wheel picture when given, else dark
    sidewalls round a grey disc for the rim."""
    angles = np.linspace(0, 2 * np.pi, SEGMENTS, endpoint=False)
    ring = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    rings = []
    for z in (-width / 2, width / 2):
        rings += [np.column_stack([ring * radius, np.full(SEGMENTS, z)]), np.column_stack([ring * rim, np.full(SEGMENTS, z)])]
    centres = np.array([[0, 0, -width / 2], [0, 0, width / 2]])
    vertices = np.concatenate(rings + [centres]) + centre
    outer_a, inner_a, outer_b, inner_b = (np.arange(SEGMENTS) + k * SEGMENTS for k in range(4))
    mid_a, mid_b = 4 * SEGMENTS, 4 * SEGMENTS + 1
    following = lambda ring_ids: np.roll(ring_ids, -1)  # noqa: E731 - the next vertex round a ring
    tread = _quads(outer_a, following(outer_a), following(outer_b), outer_b)
    walls = np.concatenate([_quads(outer_a, inner_a, following(inner_a), following(outer_a)),
                            _quads(outer_b, following(outer_b), following(inner_b), inner_b)])
    discs = np.concatenate([np.column_stack([np.full(SEGMENTS, mid_a), following(inner_a), inner_a]),
                            np.column_stack([np.full(SEGMENTS, mid_b), inner_b, following(inner_b)])])
    faces = np.concatenate([tread, walls, discs])
    colours = np.concatenate([np.broadcast_to(np.float32(TYRE), (len(tread) + len(walls), 3, 3)),
                              np.broadcast_to(np.float32(RIM_FACE), (len(discs), 3, 3))])
    if texture is None:
        return Surface(vertices.astype(np.float64), faces.astype(np.int64), colours.astype(np.float32))
    # The sides: a planar map of the wheel picture, the tyre's edge on the picture's outer circle;
    # seen from outside on both sides (x is mirrored on the far side, as a real wheel's face is).
    u0, v0, r = WHEEL_QUADRANT
    local = vertices - centre
    outward = np.where(local[:, 2] > 0, 1.0, -1.0)
    uv = np.column_stack([u0 + r * outward * local[:, 0] / radius, v0 + r * local[:, 1] / radius]).astype(np.float32)
    corner_uv = uv[faces]
    face_texture = np.full(len(faces), 0, np.int32)
    face_texture[: len(tread)] = -1
    return Surface(vertices.astype(np.float64), faces.astype(np.int64), colours.astype(np.float32), corner_uv,
                   face_texture, [texture])


def _quads(a, b, c, d) -> np.ndarray:
    return np.concatenate([np.column_stack([a, b, c]), np.column_stack([a, c, d])])


def _section(element, name: str):
    return next((s for s in element.findall("section") if s.get("name") == name), None)


def _attribute(section, tag: str, name: str) -> str | None:
    found = next((a for a in section.findall(tag) if a.get("name") == name), None)
    return None if found is None else found.get("val")


def _number(section, name: str) -> float:
    value = _attribute(section, "attnum", name)
    if value is None:
        raise ValueError(f"car XML has no {name!r} in section {section.get('name')!r}")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"car XML: {name!r} is not a number ({value!r})") from None


def _length(section, name: str, default: float | None | str = "required") -> float | None:
    """A length in metres: TORCS writes the unit beside the number (in, mm, m...)."""
    found = next((a for a in section.findall("attnum") if a.get("name") == name), None)
    if found is None and default != "required":
        return default
    unit = (found.get("unit") or "m").lower() if found is not None else "m"
    if unit not in UNITS:
        raise ValueError(f"car XML: unknown unit {unit!r} for {name!r}")
    return _number(section, name) * UNITS[unit]
