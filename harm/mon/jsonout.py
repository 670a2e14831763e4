"""``--output-as=json``: the XML document's content as JSON.

Each element becomes an object of its attributes (``"true"``/``"false"`` as booleans);
child elements are gathered into lists under their tag name. So
``<nodes><node name="a" online="true"/></nodes>`` becomes
``{"nodes": [{"node": [{"name": "a", "online": true}]}]}`` — mechanical, so a reader of
crm_mon's XML documentation can find every field.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from harm.mon.snapshot import MonSnapshot
from harm.mon.xmlout import xml_document


def render_json(snap: MonSnapshot, request: str = "harm_mon --output-as=json") -> str:
    root = xml_document(snap, request)
    return json.dumps({root.tag: element_to_json(root)}, indent=2) + "\n"


def element_to_json(elem: ET.Element) -> dict[str, Any]:
    """An element as a JSON object (attributes, then children grouped by tag)."""
    result: dict[str, Any] = {}
    for key, value in elem.attrib.items():
        result[key] = {"true": True, "false": False}.get(value, value)
    for child in elem:
        result.setdefault(child.tag, []).append(element_to_json(child))
    return result
