"""A `Document` as one self-contained HTML page (Jinja2; templates ship inside the package).

Every value a template prints is escaped, with `{` and `}` as character references so that
text from a source can never read as a template expression anywhere downstream. The only
markup that is not escaped is a chart's SVG, sanitised in `svg.py`. The page is
refused when a count cell would show a value from 1 to 4 (`check_disclosure`).
"""

from __future__ import annotations

import re
from functools import cache
from html import unescape

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from wbtip_pipeline.presentation.disclosure import small_count_cells
from wbtip_pipeline.presentation.document import Document
from wbtip_pipeline.presentation.svg import svg_markup

DOCUMENT_TEMPLATE = "document.html.j2"


class DisclosureError(RuntimeError):
    """A count cell of a rendered page would show a value from 1 to 4."""


def _finalize(value):
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    return Markup(str(escape(value)).replace("{", "&#123;").replace("}", "&#125;"))


def _svg(figure) -> Markup:
    return svg_markup(figure.chart)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("wbtip_pipeline", "templates"),
        autoescape=select_autoescape(
            ["html", "j2", "html.j2"], default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["svg"] = _svg
    return env


# every element that shows a count carries the class `count` (table cells, key figures)
_COUNT_CELL = re.compile(r'<(?:td|span) class="[^"]*\bcount\b[^"]*">([^<]*)</(?:td|span)>')


def check_disclosure(html: str) -> None:
    """Refuse to publish a page whose count cells show a value from 1 to 4."""
    bad = small_count_cells(unescape(c) for c in _COUNT_CELL.findall(html))
    if bad:
        raise DisclosureError(f"count cells would show {bad[:5]}: disclosure control failed")


def render_html(doc: Document, template: str = DOCUMENT_TEMPLATE, **extra) -> str:
    html = environment().get_template(template).render(doc=doc, **extra)
    check_disclosure(html)
    return html
