"""The lifecycle table: every allowed edge works, every other one is refused."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from server.domain import orders as domain
from server.domain.lifecycle import CANCELLABLE, TRANSITIONS, OrderStatus, all_edges, check_transition
from server.domain.refusals import Refused
from tests.builders import an_order, at

S = OrderStatus
FORBIDDEN = [(a, b) for a, b in itertools.product(S, S) if b not in TRANSITIONS[a]]


def _move(order: domain.Order, target: OrderStatus) -> domain.Order:
    if target == S.CONFIRMED:
        return domain.confirm_order(order, {1: 10}, at(1))[0]
    if target == S.CANCELLED:
        return domain.cancel_order(order, "customer_request", "asked by phone", at(1))[0]
    return domain.advance_order(order, target, at(1))[0]


@pytest.mark.parametrize(("current", "target"), all_edges(), ids=lambda s: str(s))
def test_every_allowed_transition_moves_the_order_and_records_an_event(current: OrderStatus, target: OrderStatus) -> None:
    order = replace(an_order([("SKU-1", 2)]), status=current)
    moved = _move(order, target)
    assert moved.status == target
    assert moved.updated_at == at(1)


@pytest.mark.parametrize(("current", "target"), FORBIDDEN, ids=lambda s: str(s))
def test_every_forbidden_transition_is_refused(current: OrderStatus, target: OrderStatus) -> None:
    order = replace(an_order([("SKU-1", 2)]), status=current)
    with pytest.raises(Refused) as refusal:
        check_transition(current, target)
        _move(order, target)
    assert refusal.value.code == "transition_not_allowed"


def test_the_happy_path_reaches_closed() -> None:
    order = an_order([("SKU-1", 2)])
    path = [S.CONFIRMED, S.PICKING, S.PICKED, S.CHECKED, S.PACKED, S.LOADED, S.OUT_FOR_DELIVERY, S.DELIVERED, S.CLOSED]
    for target in path:
        order = _move(order, target)
    assert order.status == S.CLOSED


def test_cancellation_is_allowed_only_before_loading() -> None:
    assert CANCELLABLE == {S.DRAFT, S.CONFIRMED, S.PICKING, S.PICKED, S.CHECKED, S.PACKED}
    for status in S:
        assert (S.CANCELLED in TRANSITIONS[status]) == (status in CANCELLABLE)


def test_terminal_states_have_no_way_out() -> None:
    assert TRANSITIONS[S.CLOSED] == frozenset()
    assert TRANSITIONS[S.CANCELLED] == frozenset()


def test_every_status_is_reachable_from_draft() -> None:
    seen, frontier = {S.DRAFT}, [S.DRAFT]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(S)
