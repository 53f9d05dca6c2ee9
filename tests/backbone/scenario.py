"""The money story the backbone tests follow, driven through the ledger application."""

from __future__ import annotations

from sfr3_ledger import LedgerApplication


def pay_and_refund(app: LedgerApplication, resident: str) -> dict[str, str]:
    """Enroll, charge $2,100, pay it, refund $500, then a $500 payment that fails."""
    method = app.enroll_payment_method(
        resident,
        provider_id=f"pm_{resident}",
        method_type="CARD",
        last4="4242",
        brand="visa",
        actor=resident,
    )
    app.post_charge(
        resident,
        amount=210000,
        charge_type="RENT",
        description="Rent",
        actor="pm-7",
        property_id="prop-9",
        us_state="TX",
    )
    paid = app.initiate_payment(resident, amount=210000, method_id=method.method_id, actor=resident)
    pid = paid.payment.payment_id
    app.record_submission(resident, pid, "pi_settles")
    app.settle_payment(resident, pid, stripe_ref="pi_settles")
    app.apply_refund(
        resident, pid, refund_id="re_1", amount=50000, actor="staff-1", stripe_ref="re_1"
    )
    failing = app.initiate_payment(
        resident, amount=50000, method_id=method.method_id, actor=resident
    )
    fid = failing.payment.payment_id
    app.fail_payment(resident, fid, reason="card_declined", stripe_ref="pi_fails")
    return {"method": method.method_id, "paid": pid, "failed": fid}


EXPECTED_TYPES = [
    "payment_method.enrolled",
    "payment_method.default_changed",
    "charge.posted",
    "payment.initiated",
    "payment.submitted",
    "payment.settled",
    "payment.refunded",
    "payment.initiated",
    "payment.failed",
]
