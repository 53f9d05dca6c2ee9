from enum import StrEnum


class ListDisputesStatusType0(StrEnum):
    LOST = "LOST"
    OPEN = "OPEN"
    UNDER_REVIEW = "UNDER_REVIEW"
    WON = "WON"

    def __str__(self) -> str:
        return str(self.value)
