"""With a read replica (here a second alias of the test database: Django's TEST MIRROR) and
events.routers.ListingReplicaRouter, the listing, its API and autocomplete read the listing's
tables from the replica; seats, orders and pages are read from the primary, every write goes
there, and for a while after an edit the listing is read from the primary too (replica lag)."""

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from events.models import ListingEntry
from events.routers import ListingReplicaRouter
from tests.factories import make_event

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "replica"]), pytest.mark.postgres]

ROUTER = "events.routers.ListingReplicaRouter"


def tables(queries):
    return " ".join(query["sql"] for query in queries.captured_queries)


def reads(url):
    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        response = Client().get(url)
    assert response.status_code == 200, url
    return tables(replica), tables(primary)


@pytest.fixture
def routed(settings):
    settings.DATABASE_ROUTERS = [ROUTER]
    settings.EVENTS_LISTING_CACHE_SECONDS = 0
    settings.EVENTS_REPLICA_LAG_SECONDS = 0
    return settings


def test_the_listing_api_and_autocomplete_read_the_listing_from_the_replica(routed):
    event = make_event("The therapeutic alliance", tickets=[("Standard", "0")], capacity=5)
    for url in ("/events/", "/events/?q=alliance", "/api/events/", "/api/events/suggest/?q=alli"):
        replica, primary = reads(url)
        assert "events_listingentry" in replica or "events_entrytitleword" in replica, url
        assert "events_listingentry" not in primary and "registrations_" not in replica, url
    replica, primary = reads(event.route_url("registration_box"))
    assert replica == "" and "registrations_registration" in primary  # seats: the primary only


def test_writes_go_to_the_primary(routed):
    with CaptureQueriesContext(connections["replica"]) as replica:
        event = make_event("The therapeutic alliance")
        entry = ListingEntry.objects.get(page=event)  # read from the replica
        assert entry._state.db == "replica"
        entry.save()
    assert not [q for q in replica.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert ListingEntry.objects.using("default").get(page=event).pk == entry.pk


def test_after_an_edit_the_listing_is_read_from_the_primary_for_a_while(routed):
    routed.EVENTS_REPLICA_LAG_SECONDS = 60
    make_event("The therapeutic alliance")  # an edit, just now
    replica, primary = reads("/events/")
    assert replica == "" and "events_listingentry" in primary


def test_without_a_replica_the_router_leaves_everything_as_it_was(routed):
    routed.EVENTS_REPLICA_DATABASE = "no-such-database"
    router = ListingReplicaRouter()
    assert router.db_for_read(ListingEntry) is None and router.db_for_write(ListingEntry) is None
    assert router.allow_migrate("replica", "events") is None
