from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.dispute_status import DisputeStatus

if TYPE_CHECKING:
    from ..models.disputed_payment import DisputedPayment
    from ..models.evidence_file import EvidenceFile
    from ..models.stripe_dispute_view import StripeDisputeView


T = TypeVar("T", bound="DisputeDetail")


@_attrs_define
class DisputeDetail:
    amount: int
    chargeback: int
    """ Cents taken back by the chargeback (0 if none) """
    closed_at: datetime.datetime | None
    currency: str
    dispute_id: str
    evidence: list[EvidenceFile]
    evidence_submitted: bool
    evidence_submitted_at: datetime.datetime | None
    opened_at: datetime.datetime
    payment: DisputedPayment | None
    payment_id: str
    property_id: None | str
    reason: str
    resident_id: str
    status: DisputeStatus
    stripe: None | StripeDisputeView
    """ Stripe's view, read now; null when Stripe cannot answer """

    def to_dict(self) -> dict[str, Any]:
        from ..models.disputed_payment import DisputedPayment  # noqa: PLC0415
        from ..models.stripe_dispute_view import StripeDisputeView  # noqa: PLC0415

        amount = self.amount

        chargeback = self.chargeback

        closed_at: None | str
        if isinstance(self.closed_at, datetime.datetime):
            closed_at = self.closed_at.isoformat()
        else:
            closed_at = self.closed_at

        currency = self.currency

        dispute_id = self.dispute_id

        evidence = []
        for evidence_item_data in self.evidence:
            evidence_item = evidence_item_data.to_dict()
            evidence.append(evidence_item)

        evidence_submitted = self.evidence_submitted

        evidence_submitted_at: None | str
        if isinstance(self.evidence_submitted_at, datetime.datetime):
            evidence_submitted_at = self.evidence_submitted_at.isoformat()
        else:
            evidence_submitted_at = self.evidence_submitted_at

        opened_at = self.opened_at.isoformat()

        payment: dict[str, Any] | None
        if isinstance(self.payment, DisputedPayment):
            payment = self.payment.to_dict()
        else:
            payment = self.payment

        payment_id = self.payment_id

        property_id: None | str
        property_id = self.property_id

        reason = self.reason

        resident_id = self.resident_id

        status = self.status.value

        stripe: dict[str, Any] | None
        if isinstance(self.stripe, StripeDisputeView):
            stripe = self.stripe.to_dict()
        else:
            stripe = self.stripe

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "chargeback": chargeback,
                "closedAt": closed_at,
                "currency": currency,
                "disputeId": dispute_id,
                "evidence": evidence,
                "evidenceSubmitted": evidence_submitted,
                "evidenceSubmittedAt": evidence_submitted_at,
                "openedAt": opened_at,
                "payment": payment,
                "paymentId": payment_id,
                "propertyId": property_id,
                "reason": reason,
                "residentId": resident_id,
                "status": status,
                "stripe": stripe,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.disputed_payment import DisputedPayment  # noqa: PLC0415
        from ..models.evidence_file import EvidenceFile  # noqa: PLC0415
        from ..models.stripe_dispute_view import StripeDisputeView  # noqa: PLC0415

        d = dict(src_dict)
        amount = d.pop("amount")

        chargeback = d.pop("chargeback")

        def _parse_closed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                closed_at_type_0 = datetime.datetime.fromisoformat(data)

                return closed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        closed_at = _parse_closed_at(d.pop("closedAt"))

        currency = d.pop("currency")

        dispute_id = d.pop("disputeId")

        evidence = []
        _evidence = d.pop("evidence")
        for evidence_item_data in _evidence:
            evidence_item = EvidenceFile.from_dict(evidence_item_data)

            evidence.append(evidence_item)

        evidence_submitted = d.pop("evidenceSubmitted")

        def _parse_evidence_submitted_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                evidence_submitted_at_type_0 = datetime.datetime.fromisoformat(data)

                return evidence_submitted_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        evidence_submitted_at = _parse_evidence_submitted_at(d.pop("evidenceSubmittedAt"))

        opened_at = datetime.datetime.fromisoformat(d.pop("openedAt"))

        def _parse_payment(data: object) -> DisputedPayment | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                payment_type_0 = DisputedPayment.from_dict(data)

                return payment_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DisputedPayment | None, data)

        payment = _parse_payment(d.pop("payment"))

        payment_id = d.pop("paymentId")

        def _parse_property_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        property_id = _parse_property_id(d.pop("propertyId"))

        reason = d.pop("reason")

        resident_id = d.pop("residentId")

        status = DisputeStatus(d.pop("status"))

        def _parse_stripe(data: object) -> None | StripeDisputeView:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                stripe_type_0 = StripeDisputeView.from_dict(data)

                return stripe_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StripeDisputeView, data)

        stripe = _parse_stripe(d.pop("stripe"))

        dispute_detail = cls(
            amount=amount,
            chargeback=chargeback,
            closed_at=closed_at,
            currency=currency,
            dispute_id=dispute_id,
            evidence=evidence,
            evidence_submitted=evidence_submitted,
            evidence_submitted_at=evidence_submitted_at,
            opened_at=opened_at,
            payment=payment,
            payment_id=payment_id,
            property_id=property_id,
            reason=reason,
            resident_id=resident_id,
            status=status,
            stripe=stripe,
        )

        return dispute_detail
