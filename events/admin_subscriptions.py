"""Email subscriptions in the Wagtail admin: a read-only listing for staff, with how many are
confirmed and waiting. Seeing the listing takes `events.view_subscription`; seeing the addresses
too takes `events.view_subscriber_addresses` (superusers have both). Organizer teams get neither
(applications.TEAM_PERMISSIONS): a subscriber's address is not the organizer's to see. There is no
search box, so a staff member without the address permission cannot test whether an address is listed."""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views import generic

from .admin_viewsets import ReadOnlyViewSet
from .models import Subscription

ADDRESSES = "events.view_subscriber_addresses"


def follows(subscription):
    """What is followed, without a query per row: the organizer's name, or the saved search's parameters."""
    if subscription.kind == Subscription.Kind.ORGANIZER:
        return subscription.organizer.name
    return subscription.query or _("All events")


class SubscriptionIndexView(generic.IndexView):
    any_permission_required = ["view"]

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("organizer", "listing")

    @cached_property
    def columns(self):
        columns = [
            Column("follows", label=_("Follows"), accessor=follows),
            Column("kind", label=_("Kind"), accessor="get_kind_display"),
            Column("listing", label=_("Listing"), accessor="listing.title"),
            Column("language", label=_("Language")),
            BooleanColumn("is_confirmed", label=_("Confirmed")),
            DateColumn("created_at", label=_("Created"), sort_key="created_at"),
            DateColumn("sent_until", label=_("Events sent up to")),
        ]
        if self.request.user.has_perm(ADDRESSES):
            columns.insert(0, Column("email", label=_("Email")))
        return columns

    def get_page_subtitle(self):
        counts = Subscription.objects.aggregate(
            confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)),
            waiting=Count("pk", filter=Q(confirmed_at__isnull=True)),
        )
        return _("%(confirmed)s confirmed, %(waiting)s awaiting confirmation") % counts


class SubscriptionViewSet(ReadOnlyViewSet):
    """Listing only: subscriptions are made and ended by their subscribers' links."""

    model = Subscription
    name = "events_subscriptions"
    url_prefix = "events/subscriptions"
    icon = "mail"
    menu_label = gettext_lazy("Email subscribers")
    add_to_admin_menu = True
    menu_order = 260
    index_view_class = SubscriptionIndexView
    list_filter = ["kind", "language"]
    list_per_page = 50

    def get_permissions_to_register(self):
        """Seeing the listing, and seeing the addresses in it; nothing is added or changed by hand."""
        return Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(Subscription),
            codename__in=["view_subscription", "view_subscriber_addresses"],
        )
