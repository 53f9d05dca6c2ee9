"""Value types shared by the ledger's aggregates: enums, limits and amount validation.

Money is integer cents everywhere. A bool is an int in Python, so it is rejected
explicitly: `True` cents is a bug, not a payment.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import uuid4

from sfr3_ledger.errors import InvalidAmount

# No single rent-ledger fact is larger than this ($1,000,000.00). A bigger number is a
# typo or an attack; rejecting it keeps every balance far inside 64-bit integers.
MAX_AMOUNT_CENTS = 100_000_000

CURRENCY = "usd"
# Stripe's minimum charge in USD: a smaller payment could only ever be refused by the
# provider, so it is bad input (400, nothing recorded), not a decline.
MIN_PAYMENT_CENTS = 50
# The actor of facts no person commanded (provider webhooks, scheduled jobs).
SYSTEM = "system"


class ChargeType(StrEnum):
    RENT = "RENT"
    DEPOSIT = "DEPOSIT"
    UTILITY = "UTILITY"
    LATE_FEE = "LATE_FEE"
    OTHER = "OTHER"


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    SETTLED = "SETTLED"
    FAILED = "FAILED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


# Statuses in which money has reached us (and so may be refunded or disputed).
COLLECTED_STATUSES = frozenset(
    {PaymentStatus.SETTLED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)


class DisputeStatus(StrEnum):
    OPEN = "OPEN"
    UNDER_REVIEW = "UNDER_REVIEW"
    WON = "WON"
    LOST = "LOST"


class MethodType(StrEnum):
    CARD = "CARD"
    ACH = "ACH"  # Stripe us_bank_account
    WALLET = "WALLET"


# US states and DC, plus territories we might operate in; "" means not yet known.
US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "VI",
        "GU",
    ]
)


def cents(value: object, *, field: str = "amount") -> int:
    """Return `value` as a positive amount of cents, or raise InvalidAmount."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(f"{field} must be an integer number of cents")
    if value <= 0:
        raise InvalidAmount(f"{field} must be greater than zero")
    if value > MAX_AMOUNT_CENTS:
        raise InvalidAmount(f"{field} must be at most {MAX_AMOUNT_CENTS} cents")
    return value


def new_id(prefix: str) -> str:
    """An opaque, unguessable id with a readable prefix (`pay_…`, `chg_…`)."""
    return f"{prefix}_{uuid4().hex}"
