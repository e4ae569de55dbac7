"""Only ops a push carried leave the outbox: a lost answer never hides a rejection (sync/client.py)."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, Route

from tests.browser.conftest import TallyServer
from tests.browser.handheld import enroll, outbox, poll, wait_until_sent


def test_an_op_whose_push_answer_was_lost_stays_until_a_push_learns_its_rejection(
    page: Page, context: BrowserContext, tally_server: TallyServer
) -> None:
    device = enroll(page, tally_server, "picker", "Picker-lost-answer")
    wait_until_sent(page)
    lost: list[int] = []

    def lose_the_answer(route: Route) -> None:
        # The server gets the push and answers; the answer never reaches the device.
        if lost:
            route.continue_()
            return
        answer = route.fetch()
        lost.append(answer.status)
        route.abort("connectionreset")

    context.route("**/api/sync/push", lose_the_answer)
    # A claim of a pick list that does not exist: the server rejects it.
    page.evaluate("tally.record('ClaimPickList', {pick_list_id: 987654})")
    poll(page, "tally.status().then((s) => Boolean(s.lastError) && !s.syncing)", True)
    assert lost == [200]
    assert tally_server.query("SELECT seq, status, code FROM op_log WHERE device_id = ?", device["device_id"]) == [
        (1, "rejected", "pick_list_unknown")
    ]
    # The pull that followed the failed push moved the checkpoint but kept the op.
    assert page.evaluate("tally.status().then((s) => s.lastSeq)") == 1
    assert [op["seq"] for op in outbox(page)] == [1]
    assert page.evaluate("tally.count('rejected')") == 0

    # The next push carries it again: `duplicate` with the original code is recorded as a rejection.
    wait_until_sent(page)
    rejected = page.evaluate("tally.rejected()")
    assert [(r["seq"], r["type"], r["code"]) for r in rejected] == [(1, "ClaimPickList", "pick_list_unknown")]
    assert tally_server.query("SELECT count(*) FROM op_log WHERE device_id = ?", device["device_id"]) == [(1,)]
