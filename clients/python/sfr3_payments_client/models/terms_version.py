from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.terms import Terms


T = TypeVar("T", bound="TermsVersion")


@_attrs_define
class TermsVersion:
    effective_from: datetime.date
    """ First day of the period these terms apply from """
    terms: Terms

    def to_dict(self) -> dict[str, Any]:
        effective_from = self.effective_from.isoformat()

        terms = self.terms.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "effectiveFrom": effective_from,
                "terms": terms,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.terms import Terms  # noqa: PLC0415

        d = dict(src_dict)
        effective_from = datetime.date.fromisoformat(d.pop("effectiveFrom"))

        terms = Terms.from_dict(d.pop("terms"))

        terms_version = cls(
            effective_from=effective_from,
            terms=terms,
        )

        return terms_version
