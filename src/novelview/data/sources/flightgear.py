"""``flightgear:[PATH]``: FlightGear's AI aircraft (Debian's ``flightgear-data-ai``), one model each.

PATH is a folder of aircraft folders; empty means where Debian puts them. Each aircraft folder
holds model XMLs (PropertyLists) that name an AC3D file (``<path>``), maybe through an included
XML, and a livery folder (``<texture-path>``). The model taken is the one the folder's entry in
``fallback_models.xml`` names (what FlightGear shows for that type in multiplayer), else a
``*default*.xml``, else any XML that leads to an AC3D file, else the folder's largest ``.ac``.
Its class in ``fallback_models.xml`` (light aircraft, airliner, combat jet, ...) is its
category; types it does not list are "aircraft". One livery per aircraft: the XML's, else the
model's own textures, else the first livery folder that has them.

FlightGear's model frame is x aft, y right, z up; through AC3D's y-up file frame that is
nose towards -x and up +y in the file, which is what the refs record.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from novelview.data.sources.ac3d import load_ac
from novelview.data.sources.assets import lexically_inside
from novelview.data.sources.registry import LoadedModel, ModelRef, package_folder, register
from novelview.data.sources.xml_files import read_xml
from novelview.errors import NovelviewError

DEBIAN_FOLDER = "/usr/share/games/flightgear/AI/Aircraft"
INSTALL_HINT = "install it with `sudo apt-get install flightgear-data-ai` (Debian, Ubuntu) or give flightgear:PATH"
LICENCE = {"licence": "GPL-2+", "licence_url": "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html",
           "library": "FlightGear AI aircraft (flightgear-data-ai)"}
# fallback_models.xml numbers its models by class, in these ranges (see that file's header)
CLASSES = ((1, 100, "light aircraft"), (101, 150, "business jet"), (151, 200, "turboprop airliner"),
           (201, 400, "jet airliner"), (401, 500, "military propeller"), (501, 550, "combat jet"),
           (551, 600, "military transport"), (601, 700, "helicopter"))
MAX_INCLUDES = 6
# objects FlightGear shows only now and then (afterburner flames, a deployed brake chute, light
# halos): drawn always, they would hide or dwarf the aircraft
EFFECT_OBJECTS = re.compile(r"^(chute|drogue)$|flame|burner|halo|flare|beam|contrail|smoke|plume|glow|^wake|(?<!no)shadow$", re.I)
IMAGE_SUFFIXES = (".png", ".rgb", ".rgba", ".jpg", ".jpeg")


@register("flightgear")
class FlightGearSource:
    def list(self, location: str, selection: str, models: int | None, seed: int) -> list[ModelRef]:
        root = package_folder(location, DEBIAN_FOLDER, "FlightGear AI aircraft", "FlightGear aircraft folders", INSTALL_HINT)
        listed = fallback_entries(root)
        refs = []
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            number, preferred = listed.get(folder.name, (0, None))
            model = choose_model(folder, preferred, root)
            if model is None:
                continue
            ac, livery, facts = model
            info = {**LICENCE, "name": facts.get("description") or folder.name, "creator": facts.get("author", ""),
                    "catalog_category": aircraft_class(number),
                    "model_file": ac.relative_to(root).as_posix(), "livery": livery}
            refs.append(ModelRef(folder.name, aircraft_class(number), str(ac), front="-x", root=str(root),
                                 info=info, source="flightgear"))
        if not refs:
            raise NovelviewError(f"no aircraft models (.ac) found under {root}: {INSTALL_HINT}")
        return refs if models is None else refs[:models]

    def load(self, ref: ModelRef, texture_side: int | None) -> LoadedModel:
        root = Path(ref.root)
        ac = Path(ref.path)
        aircraft = root / ref.model_id
        dirs = ([root / ref.info["livery"]] if ref.info.get("livery") else []) + [ac.parent, aircraft]
        liveries = aircraft / "Textures"
        if liveries.is_dir():
            dirs += sorted(p for p in liveries.iterdir() if p.is_dir())
        # last resort: any folder of the aircraft with images (liveries kept beside the model)
        dirs += sorted({p.parent for p in aircraft.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES} - set(dirs))
        return load_ac(ac, texture_side, dirs, root, hidden=EFFECT_OBJECTS)


def aircraft_class(number: int) -> str:
    return next((name for low, high, name in CLASSES if low <= number <= high), "aircraft")


def fallback_entries(root: Path) -> dict[str, tuple[int, str]]:
    """{aircraft folder: (class number, model XML path inside root)} from fallback_models.xml."""
    try:
        document = read_xml(root / "fallback_models.xml")
    except ValueError:
        return {}
    entries: dict[str, tuple[int, str]] = {}
    for element in document.iter("model"):
        text = (element.text or "").strip()
        if not text.startswith("AI/Aircraft/") or not element.get("n", "").isdigit():
            continue
        inside = text.removeprefix("AI/Aircraft/")
        folder = inside.split("/", 1)[0]
        if folder not in entries:  # the first (lowest numbered) model of a type
            entries[folder] = (int(element.get("n")), inside)
    return entries


def choose_model(folder: Path, preferred: str | None, root: Path) -> tuple[Path, str, dict] | None:
    """(AC3D file, livery folder relative to root or "", facts) of the aircraft's main model."""
    if preferred:
        found = follow_model_xml(root / preferred, root)
        if found is not None:
            return found
    # no entry: of the models the folder's XMLs lead to, the largest (the airframe, not a part
    # such as an engine that has an XML of its own); among its liveries the default one
    followed = [(xml, follow_model_xml(xml, root)) for xml in sorted(folder.glob("*.xml")) + sorted(folder.glob("Models/*.xml"))]
    followed = [(xml, found) for xml, found in followed if found is not None]
    if followed:
        best = max(followed, key=lambda item: (item[1][0].stat().st_size, "default" in item[0].name.lower(), -len(item[0].name)))
        return best[1]
    acs = [p for p in folder.rglob("*.ac") if not re.search(r"light|flare|shadow|exhaust", p.name, re.I)]
    if not acs:
        return None
    return max(acs, key=lambda p: (p.stat().st_size, p.name)), "", {}


