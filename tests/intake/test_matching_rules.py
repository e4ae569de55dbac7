"""Normalization and the decision rule: the ways one item is written compare equal, and doubt goes to a person."""

from __future__ import annotations

import pytest

from server.domain.matching import (
    MARGIN,
    THRESHOLD,
    Candidate,
    Reason,
    alias_keys,
    decide,
    normalize,
)
from server.intake.catalog_index import CatalogIndex, CatalogItem, LineQuery
from tests.intake.world import CATALOG, case_gtin, ean


@pytest.mark.parametrize(
    "written",
    ["Болт DIN 933 М8х40 оцинк.", "болт din933 m8*40 оцинкованный", "БOЛТ DIN 933 M8X40 ZINC", "Болты DIN 933 8 х 40 оц.",
     "DIN 933 болт М8×40 цинк", "болт DIN-933 М 8 х 40 оцинк, 100 шт"],
)  # fmt: skip
def test_the_ways_a_bolt_is_written_normalize_alike(written: str) -> None:
    assert sorted(normalize(written)) == sorted(normalize("Болт DIN 933 М8х40 оцинк."))


def test_latin_look_alikes_fold_onto_cyrillic_ones() -> None:
    assert normalize("Гaйкa M8 (латиница)")[:2] == normalize("Гайка М8")


def test_sizes_units_and_finishes_take_one_form() -> None:
    assert normalize("Монтажная пена 750мл") == normalize("монтажная пена 750 мл")
    assert normalize("Перфоратор 800 Вт") == normalize("перфоратор 800вт")
    assert "125x1.6" in normalize("Диск отрезной 125х1,6")
    assert "inox" in normalize("Винт нержавеющий") and "inox" in normalize("винт нерж.") and "inox" in normalize("screw stainless")
    assert "m8" in normalize("Гайка М8") and "8x40" in normalize("саморез 8х40")


def test_a_piece_count_in_the_text_is_not_part_of_the_name() -> None:
    assert normalize("Шайба М8 - 200 шт.") == normalize("Шайба М8") == normalize("шайба м8 5pcs")


def test_an_alias_is_kept_for_the_article_and_for_the_text() -> None:
    assert alias_keys("Болт М8х40", "К-00123") == ["art:k00123", "бoлt 8x40"]
    assert alias_keys("", "K 00123") == ["art:k00123"]  # the same code typed in Latin with a space


def test_a_clear_best_candidate_is_trusted() -> None:
    match = decide([Candidate(1, 97), Candidate(2, 80)])
    assert (match.product_id, match.reason, match.score) == (1, Reason.FUZZY, 97)


def test_a_tie_goes_to_review_however_high() -> None:
    match = decide([Candidate(1, 100), Candidate(2, 100 - MARGIN + 1)])
    assert match.product_id is None and [c.product_id for c in match.candidates] == [1, 2]


def test_a_score_below_the_threshold_goes_to_review() -> None:
    assert decide([Candidate(1, THRESHOLD - 1)]).product_id is None
    assert decide([Candidate(1, THRESHOLD)]).product_id == 1
    assert decide([]).reason == Reason.NONE


@pytest.fixture(scope="module")
def index() -> CatalogIndex:
    items = [CatalogItem(n, sku, name) for n, (sku, name, _) in enumerate(CATALOG, start=1)]
    codes = {ean(n): (n, 1) for n in range(1, len(CATALOG) + 1)} | {case_gtin(ean(1)): (1, 12)}
    return CatalogIndex(items, codes)


def test_codes_come_before_names(index: CatalogIndex) -> None:
    assert index.match(LineQuery("что угодно", barcode=ean(4))).reason == Reason.BARCODE
    case = index.match(LineQuery(article=case_gtin(ean(1))))
    assert (case.product_id, case.reason, case.multiplier) == (1, Reason.BARCODE, 12)
    assert index.match(LineQuery("гайка", article="nut-8-zn")).reason == Reason.SKU
    assert index.match(LineQuery("гайка", article="К-1"), aliases={"art:k1": 5}).product_id == 5


def test_another_size_is_never_matched_automatically(index: CatalogIndex) -> None:
    match = index.match(LineQuery("Болт DIN 933 М8х45 оцинк."))
    assert match.product_id is None and all(c.score < THRESHOLD for c in match.candidates)
    assert match.candidates[0].product_id == 1  # still suggested to the person who decides


def test_another_finish_is_never_matched_automatically(index: CatalogIndex) -> None:
    assert index.match(LineQuery("Гайка DIN 934 М8 нерж.")).product_id is None
    assert index.match(LineQuery("Болт DIN 933 М8х40 нерж")).product_id == 2


def test_typos_and_abbreviations_are_repaired_against_the_catalog(index: CatalogIndex) -> None:
    assert index.match(LineQuery("Самрез по дер. 4,2х75")).product_id == 6
    assert index.match(LineQuery("пена монтажня 750мл срочно")).product_id == 7
    assert index.match(LineQuery("шуруповерт акк. 18В")).product_id == 8
