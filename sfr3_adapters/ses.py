"""SES mailer: one message per call, from the verified `FROM_EMAIL` sender."""

from __future__ import annotations

from typing import Any

from sfr3_adapters.aws_clients import client as aws_client


class SesMailer:
    def __init__(self, from_email: str, *, client: Any = None) -> None:
        if not from_email:
            raise ValueError("FROM_EMAIL must be set to a verified SES sender")
        self.from_email = from_email
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws_client("ses")

    def send(self, *, to: str, subject: str, text: str, html: str) -> str:
        response = self.client.send_email(
            Source=self.from_email,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": text, "Charset": "UTF-8"},
                    "Html": {"Data": html, "Charset": "UTF-8"},
                },
            },
        )
        return str(response["MessageId"])
