"""Codes on the register form: which tickets they open, what they take off, and how often they may
be used.

Uses obey the locking rule of seats (services/capacity.py): `take` runs inside place_order's
transaction, after the event is locked, and locks the code's own row too (a code for every event of
an organizer is shared by events that do not lock each other), then counts the uses from the seats
themselves and only then lets the order be written. N buyers racing for a code with N uses left:
each recount sees the seats the winners before it wrote.

Nothing here tells a guesser more than a buyer needs: a code that does not exist, belongs to
another organizer or event, or has not started yet all get the same sentence; only a real code
of this event says it expired, is used up, or does not fit the ticket chosen. Failed attempts are
limited per client (`CODE_ATTEMPTS`, see `attempts_left`), valid codes or not.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from events.money import decimal_places

from .. import conf
from ..models import PromoCode, Registration, normalize_code


class CodeRefused(Exception):
    """Why this code cannot be used here (a sentence for the buyer)."""


def lookup(event, text):
    """The code `text` of `event`'s organizer, for this event or all of its events; None if none."""
    text = normalize_code(text or "")
    if not text or event.organizer_id is None:
        return None
    return (
        PromoCode.objects.filter(organizer_id=event.organizer_id, code=text)
        .filter(Q(event=None) | Q(event=event))
        .first()
    )


def not_valid(text):
    return CodeRefused(_("“%(code)s” is not a valid code for this event.") % {"code": normalize_code(text)[:40]})


def usable(code, text, now):
    """The code if it may be used at `now`, else CodeRefused."""
    if code is None or (code.valid_from is not None and now < code.valid_from):
        raise not_valid(text)
    if code.valid_until is not None and now >= code.valid_until:
        raise CodeRefused(
            _("The code “%(code)s” expired on %(date)s.")
            % {"code": code.code, "date": formats.date_format(timezone.localtime(code.valid_until), "DATE_FORMAT")}
        )
    return code


def opens(code, ticket_type):
    """Whether `code` applies to `ticket_type`: one it names, or (naming none) any on public sale."""
    chosen = {ticket.pk for ticket in code.ticket_types.all()}
    return ticket_type.pk in chosen if chosen else not ticket_type.code_only


def find(event, text, now=None):
    """The usable code `text` for `event`, or CodeRefused (for showing the form; `take` decides)."""
    return usable(lookup(event, text), text, now or timezone.now())


def price_with(code, price, currency):
    """The price of one ticket with `code` (None: no code), never below zero, in the currency's decimals."""
    if code is None:
        return price
    if code.kind == PromoCode.Kind.PERCENT:
        off = (price * code.value / 100).quantize(Decimal(1).scaleb(-decimal_places(currency)), rounding=ROUND_HALF_UP)
    else:
        off = code.value
    return max(Decimal(0), price - off)


def take(event, ticket_type, text, count, buyer_email, now):
    """The code for `count` tickets of `ticket_type` bought by `buyer_email`, its row locked; or
    CodeRefused. Call inside place_order's transaction, with the event locked."""
    code = lookup(event, text)
    if code is not None:
        code = PromoCode.objects.select_for_update(of=("self",)).get(pk=code.pk)  # pragma: no mutate
    usable(code, text, now)
    if not opens(code, ticket_type):
        raise CodeRefused(
            _("The code “%(code)s” does not apply to “%(ticket)s” tickets.")
            % {"code": code.code, "ticket": ticket_type.name}
        )
    uses = Registration.objects.taking_seats().filter(promo_code=code)
    for limit, used, sentence in (
        (code.max_uses, uses, _("The code “%(code)s” can be used for %(left)s more tickets.")),
        (
            code.max_uses_per_buyer,
            uses.filter(order__buyer_email__iexact=buyer_email),
            _("The code “%(code)s” can be used for %(left)s more tickets by you."),
        ),
    ):
        if limit is not None:
            left = max(0, limit - used.count())
            if left == 0:
                raise CodeRefused(_("The code “%(code)s” has been used as often as it can be.") % {"code": code.code})
            if left < count:
                raise CodeRefused(sentence % {"code": code.code, "left": left})
    return code


def attempts_key(client):
    return "registrations:code-attempts:" + salted_hmac("registrations.codes", client or "").hexdigest()[:32]


def attempts_left(client):
    """How many more wrong codes this client may try (CODE_ATTEMPTS per hour). At zero every code
    is refused, valid or not, so codes cannot be guessed by trying them all."""
    return conf.get("REGISTRATIONS_CODE_ATTEMPTS") - cache.get(attempts_key(client), 0)


def count_failure(client):
    key = attempts_key(client)
    cache.add(key, 0, timeout=3600)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=3600)


def too_many_attempts():
    return CodeRefused(_("Too many codes were tried from here. Please try again in an hour."))
