"""The report's outline: section ids, numbers and titles, computed once from the region.

Both documents read it: the report numbers its sections from it, and the workshop pack's "see
section N of the report" references come from it, so the two can never disagree. One chapter per
member of the region, in the region's order; the annexes are lettered.

To add a section, add its entry to `REPORT_SECTIONS` and its builder to `report/sections/`.
"""

from __future__ import annotations

from dataclasses import dataclass

from wbtip_pipeline.region import Region, load_region

# (id, title, kind): "chapter" sections are numbered 1, 2, ...; "annex" sections A, B, ...;
# "jurisdictions" expands to one chapter per member of the region.
REPORT_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("executive-summary", "Executive summary", "chapter"),
    ("introduction", "Introduction", "chapter"),
    ("regional-overview", "Regional overview", "chapter"),
    ("jurisdictions", "", "jurisdictions"),
    ("regional-cooperation", "Regional cooperation", "chapter"),
    ("recommendations", "Recommendations", "chapter"),
    ("methodology", "Methodology", "chapter"),
    ("source-triangulation", "The figures against the US TIP reports", "chapter"),
    ("limitations", "Limitations", "chapter"),
    ("data-quality-annex", "Data quality", "annex"),
    ("provenance", "Provenance", "annex"),
)
JURISDICTION_PREFIX = "jurisdiction-"


def chapter_id(code: str) -> str:
    return f"{JURISDICTION_PREFIX}{code}"


@dataclass(frozen=True)
class Entry:
    id: str
    number: str  # "3" or "A"
    title: str
    kind: str  # chapter | annex
    code: str | None = None  # the member a jurisdiction chapter is about

    @property
    def heading(self) -> str:
        """The title as the contents and the running head show it."""
        return f"Annex {self.number}. {self.title}" if self.kind == "annex" else self.title

    @property
    def ref(self) -> str:
        """How another text points to it: "section 3", "Annex A"."""
        return f"Annex {self.number}" if self.kind == "annex" else f"section {self.number}"


class Outline:
    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self._by_id = {e.id: e for e in entries}

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, section_id: str) -> Entry:
        return self._by_id[section_id]

    def __contains__(self, section_id: str) -> bool:
        return section_id in self._by_id

    def number(self, section_id: str) -> str:
        return self._by_id[section_id].number

    def ref(self, section_id: str) -> str:
        return self._by_id[section_id].ref

    def chapter(self, code: str) -> Entry:
        return self._by_id[chapter_id(code)]

    @property
    def chapters(self) -> list[Entry]:
        return [e for e in self.entries if e.code]


def report_outline(region: Region | None = None) -> Outline:
    region = region or load_region()
    entries: list[Entry] = []
    chapter = annex = 0
    for section_id, title, kind in REPORT_SECTIONS:
        if kind == "jurisdictions":
            for member in region.members:
                chapter += 1
                entries.append(
                    Entry(
                        chapter_id(member.code),
                        str(chapter),
                        member.label(),
                        "chapter",
                        member.code,
                    )
                )
        elif kind == "annex":
            entries.append(Entry(section_id, chr(ord("A") + annex), title, kind))
            annex += 1
        else:
            chapter += 1
            entries.append(Entry(section_id, str(chapter), title, kind))
    return Outline(entries)
