"""Rendered labels stay byte-identical over many varied records, not only the one golden sample.

The golden files pin one record per template; speed work on the templates and renderers (caches,
precomputed constants, fast paths) must not change a single byte for any other record either. The
records below vary what those shortcuts touch: repeated and unique text, long text cut by the
truncation rule, ZPL's reserved characters, Cyrillic, money without a minor unit, windows across
midnight, odd-length digit runs in Code 128. One digest per template and format is kept in a golden file.
"""

import datetime as dt
import hashlib
import random

from labels.gs1 import append_check_digit, build_sscc
from labels.label_data import Money, Party
from labels.label_svg import render_label_svg
from labels.label_zpl import render_label_zpl
from labels.templates import TEMPLATES

from .builders import a_bin, a_parcel, a_product, an_enrollment
from .test_label_templates import GOLDEN, assert_golden

WORDS = ["Иванова", "Мария", "Петровна", "ООО", "«Ромашка»", "ул.", "Ленина", "д.", "7", "кв.", "12", "A^B", "C~D", "E_F",
         "Smith", "&", "<b>", "Ёлка", "WWWWWWWW", "ш" * 30, "№5", "₽"]  # fmt: skip


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, words)))


def _varied_parcel(rng: random.Random, i: int):
    start = dt.datetime(2026, 3, 1, 8) + dt.timedelta(hours=rng.randint(0, 400))
    return a_parcel(
        sscc=build_sscc(rng.randint(0, 9), "4607012345", f"{rng.randint(0, 999_999):06d}"),
        parcel_id=f"PCL-{rng.randint(0, 10**9)}-{_text(rng, 1)}",
        sender=Party("ООО «Тэлли Склад»", "Москва, ул. Складская, д. 1, стр. 2", "+7 495 000-00-00"),
        recipient=Party(_text(rng, 12), _text(rng, 40), f"+7 9{rng.randint(0, 10**9):09d}"),
        window_from=start,
        window_to=start + dt.timedelta(hours=rng.choice([2, 4, 20])),
        parcel_number=1 + i % 5,
        parcel_count=5 + i % 7,
        weight_g=rng.choice([0, 1, 999, 1000, 1250, 123_456_789]),
        order_number=rng.choice(["ORD-2026-004217", "A^B~C_D", "1234567", _text(rng, 6)]),
        route=rng.choice(["R-12", "", "Маршрут 7"]),
        stop=rng.randint(0, 999),
        cod=rng.choice([None, Money(123450 + i, "RUB"), Money(-5, "USD"), Money(1000, "JPY")]),
        company_prefix_length=rng.choice([None, 10]),
    )


def _varied_records(name: str, rng: random.Random):
    for i in range(40):
        if name.startswith("parcel"):
            yield _varied_parcel(rng, i)
        elif name == "bin_80x40":
            # Odd and even digit runs exercise Code 128's subset switching.
            yield a_bin(location=f"{rng.choice(['A', 'B-01', 'Z', 'a_b'])}-{rng.randint(0, 10**rng.randint(1, 9))}", warehouse=_text(rng, 4), zone=_text(rng, 3))
        elif name == "product_58x40":
            gtin = append_check_digit(f"{rng.randint(0, 10**12 - 1):012d}")
            yield a_product(gtin=gtin, name=_text(rng, 20), price=Money(rng.randint(0, 10**7), rng.choice(["RUB", "JPY"])))
        else:
            yield an_enrollment(payload=f"tally:enroll:v1:{rng.randint(0, 10**12)}", role=_text(rng, 3),
                                expires_at=dt.datetime(2026, 1, 1) + dt.timedelta(minutes=rng.randint(0, 10**6)))  # fmt: skip


def _digests() -> bytes:
    lines = []
    for name in sorted(TEMPLATES):
        labels = [TEMPLATES[name](record) for record in _varied_records(name, random.Random(name))]
        for fmt, render in (("zpl203", render_label_zpl), ("zpl300", lambda label: render_label_zpl(label, 300)), ("svg", render_label_svg)):
            digest = hashlib.sha256(b"".join(render(label) for label in labels)).hexdigest()
            lines.append(f"{name} {fmt} {digest}\n")
    return "".join(lines).encode()


def test_varied_records_render_byte_identical_to_the_golden_digests():
    assert_golden(GOLDEN / "varied_digests.txt", _digests())


def test_the_varied_records_include_truncated_and_escaped_text():
    # The digests only guard what the records exercise: make sure the hard cases are in them.
    zpl = b"".join(render_label_zpl(TEMPLATES["parcel_100x150"](p)) for p in _varied_records("parcel_100x150", random.Random(1)))
    assert "…".encode() in zpl and b"_5E" in zpl and b"_7E" in zpl and b"_5F" in zpl
