"""The pages of following by email (subscriptions.py): the subscribe form below a listing
(`<listing>/subscribe/?<its filters>`), the confirmation link and the unsubscribe link.

Listing and event pages are cached publicly, so they carry only a plain link to the subscribe
page; the form with its CSRF token is here, on pages that are never cached (`private, no-cache`).
The confirmation and unsubscribe pages are reached by a token, never by an address, and show none;
they are kept by no cache at all (`private, no-store`).
The unsubscribe address also takes RFC 8058's one-click POST (`List-Unsubscribe=One-Click`) from
mail clients, which carries no CSRF token: the token in the address is what authorises it.
"""

from django import forms
from django.http import HttpResponseNotAllowed
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from . import subscriptions
from .listing import search_events
from .ratelimits import limit_posts

MAX_QUERY = 2000  # Subscription.query's length


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def private(response):
    """Never kept by a shared cache (nor shown from the browser's without asking)."""
    patch_cache_control(response, private=True, no_cache=True)
    return response


def page(request, template, context, status=200):
    return private(render(request, f"events/subscriptions/{template}.html", context, status=status))


def secret_page(request, template, context, status=200):
    """A page whose address holds a subscription's token: no cache (nor the browser's back-forward
    cache) keeps a copy, and no link on it tells another site the address (as registrations'
    secret pages; not `no-referrer`, with which browsers send `Origin: null` and CSRF refuses the form)."""
    response = render(request, f"events/subscriptions/{template}.html", context, status=status)
    patch_cache_control(response, private=True, no_store=True)
    response["Referrer-Policy"] = "same-origin"
    return response


@limit_posts("subscribe")
def subscribe(request, listing):
    """GET: what would be followed, and the form. POST: the same answer whether the address was
    subscribed before or not ("check your inbox")."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    search = search_events(request.GET, listing.events())
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    context = {
        "listing": listing,
        "search": search,
        "title": subscriptions.heading(search, listing),
        "conditions": subscriptions.conditions(search),
        "listing_url": listing.get_url(request) + (f"?{search.query_string}" if search.query_string else ""),
        "form": form,
    }
    if form.is_valid() and len(subscriptions.target_of(search)[2]) > MAX_QUERY:
        form.add_error(None, _("These filters are too many to save: remove some, then try again."))
    if form.is_valid():
        base_url = request.build_absolute_uri("/").rstrip("/")
        subscriptions.subscribe(form.cleaned_data["email"], listing, search, get_language(), base_url)
        return page(request, "sent", context)
    return page(request, "subscribe", context)


def subscription_context(subscription):
    search = subscriptions.search_of(subscription)
    return {
        "subscription": subscription,
        "title": subscriptions.heading(search, subscription.listing),
        "conditions": subscriptions.conditions(search),
        "listing_url": subscription.listing.url + (f"?{search.query_string}" if search.query_string else ""),
    }


def confirm(request, token):
    """GET: a button (a link opened by a mail scanner confirms nothing). POST: confirmed; the link
    then leads nowhere. An unknown, used or expired link: 404, with what to do."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    subscription = subscriptions.pending_confirmation(token)
    if subscription is None:
        return secret_page(request, "confirm_invalid", {}, status=404)
    context = subscription_context(subscription)
    if request.method == "POST":
        subscriptions.confirm(subscription)
        return secret_page(request, "confirmed", context)
    return secret_page(request, "confirm", context)


@csrf_exempt  # the token in the address authorises it; mail clients' one-click POST carries no CSRF token
def unsubscribe(request, token):
    """GET: a button. POST (the button, or a mail client's RFC 8058 one-click): unsubscribed."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    subscription = subscriptions.by_token(token)
    if subscription is None:
        return secret_page(request, "unsubscribe_invalid", {}, status=404)
    context = subscription_context(subscription)
    if request.method == "POST":
        subscriptions.unsubscribe(subscription)
        return secret_page(request, "unsubscribed", context)
    return secret_page(request, "unsubscribe", context)
