"""Views of the project itself (not of an app)."""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """Liveness for load balancers, and the benchmark's floor: no database, no session, no template."""
    return HttpResponse("ok", content_type="text/plain")


def robots_txt(request):
    """Crawlers: everything public, not the admin nor the pages behind secret links, and where the
    sitemap is (on the host they asked, as the sitemap's own addresses are)."""
    sitemap = request.build_absolute_uri("/sitemap.xml")
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /tickets/",
        "Disallow: /orders/",
        "Disallow: /waitlist/",
        "Disallow: /checkout/",
        "Disallow: /checkin/",
        "Disallow: /certificates/",
        f"Sitemap: {sitemap}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
