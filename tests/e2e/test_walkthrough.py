"""The README's walkthrough (the brief's steps 1-9, then a lease and a simulated month)
runs as written and answers as shown."""

from __future__ import annotations

from tests.e2e import walkthrough


def test_readme_walkthrough_runs_and_matches(stack, rid):
    expected = [out for _, out in walkthrough.pairs()]
    assert len(expected) >= 10, "the walkthrough lost its steps"
    actual = walkthrough.run(stack.url, stack.home, stack.sandbox.url, resident=rid)
    assert len(actual) == len(expected)
    for step, (want, got) in enumerate(zip(expected, actual, strict=True)):
        want_n = walkthrough.normalise(want.replace(walkthrough.RESIDENT, rid))
        got_n = walkthrough.normalise(got.replace(stack.url, walkthrough.API_DEFAULT))
        assert got_n == want_n, f"README block {step} drifted"
    balance = stack.ledger().balance(rid)
    # 2100 charged, 2100 paid, 1100 refunded; then January's rent and its late fee.
    assert balance == 1100 + 185_000 + 5_000
    lease_charges = [c.charge_id for c in stack.ledger().ledger(rid).charges.values()
                     if c.posted_by == "system:jobs"]
    assert sorted(lease_charges) == [f"late_lease-{rid}:rent:2027-01",
                                     f"lease-{rid}:rent:2027-01"]