def follow_model_xml(xml: Path, root: Path, depth: int = 0) -> tuple[Path, str, dict] | None:
    """Follow ``<path>`` (and ``include=``) from a model XML to its AC3D file."""
    if depth > MAX_INCLUDES or not xml.is_file():
        return None
    try:
        document = read_xml(xml)
    except ValueError:
        return None
    facts = {key: (document.findtext(key) or "").strip() for key in ("path", "texture-path", "author", "description")}
    included = document.get("include")
    if included and not (facts["path"] and facts["author"]):
        deeper = follow_model_xml(xml.parent / included, root, depth + 1)
        if deeper is not None and not facts["path"]:
            ac, livery, more = deeper
            return ac, _livery(xml, facts["texture-path"], root) or livery, {**more, **{k: v for k, v in facts.items() if v}}
    if not facts["path"]:
        return None
    target = _inside_root(xml.parent, facts["path"], root)
    if target is None:
        return None
    livery = _livery(xml, facts["texture-path"], root)
    if target.suffix.lower() == ".xml":
        deeper = follow_model_xml(target, root, depth + 1)
        if deeper is None:
            return None
        ac, inner_livery, more = deeper
        return ac, livery or inner_livery, {**more, **{k: v for k, v in facts.items() if v}}
    if target.suffix.lower() != ".ac" or not target.is_file():
        return None
    return target, livery, facts


def _inside_root(folder: Path, name: str, root: Path) -> Path | None:
    """``folder/name`` (or ``root/name`` for paths written from FlightGear's data root) under root."""
    name = name.replace("\\", "/")
    tries = [folder / name] + ([root / name.removeprefix("AI/Aircraft/")] if name.startswith("AI/Aircraft/") else [])
    for path in tries:
        resolved = Path(posixpath.normpath(path.as_posix()))
        if resolved.exists() and lexically_inside(resolved, root):  # a linked aircraft folder counts as inside
            return resolved
    return None


def _livery(xml: Path, texture_path: str, root: Path) -> str:
    if not texture_path:
        return ""
    folder = _inside_root(xml.parent, texture_path, root)
    return folder.relative_to(root).as_posix() if folder is not None and folder.is_dir() else ""
