"""The sitemap (config/urls.py) is shared with every visitor, so a front-end cache may keep it:
purged, as events.purge purges what shows an event, whenever a page is published, unpublished,
moved or deleted, or a view restriction added or removed."""

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from events.purge import configured, purge_on_commit


def purge_sitemap(page):
    site = page.get_site() if configured() else None
    if site is not None:
        purge_on_commit({site.root_url + "/sitemap.xml"})


@receiver(page_published)
@receiver(page_unpublished)
@receiver(post_page_move)
def page_changed(sender, instance, **kwargs):
    purge_sitemap(instance)


@receiver(pre_delete)
def page_deleted(sender, instance, **kwargs):
    if isinstance(instance, Page) and instance.live:
        purge_sitemap(instance)


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
def restriction_changed(sender, instance, raw=False, **kwargs):
    """The sitemap lists only the pages anyone may see."""
    page = None if raw else Page.objects.filter(pk=instance.page_id).first()
    if page is not None:
        purge_sitemap(page)
