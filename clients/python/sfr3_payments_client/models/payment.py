from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.payment_status import PaymentStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.payment_attempt import PaymentAttempt


T = TypeVar("T", bound="Payment")


@_attrs_define
class Payment:
    amount: int
    attempt: int
    attempts: list[PaymentAttempt]
    charged_back: int
    currency: str
    failed_at: datetime.datetime | None
    failure_reason: None | str
    initiated_at: datetime.datetime
    initiated_by: str
    next_attempt_at: datetime.datetime | None
    payment_id: str
    payment_method_id: str
    refunded: int
    retry_status: None | str
    """ SCHEDULED, EXHAUSTED, CANCELLED: <why>, or null (never failed or not retried) """
    settled_at: datetime.datetime | None
    status: PaymentStatus
    receipt_url: str | Unset = UNSET
    """ Present once settled, when its PDF receipt exists """

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        attempt = self.attempt

        attempts = []
        for attempts_item_data in self.attempts:
            attempts_item = attempts_item_data.to_dict()
            attempts.append(attempts_item)

        charged_back = self.charged_back

        currency = self.currency

        failed_at: None | str
        if isinstance(self.failed_at, datetime.datetime):
            failed_at = self.failed_at.isoformat()
        else:
            failed_at = self.failed_at

        failure_reason: None | str
        failure_reason = self.failure_reason

        initiated_at = self.initiated_at.isoformat()

        initiated_by = self.initiated_by

        next_attempt_at: None | str
        if isinstance(self.next_attempt_at, datetime.datetime):
            next_attempt_at = self.next_attempt_at.isoformat()
        else:
            next_attempt_at = self.next_attempt_at

        payment_id = self.payment_id

        payment_method_id = self.payment_method_id

        refunded = self.refunded

        retry_status: None | str
        retry_status = self.retry_status

        settled_at: None | str
        if isinstance(self.settled_at, datetime.datetime):
            settled_at = self.settled_at.isoformat()
        else:
            settled_at = self.settled_at

        status = self.status.value

        receipt_url = self.receipt_url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "attempt": attempt,
                "attempts": attempts,
                "chargedBack": charged_back,
                "currency": currency,
                "failedAt": failed_at,
                "failureReason": failure_reason,
                "initiatedAt": initiated_at,
                "initiatedBy": initiated_by,
                "nextAttemptAt": next_attempt_at,
                "paymentId": payment_id,
                "paymentMethodId": payment_method_id,
                "refunded": refunded,
                "retryStatus": retry_status,
                "settledAt": settled_at,
                "status": status,
            }
        )
        if receipt_url is not UNSET:
            field_dict["receiptUrl"] = receipt_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.payment_attempt import PaymentAttempt  # noqa: PLC0415

        d = dict(src_dict)
        amount = d.pop("amount")

        attempt = d.pop("attempt")

        attempts = []
        _attempts = d.pop("attempts")
        for attempts_item_data in _attempts:
            attempts_item = PaymentAttempt.from_dict(attempts_item_data)

            attempts.append(attempts_item)

        charged_back = d.pop("chargedBack")

        currency = d.pop("currency")

        def _parse_failed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                failed_at_type_0 = datetime.datetime.fromisoformat(data)

                return failed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        failed_at = _parse_failed_at(d.pop("failedAt"))

        def _parse_failure_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        failure_reason = _parse_failure_reason(d.pop("failureReason"))

        initiated_at = datetime.datetime.fromisoformat(d.pop("initiatedAt"))

        initiated_by = d.pop("initiatedBy")

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

        payment_id = d.pop("paymentId")

        payment_method_id = d.pop("paymentMethodId")

        refunded = d.pop("refunded")

        def _parse_retry_status(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        retry_status = _parse_retry_status(d.pop("retryStatus"))

        def _parse_settled_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                settled_at_type_0 = datetime.datetime.fromisoformat(data)

                return settled_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        settled_at = _parse_settled_at(d.pop("settledAt"))

        status = PaymentStatus(d.pop("status"))

        receipt_url = d.pop("receiptUrl", UNSET)

        payment = cls(
            amount=amount,
            attempt=attempt,
            attempts=attempts,
            charged_back=charged_back,
            currency=currency,
            failed_at=failed_at,
            failure_reason=failure_reason,
            initiated_at=initiated_at,
            initiated_by=initiated_by,
            next_attempt_at=next_attempt_at,
            payment_id=payment_id,
            payment_method_id=payment_method_id,
            refunded=refunded,
            retry_status=retry_status,
            settled_at=settled_at,
            status=status,
            receipt_url=receipt_url,
        )

        return payment
