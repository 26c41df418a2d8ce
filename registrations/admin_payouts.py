"""Registrations → Payouts (with REGISTRATIONS_CONNECT on): each organizer's team connects the
organizer's own Stripe account through Stripe's hosted onboarding and sees whether it can take
payments; superusers set the platform's fee per organizer. The decisions are services/payouts.py's."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from django_countries import countries
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from events.inputs import IdConverter  # noqa: F401  (registers <id:…>)

from . import stripe_gateway
from .admin_codes import organizers_of
from .admin_views import user_may_act_on_orders
from .models import PayoutAccount
from .services import payouts

INDEX, CONNECT, RETURN, FEES = (
    "registrations_payouts",
    "registrations_payouts_connect",
    "registrations_payouts_return",
    "registrations_payouts_fees",
)
STATUS_LABELS = {
    "not_connected": gettext_lazy("Not connected"),
    "pending": gettext_lazy("Onboarding not finished: cannot take payments yet"),
    "active": gettext_lazy("Can take payments"),
}


class ConnectForm(forms.Form):
    country = forms.ChoiceField(label=gettext_lazy("Country of the organizer's bank account"), choices=countries)


class PayoutsMixin(WagtailAdminTemplateMixin):
    header_icon = "form"

    def dispatch(self, request, *args, **kwargs):
        if not payouts.enabled() or not user_may_act_on_orders(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def organizer(self):
        return get_object_or_404(organizers_of(self.request.user), pk=self.kwargs["organizer_id"])


class PayoutsIndexView(PayoutsMixin, TemplateView):
    page_title = gettext_lazy("Payouts")
    template_name = "registrations/admin/payouts.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        accounts = {
            a.organizer_id: a for a in PayoutAccount.objects.filter(organizer__in=organizers_of(self.request.user))
        }
        context["rows"] = [
            {
                "organizer": organizer,
                "account": accounts.get(organizer.pk),
                "status": payouts.status(accounts.get(organizer.pk)),
                "label": STATUS_LABELS[payouts.status(accounts.get(organizer.pk))],
                "connect_url": reverse(CONNECT, args=[organizer.pk]),
                "fees_url": reverse(FEES, args=[organizer.pk]) if self.request.user.is_superuser else None,
            }
            for organizer in organizers_of(self.request.user).order_by("name")
        ]
        context["form"] = ConnectForm()
        return context


class ConnectView(PayoutsMixin, View):
    """POST (a country for a new account): off to Stripe's onboarding. GET: Stripe's refresh_url,
    when a link expired or was used: a new link."""

    def get(self, request, organizer_id):
        organizer = self.organizer()
        if payouts.account_of(organizer.pk) is None:
            return redirect(INDEX)
        return self.onboard(organizer, country=None)

    def post(self, request, organizer_id):
        organizer = self.organizer()
        form = ConnectForm(request.POST)
        if payouts.account_of(organizer.pk) is None and not form.is_valid():
            messages.error(request, _("Choose the country of the organizer's bank account."))
            return redirect(INDEX)
        return self.onboard(organizer, form.cleaned_data.get("country") if form.is_valid() else None)

    def onboard(self, organizer, country):
        back = self.request.build_absolute_uri(reverse(RETURN, args=[organizer.pk]))
        again = self.request.build_absolute_uri(reverse(CONNECT, args=[organizer.pk]))
        try:
            url = payouts.connect(organizer, country, refresh_url=again, return_url=back)
        except stripe_gateway.StripeError:
            messages.error(self.request, _("Stripe could not be reached, so nothing changed. Please try again."))
            return redirect(INDEX)
        return redirect(url)


class ReturnView(PayoutsMixin, View):
    """Stripe's return_url: the account's state, as Stripe has it now."""

    def get(self, request, organizer_id):
        account = payouts.account_of(self.organizer().pk)
        try:
            account = payouts.refresh(account.stripe_account_id) if account else None
        except stripe_gateway.StripeError:
            messages.warning(request, _("Stripe could not be reached to confirm the account; it will update shortly."))
            return redirect(INDEX)
        if account is not None and account.can_take_payments:
            messages.success(request, _("The account can take payments: paid tickets are on sale."))
        else:
            messages.warning(request, _("Stripe still needs details before the account can take payments."))
        return redirect(INDEX)


class FeesForm(forms.ModelForm):
    class Meta:
        model = PayoutAccount
        fields = ["fee_percent", "fee_fixed", "refund_fee"]

    def clean_fee_percent(self):
        percent = self.cleaned_data["fee_percent"]
        if percent > 100:
            raise forms.ValidationError(_("A percentage is at most 100."))
        return percent


class FeesView(PayoutsMixin, FormView):
    """The platform's fee for one organizer: superusers only (it is the platform's, not the team's)."""

    page_title = gettext_lazy("Platform fee")
    template_name = "registrations/admin/confirm.html"
    form_class = FeesForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_superuser:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        account = payouts.account_of(self.organizer().pk)
        if account is None:
            raise Http404
        return {**super().get_form_kwargs(), "instance": account}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **kwargs, can_submit=True, action_url=self.request.path, submit_label=_("Save"), back_url=reverse(INDEX),
            explanation=_("Taken from each paid order of %(organizer)s's events, in the event's currency.") % {"organizer": self.organizer()},
        )  # fmt: skip

    def form_valid(self, form):
        form.save()
        messages.success(self.request, _("The platform fee is saved; it applies to orders from now on."))
        return redirect(INDEX)


@hooks.register("register_admin_urls")
def register_payout_urls():
    return [
        path("registrations/payouts/", PayoutsIndexView.as_view(), name=INDEX),
        path("registrations/payouts/<id:organizer_id>/connect/", ConnectView.as_view(), name=CONNECT),
        path("registrations/payouts/<id:organizer_id>/return/", ReturnView.as_view(), name=RETURN),
        path("registrations/payouts/<id:organizer_id>/fees/", FeesView.as_view(), name=FEES),
    ]


class PayoutsMenuItem(MenuItem):
    def is_shown(self, request):
        return payouts.enabled() and user_may_act_on_orders(request.user) and organizers_of(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_payouts_menu_item():
    return PayoutsMenuItem(gettext_lazy("Payouts"), reverse(INDEX), name="payouts", icon_name="form", order=252)
