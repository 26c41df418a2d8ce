""" "My events": everything registered with one email address, signed in to by a link emailed to it
(services/sign_in.py, which says why it is safe).

    /my-events/                      the record: upcoming and past events, tickets, certificates, orders
    /my-events/sign-in/              the form that emails a link (and the upcoming tickets)
    /my-events/sign-in/<token>/      the link: a button that signs in (a GET uses nothing up)
    /my-events/sign-out/             POST
    /my-events/transcript/           the CE transcript (and transcript.csv, transcript.pdf)
    /my-events/my-data.json          everything held about the address
    /my-events/erase/                erasing it (what the law requires stays)

Every page here is personal or holds a secret: no cache keeps it (`private, no-store`), and no
link on it tells another site its address."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from events.inputs import parse_int
from events.ratelimits import limit_posts

from . import conf
from .converters import secret_page
from .services import erasure, personal_data, sign_in, transcripts


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Your email address"),
        help_text=gettext_lazy("The one you registered with."),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@secret_page
@limit_posts("sign_in")
def sign_in_request(request):
    """GET: the form. POST: "check your inbox", whatever the address (services/sign_in.py)."""
    form = SignInForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        email = form.cleaned_data["email"]
        sign_in.request_link(email, get_language(), request.build_absolute_uri("/").rstrip("/"))
        context = {"email": email, "minutes": conf.get("REGISTRATIONS_SIGN_IN_LINK_MINUTES")}
        return render(request, "registrations/my_events/sign_in_sent.html", context)
    return render(request, "registrations/my_events/sign_in.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@secret_page
def sign_in_link(request, token):
    """GET: a button. POST: signed in, the link used up; then the record. An unknown, used or
    expired link: 404, with a way to ask for a new one."""
    if request.method == "POST":
        email = sign_in.use(token)
        if email is not None:
            sign_in.sign_in(request, email)
            return redirect("registrations:my_events")
    elif (link := sign_in.pending(token)) is not None:
        return render(request, "registrations/my_events/sign_in_link.html", {"email": link.email})
    return render(request, "registrations/my_events/sign_in_invalid.html", status=404)


def signed_in(view):
    """A page of the signed-in address, given to the view after the request; without one, the
    sign-in form."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        email = sign_in.signed_in_email(request)
        if email is None:
            return redirect("registrations:sign_in")
        return view(request, email, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "HEAD"])
@secret_page
@signed_in
def my_events(request, email):
    upcoming, past = sign_in.record(email)
    context = {
        "email": email,
        "upcoming": upcoming,
        "past": past,
        "evaluations_due": [registration for registration in past if registration.evaluation_due],
        "orders": list(sign_in.orders_of(email)),
    }
    return render(request, "registrations/my_events/my_events.html", context)


@require_POST
@secret_page
def sign_out(request):
    sign_in.sign_out(request)
    messages.success(request, _("You are signed out."))
    return redirect("registrations:sign_in")


TRANSCRIPT_FORMATS = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


@require_http_methods(["GET", "HEAD"])
@secret_page
@signed_in
def transcript(request, email, file=None):
    """The CE transcript (services/transcripts.py): the page, or as `file` ("csv" or "pdf");
    `?year=` keeps one year's lines."""
    raw, year, error = request.GET.get("year", ""), None, None
    if raw:
        year = parse_int(raw, minimum=1900, maximum=2200)
        if year is None:
            error = _("Give the year as four digits, such as 2026.")
            if file is not None:
                return HttpResponseBadRequest(error, content_type="text/plain; charset=utf-8")
    every_line = transcripts.lines(email)
    shown = transcripts.in_year(every_line, year)
    context = {
        **transcripts.summary(shown),
        "email": email,
        "year": year,
        "error": error,
        "years": sorted({line.date.year for line in every_line}, reverse=True),
        "made_on": timezone.localdate(),
        "language": get_language(),
        "query": f"?year={year}" if year else "",
    }
    if file is None:
        return render(request, "registrations/my_events/transcript.html", context)
    body = transcripts.as_csv(shown) if file == "csv" else transcripts.as_pdf(context)
    response = HttpResponse(body, content_type=TRANSCRIPT_FORMATS[file])
    name = f"ce-transcript-{year}.{file}" if year else f"ce-transcript.{file}"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


@require_http_methods(["GET", "HEAD"])
@secret_page
@signed_in
def my_data(request, email):
    """Everything held about the signed-in address, as JSON (services/personal_data.py)."""
    response = HttpResponse(personal_data.as_json(email), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename="my-data.json")
    return response


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand: my data is erased for good, and my ticket links stop working."),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@secret_page
@signed_in
def erase(request, email):
    """GET: what erasure does, and a box to tick. POST: erased (services/erasure.py), signed out."""
    form = EraseForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        erasure.erase(email)
        sign_in.sign_out(request)
        return render(request, "registrations/my_events/erased.html")
    return render(request, "registrations/my_events/erase.html", {"form": form, "email": email})
