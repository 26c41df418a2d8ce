"""The sitemap: Wagtail's, with every address on the host it was asked on."""

from urllib.parse import urlsplit

from wagtail.contrib.sitemaps import Sitemap


class RequestHostSitemap(Sitemap):
    """The pages of the Site the request reached, on the host it came to, as canonical links,
    schema.org data and calendars are (the Site's own hostname may be a placeholder such as
    localhost): a search engine is then told the same address everywhere."""

    def _urls(self, page, protocol, domain):
        urls = super()._urls(page, protocol, domain)
        origin = f"{self.request.scheme}://{self.request.get_host()}"
        for url in urls:
            location = urlsplit(url["location"])
            url["location"] = origin + location.path + (f"?{location.query}" if location.query else "")
        return urls
