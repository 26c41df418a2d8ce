"""Receipts and invoices: one per paid order, a credit note per refund, numbered per seller without gaps.

The seller is the event's organizer (its legal name, address, tax id: events.Organizer), or the
platform (REGISTRATIONS_SELLER) for an event with none. Each seller has two series, invoices and
credit notes, each counted by an `InvoiceCounter` row. A number is taken under that row's lock in
the transaction that records the payment (`fulfilment.confirm`) or the refund (`refunds.record`):
if the transaction rolls back, so does the number, so a series never skips or repeats one.

What a document says is frozen when it is issued (`Invoice`: seller, buyer, lines, tax); its PDF
is rendered from that, by WeasyPrint, in the buyer's language, and so is the same every time.

A credit note carries the refund as negative amounts, so a seller's invoices and credit notes add
up to what it kept. Its tax is the refund's share of the order's tax, counted on everything refunded
so far, so refunding an order in parts gives back exactly the order's tax, to the cent.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django_countries import countries

from events.money import decimal_places

from .. import conf
from ..emails import supported_language
from ..models import Invoice, InvoiceCounter, Registration

TEMPLATE = "registrations/invoices/invoice.html"


def seller(event):
    """(series key, number prefix, details) of whoever sells `event`'s tickets."""
    organizer = event.organizer if event.organizer_id else None
    if organizer is None:
        details = dict(conf.get("REGISTRATIONS_SELLER"))
        prefix = details.pop("invoice_prefix", "") or "INV"
        return "platform", prefix.upper(), {key: str(value) for key, value in details.items()}
    details = {
        "name": organizer.legal_name or organizer.name,
        "address": organizer.legal_address,
        "country": organizer.legal_country.code if organizer.legal_country else "",
        "tax_id": organizer.tax_id,
        "email": organizer.email,
    }
    prefix = (organizer.invoice_prefix or organizer.slug[:12]).upper()
    return f"organizer-{organizer.pk}", prefix, details


def buyer(order):
    return {
        "name": order.buyer_name,
        "email": order.buyer_email,
        "organization": order.billing_organization,
        "address": order.billing_address,
        "country": order.billing_country.code if order.billing_country else "",
        "tax_id": order.billing_tax_id,
    }


def next_number(series):
    """The next number of `series`, under its counter's row lock (call inside the transaction that
    issues the document)."""
    InvoiceCounter.objects.get_or_create(series=series)
    counter = InvoiceCounter.objects.select_for_update().get(series=series)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


PREFIX_SUFFIX = {Invoice.Kind.CREDIT_NOTE: "-CN", Invoice.Kind.DEBIT_NOTE: "-DN"}


def issue(order, kind, lines, tax, refund=None, cancels=None):
    key, prefix, details = seller(order.event)
    series = f"{key}-{kind}"
    net, total = sum((line["net"] for line in lines), Decimal(0)), sum((line["total"] for line in lines), Decimal(0))
    return Invoice.objects.create(
        kind=kind, series=series, number=next_number(series), order=order, refund=refund, cancels=cancels,
        organizer_id=order.event.organizer_id, currency=order.currency, seller=details, buyer=buyer(order),
        prefix=prefix + PREFIX_SUFFIX.get(kind, ""),
        lines=[{name: str(value) for name, value in line.items()} for line in lines],
        net=net, tax=tax, total=total, tax_name=order.tax_name, tax_rate=order.tax_rate,
        tax_inclusive=order.tax_inclusive, language=order.language,
    )  # fmt: skip


