"""Who comes: orders, the seats in them, refunds, the waitlist, and the Stripe events we saw.

State machines are written here once (`TRANSITIONS`); `transition()` refuses anything else.
Business operations live in `services/`; see services/capacity.py for the locking rule.
"""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from events import money
from events.models import EventPage, Organizer, TicketType


def new_secret():
    """256 bits from the OS's random source, URL-safe: unguessable, never derived from an id."""
    return secrets.token_urlsafe(32)


# Where erased people's addresses point (services/erasure.py): RFC 2606's, never a real address.
ERASED_DOMAIN = "erased.invalid"


def is_erased(email):
    return email.lower().endswith("@" + ERASED_DOMAIN)


# Crockford's base32: no I, L, O or U, so nothing read aloud or typed at the door is ambiguous.
DOOR_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DOOR_CODE_LENGTH = 8


def new_door_code():
    """The ticket's short code for typing at the door: 8 random characters (40 bits), unique within
    the event. It only checks a person in (staff, signed in, rate limited); the ticket's page and
    everything else still need the long secret."""
    return "".join(secrets.choice(DOOR_CODE_ALPHABET) for _ in range(DOOR_CODE_LENGTH))


def unused_door_codes(event, count):
    """`count` new door codes no ticket of `event` has (call it under the event's lock, as
    placing an order does, so two orders cannot draw the same one)."""
    codes = set()
    while len(codes) < count:
        drawn = {new_door_code() for _ in range(count - len(codes))} - codes
        taken = set(Registration.objects.filter(event=event, door_code__in=drawn).values_list("door_code", flat=True))
        codes |= drawn - taken
    return list(codes)


class IllegalTransition(Exception):
    pass


class StateMachine(models.Model):
    TRANSITIONS: dict = {}

    class Meta:
        abstract = True

    def transition(self, new_status):
        if new_status not in self.TRANSITIONS.get(self.status, ()):
            raise IllegalTransition(f"{type(self).__name__} {self.pk}: {self.status} -> {new_status} is not allowed")
        self.status = new_status


class OrderQuerySet(models.QuerySet):
    def overdue(self, now=None):
        return self.filter(status=Order.Status.PENDING, hold_deadline__lt=now or timezone.now())


