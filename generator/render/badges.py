"""Small shields-style SVG badges of the current state, for READMEs and dashboards."""

from __future__ import annotations

import xml.etree.ElementTree as ET

# Backgrounds on which white text meets WCAG AA contrast.
COLORS = {
    "operational": "#1a7f37",
    "under_maintenance": "#0550ae",
    "degraded_performance": "#875400",
    "partial_outage": "#b33600",
    "major_outage": "#c51f2a",
}
_LABEL_COLOR = "#4b5563"
_CHAR_WIDTH = 6.6  # about right for 11px sans-serif
_PADDING = 10


def badge_svg(label: str, message: str, state: str) -> bytes:
    """A badge that says `label | message`, colored by state and readable by screen readers."""
    label_width = round(len(label) * _CHAR_WIDTH) + _PADDING
    message_width = round(len(message) * _CHAR_WIDTH) + _PADDING
    width = label_width + message_width
    text = f"{label}: {message}"
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(width),
            "height": "20",
            "role": "img",
            "aria-label": text,
        },
    )
    ET.SubElement(svg, "title").text = text
    ET.SubElement(svg, "rect", {"width": str(label_width), "height": "20", "fill": _LABEL_COLOR})
    ET.SubElement(
        svg,
        "rect",
        {"x": str(label_width), "width": str(message_width), "height": "20", "fill": COLORS[state]},
    )
    group = ET.SubElement(
        svg,
        "g",
        {
            "fill": "#fff",
            "font-family": "Verdana,DejaVu Sans,sans-serif",
            "font-size": "11",
            "text-anchor": "middle",
        },
    )
    ET.SubElement(group, "text", {"x": str(label_width / 2), "y": "14"}).text = label
    ET.SubElement(group, "text", {"x": str(label_width + message_width / 2), "y": "14"}).text = message
    svg_bytes: bytes = ET.tostring(svg, encoding="utf-8", xml_declaration=False)
    return svg_bytes
