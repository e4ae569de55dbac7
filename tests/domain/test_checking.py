"""Check rules: what should ship, how a count compares, who may check, overrides need a reason."""

from __future__ import annotations

import pytest

from server.domain import checking as rules
from server.domain.refusals import Refused


def test_what_should_ship_is_ordered_minus_shorted() -> None:
    assert rules.expected_units({1: 5, 2: 3}, {2: 3}) == {1: 5}


def test_each_kind_of_difference_is_named() -> None:
    lines = rules.compare({1: 5, 2: 2, 3: 1}, {1: 5, 2: 3, 4: 1})
    assert [(li.product_id, li.status) for li in lines] == [(1, "ok"), (2, "extra"), (3, "missing"), (4, "wrong")]
    assert not rules.passed(lines)
    assert rules.passed(rules.compare({1: 5}, {1: 5}))


def test_the_picker_cannot_check_their_own_order() -> None:
    with pytest.raises(Refused) as refusal:
        rules.check_checker("dev-a", {"dev-a", "dev-b"})
    assert refusal.value.code == "checker_is_picker"
    rules.check_checker("dev-c", {"dev-a"})


def test_an_override_needs_a_reason() -> None:
    with pytest.raises(Refused) as refusal:
        rules.override_reason("  ")
    assert refusal.value.code == "override_reason_required"
