from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="StatementTotals")


@_attrs_define
class StatementTotals:
    charged: int
    credit: int
    owed_on_archived_charges: int
    paid: int
    remaining: int

    def to_dict(self) -> dict[str, Any]:
        charged = self.charged

        credit = self.credit

        owed_on_archived_charges = self.owed_on_archived_charges

        paid = self.paid

        remaining = self.remaining

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "charged": charged,
                "credit": credit,
                "owedOnArchivedCharges": owed_on_archived_charges,
                "paid": paid,
                "remaining": remaining,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        charged = d.pop("charged")

        credit = d.pop("credit")

        owed_on_archived_charges = d.pop("owedOnArchivedCharges")

        paid = d.pop("paid")

        remaining = d.pop("remaining")

        statement_totals = cls(
            charged=charged,
            credit=credit,
            owed_on_archived_charges=owed_on_archived_charges,
            paid=paid,
            remaining=remaining,
        )

        return statement_totals
