"""The stripeService Lambda through its HTTP contract (API Gateway REST proxy events)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from sfr3_lambdas import stripe_service
from tests.harness.procs import ROOT
from tests.harness.stripe_sandbox import SandboxHandle, apigw_event
from tests.stripe.conftest import SERVICE_API_KEY

pytestmark = pytest.mark.stripe_sandbox


def call(body: Any, key: str | None = SERVICE_API_KEY,
         header: str = "X-Api-Key") -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **({header: key} if key else {})}
    result = stripe_service.handler(apigw_event("POST", "/internal/stripe", headers, raw), None)
    return result["statusCode"], json.loads(result["body"])


GOOD_PI = {"payment_id": "pay-1", "resident_id": "res-1", "amount": 2100, "currency": "usd",
           "customer_id": "cus_x", "payment_method_id": "pm_card_visa"}


@pytest.mark.usefixtures("service_env")
class TestContract:
    def test_missing_key_is_401_wrong_key_is_403(self) -> None:
        body = {"action": "create_customer", "params": {"resident_id": "r1"}}
        assert call(body, key=None)[0] == 401
        status, answer = call(body, key="not-the-key")
        assert status == 403 and answer["error"]["kind"] == "forbidden"
        assert call(body, header="x-api-key")[0] == 200  # header names are case-blind

    @pytest.mark.parametrize(("body", "kind", "detail"), [
        (b"{not json", "bad_request", None),
        ({"action": "charge_everyone", "params": {}}, "unknown_action", None),
        ({"action": "__init__", "params": {}}, "unknown_action", None),
        ({"action": "create_customer", "params": {"resident_id": "r", "x": 1}},
         "invalid_params", "extra fields found (x)"),
        ({"action": "create_customer", "params": []}, "invalid_params", None),
        ({"action": "create_customer", "params": {}}, "invalid_params", "required"),
        ({"action": "create_payment_intent", "params": {**GOOD_PI, "amount": "2100"}},
         "invalid_params", "$.amount"),
        ({"action": "create_payment_intent", "params": {**GOOD_PI, "amount": True}},
         "invalid_params", "$.amount"),
        ({"action": "create_payment_intent", "params": {**GOOD_PI, "amount": 0}},
         "invalid_params", "positive"),
        ({"action": "create_payment_intent", "params": {**GOOD_PI, "currency": "dollars"}},
         "invalid_params", "currency"),
        ({"action": "refund", "params": {"payment_intent_id": "pi_1", "amount": -5,
                                         "idempotency_key": "k"}},
         "invalid_params", "positive"),
        ({"action": "list_balance_transactions",
          "params": {"created_from": "2026-01-01T00:00:00", "created_to":
                     "2026-01-02T00:00:00+00:00"}}, "invalid_params", "timezone"),
        ({"action": "list_payment_intents_page",
          "params": {"customer_id": "cus_1", "created_from": "2026-01-01T00:00:00"}},
         "invalid_params", "timezone"),
        ({"action": "list_payment_intents_page",
          "params": {"customer_id": "cus_1", "created_from": "2026-01-01T00:00:00+00:00",
                     "limit": 101}}, "invalid_params", "limit"),
        ({"action": "list_payment_intents_page",
          "params": {"customer_id": " ", "created_from": "2026-01-01T00:00:00+00:00"}},
         "invalid_params", "customer_id"),
        ({"action": "submit_dispute_evidence",
          "params": {"dispute_id": "dp_1", "evidence": {"receipt": 5}}},
         "invalid_params", "evidence"),
        ({"action": "create_customer", "params": {"resident_id": "r"}, "extra": 1},
         "bad_request", None),
    ])
    def test_bad_requests_are_400_and_touch_nothing(
        self, stripe_sandbox: SandboxHandle, body: Any, kind: str, detail: str | None
    ) -> None:
        status, answer = call(body)
        assert status == 400
        assert answer["error"]["kind"] == kind
        if detail:
            assert detail in json.dumps(answer["error"]["details"])
        with stripe_sandbox.sandbox.store.lock:
            kinds = {o["object"] for o in stripe_sandbox.sandbox.store.objects.values()}
        assert kinds == {"webhook_endpoint"}, "nothing reached Stripe"

    def test_declines_are_402_with_typed_body(self) -> None:
        status, customer = call({"action": "create_customer", "params": {"resident_id": "r"}})
        assert status == 200
        status, answer = call({"action": "create_payment_intent", "params": {
            **GOOD_PI, "customer_id": customer["result"],
            "payment_method_id": "pm_card_chargeDeclinedInsufficientFunds"}})
        assert status == 402
        error = answer["error"]
        assert (error["kind"], error["decline_code"]) == ("insufficient_funds",
                                                          "insufficient_funds")
        assert error["payment_intent_id"].startswith("pi_")

    def test_stripe_outage_is_502(self, stripe_sandbox: SandboxHandle) -> None:
        stripe_sandbox.control("fail", {"status": 429, "count": 1})
        status, answer = call({"action": "retrieve_payment_intent",
                               "params": {"intent_id": "pi_1"}})
        assert status == 502 and answer["error"]["kind"] == "rate_limited"

    def test_unknown_route_is_404(self) -> None:
        event = apigw_event("POST", "/internal/other", {"x-api-key": SERVICE_API_KEY}, b"{}")
        assert stripe_service.handler(event, None)["statusCode"] == 404

    def test_logs_hold_no_secrets_or_personal_data(
        self, caplog: pytest.LogCaptureFixture, webhook_secret: str
    ) -> None:
        _, customer = call({"action": "create_customer", "params": {
            "resident_id": "r-log", "email": "private.person@example.com"}})
        call({"action": "create_customer", "params": {"resident_id": "r"}}, key="wrong-key")
        call({"action": "create_payment_intent", "params": {
            **GOOD_PI, "customer_id": customer["result"],
            "payment_method_id": "pm_card_chargeDeclined"}})
        # Every field of every record (message, extras, args), as the JSON formatter sees it.
        text = json.dumps([{k: str(v) for k, v in r.__dict__.items()}
                           for r in caplog.records])
        assert any(getattr(r, "action", None) == "create_customer"
                   for r in caplog.records), "it does log the action"
        assert any(getattr(r, "error_code", None) == "card_declined" for r in caplog.records)
        for secret in (SERVICE_API_KEY, "wrong-key", "sk_test_service", webhook_secret,
                       "private.person@example.com"):
            assert secret not in text


@pytest.fixture
def ssm_config(moto: str, monkeypatch: pytest.MonkeyPatch, stripe_sandbox: SandboxHandle,
               webhook_secret: str) -> Iterator[Any]:
    """Secrets only in (moto's) SSM, as deployed; nothing in the environment but STAGE."""
    from aws_lambda_powertools.utilities import parameters

    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_SERVICE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STAGE", "test")
    monkeypatch.setenv("STRIPE_API_BASE", stripe_sandbox.url)
    ssm = boto3.client("ssm")
    for name, value in [("STRIPE_SECRET_KEY", "sk_test_from_ssm"),
                        ("STRIPE_WEBHOOK_SECRET", webhook_secret),
                        ("STRIPE_SERVICE_API_KEY", SERVICE_API_KEY)]:
        ssm.put_parameter(Name=f"/sfr3/test/{name}", Value=value, Type="SecureString",
                          Overwrite=True)
    parameters.clear_caches()
    parameters.base.DEFAULT_PROVIDERS.clear()  # a fresh client sees AWS_ENDPOINT_URL
    yield ssm
    parameters.clear_caches()


def test_secrets_come_from_ssm_and_are_cached(ssm_config: Any,
                                              stripe_sandbox: SandboxHandle) -> None:
    status, answer = call({"action": "create_customer", "params": {"resident_id": "r-ssm"}})
    assert status == 200 and answer["result"].startswith("cus_")
    assert call({"action": "create_customer", "params": {"resident_id": "r"}},
                key="other")[0] == 403
    # Rotate the key in SSM: the cached value keeps serving until max_age expires...
    ssm_config.put_parameter(Name="/sfr3/test/STRIPE_SERVICE_API_KEY", Value="rotated",
                             Type="SecureString", Overwrite=True)
    assert call({"action": "create_customer", "params": {"resident_id": "r"}})[0] == 200
    # ...and is picked up once the cache is dropped (a new container, or max_age later).
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    assert call({"action": "create_customer", "params": {"resident_id": "r"}})[0] == 403
    assert call({"action": "create_customer", "params": {"resident_id": "r"}},
                key="rotated")[0] == 200


def test_missing_configuration_fails_closed(ssm_config: Any) -> None:
    ssm_config.delete_parameter(Name="/sfr3/test/STRIPE_SERVICE_API_KEY")
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    status, answer = call({"action": "create_customer", "params": {"resident_id": "r"}})
    assert status == 500 and answer["error"]["kind"] == "misconfigured"


def _modules_importing_stripe(modules: list[str]) -> dict[str, bool]:
    code = (
        "import importlib, json, sys\n"
        "out = {}\n"
        "for name in json.loads(sys.argv[1]):\n"
        "    importlib.import_module(name)\n"
        "    out[name] = 'stripe' in sys.modules\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, json.dumps(modules)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_stripe_service_imports_stripe_lazily() -> None:
    assert _modules_importing_stripe(["sfr3_lambdas.stripe_service"]) == {
        "sfr3_lambdas.stripe_service": False}


def test_no_other_handler_imports_stripe() -> None:
    """Every module under sfr3_lambdas except stripe_service, each in a fresh interpreter."""
    import pkgutil

    import sfr3_lambdas

    names = sorted(m.name for m in pkgutil.walk_packages(sfr3_lambdas.__path__,
                                                         "sfr3_lambdas.")
                   if m.name != "sfr3_lambdas.stripe_service")
    names.insert(0, "sfr3_lambdas")
    results = _modules_importing_stripe(names)  # in import order: the first True is guilty
    assert list(results) == names and not any(results.values()), results
