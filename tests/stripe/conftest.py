"""Both implementations of the port, wired to the local sandbox over real HTTP.

`provider` is parametrised: "adapter" is the Stripe SDK adapter talking to the sandbox;
"client" is the StripeServiceClient talking to the stripeService handler (behind an
API-Gateway-like shim), which itself runs the adapter against the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sfr3_adapters.stripe_adapter import StripeAdapter
from sfr3_adapters.stripe_service_client import StripeServiceClient
from sfr3_ledger.payment_provider import PaymentProvider
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver

SERVICE_API_KEY = "svc-key-for-tests-0123456789"


@pytest.fixture
def webhook_secret(stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver) -> str:
    """Events from the sandbox go to `webhook_receiver`, signed with this secret."""
    return stripe_sandbox.register_webhook(webhook_receiver.url)


@pytest.fixture
def service_env(monkeypatch: pytest.MonkeyPatch, stripe_sandbox: SandboxHandle,
                webhook_secret: str) -> None:
    """Local-run configuration of the stripeService Lambda (env overrides, no SSM)."""
    monkeypatch.setenv("STRIPE_SERVICE_API_KEY", SERVICE_API_KEY)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_service")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", webhook_secret)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_sandbox.url)
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "1")


@pytest.fixture(params=["adapter", "client"])
def provider(request: pytest.FixtureRequest, stripe_sandbox: SandboxHandle,
             webhook_secret: str) -> Iterator[PaymentProvider]:
    if request.param == "adapter":
        yield StripeAdapter("sk_test_adapter", webhook_secret, api_base=stripe_sandbox.url,
                            timeout=10, max_network_retries=1)
        return
    request.getfixturevalue("service_env")
    url = request.getfixturevalue("stripe_service_url")
    yield StripeServiceClient(url, SERVICE_API_KEY, timeout=30, max_retries=0)
