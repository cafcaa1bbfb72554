"""Find the comparable facts in a sentence: quantities, dates, people in roles, places, quotations.

Rules, not a model: every pattern here is English and general (no agreement's names), so what is
found is predictable and fast. A mention keeps its span in the sentence and the words around it,
which the review uses to pair a source's mention with a claim's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefgen.sentences import content_words, stem


def _words(text: str) -> list[str]:
    return text.split()


__all__ = _words(
    "DateMention Mentions PersonMention PlaceMention Quantity Quotation find_mentions "
    "quoted_regions same_person same_qualifier speaker_of"
)

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        _words("january february march april may june july august september october november december")
    )
}
_MONTH_RE = "|".join(m.capitalize() for m in MONTHS) + "|Sept|Sep|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Oct|Nov|Dec"
_ABBREV = {"sept": 9, "sep": 9, "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8}
_ABBREV |= {"oct": 10, "nov": 11, "dec": 12}

_UNITS_WORDS = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_TENS_WORDS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_UNITS_WORDS)}
NUMBER_WORDS |= {w: 20 + 10 * i for i, w in enumerate(_TENS_WORDS)}
NUMBER_WORDS |= {"a dozen": 12, "dozen": 12, "hundred": 100, "a hundred": 100, "a thousand": 1000}
_ORDINALS = _words(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
)
ORDINAL_WORDS = {w: i + 1 for i, w in enumerate(_ORDINALS)}
ORDINAL_WORDS |= {"twenty-" + w: 20 + i + 1 for i, w in enumerate(_ORDINALS[:9])}
ORDINAL_WORDS |= {"thirtieth": 30, "thirty-first": 31}
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "m": 1e6}

_NUMBER_WORD_RE = (
    r"(?:(?:" + "|".join(_TENS_WORDS) + r")(?:[- ](?:" + "|".join(_UNITS_WORDS[1:10]) + r"))?"
    r"|" + "|".join(sorted(_UNITS_WORDS, key=len, reverse=True)) + r"|a dozen|dozen)"
)
_NUMBER = re.compile(
    r"(?<![\w.,/+-])(?P<cur>[£$€¥])?\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|(?i:" + _NUMBER_WORD_RE + r"))"
    r"(?P<scale>\s(?:thousand|million|billion|trillion)|bn\b|m\b)?"
    r"(?P<pct>\s?%|\sper\s?cent\b|\spercent\b)?"
    r"(?![\w+]|[.,]\d)"
)
# What a number measures, by the noun after it: classes of units that can be compared.
_TIME = {"second": 1 / 86400, "minute": 1 / 1440, "hour": 1 / 24, "day": 1, "week": 7}
_TIME |= {"month": 30.4, "year": 365.25, "decade": 3652.5, "century": 36525}
_PEOPLE = frozenset(
    _words(
        "troops personnel soldiers sailors marines airmen staff people persons members officers "
        "forces workers employees residents delegates guests civilians"
    )
)
_CURRENCY_WORDS = frozenset(
    _words("crowns crown pounds pound dollars dollar euros euro yen yuan francs franc kroner krona rupees")
)
# Words before a number that make it a reference, not a quantity ("Article 3", "No. 7").
_REFERENCE_BEFORE = re.compile(
    r"(?i:\b(?:article|articles|section|chapter|annex|paragraph|para|no\.?|number|pillar|clause|"
    r"exercise|page|pages|table|figure|item|point|phase|stage|level|tier|grade|class|battalion|division|"
    r"brigade|fleet|regiment|group|step|version|act|resolution))\s*$"
)
_KIND_BEFORE = (
    ("frequency", re.compile(r"(?i:\b(?:every|each|once every)\s*$)")),
    ("deadline", re.compile(r"(?i:\b(?:within|no later than|not later than|in under|inside)\s*$)")),
    (
        "maximum",
        re.compile(
            r"(?i:\b(?:up to|as many as|not exceed|not more than|no more than|at most|limited to|"
            r"maximum of|ceiling of|exceeding)\s*$)"
        ),
    ),
    ("threshold", re.compile(r"(?i:\b(?:more than|fewer than|less than)\s*$)")),
    ("minimum", re.compile(r"(?i:\b(?:at least|not less than|no less than|minimum of|a minimum of)\s*$)")),
    (
        "duration",
        re.compile(r"(?i:\b(?:for|lasting|period of|term of|of)\s+(?:the next\s+|an initial\s+|a\s+)?$)"),
    ),
)


_OFFSET_AFTER = re.compile(
    r"\s+(?:before|after|ago|later|earlier|in advance|beforehand|from now|of a request)\b"
)


@dataclass(frozen=True)
class Quantity:
    """A number with what it counts: ``unit`` is a class (time, money, percent, people) or a noun."""

    start: int
    end: int
    text: str
    value: float  # in the unit's base (days for time)
    unit: str
    kind: str  # maximum, minimum, deadline, frequency, duration or amount
    context: frozenset[str]
    near: frozenset[str] = frozenset()  # the words right next to it: "signed on", "within"


@dataclass(frozen=True)
class DateMention:
    """A calendar date, as precise as written: any of year, month and day may be missing."""

    start: int
    end: int
    text: str
    year: int | None
    month: int | None
    day: int | None
    context: frozenset[str]
    near: frozenset[str] = frozenset()

    def differs(self, other: DateMention) -> bool:
        """Tell whether two dates disagree on a part both give (year, month or day)."""
        shared = [
            (a, b)
            for a, b in ((self.year, other.year), (self.month, other.month), (self.day, other.day))
            if a is not None and b is not None
        ]
        # A day without its month says nothing comparable.
        if self.day is not None and other.day is not None and (self.month is None or other.month is None):
            return False
        return bool(shared) and any(a != b for a, b in shared)

    def covers(self, other: DateMention) -> bool:
        """Tell whether this date states ``other`` at least as precisely (a year left out is allowed)."""
        if self.differs(other):
            return False
        return (
            (other.day is None or self.day == other.day)
            and (other.month is None or self.month == other.month)
            and (other.year is None or self.year in (None, other.year))
            and (self.day is not None or self.month is not None or other.year is not None)
        )

    def overlaps(self, other: DateMention) -> bool:
        """Tell whether two dates share at least their month, or their year when one gives only that."""
        if self.month is not None and other.month is not None:
            return self.month == other.month or self.differs(other)
        return self.year is not None and self.year == other.year


@dataclass(frozen=True)
class PersonMention:
    """A person named in a role ("Ruritanian Prime Minister Anna Kovac"), or with an honorific."""

    start: int
    end: int
    text: str
    name: str
    role: str  # normalised title: "prime minister", "minister of defence"; "" for an honorific alone
    qualifier: str  # whose role: "ruritan" (from "Ruritanian"); "" when not said
    context: frozenset[str]

    @property
    def surname(self) -> str:
        """Return the last word of the name."""
        return self.name.split()[-1]


@dataclass(frozen=True)
class PlaceMention:
    """A place an event happened at or in: "signed at Lakeside"; ``verb`` is the event's stem."""

    start: int
    end: int
    text: str
    place: str
    verb: str
    context: frozenset[str]


