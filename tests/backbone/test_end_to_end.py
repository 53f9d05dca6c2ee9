"""The brief's steps 1-8 through the local API (`make run`'s stack), then the events lake
holds the resident's envelopes and `sfr3 analytics` shows what was collected."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from sfr3_adapters.local_sinks import LocalLake
from sfr3_dev.cli import main as sfr3
from tests.e2e.stack import Client, Stack, charge, enroll

pytestmark = pytest.mark.e2e


def lake_rows(home: Path) -> list[dict[str, Any]]:
    return LocalLake(home).rows()


def wait_for(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_payment_story_lands_in_the_lake_and_analytics(
    stack: Stack,
    resident: Client,
    manager: Client,
    finance: Client,
    rid: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    method = enroll(resident, rid)  # step 2
    charge(manager, rid, 2100)  # step 3
    r = resident.post(
        f"/residents/{rid}/payments",  # step 4
        {"amount": 2100, "paymentMethodId": method},
    )
    assert r.status_code == 202, r.text
    pid = r.json()["paymentId"]
    stack.drain()  # step 5 (webhook)
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 0  # step 6
    history = resident.get(f"/residents/{rid}/payments").json()  # step 7
    assert [p["status"] for p in history["payments"]] == ["SETTLED"]
    r = finance.post(f"/residents/{rid}/payments/{pid}/refund", {"amount": 600})  # step 8
    assert r.status_code == 200, r.text
    stack.drain()

    wanted = {"charge.posted", "payment.initiated", "payment.settled", "payment.refunded"}

    def mine() -> list[dict[str, Any]]:
        return [row for row in lake_rows(stack.home) if row["data"]["residentId"] == rid]

    wait_for(lambda: wanted <= {row["eventType"] for row in mine()}, "the resident's envelopes")
    rows = {row["eventType"]: row for row in mine()}
    assert rows["payment.settled"]["data"]["amount"] == 2100
    assert rows["payment.settled"]["data"]["paymentId"] == pid
    assert rows["payment.refunded"]["data"]["amount"] == 600
    assert rows["payment.initiated"]["data"]["paymentMethod"] == method
    assert len({row["eventId"] for row in mine()}) == len(mine())

    # The receipt the backbone wrote is linked from the payment history.
    wait_for(
        lambda: "receiptUrl" in resident.get(f"/residents/{rid}/payments").json()["payments"][0],
        "the receipt link",
    )

    # Collected in this stack (shared by other tests): settled - refunded - charged back,
    # per state, computed here from the lake, must be what the DuckDB query prints.
    everything = {row["eventId"]: row for row in lake_rows(stack.home)}.values()
    sign = {"payment.settled": 1, "payment.refunded": -1, "chargeback.applied": -1}
    collected = sum(
        sign.get(r["eventType"], 0) * (r["data"]["amount"] or 0)
        for r in everything
        if not r["data"]["state"]
    )
    assert collected >= 1500
    report = tmp_path / "report.html"
    capsys.readouterr()
    assert sfr3(["analytics", "--home", str(stack.home), "--html", str(report)]) == 0
    out = capsys.readouterr().out
    collected_line = next(line for line in out.splitlines() if line.split()[:1] == ["--"])
    shown = f"${collected // 100:,}.{collected % 100:02d}"
    assert collected_line.split()[1] == shown, out
    assert "<svg" in report.read_text()
