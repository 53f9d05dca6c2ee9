"""stripeService's per-action params schemas: what each action's `params` must be.

Each PaymentProvider method the service allows has an attrs class here naming its params,
their types and their checks (non-empty ids, positive cents, an ISO currency, aware
datetimes, page limits, evidence file type and size). `params_converter` structures a
request's `params` into that class strictly: no unknown keys, no "12" for 12 nor True for 1,
datetimes only as ISO 8601 strings. Any failure becomes the service's 400 with the reasons
(`describe_error` words them). They live apart from the handler (`sfr3_lambdas.stripe_service`)
because they are the service's input contract, read and changed on their own, while the
handler is about authentication, secrets and the HTTP answer. Nothing here imports `stripe`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
import cattrs
from cattrs.v import format_exception

from sfr3_adapters.stripe_service_wire import ACTIONS
from sfr3_ledger.mandate_acceptance import MandateAcceptance


def _non_empty(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")


def _positive(_: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{attribute.name} must be a positive integer (cents)")


def _currency(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if len(value) != 3 or not value.isalpha():
        raise ValueError("currency must be a three-letter ISO code")


@attrs.frozen
class CreateCustomer:
    resident_id: str = attrs.field(validator=_non_empty)
    email: str | None = None


@attrs.frozen
class AttachPaymentMethod:
    customer_id: str = attrs.field(validator=_non_empty)
    payment_method_id: str = attrs.field(validator=_non_empty)


@attrs.frozen
class DetachPaymentMethod:
    payment_method_id: str = attrs.field(validator=_non_empty)


@attrs.frozen
class CreatePaymentIntent:
    payment_id: str = attrs.field(validator=_non_empty)
    resident_id: str = attrs.field(validator=_non_empty)
    amount: int = attrs.field(validator=_positive)
    currency: str = attrs.field(validator=_currency)
    customer_id: str = attrs.field(validator=_non_empty)
    payment_method_id: str = attrs.field(validator=_non_empty)
    metadata: dict[str, str] | None = None
    mandate_id: str | None = None
    # A manual ACH payment's online acceptance, sent to Stripe as `mandate_data`.
    mandate_acceptance: MandateAcceptance | None = None


@attrs.frozen
class RetrievePaymentIntent:
    intent_id: str = attrs.field(validator=_non_empty)


@attrs.frozen
class Refund:
    payment_intent_id: str = attrs.field(validator=_non_empty)
    idempotency_key: str = attrs.field(validator=_non_empty)
    amount: int | None = attrs.field(default=None, validator=_positive)
    metadata: dict[str, str] | None = None


def _aware(_: Any, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError(f"{attribute.name} must carry a timezone offset")


@attrs.frozen
class ListBalanceTransactions:
    created_from: datetime = attrs.field(validator=_aware)
    created_to: datetime = attrs.field(validator=_aware)

    def __attrs_post_init__(self) -> None:
        if self.created_to <= self.created_from:
            raise ValueError("created_to must be after created_from")


@attrs.frozen
class ListPaymentIntentsPage:
    customer_id: str = attrs.field(validator=_non_empty)
    created_from: datetime = attrs.field(validator=_aware)
    starting_after: str | None = None
    limit: int = 100

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.limit <= 100:
            raise ValueError("limit must be between 1 and 100")


@attrs.frozen
class SubmitDisputeEvidence:
    dispute_id: str = attrs.field(validator=_non_empty)
    evidence: dict[str, str]
    submit: bool = True


@attrs.frozen
class ListBalanceTransactionsPage:
    created_from: datetime = attrs.field(validator=_aware)
    created_to: datetime = attrs.field(validator=_aware)
    starting_after: str | None = None
    limit: int = 100

    def __attrs_post_init__(self) -> None:
        if self.created_to <= self.created_from:
            raise ValueError("created_to must be after created_from")
        if not 1 <= self.limit <= 100:
            raise ValueError("limit must be between 1 and 100")


# Stripe's own cap for one dispute evidence file is larger; ours keeps the base64 body
# under the stripeService's 4 MB request bound.
MAX_EVIDENCE_FILE_BYTES = 2 * 1024 * 1024
EVIDENCE_CONTENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


@attrs.frozen
class RetrieveDispute:
    dispute_id: str = attrs.field(validator=_non_empty)


@attrs.frozen
class UploadDisputeFile:
    filename: str = attrs.field(validator=_non_empty)
    content_type: str
    content_base64: str

    def __attrs_post_init__(self) -> None:
        if self.content_type not in EVIDENCE_CONTENT_TYPES:
            raise ValueError("content_type must be application/pdf, image/png or image/jpeg")
        if len(self.content_base64) > (MAX_EVIDENCE_FILE_BYTES * 4) // 3 + 4:
            raise ValueError(f"the file is over {MAX_EVIDENCE_FILE_BYTES} bytes")


@attrs.frozen
class CreateAchMandate:
    """The customer's acceptance (where from, with what, when) is the mandate's evidence."""

    setup_id: str = attrs.field(validator=_non_empty)
    customer_id: str = attrs.field(validator=_non_empty)
    payment_method_id: str = attrs.field(validator=_non_empty)
    ip_address: str = attrs.field(validator=_non_empty)
    user_agent: str = attrs.field(validator=_non_empty)
    accepted_at: datetime = attrs.field(validator=_aware)
    metadata: dict[str, str] | None = None


@attrs.frozen
class RetrieveSetupIntent:
    setup_intent_id: str = attrs.field(validator=_non_empty)


@attrs.frozen
class RetrieveMandate:
    mandate_id: str = attrs.field(validator=_non_empty)


def _event_id(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    """Stripe's event ids are `evt_` and letters/digits; anything else names no event (and
    an id from a queued body must not shape the request path)."""
    if not (value.startswith("evt_") and len(value) <= 255
            and value[4:].replace("_", "").isalnum() and value[4:].isascii()):
        raise ValueError(f"{attribute.name} must be a Stripe event id (evt_...)")


@attrs.frozen
class RetrieveEvent:
    event_id: str = attrs.field(validator=_event_id)


@attrs.frozen
class VerifyWebhook:
    payload: str
    signature_header: str = attrs.field(validator=_non_empty)


SCHEMAS: dict[str, type] = {
    "create_customer": CreateCustomer,
    "attach_payment_method": AttachPaymentMethod,
    "detach_payment_method": DetachPaymentMethod,
    "create_payment_intent": CreatePaymentIntent,
    "retrieve_payment_intent": RetrievePaymentIntent,
    "list_payment_intents_page": ListPaymentIntentsPage,
    "create_ach_mandate": CreateAchMandate,
    "retrieve_setup_intent": RetrieveSetupIntent,
    "retrieve_mandate": RetrieveMandate,
    "refund": Refund,
    "list_balance_transactions": ListBalanceTransactions,
    "submit_dispute_evidence": SubmitDisputeEvidence,
    "list_balance_transactions_page": ListBalanceTransactionsPage,
    "upload_dispute_file": UploadDisputeFile,
    "retrieve_dispute": RetrieveDispute,
    "verify_webhook": VerifyWebhook,
    "retrieve_event": RetrieveEvent,
}
assert set(SCHEMAS) == ACTIONS


def _strict(kind: type) -> Any:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is not kind:  # bool is not an int here, "12" is not 12
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return structure


def _datetime(value: Any, _: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError("expected an ISO 8601 string")
    return datetime.fromisoformat(value)


params_converter = cattrs.Converter(forbid_extra_keys=True)
for _kind in (str, int, bool):
    params_converter.register_structure_hook(_kind, _strict(_kind))
params_converter.register_structure_hook(datetime, _datetime)


def describe_error(exc: BaseException, type_: type | None) -> str:
    """Our validators' own messages are the clearest; cattrs words the rest."""
    if isinstance(exc, ValueError) and not isinstance(exc, cattrs.BaseValidationError):
        return str(exc)
    return format_exception(exc, type_)
