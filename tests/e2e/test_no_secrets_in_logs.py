"""No secret reaches a log line in a full flow through the local stack (issue 16).

Every record any logger handles during the flow is captured — stdlib loggers and the
Powertools ones (which do not propagate to the root), at DEBUG — by wrapping
`logging.Logger.handle`; each record is checked as its logger's own handlers format it
(Powertools' JSON, with the keys appended to it) and by everything it carries (message,
args, extras, exception text). The flow: a bad bearer token, enrolment, a charge, a
payment and its signed webhook, a forged webhook, a refund. The secrets are the stack's
own: the Stripe secret key (sk_test_...), the webhook secret (whsec_...), the stripeService
API key and every bearer token used.
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sfr3_dev.stripe_sandbox import sign
from tests.e2e.stack import Client, Stack, charge, enroll


class Captured:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def leaks(self, secrets: dict[str, str]) -> list[tuple[str, str]]:
        return [(name, line[:300]) for line in self.lines
                for name, secret in secrets.items() if secret in line]


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[Captured]:
    out = Captured()
    original = logging.Logger.handle

    def handle(self: logging.Logger, record: logging.LogRecord) -> None:
        parts = [record.getMessage(), repr(record.__dict__)]
        if record.exc_info:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
        for handler in self.handlers:
            try:
                parts.append(handler.format(record))
            except Exception as exc:  # a formatter failing is itself worth seeing
                parts.append(f"<format failed: {exc!r}>")
        out.lines.append("\n".join(parts))
        original(self, record)

    monkeypatch.setattr(logging.Logger, "handle", handle)
    # Everything at DEBUG: the root and every logger that has its own level.
    loggers = [logging.getLogger(), *(
        lg for lg in logging.Logger.manager.loggerDict.values()
        if isinstance(lg, logging.Logger))]
    levels = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        for lg, level in levels:
            lg.setLevel(level)


def test_a_full_flow_logs_no_secret(stack: Stack, resident: Client, manager: Client,
                                    finance: Client, rid: str, captured: Captured,
                                    capfd: pytest.CaptureFixture[str]) -> None:
    secrets = {
        "STRIPE_SECRET_KEY": os.environ["STRIPE_SECRET_KEY"],
        "STRIPE_WEBHOOK_SECRET": os.environ["STRIPE_WEBHOOK_SECRET"],
        "STRIPE_SERVICE_API_KEY": os.environ["STRIPE_SERVICE_API_KEY"],
        "resident bearer token": str(resident.token),
        "manager bearer token": str(manager.token),
        "finance bearer token": str(finance.token),
    }
    assert secrets["STRIPE_SECRET_KEY"].startswith("sk_test_")
    assert secrets["STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
    forged = "Bearer " + str(resident.token)[:-4] + "AAAA"
    secrets["rejected bearer token"] = forged.removeprefix("Bearer ")

    r = requests.get(f"{stack.url}/residents/{rid}/balance", timeout=30,
                     headers={"Authorization": forged})
    assert r.status_code == 401
    method = enroll(resident, rid)
    charge(manager, rid, 2100)
    r = resident.post(f"/residents/{rid}/payments", {"amount": 2100, "paymentMethodId": method},
                      headers={"Idempotency-Key": f"k-{rid}"})
    assert r.status_code in (200, 201, 202), r.text
    payment = r.json()["paymentId"]
    stack.drain()  # the sandbox's signed payment_intent.succeeded, through /webhooks/stripe
    payload = json.dumps({"id": "evt_forged", "type": "payment_intent.succeeded"}).encode()
    r = requests.post(f"{stack.url}/webhooks/stripe", data=payload, timeout=30,
                      headers={"Stripe-Signature": sign(payload, "whsec_wrong"),
                               "Content-Type": "application/json"})
    assert r.status_code == 400
    r = manager.post(f"/residents/{rid}/payments/{payment}/refund", {"amount": 500})
    assert r.status_code == 200, r.text
    stack.drain()
    r = requests.post(f"{stack.url}/internal/stripe", timeout=30,
                      json={"action": "retrieve_payment_intent", "params": {"intent_id": "pi_x"}},
                      headers={"x-api-key": "wrong-" + secrets["STRIPE_SERVICE_API_KEY"]})
    assert r.status_code in (401, 403)

    out, err = capfd.readouterr()
    captured.lines += [out, err]
    assert len(captured.lines) > 2, "the capture saw no log record: it could not fail"
    assert any("refund" in line.lower() or "payment" in line.lower()
               for line in captured.lines[:-2])
    leaks = captured.leaks(secrets)
    assert not leaks, leaks


def test_the_capture_would_see_a_leak(captured: Captured) -> None:
    """The detector itself: a secret logged by a stdlib or a Powertools logger is found."""
    from aws_lambda_powertools import Logger

    secret: dict[str, Any] = {"k": "sk_test_detector_0123456789"}
    logging.getLogger("sfr3_lambdas.leaky").debug("calling with %s", secret["k"])
    pt = Logger(service="leakyService", level="DEBUG")
    pt.append_keys(api_key="whsec_detector_abcdef")
    pt.info("hello")
    pt.remove_keys(["api_key"])
    leaks = captured.leaks({"stdlib": secret["k"], "powertools": "whsec_detector_abcdef"})
    assert {name for name, _ in leaks} == {"stdlib", "powertools"}
