from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.charge_type import ChargeType
from ..models.statement_charge_status import StatementChargeStatus

if TYPE_CHECKING:
    from ..models.late_fee_ref import LateFeeRef


T = TypeVar("T", bound="StatementCharge")


@_attrs_define
class StatementCharge:
    amount: int
    charge_id: str
    charge_type: ChargeType
    description: str
    due_date: datetime.date
    """ The due date (the posting day when none was given) """
    late_fee: LateFeeRef | None
    """ The late fee assessed on this charge """
    late_fee_for: None | str
    """ For a LATE_FEE: the charge it was assessed on """
    paid: int
    posted_at: datetime.datetime
    property_id: None | str
    remaining: int
    state: None | str
    status: StatementChargeStatus

    def to_dict(self) -> dict[str, Any]:
        from ..models.late_fee_ref import LateFeeRef  # noqa: PLC0415

        amount = self.amount

        charge_id = self.charge_id

        charge_type = self.charge_type.value

        description = self.description

        due_date = self.due_date.isoformat()

        late_fee: dict[str, Any] | None
        if isinstance(self.late_fee, LateFeeRef):
            late_fee = self.late_fee.to_dict()
        else:
            late_fee = self.late_fee

        late_fee_for: None | str
        late_fee_for = self.late_fee_for

        paid = self.paid

        posted_at = self.posted_at.isoformat()

        property_id: None | str
        property_id = self.property_id

        remaining = self.remaining

        state: None | str
        state = self.state

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "chargeId": charge_id,
                "chargeType": charge_type,
                "description": description,
                "dueDate": due_date,
                "lateFee": late_fee,
                "lateFeeFor": late_fee_for,
                "paid": paid,
                "postedAt": posted_at,
                "propertyId": property_id,
                "remaining": remaining,
                "state": state,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.late_fee_ref import LateFeeRef  # noqa: PLC0415

        d = dict(src_dict)
        amount = d.pop("amount")

        charge_id = d.pop("chargeId")

        charge_type = ChargeType(d.pop("chargeType"))

        description = d.pop("description")

        due_date = datetime.date.fromisoformat(d.pop("dueDate"))

        def _parse_late_fee(data: object) -> LateFeeRef | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                late_fee_type_0 = LateFeeRef.from_dict(data)

                return late_fee_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LateFeeRef | None, data)

        late_fee = _parse_late_fee(d.pop("lateFee"))

        def _parse_late_fee_for(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        late_fee_for = _parse_late_fee_for(d.pop("lateFeeFor"))

        paid = d.pop("paid")

        posted_at = datetime.datetime.fromisoformat(d.pop("postedAt"))

        def _parse_property_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        property_id = _parse_property_id(d.pop("propertyId"))

        remaining = d.pop("remaining")

        def _parse_state(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        state = _parse_state(d.pop("state"))

        status = StatementChargeStatus(d.pop("status"))

        statement_charge = cls(
            amount=amount,
            charge_id=charge_id,
            charge_type=charge_type,
            description=description,
            due_date=due_date,
            late_fee=late_fee,
            late_fee_for=late_fee_for,
            paid=paid,
            posted_at=posted_at,
            property_id=property_id,
            remaining=remaining,
            state=state,
            status=status,
        )

        return statement_charge
