"""PDF receipts (fpdf2): what a resident keeps as proof of a settled payment.

Rendering is deterministic (the document dates are the payment's own), so writing the
receipt again for a redelivered event stores identical bytes.
"""

from __future__ import annotations

from datetime import datetime

import attrs


@attrs.frozen
class ReceiptData:
    resident_id: str
    payment_id: str
    amount: int
    currency: str
    settled_at: datetime
    initiated_at: datetime | None
    method: str  # e.g. "Visa ending 4242"
    reference: str | None  # the provider's reference (PaymentIntent id)
    property_id: str | None = None
    state: str | None = None


def money(cents: int, currency: str = "USD") -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    symbol = "$" if currency.upper() == "USD" else f"{currency.upper()} "
    return f"{sign}{symbol}{cents // 100:,}.{cents % 100:02d}"


def _latin1(text: str) -> str:
    """The PDF core fonts are Latin-1: anything else is replaced, never an error."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _stamp(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def render_receipt(data: ReceiptData) -> bytes:
    # Imported here: fpdf (with fontTools and Pillow) costs ~300 ms, and the notifications
    # Lambda imports this module without ever rendering a PDF.
    from fpdf import FPDF

    pdf = FPDF(format="Letter")
    pdf.set_creation_date(data.settled_at)
    pdf.set_title(f"Payment receipt {data.payment_id}")
    pdf.set_author("SFR3")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, "Payment receipt", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, "SFR3 resident payments", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    rows = [
        ("Amount paid", money(data.amount, data.currency)),
        ("Payment date", _stamp(data.settled_at)),
        ("Initiated", _stamp(data.initiated_at)),
        ("Payment method", data.method),
        ("Payment id", data.payment_id),
        ("Reference", data.reference or "-"),
        ("Resident", data.resident_id),
        ("Property", data.property_id or "-"),
        ("State", data.state or "-"),
    ]
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(50, 8, _latin1(label))
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(0, 8, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(
        0, 5, "This receipt confirms that the payment above has settled. Keep it for your records."
    )
    return bytes(pdf.output())
