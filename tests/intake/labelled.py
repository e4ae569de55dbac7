"""A labelled matching set the project builds itself, deterministically from a seed.

The catalog uses the demo's vocabulary (server/demo_names.py): fasteners by DIN standard, size and
finish, and power tools and materials with their parameters, in Russian and English. Every name is
unique. Order lines are then written from catalog items the ways customers write them: typos, Latin
look-alike letters, reordered words, abbreviations and full forms, sizes as 8х40 / M8*40 / 8 x 40,
plurals, the finish or the standard left out, piece counts in the text, extra words, upper case,
and codes instead of names (our SKU, the barcode, or the customer's own article number, some of
which a manager has already taught the matcher). Some lines ask for items the catalog does not hold
(combinations held out of it): those must never be matched automatically.

scripts/bench_matching.py uses the same generator at 20,000 x 20,000.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from labels.gs1 import gs1_check_digit
from server.domain.matching import alias_keys

M_DIAMETERS = [3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 27, 30, 36]
SCREW_DIAMETERS = ["3,5", "3,9", "4,2", "4,8", "5,5", "6,3"]
LENGTHS = [6, 8, 10, 12, 14, 16, 18, 20, 22, 25, 28, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100, 110,
           120, 130, 140, 150, 160, 180, 200]  # fmt: skip

# (head, size template, finishes): {d} a diameter, {l} a length.
FASTENERS = [
    ("Болт DIN 933", "М{d}х{l}", ["оцинк.", "нерж. A2", "кл.пр. 8.8 черн.", "горячеоцинк."]),
    ("Болт DIN 931", "М{d}х{l}", ["оцинк.", "нерж. A4", "кл.пр. 8.8 черн."]),
    ("Болт DIN 6921 с фланцем", "М{d}х{l}", ["оцинк.", "нерж. A2"]),
    ("Болт DIN 7990", "М{d}х{l}", ["горячеоцинк."]),
    ("Болт DIN 186 Т-образный", "М{d}х{l}", ["оцинк."]),
    ("Шуруп DIN 571 с шестигранной головкой", "{d}х{l}", ["оцинк."]),
    ("Болт DIN 603 с полукруглой головкой", "М{d}х{l}", ["оцинк."]),
    ("Болт DIN 7991 с потайной головкой", "М{d}х{l}", ["оцинк.", "нерж. A2"]),
    ("Винт DIN 912", "М{d}х{l}", ["нерж. A2", "оцинк.", "кл.пр. 12.9 черн."]),
    ("Винт DIN 7985", "М{d}х{l}", ["оцинк."]),
    ("Винт DIN 7984 с низкой головкой", "М{d}х{l}", ["оцинк.", "нерж. A2"]),
    ("Винт DIN 84 с цилиндрической головкой", "М{d}х{l}", ["оцинк.", "нерж. A2"]),
    ("Винт DIN 963 потай прямой шлиц", "М{d}х{l}", ["оцинк.", "латунь"]),
    ("Винт DIN 965 потай", "М{d}х{l}", ["оцинк.", "нерж. A2"]),
    ("Винт ISO 7380 с полукруглой головкой", "М{d}х{l}", ["нерж. A2"]),
    ("Гайка DIN 934", "М{d}", ["оцинк.", "нерж. A2", "кл.пр. 8 черн."]),
    ("Гайка DIN 985 самоконтрящаяся", "М{d}", ["оцинк.", "нерж. A2"]),
    ("Гайка DIN 1587 колпачковая", "М{d}", ["оцинк."]),
    ("Гайка DIN 6923 с фланцем", "М{d}", ["оцинк."]),
    ("Шайба DIN 125", "М{d}", ["оцинк.", "нерж. A2"]),
    ("Шайба DIN 9021 увеличенная", "М{d}", ["оцинк.", "нерж. A2"]),
    ("Шайба DIN 127 гроверная", "М{d}", ["оцинк."]),
    ("Анкер клиновой", "М{d}х{l}", ["оцинк.", "нерж. A4"]),
    ("Анкерный болт с гайкой", "М{d}х{l}", ["оцинк."]),
    ("Шпилька резьбовая DIN 975", "М{d}х{l}0", ["оцинк.", "нерж. A2"]),
    ("Hex bolt DIN 933", "M{d}x{l}", ["zinc", "stainless A2"]),
    ("Hex bolt DIN 931", "M{d}x{l}", ["zinc", "stainless A4"]),
    ("Socket screw DIN 912", "M{d}x{l}", ["black 12.9", "stainless A2"]),
    ("Hex nut DIN 934", "M{d}", ["zinc"]),
    ("Wedge anchor", "M{d}x{l}", ["zinc"]),
]
SCREWS = [
    ("Саморез по дереву", "{d}х{l}", ["желт.", "черн.", "оцинк."]),
    ("Саморез по металлу", "{d}х{l}", ["со сверлом", "острый"]),
    ("Саморез кровельный", "{d}х{l}", ["RAL 3005", "RAL 6005", "оцинк."]),
    ("Саморез по гипсокартону", "{d}х{l}", ["черн."]),
    ("Саморез по бетону", "{d}х{l}", ["оцинк.", "синий"]),
    ("Саморез универсальный", "{d}х{l}", ["желт.", "оцинк."]),
    ("Дюбель распорный", "{d}х{l}", ["нейлон"]),
    ("Wood screw", "{d}x{l}", ["yellow zinc", "black"]),
]
TOOLS = [
    ("Перфоратор SDS-plus {w} Вт", {"w": [650, 800, 900, 1050, 1200, 1500]}),
    ("Перфоратор SDS-max {w} Вт {j} Дж", {"w": [1100, 1300, 1500], "j": [8, 10, 12]}),
    ("Дрель-шуруповёрт аккумуляторная {v} В {a} А·ч", {"v": [12, 14, 18, 20], "a": [2, 4, 5]}),
    ("Угловая шлифмашина {mm} мм {w} Вт", {"mm": [115, 125, 150, 180, 230], "w": [750, 900, 1400, 2200]}),
    ("Cordless drill {v} V {a} Ah", {"v": [12, 18, 20], "a": [2, 4]}),
    ("Rotary hammer SDS-max {w} W", {"w": [1100, 1300, 1500]}),
    ("Лазерный уровень {n} линии {r} м", {"n": [2, 3, 4], "r": [10, 20, 30]}),
    ("Сверло по бетону SDS-plus {d}х{l}", {"d": [5, 6, 8, 10, 12, 14, 16], "l": [110, 160, 210, 260, 310, 460]}),
    ("Сверло по металлу HSS {d}х{l}", {"d": [2, 3, 4, 5, 6, 8, 10, 12], "l": [49, 57, 75, 86, 101, 133]}),
    ("Диск отрезной по металлу {mm}х{t}х22", {"mm": [115, 125, 150, 180, 230], "t": ["1,0", "1,2", "1,6", "2,0", "2,5"]}),
    ("Circular saw blade {mm} mm {n}T", {"mm": [160, 190, 210, 250], "n": [24, 40, 48, 60]}),
    ("Монтажная пена {v} мл", {"v": [500, 750, 850, 1000]}),
    ("Герметик силиконовый {v} мл {c}", {"v": [260, 280, 310], "c": ["белый", "прозрачный", "серый"]}),
    ("Клей плиточный {n} кг", {"n": [5, 20, 25]}),
    ("Tile adhesive {n} kg", {"n": [5, 25]}),
    ("Лента малярная {d} мм х 50 м", {"d": [19, 25, 30, 38, 48, 50]}),
    ("Перчатки рабочие, размер {n}", {"n": [7, 8, 9, 10, 11]}),
]


@dataclass(frozen=True, slots=True)
class Spec:
    """A name as its parts, so a customer's way of writing it can be built from them."""

    head: str
    size: str | None
    finish: str | None
    d: str | None = None
    l: str | None = None  # noqa: E741

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.head, self.size, self.finish) if part)


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    sku: str
    name: str
    barcode: str
    spec: Spec


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    article: str | None
    truth: int | None  # the product the customer means; None: the catalog does not hold it
    ways: tuple[str, ...]  # how it was written (for the per-way figures)


