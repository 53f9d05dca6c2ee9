"""Which failed payments are retried, how often and when: the documented policy table.

A failed attempt is retried only when trying the same method again later can succeed
without the resident doing anything (money may arrive, the issuer's system may recover).
Retrying a hard decline (a lost or stolen card, a closed account, a revoked ACH mandate)
cannot succeed, and card networks and NACHA penalise merchants who do it, so those are
never retried; neither is anything we do not recognise (the conservative default).

Retried (a soft decline or a temporary shortage):
  insufficient_funds (card, and ACH's R01 as Stripe reports it), R01, R09 (uncollected
  funds), processing_error, try_again_later, issuer_not_available, reenter_transaction,
  approve_with_id, do_not_honor, generic_decline, card_velocity_exceeded,
  withdrawal_count_limit_exceeded.
Never retried (a hard decline, or one only the resident can fix):
  lost_card, stolen_card, pickup_card, fraudulent, restricted_card, security_violation,
  merchant_blacklist, expired_card, incorrect_number, invalid_number, incorrect_cvc,
  invalid_cvc, invalid_expiry_month/year, authentication_required (needs the resident
  present), do_not_try_again, revocation_of_authorization, stop_payment_order,
  transaction_not_allowed; ACH account_closed (R02), no_account (R03),
  invalid_account_number (R04), debit_not_authorized (R05, R07, R10, R29), R08,
  bank_account_restricted (R16), R20; payment_method_removed (removed before the retry);
  and anything not listed.

Attempts: at most `max_attempts` (default 3) per payment, the first included; after the
n-th failure the next attempt is due `delays[n-1]` later (default 4 h, then 8 h; the
24 h step applies when more attempts are configured: the last delay repeats). Both come
from the environment (`SFR3_RETRY_MAX_ATTEMPTS`, `SFR3_RETRY_DELAYS` as `4h,8h,24h` or
seconds), so an operator tunes them without a release.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

RETRYABLE: frozenset[str] = frozenset({
    "insufficient_funds", "R01", "R09",
    "processing_error", "try_again_later", "issuer_not_available", "reenter_transaction",
    "approve_with_id", "do_not_honor", "generic_decline", "card_velocity_exceeded",
    "withdrawal_count_limit_exceeded",
})
NOT_RETRYABLE: frozenset[str] = frozenset({
    "lost_card", "stolen_card", "pickup_card", "fraudulent", "restricted_card",
    "security_violation", "merchant_blacklist", "expired_card", "incorrect_number",
    "invalid_number", "incorrect_cvc", "invalid_cvc", "invalid_expiry_month",
    "invalid_expiry_year", "authentication_required", "do_not_try_again",
    "revocation_of_authorization", "stop_payment_order", "transaction_not_allowed",
    "account_closed", "R02", "no_account", "R03", "invalid_account_number", "R04",
    "debit_not_authorized", "R05", "R07", "R08", "R10", "R29", "bank_account_restricted",
    "R16", "R20", "payment_method_removed",
})
METHOD_REMOVED = "payment_method_removed"

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_DELAYS = (timedelta(hours=4), timedelta(hours=8), timedelta(hours=24))
_DELAY = re.compile(r"^(\d+)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def is_retryable(reason: str | None) -> bool:
    """Whether a failure for `reason` may succeed on a later attempt (the table above)."""
    return reason in RETRYABLE


def parse_delays(text: str) -> tuple[timedelta, ...]:
    """`4h,8h,24h` (or plain seconds) -> the delays; raises ValueError on anything else."""
    delays = []
    for part in text.split(","):
        found = _DELAY.match(part.strip())
        if found is None or int(found.group(1)) <= 0:
            raise ValueError(f"retry delay {part!r} must be a positive number of s, m, h or d")
        delays.append(timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)]))
    return tuple(delays)


@attrs.frozen
class RetryDecision:
    """What follows a failed attempt: `retry_at` None means no further attempt."""

    attempt: int
    retryable: bool
    retry_at: datetime | None

    @property
    def exhausted(self) -> bool:
        """A retryable failure with no attempt left: the payment failed permanently."""
        return self.retryable and self.retry_at is None


@attrs.frozen
class RetryPolicy:
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    delays: tuple[timedelta, ...] = DEFAULT_DELAYS

    def __attrs_post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not self.delays:
            raise ValueError("at least one retry delay is needed")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None) -> RetryPolicy:
        env = env or {}
        attempts = env.get("SFR3_RETRY_MAX_ATTEMPTS")
        delays = env.get("SFR3_RETRY_DELAYS")
        return cls(
            max_attempts=int(attempts) if attempts else DEFAULT_MAX_ATTEMPTS,
            delays=parse_delays(delays) if delays else DEFAULT_DELAYS,
        )

    def delay_after(self, attempt: int) -> timedelta:
        """How long after the `attempt`-th failure the next attempt is due."""
        return self.delays[min(attempt, len(self.delays)) - 1]

    def decide(self, reason: str | None, attempt: int, failed_at: datetime) -> RetryDecision:
        retryable = is_retryable(reason)
        retry_at = None
        if retryable and attempt < self.max_attempts:
            retry_at = failed_at + self.delay_after(attempt)
        return RetryDecision(attempt=attempt, retryable=retryable, retry_at=retry_at)
