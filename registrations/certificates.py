"""Certificates of attendance on the public site: the attendee's download from their ticket, and
the verification page anyone may open. Thin callers of services/certificates.py.

The download is reached through the ticket's unguessable secret: an unknown secret is a plain 404;
a known ticket without a certificate (yet) gets a page saying why and when (403).
"""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .converters import secret_page
from .models import Registration
from .services import certificates, evaluations


@never_cache
@require_GET
@secret_page
def download(request, secret):
    registration = get_object_or_404(
        Registration.objects.select_related("event", "event__venue", "event__organizer", "order"),
        ticket_secret=secret,
    )
    if not certificates.eligible(registration):
        context = {
            "registration": registration,
            "event": registration.event,
            "reason": certificates.unavailable_message(registration),
            "evaluation_due": evaluations.due(registration),
        }
        return render(request, "registrations/certificates/unavailable.html", context, status=403)
    pdf = certificates.render_pdf(registration)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"certificate-{registration.event.slug}.pdf"
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def verify(request, code):
    registration = certificates.find(code)
    if registration is None:
        raise Http404(_("No certificate has this code."))
    details = certificates.details(registration)
    details["confirmed"] = registration.status == Registration.Status.CONFIRMED
    details["valid"] = certificates.eligible(registration)  # a correction may leave no attendance
    response = render(request, "registrations/certificates/verify.html", details)
    response["X-Robots-Tag"] = "noindex"
    return response
