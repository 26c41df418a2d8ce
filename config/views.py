"""Views of the project itself (not of an app)."""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """Liveness for load balancers, and the benchmark's floor: no database, no session, no template."""
    return HttpResponse("ok", content_type="text/plain")
