"""An assessment's recorded finding as words for a sentence: the one rule both the report's
narrative (`report/sections/narrative.py`) and the recommendations (`recommendations.py`) follow.

The evidence texts of the assessment files are the coder's short paraphrases of a published
assessment ("Regularly sought the input of survivors [no NRM evaluation reported]."), not
quotations: they are set into a sentence as a clause, never in quotation marks, and never
rewritten beyond this:

- a text that starts with its verb ("Adopted ...", "Significantly increased ...") gets its
  subject: "the authorities adopted ...";
- "Government ..." / "Authorities ..." read "the government ..." / "the authorities ...";
- an ordinary first word (`COMMON_STARTS`) is lower-cased when the next word is lower case too
  ("National coordinator ..." but not "National Referral Mechanism ...");
- a coder's note in brackets follows a dash ("— no NRM evaluation reported"); a note, or the part
  of one, that only says the row is not from a TIP report ("non-TIP source") is dropped: the
  citation names the publisher;
- of several agreeing statements (joined by ' | ') the first is kept.
"""

from __future__ import annotations

import re

# a first word that is a verb in the past tense, though it ends in -ed or is irregular
_IRREGULAR = {
    "Began", "Brought", "Built", "Did", "Gave", "Had", "Held", "Kept", "Led", "Left", "Made",
    "Met", "Paid", "Ran", "Sent", "Set", "Sought", "Took", "Won", "Was", "Were",
}  # fmt: skip
_NOT_VERBS = {"Outdated", "Combined", "Limited", "Dedicated", "Specialized", "Specialised"}
_SUBJECTS = {"Government": "the government", "Authorities": "the authorities"}
_NOTE = re.compile(r"\s*\[([^\]]*)\]")
# a note's part about where the row comes from, not about the finding
_SOURCE_NOTE = re.compile(r"source|\bTIP\b", re.I)

# sentence starts that are ordinary words (lower-cased inside a sentence when the next word is
# lower case too: "National coordinator ..." but not "National Referral Mechanism ...")
COMMON_STARTS = {
    "A", "All", "An", "Another", "Anti-trafficking", "Cases", "Centers", "Courts", "Credible",
    "Criminal", "Drop-in", "Fewer", "First", "Formal", "Four", "Government-run", "High",
    "Identification", "Implementation", "Inadequate", "Inconsistent", "Indictments", "Innovative",
    "Insufficient", "Interview", "Joint", "Judges", "Labor", "Labour", "Lack", "Largest", "Law",
    "Lawyers", "Male", "Many", "Mobile", "More", "Most", "Multi-disciplinary", "Multidisciplinary",
    "National", "New", "NGO-maintained", "NGO-run", "No", "Non-penalization", "Official", "One",
    "Only", "Outdated", "Police", "Reintegration", "Robust", "Seven", "Several", "Shelter",
    "Shelters", "Social", "Some", "Sub-national", "The", "Three", "Traffickers", "Training", "Two",
    "Under", "Very", "Victim", "Victims", "Victims'",
}  # fmt: skip


def _is_predicate(words: list[str]) -> bool:
    """True when the evidence starts with its verb ("Adopted ...", "Significantly increased")."""
    first = words[0].strip(",;:")
    if first in _NOT_VERBS or "-" in first or not first[:1].isupper():
        return False
    if first.endswith("ly") and len(words) > 1:
        verb = words[1].strip(",;:")
        return verb.capitalize() in _IRREGULAR or (verb.endswith("ed") and verb.islower())
    return first in _IRREGULAR or (first.endswith("ed") and first[1:].islower())


def notes(text: str) -> tuple[str, list[str]]:
    """The text without its bracketed coder's notes and its full stop, and the notes worth
    keeping: each part of a note (parts split at ';') that does not merely say where the row
    comes from ("non-TIP source; use not yet shown" keeps "use not yet shown")."""
    kept = []
    for note in _NOTE.findall(text):
        parts = [p.strip() for p in note.split(";")]
        kept += [p for p in parts if p and not _SOURCE_NOTE.search(p)]
    return _NOTE.sub("", text).strip().rstrip(".").strip(), kept


def clause(evidence: str) -> tuple[str, bool]:
    """An evidence text ready for a sentence, without its full stop, and whether it is a clause
    with its own subject ("the authorities adopted ..."; False: a statement to report as
    recorded, its first word lower-cased where it is an ordinary word). A coder's note in
    brackets follows a dash."""
    text, kept = notes(str(evidence).split(" | ")[0].strip())
    if kept:
        text += " — " + "; ".join(kept)
    words = text.split()
    if not words:
        return "", False
    if words[0] in _SUBJECTS:
        return _SUBJECTS[words[0]] + text[len(words[0]) :], True
    if words[0] == "The" and len(words) > 1 and words[1] in ("government", "authorities"):
        return "t" + text[1:], True
    if _is_predicate(words):
        return "the authorities " + text[:1].lower() + text[1:], True
    following = words[1] if len(words) > 1 else ""
    if words[0] in COMMON_STARTS and (not following or not following[:1].isupper()):
        text = text[:1].lower() + text[1:]
    return text, False
