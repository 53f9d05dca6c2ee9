"""What only the HTTP client adds: configuration, transport failures, auth failures, retries."""

from __future__ import annotations

import pytest

from sfr3_adapters.stripe_service_client import (
    ERROR_KINDS,
    StripeServiceClient,
    error_from_wire,
    error_to_wire,
)
from sfr3_ledger.payment_provider import (
    CardDeclined,
    InsufficientFunds,
    PaymentProviderError,
    ProviderAuthenticationError,
    ProviderUnavailable,
)
from tests.harness.procs import free_port
from tests.harness.stripe_sandbox import SandboxHandle
from tests.stripe.conftest import SERVICE_API_KEY

pytestmark = pytest.mark.stripe_sandbox


def test_from_env_reads_the_documented_variables() -> None:
    client = StripeServiceClient.from_env({"STRIPE_SERVICE_URL": "http://svc.example/",
                                           "STRIPE_SERVICE_API_KEY": "k"})
    assert client._url == "http://svc.example/internal/stripe"
    assert client._api_key == "k"


@pytest.mark.usefixtures("service_env")
def test_a_wrong_api_key_is_an_authentication_error(stripe_service_url: str) -> None:
    client = StripeServiceClient(stripe_service_url, "wrong", max_retries=0)
    with pytest.raises(ProviderAuthenticationError):
        client.create_customer(resident_id="r")


def test_an_unreachable_service_is_unavailable() -> None:
    client = StripeServiceClient(f"http://127.0.0.1:{free_port()}", "k", timeout=2,
                                 max_retries=1, backoff=0.01)
    with pytest.raises(ProviderUnavailable):
        client.retrieve_payment_intent("pi_1")


@pytest.mark.usefixtures("service_env")
def test_outages_are_retried_with_the_same_request(
    stripe_service_url: str, stripe_sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    client = StripeServiceClient(stripe_service_url, SERVICE_API_KEY, max_retries=2,
                                 backoff=0.01)
    stripe_sandbox.control("fail", {"status": 429, "count": 2})
    customer = client.create_customer(resident_id="r-retry")  # third attempt gets through
    assert customer.startswith("cus_")
    assert client.create_customer(resident_id="r-retry") == customer


@pytest.mark.parametrize("error", [
    CardDeclined("Your card was declined.", decline_code="lost_card", payment_intent_id="pi_1"),
    InsufficientFunds("No funds.", payment_intent_id="pi_2"),
    *[cls("m", code="c") for name, cls in ERROR_KINDS if not issubclass(cls, CardDeclined)],
])
def test_errors_survive_the_wire(error: PaymentProviderError) -> None:
    back = error_from_wire(error_to_wire(error))
    assert type(back) is type(error)
    assert (back.code, back.message, back.payment_intent_id) == (
        error.code, error.message, error.payment_intent_id)
    if isinstance(error, CardDeclined):
        assert isinstance(back, CardDeclined) and back.decline_code == error.decline_code
