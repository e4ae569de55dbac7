"""The phone's money and refusal arithmetic agrees with the server's rules: the same functions run
in Chromium (pwa/js/cash.js, refusal.js, door.js) and their answers are checked against
server/domain (cash.check_courier_payment, invoicing.refused_value, delivery.check_door_scan)."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import Page

from labels.gs1 import build_sscc
from server.domain.cash import PaymentFact, check_courier_payment
from server.domain.delivery import check_door_scan
from server.domain.invoicing import refused_value
from server.domain.refusals import Refused
from tests.browser.conftest import TallyServer

MODULES = "Promise.all(['/js/cash.js', '/js/refusal.js', '/js/door.js', '/js/gs1.js'].map((m) => import(m)))"


@pytest.fixture
def app(page: Page, tally_server: TallyServer) -> Page:
    page.goto(f"{tally_server.url}/")
    page.wait_for_function("document.body.dataset.ready === 'true'")
    return page


def test_typed_money_becomes_exact_minor_units_or_nothing(app: Page) -> None:
    cases = {"1500": 150_000, "1 500,5": 150_050, "1500.05": 150_005, "0,99": 99, "12\u00a0345.6": 1_234_560,
             "": None, "abc": None, "1.234": None, "-5": None, "1e3": None, "1,2,3": None}  # fmt: skip
    got = app.evaluate(f"(texts) => {MODULES}.then(([cash]) => texts.map((text) => cash.parseMoney(text, 'RUB')))", list(cases))
    assert dict(zip(cases, got, strict=True)) == cases
    assert app.evaluate(f"{MODULES}.then(([cash]) => [cash.moneyInput(150005, 'RUB'), cash.moneyInput(7, 'RUB'), cash.moneyInput(1500, 'JPY')])") == [
        "1500.05", "0.07", "1500"]


def test_the_cash_the_phone_accepts_is_cash_the_server_accepts(app: Page) -> None:
    rng = random.Random(11)
    cases = [(rng.randint(1, 5_000_000), rng.randint(0, 6_000_000)) for _ in range(300)] + [(100, 100), (100, 99)]
    answers = app.evaluate(f"(cases) => {MODULES}.then(([cash]) => cases.map(([due, given]) => cash.changeFor(due, given)))", cases)
    for (due, given), change in zip(cases, answers, strict=True):
        fact = PaymentFact("cash", due, "RUB", given, change if change is not None else 0)
        if change is None:
            with pytest.raises(Refused, match="cash handed over must cover"):
                check_courier_payment(fact, "RUB")
        else:
            check_courier_payment(fact, "RUB")  # the server takes what the phone computed


def test_the_phone_prices_refused_parcels_as_the_invoice_will(app: Page) -> None:
    rng = random.Random(5)
    for _ in range(50):
        lines = [(rng.randint(1, 6), rng.randint(1, 9), rng.randint(1, 99_999)) for _ in range(rng.randint(1, 6))]
        parcels = [{"sscc": f"{n:018d}", "items": [[rng.randint(1, 6), rng.randint(1, 5)] for _ in range(rng.randint(0, 3))]}
                   for n in range(rng.randint(1, 4))]  # fmt: skip
        refused = [p["sscc"] for p in parcels if rng.random() < 0.5]
        units, value = app.evaluate(
            f"([lines, parcels, refused]) => {MODULES}.then(([, r]) => {{ const u = r.refusedUnits(parcels, refused); return [u, r.refusedValue(lines, u)]; }})",
            [lines, parcels, refused])  # fmt: skip
        expected_units: dict[int, int] = {}
        for p in parcels:
            if p["sscc"] in refused:
                for pid, qty in p["items"]:
                    expected_units[pid] = expected_units.get(pid, 0) + qty
        assert {int(k): v for k, v in units.items()} == expected_units
        assert value == refused_value(lines, expected_units)


def test_a_door_scan_is_refused_on_the_phone_exactly_when_the_server_would_refuse_it(app: Page) -> None:
    mine, other = build_sscc(0, "4607099999", "000001"), build_sscc(0, "4607099999", "000002")
    stop = {"parcels": [{"sscc": mine}]}
    scans = [mine, f"00{mine}", f"]C100{mine}", other, f"00{other}", "4600000000003", "hello"]
    answers = app.evaluate(f"([stop, scans]) => {MODULES}.then(([, , door, gs1]) => scans.map((s) => door.checkDoorScan(stop, gs1.parseScan(s))))",
                           [stop, scans])  # fmt: skip
    for code, answer in zip(scans, answers, strict=True):
        if answer["sscc"] is None:
            assert answer == {"ok": False, "code": "not_a_parcel", "sscc": None}
            continue
        try:
            check_door_scan([mine], answer["sscc"])
            assert answer["ok"], code
        except Refused as refusal:
            assert (answer["ok"], answer["code"]) == (False, refusal.code), code
    assert [a["ok"] for a in answers] == [True, True, True, False, False, False, False]


LEDGER = "Promise.all(['/js/cash.js', '/js/sync.js', '/js/db.js'].map((m) => import(m)))"


def test_cash_taken_and_its_payment_op_are_written_together_or_not_at_all(app: Page) -> None:
    # The ledger entry rides in the op's own IndexedDB transaction: when that transaction fails
    # after both writes were issued, neither the op nor the cash is on the phone.
    outcome = app.evaluate(f"""() => {LEDGER}.then(async ([cash, sync, db]) => {{
        const pay = {{ payment_id: 'p-1', order_id: 7, method: 'cash', amount: 150000, currency: 'RUB' }};
        const before = (await db.getAll('outbox')).length;
        const failing = async (meta, op) => {{ await cash.cashTaken(pay)(meta, op); throw new Error('power cut'); }};
        const refused = await sync.recordOp('TakePayment', pay, {{ alongside: failing }}).then(() => 'written', (e) => e.message);
        const afterFailure = [(await db.getAll('outbox')).length - before, await cash.cashOnHand()];
        await sync.recordOp('TakePayment', pay, {{ alongside: cash.cashTaken(pay) }});
        const afterSuccess = [(await db.getAll('outbox')).length - before, await cash.cashOnHand()];
        await sync.recordOp('HandOverCash', {{ handover_id: 'h-1', currency: 'RUB' }},
                            {{ alongside: cash.cashHandedOver({{ handover_id: 'h-1', currency: 'RUB', expected: 150000, counted: 150000 }}) }});
        return [refused, afterFailure, afterSuccess, await cash.cashOnHand(), (await cash.lastHandover()).handover_id];
    }})""")
    assert outcome == ["power cut", [0, {}], [1, {"RUB": 150000}], {}, "h-1"]
