"""The pack's PDFs with WeasyPrint: an HTML page laid out, nothing fetched.

The slides and the briefs are checked on the laid-out document (its pages and their anchors)
before anything is written, so a layout promise that does not hold is a `PackError`, not a
wrong file.
"""

from __future__ import annotations

import logging
from pathlib import Path


class PackError(RuntimeError):
    """The pack cannot be laid out as promised (a slide overflows, a brief is not two pages)."""


def _no_fetcher():
    """A URL fetcher that fetches nothing: the pack is self-contained, and a stray URL fails the
    rendering instead of going to the network."""

    def refuse(url: str, *args, **kwargs):
        raise ValueError(f"the workshop pack fetches no resource: {url[:60]}")

    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint < 70
        return refuse

    class NoFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            refuse(url)

    return NoFetcher()


def layout(html: str, base: Path):
    """The laid-out WeasyPrint document of `html` (pages with their anchors; `write_pdf()`)."""
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    from weasyprint import HTML

    return HTML(string=html, base_url=str(base), url_fetcher=_no_fetcher()).render()