@dataclass(frozen=True, slots=True)
class LabelledSet:
    items: list[Item]
    aliases: dict[str, int]  # what a manager already taught the matcher for this customer
    lines: list[Line]


def _specs() -> list[Spec]:
    specs = []
    for head, size, finishes in FASTENERS:
        for d in M_DIAMETERS:
            for length in LENGTHS if "{l}" in size else [None]:
                written = size.format(d=d, l=length)
                for finish in finishes:
                    specs.append(Spec(head, written, finish, str(d), re.split("[хx]", written)[-1] if length else None))
    for head, size, finishes in SCREWS:
        for d in SCREW_DIAMETERS:
            for length in LENGTHS[3:]:
                for finish in finishes:
                    specs.append(Spec(head, size.format(d=d, l=length), finish, d, str(length)))
    for template, params in TOOLS:
        combos: list[dict] = [{}]
        for key, values in params.items():
            combos = [c | {key: v} for c in combos for v in values]
        specs.extend(Spec(template.format(**c), None, None) for c in combos)
    return specs


def _ean13(rng: random.Random) -> str:
    stem = str(rng.randint(460, 469)) + f"{rng.randrange(10**9):09d}"
    return stem + str(gs1_check_digit(stem))


# English names of the same goods: an item held out of the catalog is not "missing" if its twin is in.
_TWIN_HEADS = {"Hex bolt DIN 933": "Болт DIN 933", "Hex nut DIN 934": "Гайка DIN 934", "Wedge anchor": "Анкер клиновой",
               "Wood screw": "Саморез по дереву"}  # fmt: skip
