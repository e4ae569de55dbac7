"""An in-memory matcher over the catalog: exact codes, learned aliases, then fuzzy names (rapidfuzz).

Fuzzy matching compares normalized token strings (`server.domain.matching.normalize`) with
rapidfuzz's `fuzz.token_set_ratio`. Why that scorer: customers leave things out far more often than
they add them ("болт М8х40" for "Болт DIN 933 М8х40 оцинк."), and token_set_ratio scores a line whose
tokens are a subset of a name at 100 while word order does not matter at all. Its weakness, that a
vague line is a subset of many names, is exactly what the decision rule's margin catches: several
names at 100 mean "ask a person". On the labelled set of tests/intake/test_matching_quality.py (3,000
items, 1,200 lines, same rules around the scorer) token_set_ratio gave precision 0.998 / recall 0.974;
WRatio 0.999 / 0.924; token_sort_ratio 0.996 / 0.833; partial_token_set_ratio 0.996 / 0.974.

The scorer's number is then adjusted (`server.domain.matching.penalize`): a word of the line that the
catalog knows but the item lacks costs 10, a word no catalog name uses costs 3; an item lacking one of
the line's numbers, or naming another finish, is capped below the threshold.

Scoring every line against every item would be 20,000 x 20,000 comparisons, so candidates are first
narrowed by a prefilter: the items holding all of the line's numbers (sizes, thread, DIN number,
volume), which are exact tokens and very selective; lines without numbers intersect the postings of
their rarest words. Typos and abbreviations in words are repaired against the catalog's own
vocabulary before that (a word cut short with a dot, "дер.", becomes the commonest catalog word it
begins; a word one edit away, or two in long words, from a catalog word becomes that word), so they
neither empty the prefilter nor cost score.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import product_barcodes, products
from server.domain.matching import (
    ARTICLE_ALIAS,
    TOP_CANDIDATES,
    Candidate,
    Match,
    Reason,
    cap_for_numbers,
    decide,
    exact,
    is_number,
    normalize,
    normalize_code,
    penalize,
)
from sync.database import Database

# Finishes and materials: a line that names one rules out an item that names another.
EXCLUSIVE = frozenset({"zn", "inox", "yellow", "black", "brass"})
MAX_SCORED = 400  # candidates scored per line at most (the prefilter's cut)
FALLBACK_CANDIDATES = 60  # suggestions when the line's numbers match nothing
NUMBERS_CLASH = frozenset({"clash"})
_BARCODE_LENGTHS = frozenset({8, 12, 13, 14})


@dataclass(frozen=True, slots=True)
class CatalogItem:
    id: int
    sku: str
    name: str


@dataclass(frozen=True, slots=True)
class LineQuery:
    """What a line says about its item: free text and whatever codes it carries."""

    text: str = ""
    article: str | None = None  # the customer's column: a SKU, a barcode or their own code
    sku: str | None = None
    barcode: str | None = None


class CatalogIndex:
    """Built once per catalog version; matching is read-only and safe to share."""

    def __init__(
        self, items: Iterable[CatalogItem], barcodes: Mapping[str, tuple[int, int]], previous: CatalogIndex | None = None
    ) -> None:
        self.items = list(items)
        known = previous.normalized if previous is not None else {}
        self.normalized: dict[str, tuple[str, ...]] = {}
        self.barcodes = {code.strip(): value for code, value in barcodes.items()}
        self.by_sku = {normalize_code(item.sku): item.id for item in self.items}
        self.names: list[str] = []
        self.numbers: list[frozenset[str]] = []
        self.finishes: list[frozenset[str]] = []
        self.tokens: list[frozenset[str]] = []
        postings: dict[str, set[int]] = {}
        for position, item in enumerate(self.items):
            tokens = known.get(item.name) or normalize(item.name)  # a rebuild re-normalizes only new names
            self.normalized[item.name] = tokens
            self.names.append(" ".join(tokens))
            self.numbers.append(frozenset(t for t in tokens if is_number(t)))
            self.finishes.append(frozenset(tokens) & EXCLUSIVE)
            self.tokens.append(frozenset(tokens))
            for token in set(tokens):
                postings.setdefault(token, set()).add(position)
        self.postings = postings
        self.words = sorted(t for t in postings if not is_number(t))
        self._corrections: dict[str, str] = {}
        self._fuzzy: dict[tuple[str, ...], Match] = {}

    def __len__(self) -> int:
        return len(self.items)

    # --- exact codes and aliases -------------------------------------------------------------

    def _by_barcode(self, code: str | None) -> Match | None:
        if not code:
            return None
        found = self.barcodes.get(code.strip().replace(" ", ""))
        return exact(found[0], Reason.BARCODE, found[1]) if found else None

    def _by_sku(self, code: str | None) -> Match | None:
        if not code:
            return None
        found = self.by_sku.get(normalize_code(code))
        return exact(found, Reason.SKU) if found else None

    def match(self, query: LineQuery, aliases: Mapping[str, int] | None = None) -> Match:
        """Barcode or SKU exactly, then the customer's learned alias, then fuzzy on the normalized name."""
        aliases = aliases or {}
        article = (query.article or "").strip()
        looks_like_barcode = article.isdigit() and len(article) in _BARCODE_LENGTHS
        found = (
            self._by_barcode(query.barcode)
            or self._by_sku(query.sku)
            or (self._by_barcode(article) if looks_like_barcode else None)
            or self._by_sku(article)
        )
        if found:
            return found
        if article and (product_id := aliases.get(ARTICLE_ALIAS + normalize_code(article))):
            return exact(product_id, Reason.ALIAS)
        marked = normalize(query.text, marks=True) if query.text else ()
        if not marked:
            return Match(None, 0, Reason.NONE)
        # The alias key is the plain normalization: the marked one with its abbreviation dots dropped.
        if product_id := aliases.get(" ".join(t.rstrip(".") for t in marked)):
            return exact(product_id, Reason.ALIAS)
        return self.match_tokens(marked)

    # --- fuzzy -----------------------------------------------------------------------------

    def correct(self, word: str) -> str:
        """A word the catalog does not use, repaired: an abbreviation ("дер.") expanded, a typo fixed."""
        if word in self.postings:
            return word
        if word in self._corrections:
            return self._corrections[word]
        abbreviated = word.endswith(".")
        base = word.rstrip(".")
        fixed = base
        if base in self.postings:
            fixed = base
        elif abbreviated and len(base) >= 2 and (expansions := self._starting_with(base)):
            fixed = max(expansions, key=lambda w: (len(self.postings[w]), w))
        elif len(base) >= 4:
            limit = 1 if len(base) < 7 else 2
            best = process.extractOne(base, self.words, scorer=OSA.distance, score_cutoff=limit)
            if best is not None:
                fixed = best[0]
        self._corrections[word] = fixed
        return fixed

    def _starting_with(self, prefix: str) -> list[str]:
        start = bisect.bisect_left(self.words, prefix)
        found = []
        for candidate in self.words[start : start + 50]:
            if not candidate.startswith(prefix):
                break
            found.append(candidate)
        return found

    def _prefilter(self, numbers: list[str], words: list[str]) -> tuple[list[int], bool]:
        """Candidate positions, and whether they all hold every number of the line.

        The items holding all of the line's numbers, narrowed by its rarest tokens while they are
        many (a token that would leave none is skipped). When no item holds all the numbers, the
        line names a size or standard the catalog does not have: its candidates are then only
        suggestions for a person, the items sharing its rarest tokens, and none can pass.
        """
        base: set[int] | None = None
        for token in sorted(numbers, key=lambda t: len(self.postings.get(t, ()))):
            found = self.postings.get(token, set())
            base = set(found) if base is None else base & found
            if not base:
                break
        hold_numbers = not numbers or bool(base)
        if not hold_numbers:
            base = None
        enough = MAX_SCORED if hold_numbers else FALLBACK_CANDIDATES
        for token in sorted((t for t in numbers + words if t in self.postings), key=lambda t: len(self.postings[t])):
            if base is not None and len(base) <= enough:
                break
            narrowed = set(self.postings[token]) if base is None else base & self.postings[token]
            if narrowed:
                base = narrowed
        if not base:
            return [], hold_numbers
        return (sorted(base)[:enough] if len(base) > enough else list(base)), hold_numbers

    def match_tokens(self, tokens: tuple[str, ...]) -> Match:
        """Fuzzy match of a normalized line (cached: order files repeat their lines)."""
        numbers: list[str] = []
        known: list[str] = []
        unknown = 0
        for token in tokens:
            if is_number(token):
                numbers.append(token)
                continue
            word = self.correct(token)
            if word in self.postings:
                known.append(word)
            else:
                unknown += 1
        key = (*numbers, "|", *known, unknown)
        cached = self._fuzzy.get(key)
        if cached is not None:
            return cached
        positions, hold_numbers = self._prefilter(numbers, known)
        line_numbers, known_set = frozenset(numbers), frozenset(known)
        line_finishes = known_set & EXCLUSIVE
        ratios = process.extract(
            " ".join(numbers + known), [self.names[p] for p in positions], scorer=fuzz.token_set_ratio, processor=None,
            limit=None,
        )  # fmt: skip
        ranked: dict[int, int] = {}
        for _name, ratio, i in ratios:
            position = positions[i]
            score = penalize(ratio, len(known_set - self.tokens[position]), unknown)
            if not hold_numbers:
                score = cap_for_numbers(score, line_numbers, self.numbers[position])
            if line_finishes and self.finishes[position] and not line_finishes <= self.finishes[position]:
                score = cap_for_numbers(score, NUMBERS_CLASH, frozenset())  # another finish or material
            product_id = self.items[position].id
            if score > ranked.get(product_id, -1):
                ranked[product_id] = score
        top = sorted((-score, product_id) for product_id, score in ranked.items())[:TOP_CANDIDATES]
        result = decide([Candidate(product_id, -score) for score, product_id in top])
        if len(self._fuzzy) < 100_000:
            self._fuzzy[key] = result
        return result