class Order(StateMachine):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {
        Status.PENDING: {Status.PAID, Status.EXPIRED, Status.CANCELLED},
        Status.PAID: {Status.CANCELLED},
        # Money that arrives after the hold was released: the seats are taken again if any are left.
        Status.EXPIRED: {Status.PAID},
    }

    event = models.ForeignKey(EventPage, verbose_name=_("event"), on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    buyer_name = models.CharField(_("buyer"), max_length=200)
    buyer_email = models.EmailField(_("buyer's email"))
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    language = models.CharField(max_length=10, default="en")
    token = models.CharField(max_length=64, unique=True, default=new_secret, editable=False)
    # A keyed hash of the client's address (never the address): limits its unpaid holds (checkout.py).
    client_key = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    destination_account = models.CharField(
        max_length=255, blank=True, editable=False,
        help_text="The organizer's connected Stripe account the money went to (Connect), or blank.",
    )  # fmt: skip
    platform_fee = models.DecimalField(
        _("platform fee"), max_digits=10, decimal_places=2, default=0, editable=False,
        help_text="What the platform kept of the payment (Connect's application fee).",
    )  # fmt: skip
    platform_fee_refundable = models.BooleanField(
        default=False, editable=False, help_text="Refunds give back the platform fee's share (the rule when paid)."
    )
    tax_name = models.CharField(_("tax"), max_length=30, blank=True, editable=False)
    tax_rate = models.DecimalField(
        _("tax rate (percent)"), max_digits=7, decimal_places=4, null=True, blank=True, editable=False
    )
    tax_inclusive = models.BooleanField(default=True, editable=False, help_text="The prices included the tax.")
    tax_amount = models.DecimalField(_("tax"), max_digits=10, decimal_places=2, default=0, editable=False)
    tax_automatic = models.BooleanField(
        default=False, editable=False, help_text="Stripe Tax works the tax out at payment (services/fulfilment.py)."
    )
    billing_organization = models.CharField(_("organization"), max_length=200, blank=True)
    billing_address = models.TextField(_("billing address"), max_length=500, blank=True)
    billing_country = CountryField(_("country"), blank=True)
    billing_tax_id = models.CharField(_("tax id"), max_length=50, blank=True)
    consents = models.JSONField(
        default=dict, blank=True, editable=False,
        help_text="What the buyer accepted, when: terms and privacy notice (their ConsentText versions), marketing.",
    )  # fmt: skip
    checkout_attempt = models.PositiveSmallIntegerField(default=0)
    stripe_checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    hold_deadline = models.DateTimeField(_("hold until"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        # "My events" finds a person's orders by their address, in any case (services/sign_in.py).
        indexes = [models.Index(Lower("buyer_email"), name="order_buyer_email_lower")]

    def __str__(self):
        return f"#{self.pk} {self.buyer_name} ({self.get_status_display()})"

    @property
    def is_free(self):
        return self.total == 0

    def get_status_display(self):
        """A free order took no payment: it reads "Free", not "Paid" (listings, the order page,
        exports)."""
        if self.status == self.Status.PAID and self.is_free:
            return _("Free")
        return self._get_FIELD_display(self._meta.get_field("status"))

    @property
    def net_amount(self):
        """The total without its tax."""
        return self.total - self.tax_amount

    @property
    def tax(self):
        """The order's tax as `money.Tax`, or None when it had none."""
        return money.Tax(self.tax_name, self.tax_rate, self.tax_inclusive) if self.tax_rate else None

    @property
    def reverses_refunds_apart(self):
        """Connect, and the platform keeps its fee: the organizer's account gives each refund back
        whole, by a transfer reversal of its own (services/refunds.py). Stripe's `reverse_transfer`
        would take back only the organizer's share, the platform's balance paying the fee's."""
        return bool(self.destination_account) and self.platform_fee > 0 and not self.platform_fee_refundable

    def refunded_amount(self):
        return sum((r.amount for r in self.refunds.all() if r.status == Refund.Status.SUCCEEDED), start=0)

    def unrefunded_amount(self):
        """What was paid less every refund that succeeded or is still under way."""
        return self.total - sum((r.amount for r in self.refunds.all() if r.status != Refund.Status.FAILED), start=0)

    def refundable_amount(self):
        if self.status not in (Order.Status.PAID, Order.Status.CANCELLED) or self.is_free:
            return 0
        return self.unrefunded_amount()

    def log(self, action, user=None, **detail):
        OrderLogEntry.objects.create(order=self, action=action, user=user, detail=detail)


def normalize_code(text):
    """How a code is stored and looked up: no spaces, upper case ("early bird" is EARLYBIRD)."""
    return "".join(str(text).split()).upper()


class PromoCode(models.Model):
    """A code a buyer types on the register form: a discount, or access to tickets sold only with a
    code (member, staff, partner prices), for one event or every event of its organizer.

    Each ticket bought with it is one use. Uses are counted from the seats themselves (held or
    confirmed, like capacity: a released or cancelled seat gives its use back), under the event's
    lock and the code's own row lock (services/codes.py), so a limit of N is never passed.
    """

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percent off")
        AMOUNT = "amount", _("Amount off")

    organizer = models.ForeignKey(
        Organizer, verbose_name=_("organizer"), on_delete=models.CASCADE, related_name="codes"
    )
    event = models.ForeignKey(
        EventPage, verbose_name=_("event"), null=True, blank=True, on_delete=models.CASCADE, related_name="codes",
        help_text=_("Blank: valid for every event of the organizer."),
    )  # fmt: skip
    code = models.CharField(
        _("code"), max_length=40,
        validators=[RegexValidator(r"^[A-Z0-9_-]+$", _("Use only letters, digits, - and _."))],
        help_text=_("What buyers type; case and spaces do not matter."),
    )  # fmt: skip
    kind = models.CharField(_("discount"), max_length=10, choices=Kind.choices, default=Kind.PERCENT)
    value = models.DecimalField(
        _("value"), max_digits=10, decimal_places=2, default=0, validators=[MinValueValidator(0)],
        help_text=_("Percent, or an amount in the event's currency. 0: no discount, only unlocks the tickets chosen below."),
    )  # fmt: skip
    ticket_types = models.ManyToManyField(
        TicketType, verbose_name=_("ticket types"), blank=True, related_name="codes",
        help_text=_("Blank: every ticket type on public sale. Tickets sold only with a code must be chosen here."),
    )  # fmt: skip
    max_uses = models.PositiveIntegerField(
        _("uses in all"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Tickets; blank: no limit."),
    )
    max_uses_per_buyer = models.PositiveIntegerField(
        _("uses per buyer"), null=True, blank=True, validators=[MinValueValidator(1)], help_text=_("Blank: no limit.")
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True, help_text=_("For the team: who it is for."))
    batch = models.CharField(
        _("batch"), max_length=100, blank=True, db_index=True, editable=False,
        help_text=_("Codes generated together (for one institution), exported together."),
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        constraints = [
            models.UniqueConstraint(fields=["organizer", "code"], name="one_code_per_organizer"),
            models.CheckConstraint(
                condition=~models.Q(kind="percent") | models.Q(value__lte=100), name="percent_at_most_100"
            ),
        ]

    def __str__(self):
        return self.code

    def save(self, *args, **kwargs):
        self.code = normalize_code(self.code)
        super().save(*args, **kwargs)


class PayoutAccount(models.Model):
    """An organizer's own Stripe account (Connect), where the money of their events goes, less the
    platform's fee (services/payouts.py). Its state is Stripe's, refreshed on return from Stripe's
    onboarding and on each `account.updated` webhook."""

    organizer = models.OneToOneField(Organizer, on_delete=models.CASCADE, related_name="payout_account")
    stripe_account_id = models.CharField(max_length=255, unique=True)
    charges_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    fee_percent = models.DecimalField(
        _("platform fee (percent)"), max_digits=5, decimal_places=2, default=0,
        validators=[MinValueValidator(0)],
    )  # fmt: skip
    fee_fixed = models.DecimalField(
        _("platform fee (fixed, per order)"), max_digits=10, decimal_places=2, default=0,
        validators=[MinValueValidator(0)], help_text=_("In the event's currency."),
    )  # fmt: skip
    refund_fee = models.BooleanField(
        _("give the platform fee back with refunds"), default=False,
        help_text=_(
            "Ticked: the fee is given back in proportion to what is refunded, as Stripe does. Unticked: the "
            "platform keeps it, and the organizer gives each refund back whole (up to what it was paid)."
        ),
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payout account")

    def __str__(self):
        return f"{self.organizer}: {self.stripe_account_id}"

    @property
    def can_take_payments(self):
        return self.charges_enabled


class ConsentText(models.Model):
    """A text someone accepted (an event's terms, the privacy notice), kept once for every order
    that accepted it: `Order.consents` names it by its version, the SHA-256 of the text."""

    version = models.CharField(max_length=64, unique=True)
    text = models.TextField()
    first_accepted_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.version[:12]

    @classmethod
    def kept(cls, text):
        version = hashlib.sha256(text.encode()).hexdigest()
        return cls.objects.get_or_create(version=version, defaults={"text": text})[0]


class RegistrationQuerySet(models.QuerySet):
    def taking_seats(self):
        """Seats that count against capacity: held while paying, or confirmed."""
        return self.filter(status__in=(Registration.Status.HELD, Registration.Status.CONFIRMED))

    def confirmed(self):
        return self.filter(status=Registration.Status.CONFIRMED)


class Registration(StateMachine):
    class Status(models.TextChoices):
        HELD = "held", _("Held (awaiting payment)")
        CONFIRMED = "confirmed", _("Confirmed")
        RELEASED = "released", _("Released (not paid)")
        CANCELLED = "cancelled", _("Cancelled")
        HANDED_ON = "handed_on", _("Handed on")

    TRANSITIONS = {
        Status.HELD: {Status.CONFIRMED, Status.RELEASED},
        Status.CONFIRMED: {Status.CANCELLED, Status.HANDED_ON},
        Status.RELEASED: {Status.CONFIRMED},  # paid late, and a seat was still free
    }

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="registrations")
    event = models.ForeignKey(
        EventPage, verbose_name=_("event"), on_delete=models.PROTECT, related_name="registrations"
    )
    ticket_type = models.ForeignKey(
        TicketType, verbose_name=_("ticket type"), on_delete=models.PROTECT, related_name="registrations"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.HELD, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    profession = models.CharField(_("profession"), max_length=200, blank=True)
    licence_number = models.CharField(_("licence number"), max_length=100, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    price = models.DecimalField(_("price paid"), max_digits=10, decimal_places=2)
    discount = models.DecimalField(_("discount"), max_digits=10, decimal_places=2, default=0)
    tax = models.DecimalField(
        _("tax"), max_digits=10, decimal_places=2, default=0,
        help_text="The seat's share of the order's tax (included in the price, or added to it).",
    )  # fmt: skip
    promo_code = models.ForeignKey(
        PromoCode, verbose_name=_("code"), null=True, blank=True, on_delete=models.PROTECT, related_name="registrations"
    )
    ticket_secret = models.CharField(max_length=64, unique=True, default=new_secret, editable=False)
    door_code = models.CharField(_("door code"), max_length=DOOR_CODE_LENGTH, default=new_door_code, editable=False)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="Stable calendar invite UID.")
    invite_sequence = models.PositiveIntegerField(default=0)
    invite_fingerprint = models.CharField(max_length=64, blank=True, help_text="What the last invite said.")
    invite_facts = models.JSONField(default=dict, blank=True, help_text="What the last invite said, in full.")
    certificate_code = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    evaluated_at = models.DateTimeField(
        _("evaluation submitted"), null=True, blank=True, editable=False,
        help_text="When its attendee submitted the event's evaluation (the answers: EvaluationResponse).",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    handed_on_to = models.OneToOneField(
        "self", null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="handed_on_from",
        help_text="The seat this one became when its attendee handed it on (services/transfers.py).",
    )  # fmt: skip

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        indexes = [
            models.Index(fields=["event", "status"]),
            models.Index(fields=["ticket_type", "status"]),
            models.Index(Lower("email"), name="registration_email_lower"),  # "My events" (services/sign_in.py)
        ]
        constraints = [models.UniqueConstraint(fields=["event", "door_code"], name="one_door_code_per_event")]

    def __str__(self):
        return f"{self.name} – {self.event.title}"

    @property
    def charged(self):
        """What this seat cost the buyer: its price, with the tax if the tax was added to it."""
        return self.price if self.order.tax_inclusive else self.price + self.tax

    @property
    def door_code_display(self):
        """The door code as printed: two groups of four (ABCD-1234), easier to read out."""
        half = DOOR_CODE_LENGTH // 2
        return f"{self.door_code[:half]}-{self.door_code[half:]}"


class Refund(StateMachine):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    TRANSITIONS = {
        Status.PENDING: {Status.SUCCEEDED, Status.FAILED},
        Status.FAILED: {Status.PENDING, Status.SUCCEEDED},  # retried
        Status.SUCCEEDED: {Status.FAILED},  # Stripe may still fail a refund later
    }

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    number = models.PositiveSmallIntegerField(help_text="n in the idempotency key refund-<order>-<n>.")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    error = models.TextField(blank=True)
    taken_back = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True,
        help_text="What the organizer's account gave back for it by a transfer reversal (Connect, when the "
        "platform keeps its fee: Order.reverses_refunds_apart); blank until then.",
    )  # fmt: skip
    transfer_reversal_id = models.CharField(max_length=255, blank=True)
    reversal_attempts = models.PositiveSmallIntegerField(default=0)
    returned_transfer_id = models.CharField(
        max_length=255, blank=True,
        help_text="The transfer that gave the organizer back what it gave for this refund, when Stripe "
        "failed the refund after it succeeded (the money stayed with the platform).",
    )  # fmt: skip
    return_attempts = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(
        default=0,
        help_text="Failed calls to Stripe so far; a retry's idempotency key is refund-<order>-<n>-<attempts>.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["order", "number"], name="one_refund_number_per_order")]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self):
        return f"Refund {self.number} of order #{self.order_id}: {self.amount} ({self.status})"


class WaitlistEntry(StateMachine):
    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Not confirmed yet")
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered a seat")
        CLAIMED = "claimed", _("Claimed")
        LAPSED = "lapsed", _("Offer lapsed")
        LEFT = "left", _("Left the waitlist")

    # The double opt-in (services/waitlist.py): only confirmed entries wait for an offer.
    TRANSITIONS = {
        Status.UNCONFIRMED: {Status.WAITING, Status.LEFT},
        Status.WAITING: {Status.OFFERED, Status.LEFT},
        Status.OFFERED: {Status.CLAIMED, Status.LAPSED, Status.LEFT},
    }
    IN_LINE = (Status.UNCONFIRMED, Status.WAITING, Status.OFFERED)

    event = models.ForeignKey(EventPage, on_delete=models.CASCADE, related_name="waitlist")
    ticket_type = models.ForeignKey(TicketType, on_delete=models.CASCADE, related_name="waitlist")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNCONFIRMED, db_index=True)
    token = models.CharField(max_length=64, unique=True, default=new_secret, editable=False)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist")

    def __str__(self):
        return f"{self.name} ({self.get_status_display()})"

    def is_live_offer(self, now=None):
        """Offered a seat, and the offer has not run out."""
        return self.status == self.Status.OFFERED and self.offer_expires_at > (now or timezone.now())


class OrderLogEntry(models.Model):
    """Every change to an order, by whom: the order's history in the admin."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="log_entries")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=50)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class StripeEvent(models.Model):
    """Webhook events already handled: a redelivery changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.type} {self.event_id}"


class CheckInQuerySet(models.QuerySet):
    def active(self):
        return self.filter(undone_at__isnull=True)


class CheckIn(models.Model):
    """One attendee at one session, recorded at the door (or marked attended by the organizer).

    An undo keeps the row (who undid it, when): the log of the door stays complete.
    """

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="check_ins")
    session = models.ForeignKey("events.EventSession", on_delete=models.PROTECT, related_name="check_ins")
    at = models.DateTimeField(_("checked in at"), default=timezone.now)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(
        max_length=20,
        default="scan",
        help_text="scan, typed, search, bulk, online (the personal join link) or corrected",
    )
    # When the attendee came and went, where known (door scans, the online join link, check-out
    # scans, staff corrections); blank: from the session's start, until its end (services/credit.py).
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    # When the attendee entered the session's attendance code (services/attendance.py), if they did.
    code_entered_at = models.DateTimeField(_("attendance code entered"), null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        permissions = [("check_in", "Can check attendees in at the door")]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "session"],
                condition=models.Q(undone_at__isnull=True),
                name="one_active_check_in_per_session",
            )
        ]

    def __str__(self):
        return f"{self.registration_id} @ session {self.session_id}"


class StripeTaxRate(models.Model):
    """A tax rate as created at Stripe (a TaxRate object), reused by every order with that rate."""

    key = models.CharField(max_length=200, unique=True, help_text="name|rate|inclusive|country")
    stripe_id = models.CharField(max_length=255)

    def __str__(self):
        return self.key


class InvoiceCounter(models.Model):
    """The last number given in one series (a seller's invoices, or its credit notes). Numbers are
    taken under this row's lock in the transaction that records the payment or the refund, so a
    rolled-back transaction gives its number back: the series has no gaps and no repeats."""

    series = models.CharField(max_length=60, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.series}: {self.last}"


class Invoice(models.Model):
    """A receipt/invoice for a paid order, or a credit note for one of its refunds: numbered in its
    seller's series without gaps, with what it says frozen when issued (seller, buyer, lines, tax),
    so later edits to the organizer or the event never change an issued document. Its PDF is
    rendered from these fields (services/invoices.py)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")
        DEBIT_NOTE = "debit_note", _("Debit note")  # cancels a credit note whose refund Stripe failed later

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    series = models.CharField(
        max_length=60, help_text="The counter it was numbered by (InvoiceCounter): one per seller and kind."
    )
    number = models.PositiveIntegerField()
    prefix = models.CharField(max_length=20, help_text="What its number is shown after, such as MAD or MAD-CN.")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    refund = models.OneToOneField(Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note")
    cancels = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="cancelled_by",
        help_text="The credit note this debit note cancels.",
    )  # fmt: skip
    organizer = models.ForeignKey(Organizer, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    currency = models.CharField(max_length=3)
    seller = models.JSONField(default=dict, help_text="name, address, country, tax_id, as when issued")
    buyer = models.JSONField(default=dict, help_text="name, organization, address, country, tax_id, email")
    lines = models.JSONField(default=list, help_text="description, quantity, unit_price, net, tax, total")
    net = models.DecimalField(max_digits=10, decimal_places=2)
    tax = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    tax_name = models.CharField(max_length=30, blank=True)
    tax_rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    tax_inclusive = models.BooleanField(default=True)
    language = models.CharField(max_length=10, default="en")

    class Meta:
        ordering = ["issued_at", "pk"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="one_invoice_per_number"),
            models.UniqueConstraint(fields=["order"], condition=models.Q(kind="invoice"), name="one_invoice_per_order"),
        ]

    def __str__(self):
        return self.display_number

    @property
    def display_number(self):
        return f"{self.prefix}-{self.number:05d}"

    @property
    def is_credit_note(self):
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def is_debit_note(self):
        return self.kind == self.Kind.DEBIT_NOTE


class SignInLink(models.Model):
    """A one-time link emailed to an address, which signs its holder in to "My events" (the
    registrations made with that address; services/sign_in.py). Only a hash of the link's token is
    kept, so this table alone signs nobody in; a link works once, and not after `expires_at`."""

    email = models.EmailField(_("email"))  # as events.subscriptions.normalised writes it
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["email", "created_at"])]

    def __str__(self):
        return f"sign-in link {self.pk}"


class EvaluationResponse(models.Model):
    """One attendee's answers to an event's evaluation (services/evaluations.py), by question key
    (`key`, `key/s<session id>`, `key/p<presenter block id>`). When the event's answers are
    anonymous it is not linked to its registration and keeps only the day it came: the registration
    says only that it was submitted (`Registration.evaluated_at`)."""

    event = models.ForeignKey(EventPage, on_delete=models.PROTECT, related_name="evaluation_responses")
    registration = models.OneToOneField(
        Registration, null=True, blank=True, on_delete=models.SET_NULL, related_name="evaluation_response"
    )
    submitted_on = models.DateField(_("submitted"), default=timezone.localdate)
    language = models.CharField(max_length=10, default="en")
    answers = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self):
        return f"evaluation {self.pk} of event {self.event_id}"