_TWIN_FINISHES = {"zinc": "оцинк.", "stainless A2": "нерж. A2", "yellow zinc": "желт.", "black": "черн."}


def _goods(spec: Spec) -> tuple:
    return (_TWIN_HEADS.get(spec.head, spec.head), spec.d, spec.l, _TWIN_FINISHES.get(spec.finish or "", spec.finish))


def catalog(n_items: int, seed: int = 7) -> tuple[list[Item], list[Spec]]:
    """`n_items` unique catalog items, and specs of goods the catalog does not hold under any name."""
    rng = random.Random(seed)
    specs = _specs()
    rng.shuffle(specs)
    if n_items > len(specs) * 0.95:
        raise ValueError(f"the vocabulary makes {len(specs)} names; ask for fewer than 95% of them")
    items, seen = [], set()
    for i, spec in enumerate(specs[:n_items], start=1):
        code = _ean13(rng)
        while code in seen:
            code = _ean13(rng)
        seen.add(code)
        items.append(Item(i, f"SKU-{i:05d}", spec.name, code, spec))
    held = {_goods(item.spec) for item in items}
    return items, [spec for spec in specs[n_items:] if spec.size is None or _goods(spec) not in held]


# --- how customers write ---------------------------------------------------------------------

_LATIN = {"А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
          "Х": "X", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y"}  # fmt: skip
_FINISHES = {
    "оцинк.": ["оцинкованный", "оц.", "оцинк", "цинк", "оцинкованные", "zinc"],
    "нерж. A2": ["нерж A2", "нержавеющий A2", "A2 нерж.", "нержавейка А2"],
    "нерж. A4": ["нерж A4", "нержавеющий А4", "A4"],
    "желт.": ["желтый", "желт", "жёлтый цинк"],
    "черн.": ["черный", "черн", "чёрные"],
    "zinc": ["zn", "оцинк.", "galvanized"],
    "stainless A2": ["A2 stainless", "нерж. A2"],
    "yellow zinc": ["yellow", "желт."],
}
_HEADS = {
    "Саморез по дереву": ["саморез по дер.", "саморезы по дереву", "с/р по дереву", "шуруп по дереву"],
    "Саморез по металлу": ["саморез по мет.", "саморезы по металлу"],
    "Саморез кровельный": ["кровельный саморез", "саморезы кровельные"],
    "Шпилька резьбовая DIN 975": ["шпилька резьб. DIN975", "шпильки резьбовые DIN 975"],
    "Гайка DIN 985 самоконтрящаяся": ["гайка самоконтр. DIN 985", "гайки DIN985 самоконтрящиеся"],
    "Шайба DIN 127 гроверная": ["шайба гровер DIN 127", "гроверные шайбы DIN127"],
    "Шайба DIN 9021 увеличенная": ["шайба увелич. DIN 9021", "шайбы увеличенные DIN 9021"],
    "Дюбель распорный": ["дюбели распорные", "дюбель расп."],
}
_PLURALS = {"Болт": "Болты", "Винт": "Винты", "Гайка": "Гайки", "Шайба": "Шайбы", "Анкер": "Анкеры",
            "Саморез": "Саморезы", "Дюбель": "Дюбели", "Перчатки": "Перчатки", "Сверло": "Сверла"}  # fmt: skip
_EXTRA = ["срочно", "(как в прошлый раз)", "- на склад", "на объект", "!!!"]
_KEYS = "йцукенгшщзхъфывапролджэячсмитьбю"


def _size_styles(spec: Spec) -> list[str]:
    d, length = spec.d, spec.l
    if spec.size is None or d is None:
        return [spec.size or ""]
    if length is None:
        return [f"M{d}", f"м{d}", f"М {d}", f"m{d}"]
    base = [f"M{d}x{length}", f"m{d}*{length}", f"{d}х{length}", f"{d} x {length}", f"М{d} х {length}", f"{d}×{length}",
            f"М{d}Х{length}", f"M{d}X{length}"]  # fmt: skip
    return base if spec.size.startswith(("М", "M")) else [s.lstrip("Mmм").lstrip("М").strip() for s in base]


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]  # swapped letters
    elif kind == 1:
        w = w[:j] + w[j + 1 :]  # a letter left out
    elif kind == 2:
        w = w[:j] + w[j] + w[j:]  # a letter doubled
    else:
        w = w[:j] + rng.choice(_KEYS) + w[j + 1 :]  # a wrong key
    words[i] = w
    return " ".join(words)


