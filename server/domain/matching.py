"""Nomenclature matching rules: how customers' item names are normalized, and when a match is trusted.

Pure functions over strings. The fuzzy scorer itself (rapidfuzz) lives in `server.intake.catalog_index`;
this module decides what text it compares and what a score means.

Normalization folds the ways the same item is written onto one token sequence:

- case, ё/е, and Cyrillic/Latin look-alikes: every letter that has a twin in the other alphabet
  (А/A, В/B, Е/E, К/K, М/M, Н/H, О/O, Р/P, С/C, Т/T, У/Y, Х/X) is folded to one "skeleton" letter, on
  both sides of a comparison, so "M8" typed on a Latin keyboard equals "М8" typed in Cyrillic;
- sizes: М8х40, M8x40, m8*40, 8 х 40, 8×40 become "8x40" (the thread's M is implied by the pair);
  a lone thread М8 becomes "m8"; decimal commas become dots (1,6 -> 1.6);
- units glued to their number (750 мл -> 750ml, 1200 Вт -> 1200w, 18 В -> 18v); millimetres dropped;
  a piece count written into the text ("10 шт", "5 pcs") is removed: it is a quantity, not a name;
- finishes and materials written in full, abbreviated or in English (оцинк., оцинкованный, zinc,
  нерж., нержавеющий, stainless) become one canonical token;
- punctuation and DIN933-style glued codes split into words; Russian (and English) endings are
  stripped so that "болты", "болт", "шайбы", "шайба" compare equal; filler words (по, для, с) go.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

# The decision rule, measured on the labelled set in tests/intake/test_matching_quality.py.
THRESHOLD = 90  # a fuzzy match at or above this score is accepted without a person
MARGIN = 4  # ...but only if the runner-up (another product) scores at least this much lower
NUMBERS_MISSING_CAP = 60  # a candidate lacking one of the line's numbers (size, DIN) never passes
MISSING_WORD_PENALTY = 10  # per word of the line that the catalog knows but this item lacks
UNKNOWN_WORD_PENALTY = 3  # per word the catalog never uses ("срочно", "на объект"): noise, mostly
TOP_CANDIDATES = 5

_LOOKALIKES = str.maketrans(
    {"а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
     "т": "t", "у": "y", "х": "x", "×": "x", "*": "x", "\u00a0": " "}
)  # fmt: skip


def fold(text: str) -> str:
    """Lower-case text with every Cyrillic/Latin look-alike letter folded to one skeleton letter."""
    return text.casefold().translate(_LOOKALIKES)


def _f(words: str) -> list[str]:
    return [fold(w) for w in words.split()]


# Canonical tokens for finishes and materials: (prefixes or whole words in any spelling, canonical).
_SYNONYM_PREFIXES = [
    (_f("оцинк цинк zinc galv гальван"), "zn"),
    (_f("нерж stainless inox"), "inox"),
    (_f("желт yellow"), "yellow"),
    (_f("черн black воронен"), "black"),
    (_f("латун brass"), "brass"),
]
_SYNONYM_WORDS = {fold("оц"): "zn", "zn": "zn", "ss": "inox", fold("нж"): "inox"}
_STOP_WORDS = frozenset(_f("по для с со и на в из под от x of for with the and"))
# Russian noun and adjective endings, longest first (a light stemmer; both sides get the same one).
_ENDINGS = sorted(
    _f("ами ями ого его ому ему ыми ими ый ий ой ая яя ое ее ые ие ую юю ов ев ей ам ям ах ях ы и а я е о у ю ь"),
    key=len,
    reverse=True,
)
_UNITS = {fold("мм"): "", "mm": "", fold("мл"): "ml", "ml": "ml", fold("кг"): "kg", "kg": "kg", fold("вт"): "w",
          "w": "w", fold("в"): "v", "v": "v", fold("л"): "l", "l": "l", fold("м"): "m", "m": "m", "t": "t",
          fold("г"): "g", "g": "g"}  # fmt: skip

_NUM = r"\d+(?:\.\d+)?"
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_PIECES_HINTS = frozenset(_f("шт pc"))
_PIECES = re.compile(r"\d+\s*(?:" + "|".join(map(re.escape, _f("шт штук штуки pcs pc"))) + r")(?![^\W\d_])\.?")
_SIZE = re.compile(rf"(?<![^\W\d_])(?:m\s?)?({_NUM}(?:\s?x\s?{_NUM})+)(?![\d.])")
_THREAD = re.compile(rf"(?<![^\W\d_])m\s?({_NUM})(?![\d.x])")
_UNIT = re.compile(
    rf"(?<![\w.])({_NUM})\s?(" + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True)) + r")(?![^\W\d_])\.?"
)
_NOT_WORD = re.compile(r"[^\w.]+|_")
_LOOSE_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")
_ABBREVIATION_DOT = re.compile(r"(?<=[^\W\d_])\.")
_MARK = "ǂ"  # a letter no one writes, standing in for an abbreviation's dot while the text is split
_KEEP_WHOLE = re.compile(rf"^(?:{_NUM}(?:x{_NUM})*[a-z]*|m{_NUM})$")
_PARTS = re.compile(rf"{_NUM}|[^\W\d_]+")


@lru_cache(maxsize=65_536)
def _canonical_word(word: str) -> str:
    if word in _SYNONYM_WORDS:
        return _SYNONYM_WORDS[word]
    for prefixes, canonical in _SYNONYM_PREFIXES:
        if word.startswith(tuple(prefixes)):
            return canonical
    return stem(word)


def stem(word: str) -> str:
    """Strip one Russian ending from a word of five letters or more, keeping a stem of three."""
    if len(word) < 5:
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _unit(match: re.Match) -> str:
    return f" {match.group(1)}{_UNITS[match.group(2)]} "


def normalize(text: str, *, marks: bool = False) -> tuple[str, ...]:
    """The tokens a line or a catalog name is compared by (see the module docstring).

    With `marks`, a word cut short with a dot ("дер.", "самоконтр.") that no rule recognized keeps
    its dot, so the matcher may expand it to the catalog word it abbreviates.
    """
    s = fold(text)
    # Each pass runs only where it can change something: this runs 40,000 times a benchmark.
    if "," in s:
        s = _DECIMAL_COMMA.sub(".", s)
    if any(hint in s for hint in _PIECES_HINTS):
        s = _PIECES.sub(" ", s)
    if "x" in s:
        s = _SIZE.sub(lambda m: " " + m.group(1).replace(" ", "") + " ", s)
    if "m" in s:
        s = _THREAD.sub(r" m\1 ", s)
    s = _UNIT.sub(_unit, s)
    if "." in s:
        s = _ABBREVIATION_DOT.sub(_MARK + " ", s)
    s = _NOT_WORD.sub(" ", s)
    if "." in s:
        s = _LOOSE_DOT.sub(" ", s)
    tokens: list[str] = []
    for raw in s.split():
        tokens.extend(_raw_tokens(raw, marks))
    if "yellow" in tokens and "zn" in tokens:  # "жёлтый цинк": yellow is a zinc plating
        tokens.remove("zn")
    return tuple(tokens)


@lru_cache(maxsize=65_536)
def _raw_tokens(raw: str, marks: bool) -> tuple[str, ...]:
    """The tokens of one space-separated piece of prepared text (pieces repeat a lot: cached)."""
    tokens = []
    for part in (raw,) if _KEEP_WHOLE.match(raw) else _PARTS.findall(raw):
        abbreviated = part.endswith(_MARK)
        part = part.rstrip(_MARK)
        if not part or part in _STOP_WORDS:
            continue
        if part[0].isdigit() or _KEEP_WHOLE.match(part):
            tokens.append(part)
            continue
        word = _canonical_word(part)
        tokens.append(word + "." if marks and abbreviated and word == part else word)
    return tuple(tokens)


def is_number(token: str) -> bool:
    """Sizes, thread sizes, standards' numbers and quantities with units: tokens that must match exactly."""
    return token[0].isdigit() or (token[0] == "m" and token[1:2].isdigit())