def issue_invoice(order):
    """The invoice of a paid order, issued once (call with the order locked, as it becomes paid)."""
    if order.is_free:
        return None
    existing = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
    if existing is not None:
        return existing
    groups = {}
    for registration in order.registrations.select_related("ticket_type", "promo_code").exclude(
        status=Registration.Status.RELEASED
    ):
        group = groups.setdefault(
            (registration.ticket_type_id, registration.price),
            {"registration": registration, "quantity": 0, "tax": Decimal(0)},
        )
        group["quantity"] += 1
        group["tax"] += registration.tax
    lines = []
    with translation.override(supported_language(order.language)):
        for group in groups.values():
            registration, quantity, tax = group["registration"], group["quantity"], group["tax"]
            listed = registration.price * quantity
            description = f"{order.event.title} – {registration.ticket_type.name}"
            if registration.promo_code_id:
                description += " " + _("(code %(code)s)") % {"code": registration.promo_code.code}
            net = listed - tax if order.tax_inclusive else listed
            lines.append(
                {
                    "description": description, "quantity": quantity, "unit_price": registration.price,
                    "net": net, "tax": tax, "total": net + tax,
                }
            )  # fmt: skip
    return issue(order, Invoice.Kind.INVOICE, lines, sum((line["tax"] for line in lines), Decimal(0)))


def refunded_tax(order, refunded):
    """The order's tax in `refunded` of its total, rounded (half up) as a price is (only an order
    that was paid for is invoiced: its total is never 0)."""
    step = Decimal(1).scaleb(-decimal_places(order.currency))
    return (order.tax_amount * refunded / order.total).quantize(step, rounding=ROUND_HALF_UP)


def issue_credit_note(refund):
    """The credit note of a refund that succeeded, issued once, if its order was invoiced (call
    with the order locked, as the refund is recorded)."""
    order = refund.order
    invoice = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
    if invoice is None or hasattr(refund, "credit_note"):
        return None
    # What earlier notes gave back; one a debit note cancelled gave nothing.
    notes = order.invoices.filter(kind=Invoice.Kind.CREDIT_NOTE, cancelled_by__isnull=True)
    before = -sum((note.total for note in notes), Decimal(0))
    tax = refunded_tax(order, before + refund.amount) - refunded_tax(order, before)
    with translation.override(supported_language(order.language)):
        description = _("Refund of invoice %(number)s") % {"number": invoice.display_number}
    line = {
        "description": description, "quantity": 1, "unit_price": -refund.amount,
        "net": -(refund.amount - tax), "tax": -tax, "total": -refund.amount,
    }  # fmt: skip
    return issue(order, Invoice.Kind.CREDIT_NOTE, [line], -tax, refund=refund)


def cancel_credit_note(refund):
    """A debit note cancelling the credit note of a refund that Stripe failed after it succeeded (the
    buyer was not paid back), issued once; None if the refund had none. An issued document is never
    withdrawn: the books balance by the debit note, and a new refund gets a credit note of its own."""
    note = Invoice.objects.filter(refund=refund).first()
    if note is None or Invoice.objects.filter(cancels=note).exists():
        return None
    order = refund.order
    with translation.override(supported_language(order.language)):
        description = _("Refund %(number)s failed: credit note %(credit_note)s is cancelled") % {
            "number": refund.number, "credit_note": note.display_number,
        }  # fmt: skip
    line = {"description": description, "quantity": 1, "unit_price": -note.total, "net": -note.net, "tax": -note.tax,
            "total": -note.total}  # fmt: skip
    return issue(order, Invoice.Kind.DEBIT_NOTE, [line], -note.tax, cancels=note)


def render_pdf(invoice):
    """The invoice, credit note or debit note as PDF bytes, in its buyer's language."""
    from weasyprint import HTML  # loaded on first use, as for certificates
    from weasyprint.urls import URLFetcher

    with translation.override(supported_language(invoice.language)):
        context = {
            "invoice": invoice, "order": invoice.order, "event": invoice.order.event,
            "seller_country": countries.name(invoice.seller.get("country", "")),
            "buyer_country": countries.name(invoice.buyer.get("country", "")),
        }  # fmt: skip
        html = render_to_string(TEMPLATE, context)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def pdf_name(invoice):
    kind = invoice.kind.replace("_", "-")
    return f"{kind}-{invoice.display_number}.pdf"
