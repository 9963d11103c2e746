"""GeoReport v2 answers in either format: JSON, or XML (the specification's default), chosen
by the path's extension (``services.xml``, ``requests/<id>.json``…).

XML is built with ElementTree, never by joining strings, in the shapes the specification's
examples show: a list is a root element holding one element per item (``<services>`` of
``<service>``, ``<service_requests>`` of ``<request>``, ``<errors>`` of ``<error>``), a
nested list holds its items in the singular (``<attributes>`` of ``<attribute>``), an absent
value is an empty element and a boolean is ``true`` or ``false``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Response, request

JSON, XML = "json", "xml"
XML_MIMETYPE = "text/xml"
# The singular of each list the specification nests in an element.
ITEM_TAGS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint",
             "formats": "format"}


def requested_format() -> str:
    """The path's extension decides; anything but ``.xml`` (an error before any route, a
    404 of an unknown path) is answered in JSON."""
    return XML if request.path.endswith(".xml") else JSON


def xml_text(root_tag: str, data: dict | list, item_tag: str | None = None) -> bytes:
    root = ET.Element(root_tag)
    if isinstance(data, list):
        for item in data:
            _fill(ET.SubElement(root, item_tag or "item"), item)
    else:
        _fill(root, data)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def xml_response(root_tag: str, data: dict | list, item_tag: str | None = None,
                 status: int = 200) -> Response:
    return Response(xml_text(root_tag, data, item_tag), status=status,
                    mimetype=XML_MIMETYPE, content_type=f"{XML_MIMETYPE}; charset=utf-8")


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEM_TAGS.get(element.tag, "item")), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
