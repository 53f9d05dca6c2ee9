from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.flat_fee_terms import FlatFeeTerms
    from ..models.percent_fee_terms import PercentFeeTerms
    from ..models.recurring_charge_terms import RecurringChargeTerms


T = TypeVar("T", bound="Terms")


@_attrs_define
class Terms:
    grace_days: int
    late_fee: FlatFeeTerms | PercentFeeTerms
    monthly_rent: int
    recurring_charges: list[RecurringChargeTerms]
    rent_due_day: int

    def to_dict(self) -> dict[str, Any]:
        from ..models.flat_fee_terms import FlatFeeTerms  # noqa: PLC0415

        grace_days = self.grace_days

        late_fee: dict[str, Any]
        if isinstance(self.late_fee, FlatFeeTerms):
            late_fee = self.late_fee.to_dict()
        else:
            late_fee = self.late_fee.to_dict()

        monthly_rent = self.monthly_rent

        recurring_charges = []
        for recurring_charges_item_data in self.recurring_charges:
            recurring_charges_item = recurring_charges_item_data.to_dict()
            recurring_charges.append(recurring_charges_item)

        rent_due_day = self.rent_due_day

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "graceDays": grace_days,
                "lateFee": late_fee,
                "monthlyRent": monthly_rent,
                "recurringCharges": recurring_charges,
                "rentDueDay": rent_due_day,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.flat_fee_terms import FlatFeeTerms  # noqa: PLC0415
        from ..models.percent_fee_terms import PercentFeeTerms  # noqa: PLC0415
        from ..models.recurring_charge_terms import RecurringChargeTerms  # noqa: PLC0415

        d = dict(src_dict)
        grace_days = d.pop("graceDays")

        def _parse_late_fee(data: object) -> FlatFeeTerms | PercentFeeTerms:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                late_fee_type_0 = FlatFeeTerms.from_dict(data)

                return late_fee_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            late_fee_type_1 = PercentFeeTerms.from_dict(data)

            return late_fee_type_1

        late_fee = _parse_late_fee(d.pop("lateFee"))

        monthly_rent = d.pop("monthlyRent")

        recurring_charges = []
        _recurring_charges = d.pop("recurringCharges")
        for recurring_charges_item_data in _recurring_charges:
            recurring_charges_item = RecurringChargeTerms.from_dict(recurring_charges_item_data)

            recurring_charges.append(recurring_charges_item)

        rent_due_day = d.pop("rentDueDay")

        terms = cls(
            grace_days=grace_days,
            late_fee=late_fee,
            monthly_rent=monthly_rent,
            recurring_charges=recurring_charges,
            rent_due_day=rent_due_day,
        )

        return terms