# --- the index of the current catalog ----------------------------------------------------------


async def _signature(conn: AsyncConnection) -> tuple:
    """What changes whenever the catalog does: products added or renamed, barcodes added or removed."""
    product = (await conn.execute(select(func.count(), func.max(products.c.id), func.max(products.c.updated_at)))).one()
    barcodes = (await conn.execute(select(func.count()).select_from(product_barcodes))).scalar_one()
    return (*product, barcodes)


class CatalogCache:
    """The index of the current catalog, rebuilt when the catalog changes (one per process)."""

    def __init__(self) -> None:
        self._index: CatalogIndex | None = None
        self._signature: tuple | None = None
        self._lock = asyncio.Lock()

    async def get(self, db: Database) -> CatalogIndex:
        """The index, checked against the catalog with one cheap query."""
        async with db.read() as conn:
            signature = await _signature(conn)
        if signature == self._signature and self._index is not None:
            return self._index
        async with self._lock:
            if signature == self._signature and self._index is not None:
                return self._index
            async with db.read() as conn:
                signature = await _signature(conn)
                items = [CatalogItem(r.id, r.sku, r.name) for r in await conn.execute(
                    select(products.c.id, products.c.sku, products.c.name).order_by(products.c.id))]  # fmt: skip
                codes = {r.code: (r.product_id, r.multiplier) for r in await conn.execute(select(product_barcodes))}
            # Normalizing 20,000 names takes a second or two: off the event loop.
            self._index = await asyncio.to_thread(CatalogIndex, items, codes, self._index)
            self._signature = signature
            return self._index