def _latin(rng: random.Random, text: str) -> str:
    return "".join(_LATIN[c] if c in _LATIN and rng.random() < 0.6 else c for c in text)


def _write(rng: random.Random, spec: Spec) -> tuple[str, tuple[str, ...]]:
    """One way a customer writes this item, and the names of the ways used."""
    ways: list[str] = []
    head, size, finish = spec.head, spec.size, spec.finish
    plan = rng.sample(
        ["size", "finish", "head", "plural", "drop_finish", "drop_standard", "latin", "typo", "reorder", "pieces",
         "extra", "case"], k=rng.choice([1, 1, 2, 2, 3]),
    )  # fmt: skip
    if "size" in plan and size:
        size = rng.choice(_size_styles(spec))
        ways.append("size")
    if "finish" in plan and finish in _FINISHES:
        finish = rng.choice(_FINISHES[finish])
        ways.append("abbreviation")
    if "head" in plan and head in _HEADS:
        head = rng.choice(_HEADS[head])
        ways.append("abbreviation")
    if "plural" in plan and head.split(" ")[0] in _PLURALS:
        first, _, rest = head.partition(" ")
        head = f"{_PLURALS[first]} {rest}".strip()
        ways.append("plural")
    if "drop_finish" in plan and finish:
        finish = None
        ways.append("no_finish")
    if "drop_standard" in plan and " DIN " in f" {head} ":
        words = head.split(" ")
        k = words.index("DIN")
        head = " ".join(words[:k] + words[k + 2 :])
        ways.append("no_standard")
    text = " ".join(part for part in (head, size, finish) if part)
    if "reorder" in plan:
        words = text.split(" ")
        rng.shuffle(words)
        text = " ".join(words)
        ways.append("reorder")
    if "typo" in plan:
        text = _typo(rng, text)
        ways.append("typo")
    if "latin" in plan:
        text = _latin(rng, text)
        ways.append("latin")
    if "pieces" in plan:
        text += rng.choice([" 100 шт", " - 50шт.", ", 20 шт", " 10pcs"])
        ways.append("pieces")
    if "extra" in plan:
        text += " " + rng.choice(_EXTRA)
        ways.append("extra_words")
    if "case" in plan:
        text = text.upper() if rng.random() < 0.5 else text.lower()
        ways.append("case")
    return text, tuple(ways) or ("as_named",)


def labelled_set(n_items: int = 2_400, n_lines: int = 1_200, seed: int = 7) -> LabelledSet:
    """The catalog, the customer's learned aliases, and `n_lines` labelled lines."""
    items, held_out = catalog(n_items, seed)
    rng = random.Random(seed * 1_000 + 1)
    own_articles = {item.id: f"К-{rng.randrange(10_000, 99_999)}" for item in rng.sample(items, min(len(items), n_lines // 5))}
    learned = dict(list(own_articles.items())[: len(own_articles) // 2])
    aliases = {alias_keys("", code)[0]: pid for pid, code in learned.items()}
    by_id = {item.id: item for item in items}
    lines: list[Line] = []
    for _ in range(n_lines):
        roll = rng.random()
        if roll < 0.06:  # an item we do not hold, written the same ways
            text, ways = _write(rng, rng.choice(held_out))
            lines.append(Line(text, None, None, ("not_in_catalog", *ways)))
            continue
        item = rng.choice(items)
        if roll < 0.09:
            lines.append(Line(rng.choice(["", item.name.lower()]), item.sku.lower(), item.id, ("our_sku",)))
        elif roll < 0.12:
            lines.append(Line("", item.barcode, item.id, ("barcode",)))
        elif roll < 0.20:  # the customer's own code beside its own wording; learned for half of them
            item = by_id[rng.choice(sorted(own_articles))]
            text, ways = _write(rng, item.spec)
            learned_before = item.id in learned
            lines.append(Line(text, own_articles[item.id], item.id, ("own_article_learned" if learned_before else "own_article_new", *ways)))
        else:
            text, ways = _write(rng, item.spec)
            lines.append(Line(text, None, item.id, ways))
    return LabelledSet(items, aliases, lines)
