"""The autopay use cases of LedgerApplication (a mixin, like lease_commands.py).

An enrollment names one of the resident's own active payment methods; its time zone is
the lease's (the sweep runs at 06:00 property time), or DEFAULT_TIME_ZONE for a resident
without a lease.

The autopay aggregate module is imported on first use, not with the application: its
event classes cost ~18 ms to create (eventsourcing makes each a dataclass), which a cold
API Lambda whose first request is, say, a balance would pay for nothing (issue 17).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sfr3_ledger.errors import PaymentMethodNotFound

if TYPE_CHECKING:
    from sfr3_ledger.autopay import AutopayEnrollment

T = TypeVar("T")
DEFAULT_TIME_ZONE = "America/Chicago"
KEEP: Any = ...


class AutopayCommands:
    # Provided by LedgerApplication (and LeaseCommands).
    _update: Callable[..., Any]
    _load: Callable[..., Any]
    find_lease: Callable[..., Any]
    payment_methods: Callable[..., Any]

    def _autopay_update(self, resident_id: str, command: Callable[[AutopayEnrollment], T]) -> T:
        from sfr3_ledger.autopay import AutopayEnrollment

        result: T = self._update(AutopayEnrollment, resident_id, command,
                                 opener=lambda: AutopayEnrollment(resident_id=resident_id))
        return result

    def _active_method(self, resident_id: str, method_id: str) -> str:
        method = self.payment_methods(resident_id).methods.get(method_id)
        if method is None or not method.active:
            raise PaymentMethodNotFound(method_id)
        return method_id

    def enroll_autopay(self, resident_id: str, *, enrollment_id: str, method_id: str,
                       charge_day: int, actor: str, max_amount: int | None = None,
                       mandate_id: str | None = None) -> AutopayEnrollment:
        """`mandate_id`: the ACH mandate made for this enrollment (autopay_mandates.py)."""
        self._active_method(resident_id, method_id)
        lease = self.find_lease(resident_id)
        zone = lease.time_zone if lease is not None else DEFAULT_TIME_ZONE

        def command(enrollment: AutopayEnrollment) -> AutopayEnrollment:
            enrollment.enroll(enrollment_id=enrollment_id, method_id=method_id,
                              charge_day=charge_day, max_amount=max_amount, time_zone=zone,
                              actor=actor, mandate_id=mandate_id)
            return enrollment

        return self._autopay_update(resident_id, command)

    def change_autopay(self, resident_id: str, *, actor: str, method_id: str | None = None,
                       charge_day: int | None = None,
                       max_amount: int | Any | None = KEEP,
                       mandate_id: str | None = None) -> AutopayEnrollment:
        if method_id is not None:
            self._active_method(resident_id, method_id)

        def command(enrollment: AutopayEnrollment) -> AutopayEnrollment:
            enrollment.change(actor=actor, method_id=method_id, charge_day=charge_day,
                              max_amount=max_amount, mandate_id=mandate_id)
            return enrollment

        return self._autopay_update(resident_id, command)

    def pause_autopay(self, resident_id: str, *, actor: str,
                      reason: str = "paused by the resident") -> AutopayEnrollment:
        def command(enrollment: AutopayEnrollment) -> AutopayEnrollment:
            enrollment.pause(actor=actor, reason=reason)
            return enrollment

        return self._autopay_update(resident_id, command)

    def resume_autopay(self, resident_id: str, *, actor: str) -> AutopayEnrollment:
        def command(enrollment: AutopayEnrollment) -> AutopayEnrollment:
            enrollment.resume(actor=actor)
            return enrollment

        return self._autopay_update(resident_id, command)

    def cancel_autopay(self, resident_id: str, *, actor: str) -> AutopayEnrollment:
        def command(enrollment: AutopayEnrollment) -> AutopayEnrollment:
            enrollment.cancel(actor=actor)
            return enrollment

        return self._autopay_update(resident_id, command)

    def find_autopay(self, resident_id: str) -> AutopayEnrollment | None:
        from sfr3_ledger.autopay import AutopayEnrollment

        found: AutopayEnrollment | None = self._load(AutopayEnrollment, resident_id)
        return found if found is not None and found.enrollment_id is not None else None

    def autopay(self, resident_id: str) -> AutopayEnrollment:
        found = self.find_autopay(resident_id)
        if found is None:
            from sfr3_ledger.autopay import AutopayNotFound

            raise AutopayNotFound(resident_id)
        return found

    def method_removed(self, resident_id: str, method_id: str, *, actor: str) -> bool:
        """Pause autopay that pays with `method_id` (it was removed); True when it did."""
        found = self.find_autopay(resident_id)
        if found is None or found.method_id != method_id or found.status != "ACTIVE":
            return False
        self.pause_autopay(resident_id, actor=actor, reason="payment method removed")
        return True

    def mandate_revoked(self, resident_id: str, mandate_id: str, *, actor: str) -> bool:
        """Stripe reported `mandate_id` inactive: pause the resident's autopay if it debits
        under that mandate (AutopayEnrollment.revoke_mandate); True when it did. Safe to
        repeat: a revocation already recorded, or another mandate, changes nothing."""
        found = self.find_autopay(resident_id)
        if found is None or found.mandate_id != mandate_id:
            return False
        return self._autopay_update(
            resident_id,
            lambda enrollment: enrollment.revoke_mandate(mandate_id=mandate_id, actor=actor))

    # ---- what the sweep and the reminders record (once per period) ---------------------

    def record_autopay_reminder(self, resident_id: str, **kwargs: Any) -> bool:
        return self._autopay_update(
            resident_id, lambda enrollment: enrollment.record_reminder(**kwargs))

    def record_autopay_charged(self, resident_id: str, **kwargs: Any) -> None:
        self._autopay_update(resident_id,
                             lambda enrollment: enrollment.record_charged(**kwargs))

    def record_autopay_skipped(self, resident_id: str, **kwargs: Any) -> None:
        self._autopay_update(resident_id,
                             lambda enrollment: enrollment.record_skipped(**kwargs))
