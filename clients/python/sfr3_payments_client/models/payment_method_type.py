from enum import StrEnum


class PaymentMethodType(StrEnum):
    CARD = "card"
    US_BANK_ACCOUNT = "us_bank_account"
    WALLET = "wallet"

    def __str__(self) -> str:
        return str(self.value)
