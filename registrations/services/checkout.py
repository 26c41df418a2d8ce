"""Placing an order: seats taken under the event lock, then (for paid tickets) a Stripe Checkout
Session whose expiry is the hold's deadline.

Unpaid holds take seats from everyone else for REGISTRATIONS_HOLD_MINUTES, so they are bounded,
written once here (`check_hold_limits`, under the event lock): for one event, at most
REGISTRATIONS_MAX_HELD_SEATS_PER_BUYER unpaid seats per buyer address and at most
REGISTRATIONS_MAX_HELD_SEATS_PER_CLIENT per client address (as events/ratelimits.py finds it) at
once. N posts from one client thus hold at most that many seats for the hold's minutes; more need
more client addresses, each also slowed by the rate limit on posts.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from events.money import minimum_charge, split
from events.templatetags.event_tags import price as shown_price

from .. import conf, stripe_gateway
from ..emails import send_email
from ..models import ConsentText, Order, Registration, WaitlistEntry, unused_door_codes
from . import codes, payouts
from .capacity import ensure_seats, lock_event, refresh_sold_out


class RegistrationClosed(Exception):
    """Why this ticket cannot be bought now (a sentence for the buyer)."""


class TooManyHeld(Exception):
    """The buyer or client already holds as many unpaid seats as allowed (a sentence for the buyer)."""


class PaymentUnavailable(Exception):
    """Stripe could not start the payment; the seats were released and the buyer may retry."""


@dataclass
class Attendee:
    name: str
    email: str
    profession: str = ""
    licence_number: str = ""
    answers: dict = field(default_factory=dict)  # by EventQuestion.key


def privacy_notice():
    return str(conf.get("REGISTRATIONS_PRIVACY_NOTICE"))


def consents(event, marketing, now=None):
    """What a buyer accepts by registering, as the order keeps it: the versions (ConsentText) of the
    event's terms and the privacy notice shown, when, and whether they want the organizer's news."""
    now = now or timezone.now()
    accepted = {"at": now.isoformat(), "marketing": bool(marketing)}
    for name, text in (("terms", event.terms), ("privacy_notice", privacy_notice())):
        if text:
            accepted[name] = ConsentText.kept(text).version
    return accepted


def check_on_sale(event, ticket_type, now):
    if not event.live:
        raise RegistrationClosed(_("This event is not published."))
    if event.status != event.Status.SCHEDULED:
        raise RegistrationClosed(
            _("This event is %(status)s: registration is closed.") % {"status": event.get_status_display().lower()}
        )
    if not event.registration_is_open(now):
        raise RegistrationClosed(_("Registration for this event is closed."))
    if not ticket_type.on_sale(now):
        raise RegistrationClosed(_("“%(ticket)s” tickets are not on sale now.") % {"ticket": ticket_type.name})


def client_key(client):
    """What an order keeps of the client's address: enough to count its holds, not the address."""
    return salted_hmac("registrations.client", client).hexdigest()[:32] if client else ""


def check_hold_limits(event, buyer_email, client, count):
    """Raise TooManyHeld if holding `count` more unpaid seats passes a limit. Call with the event locked."""
    held = Registration.objects.filter(event=event, status=Registration.Status.HELD)
    limits = [(held.filter(order__buyer_email__iexact=buyer_email), "REGISTRATIONS_MAX_HELD_SEATS_PER_BUYER")]
    if client:
        limits.append((held.filter(order__client_key=client_key(client)), "REGISTRATIONS_MAX_HELD_SEATS_PER_CLIENT"))
    for seats, setting in limits:
        limit = conf.get(setting)
        already = seats.count()
        if already + count > limit:
            raise TooManyHeld(
                _(
                    "At most %(limit)s seats of this event can wait for payment at once, and %(held)s already do. "
                    "Finish or leave the payment you started, or try again in %(minutes)s minutes."
                )
                % {"limit": limit, "held": already, "minutes": conf.get("REGISTRATIONS_HOLD_MINUTES")}
            )


