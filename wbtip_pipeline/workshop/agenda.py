"""The day of the regional validation workshop: its sessions, their times and what each decides.

One plan for the deck's agenda slide and the facilitator's guide, computed from the region. The
day opens at `DAY_START`; the fixed sessions take their set minutes (`FIXED_MINUTES`), and what
is left of the day until `DAY_END` is shared by the sessions on the members, in the region's
order, with lunch after the first half of them:

- one session per member while each gets at least `MIN_SESSION` minutes (rounded down to five
  minutes, at most `MAX_SESSION`): six or seven members get 35 or 30 minutes each;
- a region too large for that gets as many sessions as fit at `MIN_SESSION`, each on a group of
  consecutive members (the sizes of the groups differ by one at most).

Minutes the member sessions leave over (up to `MAX_EXTRA`) go to regional cooperation, so the day
ends at `DAY_END` when the region is of a usual size; a small region ends earlier rather than
stretch its sessions. The sessions follow each other without a gap: their minutes add up to the
day from the opening to the close.
"""

from __future__ import annotations

from dataclasses import dataclass

from wbtip_pipeline.presentation.labels import Names

DAY_START = 9 * 60  # 09:00, in minutes since midnight
DAY_END = 17 * 60
STEP = 5  # session lengths are multiples of five minutes
MIN_SESSION = 25
MAX_SESSION = 45
MAX_EXTRA = 30

# what each kind of session decides (the member sessions' words are the heart of the day)
DECIDES = {
    "opening": "Agree the aims and rules of the day; each delegation names who signs its form.",
    "regional": (
        "Note the figures; flag any a delegation believes wrong, to be checked before the "
        "report is final."
    ),
    "member": (
        "Validate, amend or reject each top priority; name who acts and by when; note answers "
        "to the discussion questions."
    ),
    "cooperation": (
        "Agree which shared gaps become regional actions, who leads each, and which regional "
        "priorities stand."
    ),
    "validation": "Each delegation completes and hands in its form; agree the next steps.",
    "break": "",
}
TITLES = {
    "opening": "Opening: aims of the day and how it works",
    "regional": "The regional picture: figures, trends and mechanisms",
    "cooperation": "Regional cooperation: shared gaps and cross-border cases",
    "validation": "Validation and next steps",
}
# (kind, minutes) of the fixed sessions, in the order of the day; "members" is where the
# member sessions go (lunch splits them)
FIXED_MINUTES: tuple[tuple[str, int], ...] = (
    ("opening", 30),
    ("regional", 45),
    ("break", 15),
    ("members", 0),
    ("break", 15),
    ("cooperation", 45),
    ("validation", 45),
)
LUNCH_MINUTES = 60


@dataclass(frozen=True)
class Session:
    start: int  # minutes since midnight
    minutes: int
    title: str
    kind: str  # opening | regional | break | member | cooperation | validation
    codes: tuple[str, ...] = ()  # the members a member session is about

    @property
    def end(self) -> int:
        return self.start + self.minutes

    @property
    def decides(self) -> str:
        return DECIDES.get(self.kind, "")

    @property
    def time(self) -> str:
        """ "10:30–11:05"."""
        return f"{clock(self.start)}–{clock(self.end)}"


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _floor(minutes: float) -> int:
    return int(minutes // STEP * STEP)


def member_groups(codes: list[str]) -> list[list[str]]:
    """The members of each member session: one each while the time allows `MIN_SESSION`
    minutes a session, else consecutive groups as even as the number of sessions allows."""
    available = member_minutes()
    n = len(codes)
    if not n:
        return []
    if _floor(available / n) >= MIN_SESSION:
        return [[c] for c in codes]
    sessions = max(1, available // MIN_SESSION)
    size, extra = divmod(n, sessions)
    groups, i = [], 0
    for s in range(sessions):
        take = size + (1 if s < extra else 0)
        groups.append(codes[i : i + take])
        i += take
    return [g for g in groups if g]


def member_minutes() -> int:
    """The minutes of the day left for the member sessions."""
    fixed = sum(m for _, m in FIXED_MINUTES) + LUNCH_MINUTES
    return DAY_END - DAY_START - fixed


def group_title(names: Names, codes: list[str]) -> str:
    """A member session's title: the member's name, the two names of a pair, or the first and
    the last of a group in the region's order ("Albania to Serbia (7 jurisdictions)")."""
    if len(codes) <= 2:
        return names.list(codes)
    return f"{names.of(codes[0])} to {names.of(codes[-1])} ({len(codes)} jurisdictions)"


def plan_day(names: Names) -> list[Session]:
    """The sessions of the day in order, from the opening to the close (the last one's end)."""
    groups = member_groups(list(names.region.codes))
    each = min(MAX_SESSION, _floor(member_minutes() / len(groups))) if groups else 0
    extra = min(MAX_EXTRA, member_minutes() - each * len(groups))
    before_lunch = -(-len(groups) // 2)
    sessions: list[Session] = []
    now = DAY_START

    def add(kind: str, minutes: int, title: str = "", codes: tuple[str, ...] = ()) -> None:
        nonlocal now
        default = "Lunch" if kind == "lunch" else "Coffee break"
        sessions.append(Session(now, minutes, title or TITLES.get(kind, default), kind, codes))
        now += minutes

    for kind, minutes in FIXED_MINUTES:
        if kind != "members":
            add(kind, minutes + (extra if kind == "cooperation" else 0))
            continue
        for i, group in enumerate(groups):
            if i == before_lunch:
                add("lunch", LUNCH_MINUTES)
            add("member", each, group_title(names, group), tuple(group))
        if len(groups) <= before_lunch:  # no member session after lunch: lunch comes last
            add("lunch", LUNCH_MINUTES)
    return sessions


def day_end(sessions: list[Session]) -> int:
    return sessions[-1].end if sessions else DAY_START
