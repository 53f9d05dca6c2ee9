"""The ledger's laws on generated histories, on every backend in `ledger_env`.

`SFR3_LAW_EXAMPLES` sets the number of histories per backend (default and CI: 200).
The snapshot-interval variants exercise the same laws with other snapshot cadences; on
DynamoDB Local (a real server, ~10 requests a step) they run fewer histories to keep the
suite's time in bounds.
"""

from __future__ import annotations

import os

from sfr3_ledger.laws import check_ledger_laws

EXAMPLES = int(os.environ.get("SFR3_LAW_EXAMPLES", "200"))


def variant_examples(env: dict[str, str]) -> int:
    remote = env["PERSISTENCE_MODULE"] == "sfr3_adapters.dynamodb"
    return max(EXAMPLES // (20 if remote else 4), 10)


def test_ledger_laws_hold_on_generated_histories(ledger_env: dict[str, str]) -> None:
    remote = ledger_env["PERSISTENCE_MODULE"] == "sfr3_adapters.dynamodb"
    # DynamoDB Local: 30 % of the histories (refund requests and retries made each step
    # dearer there; the embedded backends run them all, DynamoDB checks the recorder).
    check_ledger_laws(ledger_env, max_examples=EXAMPLES * 3 // 10 if remote else EXAMPLES,
                      steps=20)


def test_ledger_laws_hold_without_snapshots(ledger_env: dict[str, str]) -> None:
    env = {**ledger_env, "SFR3_SNAPSHOT_INTERVAL": "0"}
    check_ledger_laws(env, max_examples=variant_examples(env))


def test_ledger_laws_hold_with_a_snapshot_every_other_event(ledger_env: dict[str, str]) -> None:
    env = {**ledger_env, "SFR3_SNAPSHOT_INTERVAL": "2"}
    check_ledger_laws(env, max_examples=variant_examples(env))