@dataclass(frozen=True)
class Quotation:
    """Words a sentence puts in quotation marks, with the speaker where the sentence names one."""

    start: int
    end: int
    text: str
    speaker: str  # a surname or full name; "" if not named in the sentence


@dataclass(frozen=True)
class Mentions:
    """Everything comparable in one text."""

    quantities: list[Quantity] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    people: list[PersonMention] = field(default_factory=list)
    places: list[PlaceMention] = field(default_factory=list)
    quotations: list[Quotation] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Return how many facts the text gives (quotations excluded)."""
        return len(self.quantities) + len(self.dates) + len(self.people) + len(self.places)


# --- dates -----------------------------------------------------------------------------------

_YEAR = r"(?:1[89]\d\d|20\d\d|21\d\d)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_ORD_WORD = "|".join(sorted(ORDINAL_WORDS, key=len, reverse=True))
_DATE_PATTERNS = [
    re.compile(
        rf"\b(?:the\s+)?(?P<oday>{_ORD_WORD})\s+day\s+of\s+(?P<month>{_MONTH_RE})\.?(?:,?\s+(?P<year>{_YEAR}))?\b",
        re.IGNORECASE,
    ),
    re.compile(rf"\b(?P<day>{_DAY})\s+(?:of\s+)?(?P<month>{_MONTH_RE})\.?(?:,?\s+(?P<year>{_YEAR}))?\b"),
    re.compile(rf"\b(?P<month>{_MONTH_RE})\.?\s+(?P<day>{_DAY})(?:,?\s+(?P<year>{_YEAR}))?\b(?![,.]?\d)"),
    re.compile(rf"\b(?P<month>{_MONTH_RE})\.?,?\s+(?P<year>{_YEAR})\b"),
    re.compile(r"\b(?P<year>" + _YEAR + r")-(?P<mon>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12]\d|3[01])\b"),
    # A month alone only after a word that makes it a date: "in March", not "to march" or "may".
    re.compile(
        rf"(?i:\b(?:in|by|since|until|from|early|late|mid|mid-|of|last|next|before|after|during)\s+)"
        rf"(?P<month>{_MONTH_RE})\b(?![\s-]*\d)"
    ),
    re.compile(rf"(?<![\w,.$£€/-])(?P<year>{_YEAR})(?![\w,%]|\.\d|[-–]\d)"),
]


def _find_dates(text: str, taken: list[tuple[int, int]]) -> list[DateMention]:
    found: list[DateMention] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.start(), m.end()
            groups = m.groupdict()
            if groups.get("month") and not groups.get("day") and not groups.get("oday"):
                start = m.start("month")  # leave "in" out of the mention
            if any(start < b and a < end for a, b in taken):
                continue
            month = _month(groups.get("month")) if groups.get("month") else None
            if groups.get("mon"):
                month = int(groups["mon"])
            day: int | None = None
            if groups.get("day"):
                day = int(re.sub(r"\D", "", groups["day"]))
            elif groups.get("oday"):
                day = ORDINAL_WORDS.get(groups["oday"].lower())
            year = int(groups["year"]) if groups.get("year") else None
            if month is None and year is None:
                continue
            if groups.get("month") == "May" and day is None and year is None:
                continue  # the modal verb, far more often than the month
            taken.append((start, end))
            found.append(
                DateMention(
                    start,
                    end,
                    text[start:end],
                    year,
                    month,
                    day,
                    _around(text, start, end),
                    _around(text, start, end, width=28),
                )
            )
    found.sort(key=lambda d: d.start)
    return found


def _month(name: str | None) -> int | None:
    if name is None:
        return None
    low = name.lower().rstrip(".")
    return MONTHS.get(low) or _ABBREV.get(low)


# --- quantities ------------------------------------------------------------------------------

# The words after a number, up to three, while they may still lead to its unit (adjectives).
_FOLLOWING = re.compile(r"[\s-]*([A-Za-z][\w'’]*)")
_BREAKS = frozenset(
    _words(
        "at of to in on for by and or the a an from with per as than is are was were will be has "
        "have had it its this that these those who which when"
    )
)


def _number_value(raw: str) -> float | None:
    low = raw.lower().replace("-", " ")
    if low in NUMBER_WORDS:
        return float(NUMBER_WORDS[low])
    parts = low.split()
    if len(parts) == 2 and parts[0] in NUMBER_WORDS and parts[1] in NUMBER_WORDS:
        return float(NUMBER_WORDS[parts[0]] + NUMBER_WORDS[parts[1]])
    try:
        return float(raw.replace(",", ""))
    except ValueError:
        return None


def _unit_of(word: str) -> tuple[str, float] | None:
    """Return (unit class, factor to the class's base) for a noun, or None if it is no unit."""
    low = word.lower().strip("-")
    singular = low[:-1] if low.endswith("s") and not low.endswith("ss") else low
    singular = "century" if low in ("centuries", "century") else singular
    if singular in _TIME:
        return "time", _TIME[singular]
    if low in _PEOPLE or singular in _PEOPLE:
        return "people", 1.0
    if low in _CURRENCY_WORDS:
        return "money:" + (singular if singular in _CURRENCY_WORDS else low), 1.0
    if low in ("km", "kilometres", "kilometers", "kilometre", "kilometer"):
        return "length", 1000.0
    if low in ("miles", "mile"):
        return "length", 1609.34
    if low in ("metres", "meters", "metre", "meter", "m"):
        return "length", 1.0
    return None


def _find_quantities(text: str, taken: list[tuple[int, int]]) -> list[Quantity]:
    found: list[Quantity] = []
    for m in _NUMBER.finditer(text):
        start, end = m.start(), m.end()
        if any(start < b and a < end for a, b in taken):
            continue
        before = text[max(0, start - 40) : start]
        if _REFERENCE_BEFORE.search(before):
            continue
        raw = m.group("num")
        value = _number_value(raw)
        if value is None:
            continue
        if m.group("scale"):
            value *= _SCALES[m.group("scale").strip().lower()]
        unit = ""
        factor = 1.0
        if m.group("pct"):
            unit = "percent"
        elif m.group("cur"):
            unit = "money:" + m.group("cur")
        following: list[tuple[str, int]] = []
        at = end
        while len(following) < 3 and (word_match := _FOLLOWING.match(text, at)) is not None:
            following.append((word_match.group(1), word_match.end()))
            at = word_match.end()
        if not unit and following:
            for index, (word, word_end) in enumerate(following):
                found_unit = _unit_of(word)
                if found_unit is not None:
                    unit, factor = found_unit
                    end = word_end
                    break
                if word.lower() in _BREAKS or index == 2:
                    break
            if not unit:
                first = following[0][0].lower()
                if raw.isalpha() and value in (1.0, 2.0):
                    continue  # "one of", "the two sides": not a count worth comparing
                if re.fullmatch(r"[a-z]{3,}s", first) and first not in _BREAKS:
                    unit = "count:" + stem(first)  # "17 articles", "131 votes"
                    end = following[0][1]
        if not unit:
            continue
        if unit == "time" and raw.isdigit() and len(raw) == 4 and 1800 <= value <= 2200:
            continue
        kind = "amount"
        for name, pattern in _KIND_BEFORE:
            if pattern.search(text[max(0, start - 40) : start]):
                kind = name
                break
        if unit == "time" and _OFFSET_AFTER.match(text, end):
            kind = "offset"  # "thirty days after", "90 days in advance": a relative date, not a length
        value *= factor
        end = max(end, m.end())
        taken.append((start, end))
        found.append(
            Quantity(
                start,
                end,
                text[start:end].strip(),
                value,
                unit,
                kind,
                _around(text, start, end),
                _around(text, start, end, width=28),
            )
        )
    return found


# --- people ----------------------------------------------------------------------------------

_TITLE_WORDS = (
    r"Prime Minister|Deputy Prime Minister|President|Vice[- ]President|Chancellor|Premier|"
    r"(?:(?:Defen[cs]e|Foreign|Finance|Trade|Interior|Home|Justice|Economy|Culture|Health|Energy)\s+)?"
    r"(?:Minister|Secretary)"
    r"(?:\s+(?:of|for)\s+(?:State\s+for\s+)?[A-Z][a-z]+(?:\s+(?:and\s+)?[A-Z][a-z]+)?)?|"
    r"Ambassador|Governor|Mayor|Senator|Chief of (?:the )?Defen[cs]e Staff|General|Admiral|"
    r"King|Queen|Emperor|Crown Prince|Speaker|Commissioner|Secretary-General|Director(?:-General)?|"
    r"spokes(?:man|woman|person)|[Mm]ayor|[Dd]efen[cs]e [Mm]inister|[Ff]oreign [Mm]inister|"
    r"[Pp]rime [Mm]inister"
)
_NAME_PART = r"(?:[A-Z][a-zà-ÿ'’]+(?:-[A-Z][a-zà-ÿ]+)?|[A-Z]\.)"
_NAME = rf"{_NAME_PART}(?:\s+(?:(?:van|von|de|da|del|der|bin|al)\s+)?{_NAME_PART}){{0,2}}"
# A country word before a title, never the first word of a title itself ("Prime", "Defence").
_QUALIFIER = (
    r"(?P<qual>(?!(?:Prime|Deputy|Vice|Defen[cs]e|Foreign|Finance|Trade|Interior|Home|Justice|Economy|"
    r"Culture|Health|Energy|Chief|Crown|Former|Then|Current|New|The|His|Her|Their|Its|Our)\b)"
    r"[A-Z][a-z]+(?:['’]s)?|[A-Z]{2,3})"
)
_PERSON_PATTERNS = [
    # "Ruritanian Prime Minister Anna Kovac", "Ruritania's Defence Minister, Jan Novak"
    re.compile(
        rf"(?:{_QUALIFIER}\s+)?(?P<title>{_TITLE_WORDS})\b(?:\s+of\s+(?P<of>[A-Z][a-z]+))?,?\s+(?P<name>{_NAME})"
    ),
    # "Eva Berg, Minister for Foreign Affairs"; "Tom Hale, spokesman for the Foreign Ministry"
    re.compile(rf"(?P<name>{_NAME}),\s+(?:the\s+)?(?:{_QUALIFIER}\s+)?(?P<title>{_TITLE_WORDS})\b"),
    # "Mr Novak", "Dr Eva Berg"
    re.compile(rf"\b(?P<hon>Mr|Mrs|Ms|Dr|Sir|Dame|Professor|Prof)\.?\s+(?P<name>{_NAME})"),
]
_NOT_NAMES = frozenset(
    _words(
        "The This That These Those It Its He She They We I A An And But Or In On At Of For To By "
        "With From Under Over After Before During Today Tomorrow Yesterday Monday Tuesday "
        "Wednesday Thursday Friday Saturday Sunday Government Ministry Office Department Treaty "
        "Agreement Parliament Assembly Diet Council Commission Committee Party Minister Secretary "
        "President Prime Who Which When Where Said Speaking Following Although If As Since While "
        "Also Both Each Every Former Current Then Now Meanwhile Affairs Defence Defense State "
        "Foreign Ministry Kingdom Republic Forces Staff"
    )
) | {m.capitalize() for m in MONTHS}


def _clean_name(raw: str) -> str:
    words = re.sub(r"['’]s\b", "", raw).split()
    while words and (words[-1] in _NOT_NAMES or words[-1].lower() in MONTHS):
        words.pop()
    while words and words[0] in _NOT_NAMES:
        words.pop(0)
    return " ".join(words)


def normal_role(title: str) -> str:
    """Return a title in one form: "Defence Minister" and "Minister of Defence" both "minister of defence"."""
    low = " ".join(title.lower().replace("defense", "defence").split())
    for area in (
        "defence",
        "foreign",
        "finance",
        "trade",
        "interior",
        "home",
        "justice",
        "economy",
        "health",
    ):
        if low in (f"{area} minister", f"{area} secretary"):
            low = low.replace(f"{area} ", "") + f" of {area}"
    low = re.sub(r"\b(minister|secretary) (?:for|of) (?:state for )?foreign affairs\b", r"\1 of foreign", low)
    low = re.sub(r"\bfor\b", "of", low)
    return low.replace("spokeswoman", "spokesperson").replace("spokesman", "spokesperson")


def normal_qualifier(word: str | None) -> str:
    """Return a country word as a stem to compare: "Ruritanian" gives "ruritan", "Ruritania's" "ruritania"."""
    if not word:
        return ""
    low = word.lower().replace("’", "'").removesuffix("'s")
    if low in ("the", "his", "her", "their", "its", "our", "a", "an", "former", "new", "then", "current"):
        return ""
    for suffix in ("ese", "ian", "ish", "an", "i", "n"):
        if low.endswith(suffix) and len(low) - len(suffix) >= 4:
            return low[: -len(suffix)]
    return low


def same_qualifier(a: str, b: str) -> bool:
    """Tell whether two normalised qualifiers name the same country ("ruritan", "ruritania")."""
    if not a or not b:
        return False
    n = min(len(a), len(b), 5)
    return a[:n] == b[:n]


def _find_people(text: str) -> list[PersonMention]:
    found: list[PersonMention] = []
    for pattern in _PERSON_PATTERNS:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            name = _clean_name(groups["name"])
            if not name or name.lower() in MONTHS:
                continue
            if any(m.start() < p.end and p.start < m.end() and p.name == name for p in found):
                continue
            title = groups.get("title") or ""
            qualifier = normal_qualifier(groups.get("qual")) or normal_qualifier(groups.get("of"))
            if groups.get("qual") and groups["qual"] in _NOT_NAMES:
                qualifier = ""
            start = text.find(name, m.start())
            found.append(
                PersonMention(
                    m.start(),
                    m.end(),
                    m.group(),
                    name,
                    normal_role(title) if title else "",
                    qualifier,
                    _around(text, start, start + len(name)),
                )
            )
    return found


def _surname_close(a: str, b: str) -> bool:
    from rapidfuzz.distance import Levenshtein

    a, b = a.lower(), b.lower()
    if a == b:
        return True
    if a[0] != b[0] or min(len(a), len(b)) < 4:
        return False
    return Levenshtein.distance(a, b) <= max(1, min(len(a), len(b)) // 4)


def same_person(a: str, b: str) -> str:
    """Compare two names: "same", "variant" (a spelling variant of one name) or "" (different people)."""
    wa, wb = a.split(), b.split()
    if a == b:
        return "same"
    if not _surname_close(wa[-1], wb[-1]):
        return ""
    # Given names, where both give them, must agree (initials count).
    if len(wa) > 1 and len(wb) > 1:
        ga, gb = wa[0].rstrip("."), wb[0].rstrip(".")
        initial = (len(ga) == 1 and gb.startswith(ga)) or (len(gb) == 1 and ga.startswith(gb))
        if not (ga == gb or initial or _surname_close(ga, gb)):
            return ""
    return "same" if wa[-1].lower() == wb[-1].lower() else "variant"


# --- places ----------------------------------------------------------------------------------

_PLACE = re.compile(
    r"\b(?P<verb>[a-z]+(?:ed|en|eld|et|ade|ook|ent))\s+(?:[a-z]+\s+){0,3}?(?:at|in)\s+(?:the\s+)?"
    r"(?P<place>(?>[A-Z][\w'’-]+(?:\s+(?:of\s+)?[A-Z][\w'’-]+){0,3}))"
    # Not an adjective before a noun ("the Ruritanian capital"), not a reference ("Article 4").
    r"(?!\s+(?!(?:on|in|at|by|and|or|for|to|with|after|before|during|where|which|who|when|from|last|"
    r"this|next|until|since|as|is|was|were|has|had|will|would)\b)[a-z]|\s*\d)"
)


def _find_places(text: str, people: list[PersonMention]) -> list[PlaceMention]:
    found: list[PlaceMention] = []
    for m in _PLACE.finditer(text):
        place = m.group("place")
        if not place or place.split()[0].lower() in MONTHS or re.search(r"\d", place):
            continue
        if any(place in p.name or p.name in place for p in people):
            continue
        found.append(
            PlaceMention(
                m.start("place"),
                m.end("place"),
                m.group(),
                place,
                content_words(m.group("verb"))[0] if content_words(m.group("verb")) else m.group("verb"),
                _around(text, m.start(), m.end()),
            )
        )
    return found


# --- quotations ------------------------------------------------------------------------------

_QUOTED = re.compile(r"[\"“](?P<q>[^\"“”]{12,}?)[\"”]")
_SAID = re.compile(rf"(?P<name>{_NAME})\s+(?:said|says|told|added|warned|declared|stated|mentioned)\b")
_SAID_AFTER = re.compile(rf"\b(?:said|says|told|added)\s+(?:the\s+)?(?:{_TITLE_WORDS}\s+)?(?P<name>{_NAME})")
_SHE_SAID = re.compile(r"\b(?:she|he|they)\s+(?:said|says|added)\b", re.IGNORECASE)


def _find_quotations(text: str, people: list[PersonMention]) -> list[Quotation]:
    found: list[Quotation] = []
    speaker = ""
    for m in (_SAID.search(text), _SAID_AFTER.search(text)):
        if m is not None and _clean_name(m.group("name")):
            speaker = _clean_name(m.group("name"))
            break
    if not speaker and people:
        speaker = people[0].name
    for m in _QUOTED.finditer(text):
        words = m.group("q").split()
        if len(words) < 4:
            continue  # a term in scare quotes, not a quotation
        found.append(Quotation(m.start("q"), m.end("q"), m.group("q"), speaker))
    return found


# --- all ---------------------------------------------------------------------------------------


def _around(text: str, start: int, end: int, width: int = 70) -> frozenset[str]:
    """Return the content words near a span (within its clause, roughly), the span itself excluded."""
    before = text[max(0, start - width) : start]
    after = text[end : end + width]
    # Whole words only: a window that cuts a word ("…rridan") drops the piece.
    if start - width > 0 and text[start - width - 1].isalnum():
        before = before.split(" ", 1)[-1] if " " in before else ""
    if end + width < len(text) and text[end + width].isalnum():
        after = after.rsplit(" ", 1)[0] if " " in after else ""
    before = re.split(r"[;:()]|, (?:and|but|while|which|who)\b", before)[-1]
    after = re.split(r"[;:()]|, (?:and|but|while|which|who)\b", after)[0]
    return frozenset(w for w in content_words(before + " " + after) if not w[0].isdigit())


def find_mentions(text: str) -> Mentions:
    """Return the quantities, dates, people, places and quotations of one sentence or claim."""
    taken: list[tuple[int, int]] = []
    dates = _find_dates(text, taken)
    quantities = _find_quantities(text, taken)
    people = _find_people(text)
    places = _find_places(text, people)
    quotations = _find_quotations(text, people)
    return Mentions(quantities, dates, people, places, quotations)


_OPEN_CLOSE = {"“": "”", '"': '"'}


def quoted_regions(text: str) -> list[tuple[int, int]]:
    """Return the spans of a text inside quotation marks, paragraph by paragraph.

    A quotation may run over several sentences; one left open at the end of a paragraph continues
    into the next paragraph when that opens with a quotation mark, as English prints long speeches.
    """
    regions: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        body, base = line.group(), line.start()
        at = 0
        while at < len(body):
            opening = min((i for i in (body.find(o, at) for o in _OPEN_CLOSE) if i != -1), default=-1)
            if opening == -1:
                break
            close_mark = _OPEN_CLOSE[body[opening]]
            closing = body.find(close_mark, opening + 1)
            if closing == -1:
                closing = len(body)  # runs to the end of the paragraph
            if closing - opening > 12:
                regions.append((base + opening + 1, base + closing))
            at = closing + 1
    return regions


def speaker_of(text: str) -> str:
    """Return the person a sentence says is speaking ("…, Jan Novak, said:"), or ""."""
    for m in (_SAID.search(text), _SAID_AFTER.search(text)):
        if m is not None and _clean_name(m.group("name")):
            return _clean_name(m.group("name"))
    people = _find_people(text)
    if people and re.search(r"\b(?:said|says|told|added|declared|stated)\b", text):
        return people[0].name
    return ""