def place_order(
    event,
    ticket_type_id,
    attendees,
    *,
    buyer_name,
    buyer_email,
    language="en",
    waitlist_entry=None,
    client="",
    code="",
    consents=None,
    billing=None,
):
    """Take the seats and create the order: confirmed at once when free, held while paying otherwise.

    `client`: the client's address, for the limit on unpaid holds. `code`: what the buyer typed in
    the code field (services/codes.py). `billing`: the buyer's details for the invoice
    (`Order.billing_*` without the prefix). Raises RegistrationClosed, TooManyHeld, codes.CodeRefused,
    payouts.NotPayable, or capacity.SoldOut when the seats are gone.
    """
    now = timezone.now()
    with transaction.atomic():
        event = lock_event(event.pk)
        ticket_type = event.ticket_types.filter(pk=ticket_type_id).first()
        promo_code = (
            codes.take(event, ticket_type, code, len(attendees), buyer_email, now) if code and ticket_type else None
        )
        if ticket_type is None or (ticket_type.code_only and promo_code is None):
            raise RegistrationClosed(_("That ticket type does not belong to this event."))
        check_on_sale(event, ticket_type, now)
        if waitlist_entry is not None:
            waitlist_entry = WaitlistEntry.objects.select_for_update().get(pk=waitlist_entry.pk)
            if (
                waitlist_entry.status != WaitlistEntry.Status.OFFERED
                or waitlist_entry.offer_expires_at <= now
                or waitlist_entry.event_id != event.pk
            ):
                raise RegistrationClosed(_("This waitlist offer has lapsed."))
            ensure_seats(event, ticket_type, len(attendees), exclude_offer=waitlist_entry)
            waitlist_entry.transition(WaitlistEntry.Status.CLAIMED)
            waitlist_entry.save(update_fields=["status"])
        else:
            ensure_seats(event, ticket_type, len(attendees))
        list_price = ticket_type.price_for(len(attendees))  # the group price, for a group
        unit_price = codes.price_with(promo_code, list_price, event.currency)
        tax = event.tax_on(ticket_type) if unit_price else None
        listed = unit_price * len(attendees)  # Stripe's line: the unit price times the quantity
        tax_amount = tax.on(listed, event.currency) if tax else 0
        total = tax.gross(listed, event.currency) if tax else listed
        if 0 < total < minimum_charge(event.currency):
            raise codes.CodeRefused(
                _("With this code the total is %(total)s, less than the smallest payment we can take (%(minimum)s).")
                % {
                    "total": shown_price(total, event.currency),
                    "minimum": shown_price(minimum_charge(event.currency), event.currency),
                }
            )
        free = total == 0
        destination, platform_fee, fee_refundable = ("", 0, False) if free else payouts.destination(event, total)
        if not free:
            check_hold_limits(event, buyer_email, client, len(attendees))
        hold_deadline = None if free else now + dt.timedelta(minutes=conf.get("REGISTRATIONS_HOLD_MINUTES"))
        order = Order.objects.create(
            event=event, buyer_name=buyer_name, buyer_email=buyer_email, total=total, currency=event.currency, language=language,
            status=Order.Status.PAID if free else Order.Status.PENDING, hold_deadline=hold_deadline, paid_at=now if free else None,
            client_key=client_key(client), consents=consents or {}, destination_account=destination,
            platform_fee=platform_fee, platform_fee_refundable=fee_refundable, tax_amount=tax_amount,
            **({"tax_name": tax.name, "tax_rate": tax.rate, "tax_inclusive": tax.inclusive,
                "tax_automatic": tax.automatic} if tax else {}),
            **{f"billing_{name}": value for name, value in (billing or {}).items()},
        )  # fmt: skip
        seat_taxes = split(tax_amount, len(attendees), event.currency)
        status = Registration.Status.CONFIRMED if free else Registration.Status.HELD
        door_codes = unused_door_codes(event, len(attendees))
        registrations = Registration.objects.bulk_create(
            Registration(
                order=order,
                event=event,
                ticket_type=ticket_type,
                price=unit_price,
                discount=list_price - unit_price,
                tax=seat_tax,
                promo_code=promo_code,
                status=status,
                confirmed_at=now if free else None,
                name=a.name,
                email=a.email,
                profession=a.profession,
                licence_number=a.licence_number,
                answers=a.answers,
                door_code=door_code,
            )  # fmt: skip
            for a, door_code, seat_tax in zip(attendees, door_codes, seat_taxes, strict=True)
        )
        order.log(
            "placed", seats=len(attendees), ticket_type=ticket_type.pk, total=str(total),
            **({"code": promo_code.code} if promo_code else {}),
        )  # fmt: skip
        refresh_sold_out(event)
        if free:
            order.log("confirmed", free=True)
            for registration in registrations:
                send_email("confirmation", registration=registration)
    return order


def start_payment(order, success_url, cancel_url):
    """The Stripe Checkout page's address for a pending order.

    If Stripe fails or times out the order is cancelled and its seats released: the buyer never
    saw a payment page, so no money can arrive for it (and if it somehow did, fulfilment refunds).
    """
    registrations = list(order.registrations.select_related("ticket_type"))
    try:
        session = stripe_gateway.create_checkout_session(order, registrations, success_url, cancel_url)
    except stripe_gateway.StripeError as error:
        from .fulfilment import release_order

        release_order(order.pk, Order.Status.CANCELLED, reason=f"payment could not start: {type(error).__name__}")
        raise PaymentUnavailable from error
    Order.objects.filter(pk=order.pk).update(stripe_checkout_session_id=session.id)
    order.stripe_checkout_session_id = session.id
    order.log("checkout_started", session=session.id)
    return session.url
