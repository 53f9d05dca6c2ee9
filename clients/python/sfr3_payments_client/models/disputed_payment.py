from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.payment_status import PaymentStatus

T = TypeVar("T", bound="DisputedPayment")


@_attrs_define
class DisputedPayment:
    amount: int
    payment_id: str
    settled_at: datetime.datetime | None
    status: PaymentStatus
    stripe_ref: None | str

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        payment_id = self.payment_id

        settled_at: None | str
        if isinstance(self.settled_at, datetime.datetime):
            settled_at = self.settled_at.isoformat()
        else:
            settled_at = self.settled_at

        status = self.status.value

        stripe_ref: None | str
        stripe_ref = self.stripe_ref

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "paymentId": payment_id,
                "settledAt": settled_at,
                "status": status,
                "stripeRef": stripe_ref,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        payment_id = d.pop("paymentId")

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

        def _parse_stripe_ref(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        stripe_ref = _parse_stripe_ref(d.pop("stripeRef"))

        disputed_payment = cls(
            amount=amount,
            payment_id=payment_id,
            settled_at=settled_at,
            status=status,
            stripe_ref=stripe_ref,
        )

        return disputed_payment
