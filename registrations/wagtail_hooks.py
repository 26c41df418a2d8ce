"""The Registrations menu in the Wagtail admin: orders and seats, read-only listings whose only way
to change money or seats is the actions in admin_views.py (which call the services). And the
Register box that events' page shows through its register_event_page_panel hook."""

from django.contrib import messages
from django.contrib.auth.models import Permission
from django.template.loader import render_to_string
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.widgets import Button

from events import admin_viewsets
from events.inputs import IdConverter  # noqa: F401  (registers <id:…>)
from events.models import EventPage

from . import admin_views as views
from .admin_codes import PromoCodeViewSet
from .models import Order, Registration
from .templatetags.registration_tags import paid_tickets_wait_for_payouts, registration_box_context


class OrderURLFinder(ModelAdminURLFinder):
    """Orders and seats have no edit form; their admin page is the order's page."""

    def get_edit_url(self, instance):
        if self.user and not views.user_may_see_orders(self.user):
            return None
        return self.construct_edit_url(instance)

    def construct_edit_url(self, instance):
        return views.order_url(instance.order_id if isinstance(instance, Registration) else instance)


class ReadOnlyViewSet(admin_viewsets.ReadOnlyViewSet):
    """Orders and seats change only through services: listings, inspect pages and the actions of
    admin_views.py, shown to those who may see orders."""

    url_finder_class = OrderURLFinder

    @cached_property
    def menu_item_class(self):
        class OrdersMenuItem(MenuItem):
            def is_shown(self, request):
                return views.user_may_see_orders(request.user)

        return OrdersMenuItem


class OrderViewSet(ReadOnlyViewSet):
    model = Order
    name = views.ORDERS
    url_prefix = "registrations/orders"
    icon = "form"
    menu_label = _("Orders")
    index_view_class = views.OrderIndexView
    inspect_view_class = views.OrderInspectView
    inspect_view_enabled = True
    inspect_view_fields = [
        "id",
        "status",
        "buyer_name",
        "buyer_email",
        "event",
        "total",
        "created_at",
        "paid_at",
        "hold_deadline",
        "stripe_checkout_session_id",
        "stripe_payment_intent_id",
    ]
    filterset_class = views.OrderFilterSet
    list_display = views.ORDER_COLUMNS
    search_fields = ["buyer_name", "buyer_email", "stripe_checkout_session_id", "stripe_payment_intent_id"]
    list_per_page = 50

    def get_action_urlpatterns(self):
        return [
            path("<id:pk>/refund/", views.RefundView.as_view(), name="refund"),
            path("<id:pk>/cancel/", views.CancelOrderView.as_view(), name="cancel"),
            path("<id:pk>/refunds/<id:refund_pk>/retry/", views.RetryRefundView.as_view(), name="retry_refund"),
            path("<id:pk>/invoices/<id:invoice_pk>.pdf", views.order_invoice, name="invoice"),
        ]

    def get_permissions_to_register(self):
        """Seeing orders and acting on them; orders are never added or deleted by hand."""
        return super().get_permissions_to_register().filter(codename__in=["view_order", "change_order"])


class RegistrationViewSet(ReadOnlyViewSet):
    model = Registration
    name = views.ATTENDEES
    url_prefix = "registrations/attendees"
    icon = "group"
    menu_label = _("Registrations")
    index_view_class = views.RegistrationIndexView
    filterset_class = views.RegistrationFilterSet
    list_display = views.REGISTRATION_COLUMNS
    search_fields = ["name", "email"]
    list_per_page = 50

    def get_action_urlpatterns(self):
        return [path("<id:pk>/cancel/", views.CancelRegistrationView.as_view(), name="cancel")]

    def get_permissions_to_register(self):
        """None: the order permissions govern seats too (see admin_views)."""
        return Permission.objects.none()


class RegistrationsGroup(ViewSetGroup):
    menu_label = _("Registrations")
    menu_icon = "group"
    menu_order = 250
    items = (OrderViewSet, RegistrationViewSet, PromoCodeViewSet)


@hooks.register("register_admin_viewset")
def register_registrations_viewsets():
    return RegistrationsGroup()


@hooks.register("register_admin_urls")
def register_cancel_event_url():
    return [
        path("registrations/events/<id:event_id>/cancel/", views.CancelEventView.as_view(), name=views.CANCEL_EVENT),
    ]


def event_buttons(page, user, next_url=None):
    if not issubclass(page.specific_class or object, EventPage) or not views.user_may_see_orders(user):
        return
    yield Button(_("Registrations"), url=views.registrations_url(page), icon_name="group", priority=80)
    if getattr(page, "status", None) != EventPage.Status.CANCELLED and views.user_may_cancel_event(user, page):
        yield Button(
            _("Cancel event"),
            url=views.cancel_event_url(page, next_url=next_url),
            icon_name="warning",
            priority=85,
        )


@hooks.register("register_page_header_buttons")
def event_page_header_buttons(page, user, view_name, next_url=None):
    """On the event's edit page: its registrations, and cancelling it (confirmation first)."""
    if view_name == "edit":
        yield from event_buttons(page, user, next_url=next_url)


@hooks.register("register_page_listing_more_buttons")
def event_page_listing_more_buttons(page, user, next_url=None):
    yield from event_buttons(page, user, next_url=next_url)


@hooks.register("register_event_page_routes")
def registration_routes():
    """`register/` and `waitlist/` below each event page's own address."""
    from .views import event_routes

    return event_routes()


@hooks.register("event_seats_left")
def seats_left(event):
    """Seats left per ticket type, for the events app's JSON-LD (sold-out tickets are SoldOut)."""
    from .services.capacity import availability

    return availability(event)


@hooks.register("before_edit_page")
def warn_when_paid_tickets_cannot_sell(request, page):
    """Tell the editor, above the event's editor, when its paid tickets are not on sale because its
    organizer cannot take payments yet (Connect)."""
    event = page.specific
    if request.method != "GET" or not isinstance(event, EventPage) or not event.organizer_id:
        return
    if paid_tickets_wait_for_payouts(event, event.public_ticket_types):
        messages.warning(
            request,
            _(
                "%(organizer)s cannot take payments yet (Registrations → Payouts), so this event's paid tickets "
                "are not on sale; its free ones are."
            )
            % {"organizer": event.organizer.name},
        )


@hooks.register("register_event_page_panel")
def registration_panel(request, page):
    """The Register box in the event page's details column (events renders what this returns):
    the one without seats, as the page is shared by caches; the page fills in the live one."""
    return render_to_string(
        "registrations/includes/registration_box.html",
        registration_box_context(request, page, live=False),
        request=request,
    )


# Further admin screens register their own hooks when imported.
from . import admin_attendance, admin_certificates, admin_dashboard, admin_evaluations, admin_payouts  # noqa: E402, F401
