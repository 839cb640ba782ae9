"""Reading the XML files that come with game models (FlightGear PropertyLists, TORCS car params) safely.

These files are data from a user's disk: parsing one must not expand entities (a "billion
laughs" file would eat the worker's memory) or fetch anything. defusedxml is used when it is
installed; otherwise a file that declares entities is refused, and a DOCTYPE that only names an
external DTD (every TORCS car file has one, pointing at a file that is not shipped) is removed
before the standard library parses the rest, which then never reads the DTD.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

MAX_XML_BYTES = 4 * 2**20  # a car or aircraft description is a few tens of kB
_EXTERNAL_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*>")

try:  # optional: the stricter parser, where installed
    from defusedxml.ElementTree import fromstring as _defused_fromstring
except ImportError:  # pragma: no cover - depends on the environment
    _defused_fromstring = None


def read_xml(path: str | Path) -> ElementTree.Element:
    """The root element of an XML file; raises ValueError(reason) for unreadable, huge, unsafe
    or malformed files."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_XML_BYTES:
            raise ValueError(f"{path.name} is larger than {MAX_XML_BYTES >> 20} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path.name}: {exc}") from None
    if b"<!ENTITY" in data:
        raise ValueError(f"{path.name} declares XML entities; refused (they can expand without bound)")
    data = _EXTERNAL_DOCTYPE.sub(b"", data, count=1)
    if b"<!DOCTYPE" in data:
        raise ValueError(f"{path.name} has an inline DOCTYPE; refused")
    try:
        if _defused_fromstring is not None:
            return _defused_fromstring(data)
        return ElementTree.fromstring(data)
    except Exception as exc:  # ParseError, and defusedxml's refusals
        raise ValueError(f"malformed XML in {path.name}: {exc}") from None
