from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="PaymentAttempt")


@_attrs_define
class PaymentAttempt:
    """A failed attempt (its own PaymentIntent) of a payment that is retried."""

    amount: int
    attempt: int
    failed_at: datetime.datetime
    failure_reason: str
    next_attempt_at: datetime.datetime | None
    stripe_ref: None | str

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        attempt = self.attempt

        failed_at = self.failed_at.isoformat()

        failure_reason = self.failure_reason

        next_attempt_at: None | str
        if isinstance(self.next_attempt_at, datetime.datetime):
            next_attempt_at = self.next_attempt_at.isoformat()
        else:
            next_attempt_at = self.next_attempt_at

        stripe_ref: None | str
        stripe_ref = self.stripe_ref

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "attempt": attempt,
                "failedAt": failed_at,
                "failureReason": failure_reason,
                "nextAttemptAt": next_attempt_at,
                "stripeRef": stripe_ref,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        attempt = d.pop("attempt")

        failed_at = datetime.datetime.fromisoformat(d.pop("failedAt"))

        failure_reason = d.pop("failureReason")

        def _parse_next_attempt_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_attempt_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_attempt_at = _parse_next_attempt_at(d.pop("nextAttemptAt"))

        def _parse_stripe_ref(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        stripe_ref = _parse_stripe_ref(d.pop("stripeRef"))

        payment_attempt = cls(
            amount=amount,
            attempt=attempt,
            failed_at=failed_at,
            failure_reason=failure_reason,
            next_attempt_at=next_attempt_at,
            stripe_ref=stripe_ref,
        )

        return payment_attempt
