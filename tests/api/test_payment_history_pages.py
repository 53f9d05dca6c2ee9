"""`GET /residents/{id}/payments` a page at a time (issue 17): newest first, `limit` and
`cursor`, the old fields kept plus `nextCursor`; filters apply across pages; a bad cursor
or limit is 400."""

from __future__ import annotations

from typing import Any

from tests.e2e.stack import Client, charge, enroll


def history(client: Client, rid: str, **params: Any) -> Any:
    r = client.get(f"/residents/{rid}/payments", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    for p in body["payments"]:  # written by the backbone when it gets to it
        p.pop("receiptUrl", None)
    return body


def every_page(client: Client, rid: str, **params: Any) -> list[dict[str, Any]]:
    out, cursor, pages = [], None, 0
    while True:
        body = history(client, rid, **params, **({"cursor": cursor} if cursor else {}))
        assert set(body) == {"residentId", "payments", "nextCursor"}
        assert len(body["payments"]) <= params.get("limit", 50)
        out += body["payments"]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            return out
        assert pages < 50


def test_pages_newest_first_with_filters(stack, resident, manager, rid):
    card = enroll(resident, rid)
    other = enroll(resident, rid, "pm_card_mastercard")
    for i in range(7):
        charge(manager, rid, 1000)
        r = resident.post(f"/residents/{rid}/payments",
                          {"amount": 1000, "paymentMethodId": card if i % 3 else other})
        assert r.status_code == 202, r.text
    stack.drain()
    stack.local.backbone.run_until_caught_up()
    whole = history(resident, rid, limit=200)
    assert whole["nextCursor"] is None and len(whole["payments"]) == 7
    stamps = [p["initiatedAt"] for p in whole["payments"]]
    assert stamps == sorted(stamps, reverse=True)
    assert every_page(resident, rid, limit=3) == whole["payments"]
    assert every_page(resident, rid, limit=1) == whole["payments"]
    # The default page holds them all; the staff read the same.
    assert history(manager, rid)["payments"] == whole["payments"]
    mine = [p for p in whole["payments"] if p["paymentMethodId"] == other]
    assert every_page(resident, rid, limit=2, paymentMethodId=other) == mine
    cut = whole["payments"][3]["initiatedAt"]
    assert every_page(resident, rid, limit=2, to=cut) == [
        p for p in whole["payments"] if p["initiatedAt"] < cut]
    first = whole["payments"][0]
    assert first["status"] == "SETTLED" and first["amount"] == 1000


def test_bad_cursor_or_limit_is_400(stack, resident, rid):
    for params in ({"limit": 0}, {"limit": 201}, {"limit": "ten"}, {"cursor": "nope"},
                   {"cursor": "MjAyNy0wMS0wMVQwMDowMDowMHxw"}):
        r = resident.get(f"/residents/{rid}/payments", params=params)
        assert r.status_code == 400, (params, r.text)
