from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from config.sitemaps import RequestHostSitemap
from config.views import healthz, robots_txt
from events.http_cache import shared_view

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    # Admin screens that name pages, answered so that a team sees only its own drafts.
    path("admin/", include("events.admin_urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("registrations.site_urls")),
    # The same for every visitor: a front-end cache may keep them (the sitemap is purged on each
    # publish: home/signals.py).
    path("sitemap.xml", shared_view(sitemap), {"sitemaps": {"pages": RequestHostSitemap}}),
    path("robots.txt", shared_view(robots_txt)),
]

if settings.DEBUG or getattr(settings, "SERVE_MEDIA", False):  # the demo (config/settings/demo.py)
    from django.urls import re_path
    from django.views.static import serve

    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

urlpatterns += [path("", include(wagtail_urls))]
