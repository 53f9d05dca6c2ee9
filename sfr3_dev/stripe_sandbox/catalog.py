"""Stripe's documented test payment methods and what each one does when charged.

Card tokens follow docs.stripe.com/testing; bank accounts follow the ACH Direct Debit test
numbers (routing 110000000). Outcomes: "succeed", "decline" (card, synchronous), "fail"
(ACH, after the clearing delay), "dispute" (succeeds, then a dispute opens), "hold" (ACH
that stays processing).
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class TestMethod:
    type: str  # "card" | "us_bank_account"
    outcome: str
    details: dict[str, Any]
    code: str | None = None  # failure/decline code
    decline_code: str | None = None
    message: str | None = None
    # For outcome "dispute": the dispute's reason and kind ("dispute", "inquiry",
    # "multiple", "early_fraud_warning"; see stripe_sandbox/finance.py).
    dispute_reason: str = "fraudulent"
    dispute_kind: str = "dispute"


def _card(brand: str, last4: str, funding: str = "credit") -> dict[str, Any]:
    return {
        "brand": brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": None,
                   "cvc_check": "pass"},
        "country": "US",
        "display_brand": brand,
        "exp_month": 12,
        "exp_year": 2034,
        "fingerprint": f"fp{brand[:4]}{last4}",
        "funding": funding,
        "generated_from": None,
        "last4": last4,
        "networks": {"available": [brand], "preferred": None},
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
        "regulated_status": None,
    }


def _bank(last4: str, routing: str = "110000000") -> dict[str, Any]:
    return {
        "account_holder_type": "individual",
        "account_type": "checking",
        "bank_name": "STRIPE TEST BANK",
        "financial_connections_account": None,
        "fingerprint": f"fpbank{last4}",
        "last4": last4,
        "networks": {"preferred": "ach", "supported": ["ach"]},
        "routing_number": routing,
        "status_details": {},
    }


_DECLINED = "Your card was declined."
CARD_TOKENS: dict[str, TestMethod] = {
    "pm_card_visa": TestMethod("card", "succeed", _card("visa", "4242")),
    "pm_card_visa_debit": TestMethod("card", "succeed", _card("visa", "5556", "debit")),
    "pm_card_mastercard": TestMethod("card", "succeed", _card("mastercard", "4444")),
    "pm_card_amex": TestMethod("card", "succeed", _card("amex", "8431")),
    "pm_card_discover": TestMethod("card", "succeed", _card("discover", "1117")),
    "pm_card_chargeDeclined": TestMethod(
        "card", "decline", _card("visa", "0002"), "card_declined", "generic_decline", _DECLINED
    ),
    "pm_card_visa_chargeDeclined": TestMethod(
        "card", "decline", _card("visa", "0002"), "card_declined", "generic_decline", _DECLINED
    ),
    "pm_card_chargeDeclinedInsufficientFunds": TestMethod(
        "card", "decline", _card("visa", "9995"), "card_declined", "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedLostCard": TestMethod(
        "card", "decline", _card("visa", "9987"), "card_declined", "lost_card", _DECLINED
    ),
    "pm_card_chargeDeclinedExpiredCard": TestMethod(
        "card", "decline", _card("visa", "0069"), "expired_card", "expired_card",
        "Your card has expired.",
    ),
    "pm_card_createDispute": TestMethod("card", "dispute", _card("visa", "0259")),
    # The other dispute test cards of docs.stripe.com/testing#disputes.
    "pm_card_createDisputeProductNotReceived": TestMethod(
        "card", "dispute", _card("visa", "2685"), dispute_reason="product_not_received"),
    "pm_card_createDisputeInquiry": TestMethod(
        "card", "dispute", _card("visa", "1976"), dispute_kind="inquiry"),
    "pm_card_createMultipleDisputes": TestMethod(
        "card", "dispute", _card("visa", "0079"), dispute_kind="multiple"),
    "pm_card_createIssuerFraudRecord": TestMethod(
        "card", "dispute", _card("visa", "5423"), dispute_kind="early_fraud_warning"),
}

# account number -> behaviour (Stripe's ACH test numbers)
BANK_ACCOUNTS: dict[str, TestMethod] = {
    "000123456789": TestMethod("us_bank_account", "succeed", _bank("6789")),
    "000111111113": TestMethod(
        "us_bank_account", "fail", _bank("1113"), "account_closed",
        message="The customer's bank account has been closed.",
    ),
    "000111111116": TestMethod(
        "us_bank_account", "fail", _bank("1116"), "no_account",
        message="The customer's bank account could not be located.",
    ),
    "000222222227": TestMethod(
        "us_bank_account", "fail", _bank("2227"), "insufficient_funds",
        message="The customer's account has insufficient funds to cover this payment.",
    ),
    "000333333335": TestMethod(
        "us_bank_account", "fail", _bank("3335"), "debit_not_authorized",
        message="The customer has notified their bank that this payment was unauthorized.",
    ),
    "000555555559": TestMethod("us_bank_account", "dispute", _bank("5559")),
    "000000000009": TestMethod("us_bank_account", "hold", _bank("0009")),
}

BANK_TOKENS: dict[str, str] = {
    "pm_usBankAccount_success": "000123456789",
    "pm_usBankAccount_accountClosed": "000111111113",
    "pm_usBankAccount_noAccount": "000111111116",
    "pm_usBankAccount_insufficientFunds": "000222222227",
    "pm_usBankAccount_debitNotAuthorized": "000333333335",
    "pm_usBankAccount_dispute": "000555555559",
    "pm_usBankAccount_processing": "000000000009",
}


def token(name: str) -> TestMethod | None:
    """The behaviour behind a test token such as `pm_card_visa`, or None."""
    if name in CARD_TOKENS:
        return CARD_TOKENS[name]
    if name in BANK_TOKENS:
        return BANK_ACCOUNTS[BANK_TOKENS[name]]
    return None


def bank_account(account_number: str, routing_number: str) -> TestMethod:
    """Any other account number behaves like the success number, as in Stripe test mode."""
    known = BANK_ACCOUNTS.get(account_number)
    if known is not None:
        return attrs.evolve(known, details=_bank(account_number[-4:], routing_number))
    return TestMethod("us_bank_account", "succeed", _bank(account_number[-4:], routing_number))


def card_number(number: str) -> TestMethod:
    """Raw test card numbers map to the same behaviours as their tokens."""
    by_last4 = {m.details["last4"]: m for m in CARD_TOKENS.values()}
    known = by_last4.get(number[-4:])
    return known or TestMethod("card", "succeed", _card("visa", number[-4:]))
