"""What search engines find: a description for every event, robots.txt, a sitemap with the
events, one canonical address per page."""

from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup

from events.models import EventPage
from tests.factories import event_index, make_event

pytestmark = pytest.mark.django_db


def head(client, url):
    return BeautifulSoup(client.get(url).content, "html.parser").head


def test_an_event_is_described_by_its_summary_unless_the_editor_wrote_one(client):
    event = make_event("Alliance", summary="Three ingredients of a strong therapeutic alliance.")
    assert head(client, event.url).find("meta", attrs={"name": "description"})["content"] == (
        "Three ingredients of a strong therapeutic alliance."
    )
    page = EventPage.objects.get(pk=event.pk)
    page.search_description = "Written for search results."
    page.save_revision().publish()
    assert (
        head(client, event.url).find("meta", attrs={"name": "description"})["content"] == "Written for search results."
    )


def test_a_listing_is_described_by_its_introduction_unless_the_editor_wrote_a_description(client):
    index = event_index()
    assert head(client, index.url).find("meta", attrs={"name": "description"}) is None  # (no intro yet)
    index.intro = "<p>Workshops for <b>clinicians</b>, worldwide.</p>"
    index.save_revision().publish()
    description = head(client, index.url).find("meta", attrs={"name": "description"})
    assert description["content"] == "Workshops for clinicians, worldwide."
    index.search_description = "Continuing education near you."
    index.save_revision().publish()
    description = head(client, index.url).find("meta", attrs={"name": "description"})
    assert description["content"] == "Continuing education near you."


def test_robots_txt_points_at_the_sitemap_which_lists_the_events(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Disallow: /admin/" in lines and "Disallow: /tickets/" in lines
    event = make_event("Listed in the sitemap")
    sitemap = client.get("/sitemap.xml")
    assert sitemap.status_code == 200
    # On the host asked, as the canonical links say (the Site's hostname in tests is "localhost").
    namespace = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locations = [loc.text for loc in ElementTree.fromstring(sitemap.content).iter(f"{namespace}loc")]
    assert "http://testserver" + event.url in locations
    assert all(location.startswith("http://testserver/") for location in locations)


def test_pages_name_their_canonical_address_without_the_query(client):
    event = make_event("Canonical")
    tags = head(client, event.url + "?utm_source=newsletter")
    assert tags.find("link", rel="canonical")["href"] == "http://testserver" + event.url
    # One address serves both languages (the choice is a cookie): no per-language alternates to list.
    alternates = tags.find_all("link", rel="alternate")
    assert [(a["hreflang"], a["href"]) for a in alternates] == [("x-default", "http://testserver" + event.url)]
    listing = head(client, "/events/?q=alliance")
    assert listing.find("link", rel="canonical")["href"] == "http://testserver/events/"


def test_every_page_links_to_the_organizer_application(client):
    event = make_event("Footer")
    for url in ("/", "/events/", event.url, "/no-such-page/"):
        soup = BeautifulSoup(client.get(url).content, "html.parser")
        link = soup.find("footer").find("a", href="/organizers/apply/")
        assert link is not None and "Apply to publish" in link.get_text(), url
