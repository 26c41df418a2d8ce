"""The venue editor's "Look up from address" button (admin_widgets.VenuePinInput) asks this admin
view, which asks the geocoder (geocoding.py): the editor's browser never talks to the service, and
the site's rate limit ("geocode", ratelimits.py) keeps to the service's usage policy. Mounted by
the venue snippets' viewset (wagtail_hooks.VenueViewSet) under the admin's address."""

from django import forms
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.exceptions import Ratelimited
from wagtail.permission_policies import ModelPermissionPolicy

from .admin_widgets import ADDRESS_FIELDS
from .geocoding import GeocodingFailed, NothingFound, geocode
from .middleware import ratelimited
from .models import Venue
from .ratelimits import limit_posts


class AddressForm(forms.ModelForm):
    class Meta:
        model = Venue
        fields = ADDRESS_FIELDS


POLICY = ModelPermissionPolicy(Venue)


@require_POST
def geocode_venue(request):
    # The admin's own decorator turns a refusal (PermissionDenied) into a redirect: answer the 429 here.
    try:
        return limited_geocode(request)
    except Ratelimited as refusal:
        return ratelimited(request, refusal)


@limit_posts("geocode", key="user_or_ip")
def limited_geocode(request):
    """The coordinates of the posted address, as JSON: {latitude, longitude, name}, or {error} with
    400 (the address is not one), 404 (nothing found), 502 (the service failed or is not set up)."""
    if not POLICY.user_has_any_permission(request.user, ["add", "change"]):
        return JsonResponse({"error": _("You may not edit venues.")}, status=403)
    form = AddressForm(request.POST)
    if not form.is_valid():
        reasons = [f"{form[field].label}: {' '.join(errors)}" for field, errors in form.errors.items()]
        return JsonResponse({"error": " ".join(reasons), "fields": form.errors}, status=400)
    try:
        place = geocode(form.instance)
    except NothingFound as error:
        return JsonResponse({"error": str(error)}, status=404)
    except GeocodingFailed as error:
        return JsonResponse({"error": str(error)}, status=502)
    return JsonResponse({"latitude": str(place.latitude), "longitude": str(place.longitude), "name": place.name})
