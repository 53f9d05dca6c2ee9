"""The finance page (`make run`, /finance/) in headless Chromium: a staff token sees the
API's figures for a seeded portfolio, drawn as charts; a resident token is refused."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests

from tests.e2e.stack import Stack

API = "/analytics/payment-health"


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def dollars(cents: int) -> str:
    return ("-" if cents < 0 else "") + f"${abs(cents) / 100:,.2f}"


def seed(stack: Stack) -> int:
    """Residents in three states: settled and failed payments; how many were initiated."""
    app = stack.ledger()
    tag = uuid.uuid4().hex[:6]
    plan = [("TX", None), ("TX", None), ("TX", "card_declined"), ("GA", None),
            ("GA", "insufficient_funds"), ("GA", "insufficient_funds"), ("CA", None)]
    for n, (state, reason) in enumerate(plan):
        rid = f"res-page-{tag}-{n}"
        method = app.enroll_payment_method(rid, provider_id=f"pm_{rid}", method_type="CARD",
                                           last4="4242", actor=rid)
        app.post_charge(rid, amount=180_000 + 1000 * n, charge_type="RENT", description="Rent",
                        actor="pm-1", property_id=f"prop-{n}", us_state=state)
        pid = app.initiate_payment(rid, amount=120_000, method_id=method.method_id,
                                   actor=rid).payment.payment_id
        if reason is None:
            app.settle_payment(rid, pid, stripe_ref=f"pi_{rid}")
        else:
            app.fail_payment(rid, pid, reason=reason, stripe_ref=f"pi_{rid}")
    return len(plan)


def seed_failures(stack: Stack, count: int) -> int:
    """`count` more declined payments (TX), each its own resident; how many were made."""
    app = stack.ledger()
    tag = uuid.uuid4().hex[:6]
    for n in range(count):
        rid = f"res-page-{tag}-f{n}"
        method = app.enroll_payment_method(rid, provider_id=f"pm_{rid}", method_type="CARD",
                                           last4="4242", actor=rid)
        app.post_charge(rid, amount=90_000, charge_type="RENT", description="Rent",
                        actor="pm-1", property_id=f"prop-f{n}", us_state="TX")
        pid = app.initiate_payment(rid, amount=90_000, method_id=method.method_id,
                                   actor=rid).payment.payment_id
        app.fail_payment(rid, pid, reason="card_declined", stripe_ref=f"pi_{rid}")
    return count


def health(stack: Stack, token: str, initiated_at_least: int,
           failed_at_least: int = 0) -> dict[str, Any]:
    """The API's answer once the read model has followed the seeded events."""
    deadline = time.monotonic() + 30
    while True:
        r = requests.get(stack.url + API, headers={"Authorization": f"Bearer {token}"},
                         timeout=30)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        seen = body["trailing30Days"]
        if seen["initiated"] >= initiated_at_least and seen["failed"] >= failed_at_least:
            return body
        assert time.monotonic() < deadline, "the payment-health read model did not catch up"
        time.sleep(0.1)


def table(page: Any, testid: str) -> list[list[str]]:
    return [[cell.strip() for cell in row.locator("td").all_inner_texts()]
            for row in page.locator(f'[data-testid="{testid}"] tbody tr').all()]


