"""The sandbox's finance resources through the official SDK (issue 14): every dispute test
card of Stripe's testing docs, evidence with Files, closing, and the balance history with
Stripe's list parameters."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe

from tests.harness.stripe_sandbox import SandboxHandle

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def client(stripe_sandbox: SandboxHandle) -> stripe.StripeClient:
    return stripe.StripeClient(stripe_sandbox.key, max_network_retries=0,
                               base_addresses={"api": stripe_sandbox.url,
                                               "files": stripe_sandbox.url})


def charge(client: stripe.StripeClient, token: str, amount: int = 5000) -> Any:
    customer = client.v1.customers.create()
    pm = client.v1.payment_methods.attach(token, params={"customer": customer.id})
    return client.v1.payment_intents.create(params={
        "amount": amount, "currency": "usd", "customer": customer.id,
        "payment_method": pm.id, "confirm": True, "off_session": True,
        "payment_method_types": ["card"]})


def disputes_of(client: stripe.StripeClient, pi: str) -> list[Any]:
    return list(client.v1.disputes.list(params={"payment_intent": pi}).data)


@pytest.mark.parametrize(("token", "reason"), [
    ("pm_card_createDispute", "fraudulent"),
    ("pm_card_createDisputeProductNotReceived", "product_not_received"),
])
def test_dispute_cards_open_a_dispute_and_withdraw_the_funds(
        client: stripe.StripeClient, token: str, reason: str) -> None:
    pi = charge(client, token)
    [dispute] = disputes_of(client, pi.id)
    assert (dispute.reason, dispute.status, dispute.amount) == (reason, "needs_response", 5000)
    [withdrawal] = dispute.balance_transactions
    assert (withdrawal.amount, withdrawal.fee, withdrawal.reporting_category) == (
        -5000, 1500, "dispute")
    assert dispute.evidence_details.due_by > time.time()


def test_an_inquiry_withdraws_nothing_and_closes_as_a_warning(client: stripe.StripeClient) -> None:
    pi = charge(client, "pm_card_createDisputeInquiry")
    [dispute] = disputes_of(client, pi.id)
    assert dispute.status == "warning_needs_response" and dispute.balance_transactions == []
    updated = client.v1.disputes.update(dispute.id, params={
        "evidence": {"uncategorized_text": "lease attached"}, "submit": True})
    assert updated.status == "warning_under_review"
    client.v1.disputes.close(dispute.id)
    assert client.v1.disputes.retrieve(dispute.id).status == "warning_closed"


def test_multiple_disputes_and_the_early_fraud_warning(client: stripe.StripeClient,
                                                      stripe_sandbox: SandboxHandle) -> None:
    pi = charge(client, "pm_card_createMultipleDisputes")
    [first] = disputes_of(client, pi.id)
    stripe_sandbox.control(f"disputes/{first.id}/close", {"outcome": "won"})
    after = disputes_of(client, pi.id)
    assert len(after) == 2 and {d.status for d in after} == {"won", "needs_response"}
    warned = charge(client, "pm_card_createIssuerFraudRecord")
    assert disputes_of(client, warned.id) == []
    types = [e["type"] for e in stripe_sandbox.sandbox.store._all("event")]
    assert "radar.early_fraud_warning.created" in types


def test_evidence_files_update_and_submit_then_close(client: stripe.StripeClient,
                                                     stripe_sandbox: SandboxHandle) -> None:
    pi = charge(client, "pm_card_createDispute")
    [dispute] = disputes_of(client, pi.id)
    import io

    upload = io.BytesIO(PDF)
    upload.name = "lease.pdf"
    file = client.v1.files.create(params={"purpose": "dispute_evidence", "file": upload})
    assert (file.purpose, file.type, file.size) == ("dispute_evidence", "pdf", len(PDF))
    assert client.v1.files.retrieve(file.id).filename == "lease.pdf"
    bad = io.BytesIO(b"MZ\x90\x00")
    bad.name = "x.exe"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.files.create(params={"purpose": "dispute_evidence", "file": bad})
    with pytest.raises(stripe.InvalidRequestError):  # evidence must name an uploaded file
        client.v1.disputes.update(dispute.id, params={"evidence": {"receipt": "file_nope"}})
    saved = client.v1.disputes.update(dispute.id, params={
        "evidence": {"receipt": file.id}, "submit": False})
    assert saved.status == "needs_response" and saved.evidence_details.has_evidence
    submitted = client.v1.disputes.update(dispute.id, params={"submit": True})
    assert submitted.status == "under_review"
    assert submitted.evidence_details.submission_count == 1
    lost = client.v1.disputes.close(dispute.id)
    assert lost.status == "lost" and len(lost.balance_transactions) == 1
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.update(dispute.id, params={"evidence": {"uncategorized_text": "x"}})


def test_a_won_dispute_is_reinstated_on_the_balance(client: stripe.StripeClient,
                                                    stripe_sandbox: SandboxHandle) -> None:
    pi = charge(client, "pm_card_createDispute", 4200)
    [dispute] = disputes_of(client, pi.id)
    won = client.v1.disputes.update(dispute.id, params={
        "evidence": {"uncategorized_text": "winning_evidence"}})
    assert client.v1.disputes.retrieve(won.id).status == "won"
    lines = client.v1.balance_transactions.list(params={"source": dispute.id}).data
    assert sorted((t.amount, t.reporting_category) for t in lines) == [
        (-4200, "dispute"), (4200, "dispute_reversal")]


def test_balance_history_pages_with_created_bounds(client: stripe.StripeClient,
                                                   stripe_sandbox: SandboxHandle) -> None:
    for n in range(7):
        charge(client, "pm_card_visa", 1000 + n)
    now = stripe_sandbox.sandbox.store.now()
    stripe_sandbox.advance(3600)
    charge(client, "pm_card_visa", 9999)  # an hour later: outside the window
    window = {"created": {"gte": now - 600, "lt": now + 1}, "limit": 3}
    seen, after = [], None
    while True:
        params: dict[str, Any] = dict(window)
        if after:
            params["starting_after"] = after
        page = client.v1.balance_transactions.list(params=params)
        seen += [t.amount for t in page.data]
        if not page.has_more:
            break
        after = page.data[-1].id
    assert sorted(seen) == [1000 + n for n in range(7)]
    assert seen == sorted(seen, reverse=True)  # newest first
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.balance_transactions.list(params={"limit": 101})