def normalize_code(code: str) -> str:
    """An article or SKU as compared: folded, without spaces, dashes, dots or slashes."""
    return re.sub(r"[\s\-./_]+", "", fold(code))


ARTICLE_ALIAS = "art:"
MAX_ALIAS = 300


def alias_keys(text: str, article: str | None) -> list[str]:
    """The keys a customer's line is remembered by: its own article number, then its normalized text."""
    keys = []
    if article and normalize_code(article):
        keys.append(ARTICLE_ALIAS + normalize_code(article))
    if text.strip():
        tokens = normalize(text)
        if tokens:
            keys.append(" ".join(tokens))
    return [key for key in keys if len(key) <= MAX_ALIAS]


class Reason(StrEnum):
    BARCODE = "barcode"
    SKU = "sku"
    ALIAS = "alias"
    FUZZY = "fuzzy"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Candidate:
    product_id: int
    score: int  # 0-100


@dataclass(frozen=True, slots=True)
class Match:
    """A line's match: the product when it is trusted, else None and the candidates a person picks from."""

    product_id: int | None
    score: int
    reason: Reason
    candidates: tuple[Candidate, ...] = ()
    multiplier: int = 1  # units per ordered item (a case barcode orders its case)

    @property
    def trusted(self) -> bool:
        return self.product_id is not None


def exact(product_id: int, reason: Reason, multiplier: int = 1) -> Match:
    """A match by barcode, SKU or learned alias: certain, score 100."""
    return Match(product_id, 100, reason, (Candidate(product_id, 100),), multiplier)


def cap_for_numbers(score: int, line_numbers: frozenset[str], candidate_numbers: frozenset[str]) -> int:
    """A candidate that lacks one of the line's numbers is another size or standard: keep it below the bar."""
    if line_numbers <= candidate_numbers:
        return score
    return min(score, NUMBERS_MISSING_CAP)


def penalize(score: float, missing_words: int, unknown_words: int) -> int:
    """A candidate's score after the line's words it lacks and the words nobody's catalog uses.

    The set ratio forgives a line for saying less than the name (a missing finish), and also for
    saying more; saying more is what these penalties charge for. A word the catalog knows but this
    item lacks ("потай", "yellow") points at another item; an unknown word costs the same for every
    candidate, so it lowers confidence without breaking ties.
    """
    return max(0, round(score) - MISSING_WORD_PENALTY * missing_words - UNKNOWN_WORD_PENALTY * unknown_words)


def decide(scored: Sequence[Candidate], threshold: int = THRESHOLD, margin: int = MARGIN) -> Match:
    """Trust the best candidate when it clears the threshold and leads the runner-up by the margin."""
    ranked = sorted(scored, key=lambda c: (-c.score, c.product_id))[:TOP_CANDIDATES]
    if not ranked:
        return Match(None, 0, Reason.NONE)
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0
    if best.score >= threshold and best.score - runner_up >= margin:
        return Match(best.product_id, best.score, Reason.FUZZY, tuple(ranked))
    return Match(None, best.score, Reason.FUZZY, tuple(ranked))
