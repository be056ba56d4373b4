"""Charts' SVG, made safe to inline: the one kind of markup the documents take from code.

matplotlib writes text as `<text>` elements (`svg.fonttype: none`) and XML-escapes it;
`sanitise_svg` re-parses the SVG, refuses anything scriptable or any element outside the few
that matplotlib writes, drops the metadata and the empty groups (fewer nodes print faster),
gives the ids that are referenced a per-chart prefix (several charts share one HTML page) and
writes `{` and `}` in text as character references. `svg_markup` checks again where the SVG
enters a page.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from markupsafe import Markup

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"


class UnsafeSvgError(ValueError):
    """The SVG holds something a browser could execute."""


_UNSAFE = re.compile(r"<\s*script|<\s*foreignObject|\son\w+\s*=|javascript:", re.IGNORECASE)
_ALLOWED_TAGS = {
    "svg", "g", "path", "use", "text", "tspan", "rect", "defs", "clipPath", "pattern", "style",
    "title", "image", "circle", "ellipse", "line", "polyline", "polygon", "desc",
}  # fmt: skip
_REF = re.compile(r"url\(#([^)]+)\)")
# style declarations that SVG also takes as attributes: an attribute needs no CSS parsing when
# the PDF renderer draws the chart (line caps and joins stay in `style`, which outranks the
# sheet's `*{...}` rule that matplotlib writes)
_PRESENTATION = {
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-dasharray", "stroke-dashoffset", "stroke-miterlimit", "opacity", "font-size",
    "font-family", "font-weight", "font-style", "text-anchor", "clip-path", "visibility",
    "dominant-baseline",
}  # fmt: skip


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def sanitise_svg(svg: str, key: str, title: str | None = None) -> str:
    """Inline-ready SVG (see the module docstring); raises `UnsafeSvgError` on anything
    scriptable or any element outside the few that matplotlib writes."""
    start = svg.find("<svg")
    if start < 0:
        raise UnsafeSvgError("no <svg> element")
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg[start:], flags=re.DOTALL)
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise UnsafeSvgError(f"chart {key} is not well-formed SVG: {exc}") from exc
    href = f"{{{XLINK_NS}}}href"
    referenced: set[str] = set()
    for el in root.iter():
        tag = _local(el.tag)
        if tag not in _ALLOWED_TAGS:
            raise UnsafeSvgError(f"chart {key}: element <{tag}> is not allowed")
        for name, value in el.attrib.items():
            if _local(name).lower().startswith("on") or "javascript:" in value.lower():
                raise UnsafeSvgError(f"chart {key}: attribute {name} is not allowed")
            referenced.update(_REF.findall(value))
        link = el.get(href) or el.get("href")
        if link is not None:
            if tag == "image" and link.startswith("data:image/png;base64,"):
                continue
            if not link.startswith("#"):
                raise UnsafeSvgError(f"chart {key}: external reference {link[:40]!r}")
            referenced.add(link[1:])
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", key) + "-"

    def simplify(parent: ET.Element) -> None:
        children = list(parent)
        for child in children:
            simplify(child)
        new_children: list[ET.Element] = []
        for child in children:
            tag = _local(child.tag)
            if tag == "metadata":
                continue
            if tag == "g" and set(child.attrib) <= {"id"} and child.get("id") not in referenced:
                new_children.extend(list(child))  # an empty wrapper: keep its content only
                continue
            new_children.append(child)
        parent[:] = new_children

    simplify(root)
    for el in root.iter():
        style = el.attrib.pop("style", None)
        if style and _local(el.tag) != "style":
            keep = []
            for declaration in style.split(";"):
                prop, _, value = declaration.partition(":")
                prop, value = prop.strip(), value.strip()
                if not prop:
                    continue
                if prop in _PRESENTATION:
                    el.set(prop, value)
                else:
                    keep.append(f"{prop}: {value}")
            if keep:
                el.set("style", "; ".join(keep))
        if re.fullmatch(r"rotate\(-?0 [^)]*\)", el.get("transform", "")):
            del el.attrib["transform"]
        ident = el.get("id")
        if ident is not None:
            if ident in referenced:
                el.set("id", prefix + ident.replace(".", "-"))
            else:
                del el.attrib["id"]
        for name, value in list(el.attrib.items()):
            if "url(#" in value:
                el.set(
                    name, _REF.sub(lambda m: f"url(#{prefix}{m.group(1).replace('.', '-')})", value)
                )
        for attr in (href, "href"):
            link = el.get(attr)
            if link is not None and link.startswith("#"):
                el.set(attr, "#" + prefix + link[1:].replace(".", "-"))
    for attr in ("width", "height"):
        root.attrib.pop(attr, None)
    root.set("class", "chart-svg")
    root.set("role", "img")
    if title:
        node = ET.Element(f"{{{SVG_NS}}}title")
        node.text = title
        root.insert(0, node)
    # plain names and explicit namespace declarations: the output does not depend on the
    # prefixes other libraries register with ElementTree
    for el in root.iter():
        el.tag = _local(el.tag)
        link = el.attrib.pop(href, None)
        if link is not None:
            el.set("xlink:href", link)
    root.set("xmlns", SVG_NS)
    root.set("xmlns:xlink", XLINK_NS)
    out = ET.tostring(root, encoding="unicode")
    # braces in text as character references: no text can read as a template expression
    # (the one style sheet, matplotlib's `*{...}`, keeps its braces)
    out = re.sub(
        r"(<[^>]+>)([^<]*)",
        lambda m: (
            m.group(1)
            + (
                m.group(2)
                if m.group(1).startswith("<style")
                else m.group(2).replace("{", "&#123;").replace("}", "&#125;")
            )
        ),
        out,
    )
    out = re.sub(r">\s+<", "><", out)
    if _UNSAFE.search(out):
        raise UnsafeSvgError(f"chart {key} contains scriptable content")
    return out


def svg_markup(chart) -> Markup:
    """The chart's SVG as markup for the template: the one place where markup enters the page
    unescaped, so it is checked again here (every label inside was XML-escaped by matplotlib)."""
    if _UNSAFE.search(chart.svg) or not chart.svg.lstrip().startswith("<svg"):
        raise UnsafeSvgError(f"chart {chart.key} is not a sanitised SVG")
    return Markup(chart.svg)
