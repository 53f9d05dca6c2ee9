from enum import StrEnum


class LeaseChangedStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"
    UPCOMING = "upcoming"

    def __str__(self) -> str:
        return str(self.value)