def test_staff_see_the_api_figures_as_charts(
    stack: Stack, page: Any, finance_url: str, artifacts: Any
) -> None:
    token = stack.token(staff="fin-1", groups=("finance",))
    before = health(stack, token, 0)["trailing30Days"]
    initiated, failed = before["initiated"] + seed(stack), before["failed"] + 3
    api = health(stack, token, initiated, failed_at_least=failed)
    # Earlier tests of the session paid today too: fail more until today is over the
    # threshold, so the page's alert is shown (bounded: the shared stack is small).
    for _ in range(100):
        if api["overThreshold"]:
            break
        initiated, failed = initiated + seed_failures(stack, 5), failed + 5
        api = health(stack, token, initiated, failed_at_least=failed)
    assert api["trailing30Days"]["failed"] >= 3 and api["overThreshold"] is True

    page.goto(f"{finance_url}#token={token}")
    page.wait_for_selector("body[data-state=ready]", timeout=30_000)
    assert page.errors == []
    text = lambda testid: page.inner_text(f'[data-testid="{testid}"]').strip()  # noqa: E731
    assert text("today-success") == pct(api["today"]["successRatePct"])
    assert text("today-failure") == pct(api["today"]["failureRatePct"])
    assert text("trailing-success") == pct(api["trailing30Days"]["successRatePct"])
    assert text("trailing-failure") == pct(api["trailing30Days"]["failureRatePct"])
    assert text("trailing-settled") == dollars(api["trailing30Days"]["settledCents"])
    assert text("trailing-counts") == (f"{api['trailing30Days']['settled']} settled, "
                                       f"{api['trailing30Days']['failed']} failed")
    assert text("threshold") == "15%" or text("threshold") == f"{api['failureRateThresholdPct']}%"
    alert = page.locator('[data-testid="over-threshold"]')
    assert alert.get_attribute("data-over") == "true"
    assert "over the 15" in alert.inner_text()
    assert table(page, "failures") == [
        [f["reason"], str(f["failures"]), dollars(f["failedCents"]), pct(f["sharePct"])]
        for f in api["failuresByReason"]]
    assert table(page, "states") == [
        [s["state"], dollars(s["collectedCents"]), dollars(s["outstandingCents"])]
        for s in api["byState"]]
    assert {"TX", "GA", "CA"} <= {s["state"] for s in api["byState"]}
    assert [r[0] for r in table(page, "volume")] == [d["day"] for d in api["byDay"]]

    # The charts are drawn (SVG by vega-embed): one bar per reason, two per state.
    for name in ("successRate", "volume", "failuresByReason", "collectedVsOutstanding"):
        assert page.locator(f"#chart-{name} svg").count() == 1, name
    bars = lambda name: page.locator(f"#chart-{name} svg g.mark-rect path").count()  # noqa: E731
    assert bars("failuresByReason") == len(api["failuresByReason"])
    assert bars("collectedVsOutstanding") == 2 * len(api["byState"])
    labels = page.locator("#chart-collectedVsOutstanding svg").text_content() or ""
    assert "US dollars" in labels and "state" in labels

    shot = artifacts / "finance-payment-health.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_property_managers_see_it_too(stack: Stack, page: Any, finance_url: str) -> None:
    token = stack.token(staff="pm-1", groups=("property-managers",))
    page.goto(f"{finance_url}#token={token}")
    page.wait_for_selector("body[data-state=ready]", timeout=30_000)
    assert page.locator("#report").is_visible()
    # Another day (the form's date, or #asOf=): a day without payments has no rates.
    page.fill("input[name=token]", token)
    page.fill("input[name=asOf]", "2020-01-31")
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-state=ready]", timeout=30_000)
    page.wait_for_function("document.querySelector('[data-testid=today-success]')"
                           ".textContent === 'n/a'")
    assert page.inner_text('[data-testid="trailing-counts"]') == "0 settled, 0 failed"
    assert table(page, "failures") == [["No rows."]]


def test_a_resident_token_is_refused(
    stack: Stack, page: Any, finance_url: str, artifacts: Any
) -> None:
    token = stack.token(resident=f"res-page-{uuid.uuid4().hex[:6]}")
    page.goto(f"{finance_url}#token={token}")
    page.wait_for_selector("body[data-state=refused]", timeout=30_000)
    assert "Access refused (403)" in page.inner_text("#error")
    assert not page.locator("#report").is_visible()
    assert page.locator("#chart-successRate svg").count() == 0
    page.screenshot(path=str(artifacts / "finance-payment-health-refused.png"))


def test_no_token_shows_the_sign_in_form_and_a_bad_one_is_401(
    page: Any, finance_url: str
) -> None:
    page.goto(finance_url)
    page.wait_for_selector("body[data-state=signed-out]")
    page.fill("input[name=token]", "not-a-token")
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-state=refused]", timeout=30_000)
    assert "Access refused (401)" in page.inner_text("#error")
