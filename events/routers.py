"""Reading the listing from a read replica (optional; docs/deploy.md, "Read replica for listings").

    DATABASES["replica"] = {**DATABASES["default"], "HOST": "<replica host>"}
    DATABASE_ROUTERS = ["events.routers.ListingReplicaRouter"]

`ListingReplicaRouter` sends the reads of the listing's own tables, its read model (ListingEntry)
and its search tables (SearchTerm, TitleWord, EntryTitleWord), to the alias EVENTS_REPLICA_DATABASE
when DATABASES has it: the listing page, the JSON API, autocomplete and the feeds read mostly
those. Everything else, seats and orders above all, is read as Django reads it, from the primary,
and every write goes to the primary, also of a row that was read from the replica.

Lag: a replica replays the primary's commits a little later. An edit (or an event selling out)
changes the content version at commit (caching.py), and the purge empties the edge: a listing read
then from a replica that has not replayed the commit would be kept, by the server and at the edge,
as the new version. So for EVENTS_REPLICA_LAG_SECONDS after any change, the listing is read from
the primary (caching.changed_within); keep it above the replica's worst replay lag, and take a
replica out of service when its lag passes it.
"""

from django.conf import settings

from . import conf
from .caching import changed_within

LISTING_MODELS = {"listingentry", "searchterm", "titleword", "entrytitleword"}


def replica():
    """The replica's alias, when the site has one."""
    alias = conf.get("EVENTS_REPLICA_DATABASE")
    return alias if alias and alias in settings.DATABASES else None


def is_listing(model):
    return model._meta.app_label == "events" and model._meta.model_name in LISTING_MODELS


def from_replica(hints):
    instance = hints.get("instance")
    return instance is not None and instance._state.db is not None and instance._state.db == replica()


class ListingReplicaRouter:
    def db_for_read(self, model, **hints):
        alias = replica()
        if alias is None or not is_listing(model):
            return None
        return "default" if changed_within(conf.get("EVENTS_REPLICA_LAG_SECONDS")) else alias

    def db_for_write(self, model, **hints):
        # Django would write a row where it was read from: never to the replica.
        return "default" if replica() and (is_listing(model) or from_replica(hints)) else None

    def allow_relation(self, obj1, obj2, **hints):
        aliases = {"default", replica()}
        return True if replica() and {obj1._state.db, obj2._state.db} <= aliases else None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica gets its tables and rows from the primary.
        return False if replica() and db == replica() else None
