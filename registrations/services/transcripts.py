"""A clinician's CE transcript: every event they attended (with a certificate), the hours attended
and the CE credit, with totals per year, per accrediting body and per profession and licence; as a
page of "My events", CSV and PDF for a licensing board. Each line names its certificate's
verification address, where anyone checks it (the code is issued on first use, as the certificate's
own download does).

The hours follow the certificate's rule (services/credit.py: the event's attendance rules, capped at
its CE hours); the CE credit is those hours when the event offers CE credit, else 0.
"""

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Registration
from . import certificates, credit
from .exports import escape_formula
from .sign_in import registrations_of


@dataclass(frozen=True)
class Line:
    name: str  # as on the ticket
    date: dt.date  # the event's last day, in its own zone
    event: str
    organizer: str
    accreditor: str
    profession: str
    licence_number: str
    hours: Decimal
    ce_credit: Decimal
    verification_url: str


def lines(email, now=None):
    """The transcript's lines of `email`, oldest first: its confirmed seats in events that are
    over and that it was checked in to, whose certificate is available (certificates.eligible)."""
    now = now or timezone.now()
    registrations = registrations_of(email).filter(
        status=Registration.Status.CONFIRMED, event__end__lt=now, attended=True
    )
    result = []
    for registration in registrations:
        event = registration.event
        attended = bool(credit.credited(registration.active_check_ins, event))
        if not certificates.eligible(registration, now, attended=attended):  # a minimum share, an evaluation
            continue
        hours = credit.total_hours(registration.active_check_ins, event)
        code = certificates.issue(registration)
        result.append(
            Line(
                name=registration.name,
                date=timezone.localtime(event.end, event.zone).date(),
                event=event.title,
                organizer=event.organizer.name if event.organizer_id else "",
                accreditor=event.ce_accreditor,
                profession=registration.profession,
                licence_number=registration.licence_number,
                hours=hours,
                ce_credit=hours if event.ce_hours else Decimal("0.00"),
                verification_url=certificates.verification_url(event, code),
            )
        )
    return sorted(result, key=lambda line: (line.date, line.event))


def totals(transcript, key):
    """[(label, hours, CE credit)] of `transcript`'s lines grouped by `key` ("year", "accreditor"
    or "licence"), in order of the label."""
    label = {
        "year": lambda line: str(line.date.year),
        "accreditor": lambda line: line.accreditor or _("No accrediting body"),
        "licence": lambda line: " · ".join(p for p in (line.profession, line.licence_number) if p) or _("Not given"),
    }[key]
    sums = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in transcript:
        sums[label(line)][0] += line.hours
        sums[label(line)][1] += line.ce_credit
    return [(name, hours, credit) for name, (hours, credit) in sorted(sums.items())]


def in_year(transcript, year):
    """The lines of `year` (all of them when it is None)."""
    return [line for line in transcript if year is None or line.date.year == year]


def summary(transcript):
    """What the page and the PDF show above the lines: totals, and the names the seats were in."""
    return {
        "lines": transcript,
        "hours": sum((line.hours for line in transcript), start=Decimal(0)),
        "ce_credit": sum((line.ce_credit for line in transcript), start=Decimal(0)),
        "by_year": totals(transcript, "year"),
        "by_accreditor": totals(transcript, "accreditor"),
        "by_licence": totals(transcript, "licence"),
        "names": sorted({line.name for line in transcript}),
    }


def as_csv(transcript):
    """The lines as CSV (UTF-8 with a BOM, so that spreadsheets read accents), one per event."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Date"), _("Event"), _("Organizer"), _("Accrediting body"), _("Profession"), _("Licence number"),
            _("Hours attended"), _("CE credit hours"), _("Verification"),
        ]
    )  # fmt: skip
    for line in transcript:
        writer.writerow(
            [
                line.date.isoformat(), *map(escape_formula, (line.event, line.organizer, line.accreditor)),
                *map(escape_formula, (line.profession, line.licence_number)),
                f"{line.hours:f}", f"{line.ce_credit:f}", line.verification_url,
            ]
        )  # fmt: skip
    return out.getvalue()


def as_pdf(context):
    """The transcript page's `context` as PDF bytes (WeasyPrint, nothing fetched from anywhere)."""
    from weasyprint import HTML  # loaded on first use, as for certificates
    from weasyprint.urls import URLFetcher

    html = render_to_string("registrations/my_events/transcript_pdf.html", context)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
