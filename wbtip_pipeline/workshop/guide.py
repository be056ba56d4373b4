"""The facilitator's guide: one A4 sheet, front and back, to run the validation workshop's day.

A `Document(page="brief")` laid out by the same renderers as the pack's other documents:

    facilitator_guide.html    one self-contained page (the report's document template)
    facilitator_guide.pdf     two A4 pages at most (Typst), checked with pypdf

Page 1, the day: the agenda (`agenda.plan_day`: times, session, the slides it shows, what it
decides) and how long a member's session gives to presenting, discussing and deciding. Page 2,
running it: what each session does and decides, how the feedback form is collected (a sheet per
delegation, returned by the close of the day), and how the decisions reach the next edition of
the report, with a note for the organisers on where the completed forms go.

Slide numbers come from the deck as built (`slides.session_slides`), and "section N of the
report" from the report's outline: the guide keeps no number by hand. It prints no figure of the
statistics, so it needs no disclosure control.
"""

from __future__ import annotations

from pathlib import Path

from wbtip_pipeline.presentation.blocks import Cell, Heading, ListBlock, Note, Paragraph, Section
from wbtip_pipeline.presentation.document import Document
from wbtip_pipeline.presentation.render_html import render_html
from wbtip_pipeline.presentation.render_pdf import render_pdf
from wbtip_pipeline.warehouse import write_bytes_atomic
from wbtip_pipeline.workshop import agenda
from wbtip_pipeline.workshop.facts import PackFacts, table
from wbtip_pipeline.workshop.form import FEEDBACK_FOLDER
from wbtip_pipeline.workshop.layout import PackError, page_count
from wbtip_pipeline.workshop.slides import build_slides, session_slides

GUIDE_TEMPLATE = "workshop/guide.html.j2"
GUIDE_HTML = "facilitator_guide.html"
GUIDE_PDF = "facilitator_guide.pdf"
GUIDE_PAGES = (1, 2)  # the fewest and the most pages the guide may have
KICKER = "Regional validation workshop · facilitator's guide"
PRESENT, DECIDE = 5, 10  # minutes of a member session to present its slides and to decide


def slides_text(numbers: list[int]) -> str:
    """ "7–8", "19, 21", "" for none."""
    if not numbers:
        return ""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _session_slides(session: agenda.Session, slides: dict[str, list[int]]) -> str:
    if session.kind == "member":
        numbers = [n for c in session.codes for n in slides.get(f"member:{c}", [])]
        return slides_text(numbers or slides.get("members", []))
    return slides_text(slides.get(session.kind, []))


def agenda_table(facts: PackFacts, slides: dict[str, list[int]]):
    """The day as a table: time, session, its slides and what it decides."""
    sessions = agenda.plan_day(facts.names)
    rows = []
    for s in sessions:
        cls = "" if s.decides else "note"
        rows.append([
            Cell(s.time, "rowhead nowrap" + (f" {cls}" if cls else "")),
            Cell(s.title, cls),
            Cell(_session_slides(s, slides), "nowrap"),
            Cell(s.decides, "small"),
        ])  # fmt: skip
    end = agenda.clock(agenda.day_end(sessions))
    rows.append([Cell(end, "rowhead nowrap"), Cell("Close of the day"), Cell(""), Cell("")])
    return table(["Time", "Session", "Slides", "What it decides"], rows, key="guide-agenda")


def _member_minutes(facts: PackFacts) -> int:
    members = [s for s in agenda.plan_day(facts.names) if s.kind == "member"]
    return members[0].minutes if members else 0


def day_section(facts: PackFacts, slides: dict[str, list[int]]) -> Section:
    """Page 1: the agenda, and how a member's session spends its minutes."""
    minutes = _member_minutes(facts)
    groups = [s for s in agenda.plan_day(facts.names) if s.kind == "member"]
    per = "member" if all(len(s.codes) == 1 for s in groups) else "group of members"
    section = Section("guide-day", "", "The day", cls="guide")
    section.add(agenda_table(facts, slides))
    if minutes:
        section.add(
            Paragraph(
                f"Each {per} has {minutes} minutes: about {PRESENT} to present its two slides "
                f"(its figures, then its priorities and questions), {minutes - PRESENT - DECIDE} "
                f"to discuss the questions, and the last {DECIDE} to decide on each top "
                "priority. Keep to the times: the day has no slack after the afternoon break.",
                lead="Member sessions.",
            )
        )
    section.add(
        Paragraph(
            "Each session opens on its slides and closes on its decisions, said aloud and written "
            "down by the delegation concerned. A question the time does not allow is noted for "
            "the next round, not left open in the room.",
            lead="Decisions, not debates.",
        )
    )
    return section


def _chapters(facts: PackFacts) -> str:
    """ "sections 4–9": the members' chapters, from the report's outline."""
    chapters = facts.outline.chapters
    if not chapters:
        return "one chapter per member"
    if len(chapters) == 1:
        return chapters[0].ref
    return f"sections {chapters[0].number}–{chapters[-1].number}"


