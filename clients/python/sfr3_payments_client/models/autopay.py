from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.autopay_status import AutopayStatus

if TYPE_CHECKING:
    from ..models.charged_period import ChargedPeriod
    from ..models.skipped_period import SkippedPeriod


T = TypeVar("T", bound="Autopay")


@_attrs_define
class Autopay:
    changed_at: datetime.datetime | None
    charge_day: int
    currency: str
    enrollment_id: str
    last4: None | str
    mandate_id: None | str
    """ The ACH mandate (us_bank_account methods) """
    max_amount: int | None
    """ Most one charge may be, cents; null = no cap """
    method_label: None | str
    method_removed: bool
    next_charge_date: datetime.date | None
    """ Null unless ACTIVE """
    outcomes: list[ChargedPeriod | SkippedPeriod]
    pause_reason: None | str
    payment_method_id: str
    resident_id: str
    status: AutopayStatus
    time_zone: str

    def to_dict(self) -> dict[str, Any]:
        from ..models.charged_period import ChargedPeriod  # noqa: PLC0415

        changed_at: None | str
        if isinstance(self.changed_at, datetime.datetime):
            changed_at = self.changed_at.isoformat()
        else:
            changed_at = self.changed_at

        charge_day = self.charge_day

        currency = self.currency

        enrollment_id = self.enrollment_id

        last4: None | str
        last4 = self.last4

        mandate_id: None | str
        mandate_id = self.mandate_id

        max_amount: int | None
        max_amount = self.max_amount

        method_label: None | str
        method_label = self.method_label

        method_removed = self.method_removed

        next_charge_date: None | str
        if isinstance(self.next_charge_date, datetime.date):
            next_charge_date = self.next_charge_date.isoformat()
        else:
            next_charge_date = self.next_charge_date

        outcomes = []
        for outcomes_item_data in self.outcomes:
            outcomes_item: dict[str, Any]
            if isinstance(outcomes_item_data, ChargedPeriod):
                outcomes_item = outcomes_item_data.to_dict()
            else:
                outcomes_item = outcomes_item_data.to_dict()

            outcomes.append(outcomes_item)

        pause_reason: None | str
        pause_reason = self.pause_reason

        payment_method_id = self.payment_method_id

        resident_id = self.resident_id

        status = self.status.value

        time_zone = self.time_zone

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "changedAt": changed_at,
                "chargeDay": charge_day,
                "currency": currency,
                "enrollmentId": enrollment_id,
                "last4": last4,
                "mandateId": mandate_id,
                "maxAmount": max_amount,
                "methodLabel": method_label,
                "methodRemoved": method_removed,
                "nextChargeDate": next_charge_date,
                "outcomes": outcomes,
                "pauseReason": pause_reason,
                "paymentMethodId": payment_method_id,
                "residentId": resident_id,
                "status": status,
                "timeZone": time_zone,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.charged_period import ChargedPeriod  # noqa: PLC0415
        from ..models.skipped_period import SkippedPeriod  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_changed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                changed_at_type_0 = datetime.datetime.fromisoformat(data)

                return changed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        changed_at = _parse_changed_at(d.pop("changedAt"))

        charge_day = d.pop("chargeDay")

        currency = d.pop("currency")

        enrollment_id = d.pop("enrollmentId")

        def _parse_last4(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last4 = _parse_last4(d.pop("last4"))

        def _parse_mandate_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        mandate_id = _parse_mandate_id(d.pop("mandateId"))

        def _parse_max_amount(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        max_amount = _parse_max_amount(d.pop("maxAmount"))

        def _parse_method_label(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        method_label = _parse_method_label(d.pop("methodLabel"))

        method_removed = d.pop("methodRemoved")

        def _parse_next_charge_date(data: object) -> datetime.date | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_charge_date_type_0 = datetime.date.fromisoformat(data)

                return next_charge_date_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None, data)

        next_charge_date = _parse_next_charge_date(d.pop("nextChargeDate"))

        outcomes = []
        _outcomes = d.pop("outcomes")
        for outcomes_item_data in _outcomes:

            def _parse_outcomes_item(data: object) -> ChargedPeriod | SkippedPeriod:
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    outcomes_item_type_0 = ChargedPeriod.from_dict(data)

                    return outcomes_item_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                outcomes_item_type_1 = SkippedPeriod.from_dict(data)

                return outcomes_item_type_1

            outcomes_item = _parse_outcomes_item(outcomes_item_data)

            outcomes.append(outcomes_item)

        def _parse_pause_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        pause_reason = _parse_pause_reason(d.pop("pauseReason"))

        payment_method_id = d.pop("paymentMethodId")

        resident_id = d.pop("residentId")

        status = AutopayStatus(d.pop("status"))

        time_zone = d.pop("timeZone")

        autopay = cls(
            changed_at=changed_at,
            charge_day=charge_day,
            currency=currency,
            enrollment_id=enrollment_id,
            last4=last4,
            mandate_id=mandate_id,
            max_amount=max_amount,
            method_label=method_label,
            method_removed=method_removed,
            next_charge_date=next_charge_date,
            outcomes=outcomes,
            pause_reason=pause_reason,
            payment_method_id=payment_method_id,
            resident_id=resident_id,
            status=status,
            time_zone=time_zone,
        )

        return autopay