def running_section(facts: PackFacts) -> Section:
    """Page 2: running each session, collecting the form, what happens to the decisions."""
    end = agenda.clock(agenda.day_end(agenda.plan_day(facts.names)))
    report = facts.outline
    sessions = [
        ("Opening.", "Agree the aims of the day and the rules: one voice per delegation, "
         "decisions written on the delegation's own sheet of the form. Each delegation names "
         "who signs its form."),
        ("The regional picture.", "Present the key figures, the victims and rates, and the "
         "mechanism scores. Delegations flag any figure they believe is wrong; note it with its "
         "source: it is checked before the report is final, not corrected in the room."),
        ("A member's session.", "Show its figures, then its top priorities and questions. "
         "Put the questions to the delegation first, then take each top priority in turn: "
         "agreed, amended (agree the wording in the room) or rejected (note the reason). Its "
         f"other recommendations are in its brief and in its chapter of the report "
         f"({_chapters(facts)})."),
        ("Regional cooperation.", "Go through the gaps most jurisdictions share and ask which "
         "jurisdiction would lead a joint programme on each; then the regional priorities and "
         "their questions. The chair writes the decisions on the regional sheet of the form."),
        ("Validation and next steps.", "Each delegation completes its sheet; check that every "
         "amended recommendation has its wording and every rejection its reason. Close with "
         "the next steps and the date of the next edition of the report."),
    ]  # fmt: skip
    section = Section("guide-running", "", "Running the day", cls="guide")
    section.add(
        Heading("What to bring"),
        ListBlock.of(
            [
                "The slides, on the screen (they advance with the arrow keys) and as a PDF in "
                "case the screen fails.",
                "For each delegation: its two-page brief, and its sheet of the feedback form, "
                "printed or as the file.",
                "A timekeeper's copy of the agenda on the other side of this page.",
            ]
        ),
        Heading("What each session does"),
        *[Paragraph(text, lead=lead) for lead, text in sessions],
        Heading("Collecting the form"),
        ListBlock.of(
            [
                "The form has one sheet per delegation, listing its recommendations in priority "
                "order with their evidence, and a regional sheet.",
                "For each recommendation discussed, the delegation chooses agreed, amended (with "
                "the wording in Amended text) or rejected (with the reason in Reason), and adds "
                "the delegate's name and the date. A recommendation not discussed is left empty: "
                "it stays open for the next round.",
                f"Every delegation returns its form to the workshop secretariat before the close "
                f"of the day ({end}). Collect them at the door if need be: a decision not "
                "written down is lost.",
            ]
        ),
        Heading("How the decisions reach the next report"),
        Paragraph(
            "The secretariat keeps every returned form as it was filled in. The next edition "
            "of the report reads them all: each recommendation then shows as agreed, amended "
            "(with the agreed wording) or rejected (with the reason), with who decided and "
            f"when ({report.ref('recommendations')} of the report). A row amended without "
            "wording, or rejected without a reason, is not taken: the secretariat asks the "
            "delegation to complete it."
        ),
        Note(
            f"save the completed forms, one file per delegation or one for all, in the folder "
            f"{FEEDBACK_FOLDER} of the assessment (or the folder its administrator has set "
            "instead) before the next edition is produced. Keep the file type and the sheets "
            "as they are; the names of the files do not matter.",
            lead="For the organisers:",
        ),
    )
    return section


def build_guide(facts: PackFacts, slides: dict[str, list[int]] | None = None) -> Document:
    """The guide; `slides`: `session_slides` of the deck (built here when not given)."""
    slides = session_slides(build_slides(facts)) if slides is None else slides
    size = facts.region.size_words()
    cover = [
        Paragraph(
            f"The day validates the assessment's findings and recommendations with the "
            f"delegations of the {size} of the {facts.region.name}: "
            f"{facts.names.list(facts.codes)}. By the close, each delegation has agreed, amended "
            f"or rejected its top priorities and handed in its form "
            f"({facts.recommendation_count()} recommendations in all)."
        )
    ]
    title = "Facilitator's guide: regional validation workshop"
    return Document(
        title,
        subtitle=f"Trafficking in persons in the {facts.region.name}: needs assessment of "
        "counter-trafficking mechanisms",
        kicker=KICKER,
        cover=cover,
        sections=[day_section(facts, slides), running_section(facts)],
        footnotes=facts.footnotes_in([title, cover]),
        page="brief",
        toc=False,
    )


def render_guide(
    facts: PackFacts, output_dir: Path, slides: dict[str, list[int]] | None = None
) -> tuple[Path, Path, int]:
    """(html path, pdf path, pages) of the guide, written into `output_dir`."""
    guide = build_guide(facts, slides)
    pdf = render_pdf(guide)
    pages = page_count(pdf)
    if not GUIDE_PAGES[0] <= pages <= GUIDE_PAGES[1]:
        raise PackError(f"the facilitator's guide has {pages} pages, not 1 or 2")
    html = render_html(guide, GUIDE_TEMPLATE)
    html_path, pdf_path = output_dir / GUIDE_HTML, output_dir / GUIDE_PDF
    write_bytes_atomic(html_path, html.encode("utf-8"))
    write_bytes_atomic(pdf_path, pdf)
    return html_path, pdf_path, pages
