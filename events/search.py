"""Text search of the listings, in the database, over `ListingEntry` (read_model.py).

Every word of the query must be found (in any of the event's texts). What is found first: events
with every word in the title, then in the title, topics, summary and what the event offers (CE
credits, online), then also in the description and place; events found only through their
organizer's name come last. Within each tier, PostgreSQL ranks by how often and where the words
occur (`ts_rank`), SQLite by the weight of the texts that hold them; then soonest.

PostgreSQL reads a weighted `tsvector` (A title, B topics/summary/offers, C description/place, D
organizer) made in the event's language (EVENTS_SEARCH_CONFIGS: "seminars" finds "seminar"), through
its GIN index; the query is made in every configured language and word for word, so a search
in English finds a Spanish event titled with the same word. SQLite matches words inside the texts
(LIKE), with plural endings taken off ("seminars" finds "seminar").

A query is cut into words made only of letters and digits, at most MAX_WORDS: nothing a visitor
types is read as search syntax.
"""

import re
from functools import reduce
from operator import and_, or_

from django.db import connections
from django.db.models import Case, F, IntegerField, Q, Value, When

from . import conf

MAX_WORDS = 8
WORD = re.compile(r"[^\W_]+")
# (tier, the weights every word must be found in); a match in none of them is tier 0.
TIERS = [(3, "A"), (2, "AB"), (1, "ABC")]
COLUMNS = {
    "A": ("title",),
    "B": ("topics_text", "summary", "facets_text"),
    "C": ("body_text", "place_text"),
    "D": ("organizer_name",),
}
# SQLite's rank: what a word found in each column adds.
COLUMN_WEIGHTS = {"A": 8, "B": 4, "C": 2, "D": 1}


def words(query):
    return [word.casefold() for word in WORD.findall(query)][:MAX_WORDS]


def matching(queryset, query, by_relevance):
    """`queryset` (of ListingEntry) narrowed to the events that hold every word of `query`; ordered
    by relevance when `by_relevance`, else left in its order."""
    terms = words(query)
    if not terms:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        return postgres_matching(queryset, terms, by_relevance)
    return like_matching(queryset, terms, by_relevance)


# PostgreSQL


def document():
    """The weighted search document of a row, in its language's configuration."""
    from django.contrib.postgres.search import SearchVector

    config = F("search_config")
    vectors = (SearchVector(*columns, weight=weight, config=config) for weight, columns in COLUMNS.items())
    return reduce(lambda a, b: a + b, vectors)


def tsquery(terms, weights=""):
    """Every word, in each configured language and word for word, limited to `weights`."""
    from django.contrib.postgres.search import SearchQuery

    raw = " & ".join(f"{term}:{weights}" if weights else term for term in terms)
    configs = sorted({*conf.get("EVENTS_SEARCH_CONFIGS").values(), "simple"})
    return reduce(or_, (SearchQuery(raw, search_type="raw", config=config) for config in configs))


def postgres_matching(queryset, terms, by_relevance):
    from django.contrib.postgres.search import SearchRank

    query = tsquery(terms)
    results = queryset.filter(search_document=query)
    if not by_relevance:
        return results
    tier = Case(
        *(When(search_document=tsquery(terms, weights), then=Value(n)) for n, weights in TIERS),
        default=Value(0),
        output_field=IntegerField(),
    )
    return results.annotate(tier=tier, rank=SearchRank(F("search_document"), query)).order_by(
        "-tier", "-rank", "sort_start", "page_id"
    )


# SQLite and other databases


def stem(term):
    """A word without its plural ending, to be found inside the texts ("seminars": "seminar")."""
    for ending in ("ies", "es", "s"):
        if term.endswith(ending) and not term.endswith("ss") and len(term) - len(ending) >= 3:
            return term[: -len(ending)]
    return term


def found_in(term, weights):
    return reduce(or_, (Q(**{f"{column}__icontains": term}) for w in weights for column in COLUMNS[w]))


def like_matching(queryset, terms, by_relevance):
    terms = [stem(term) for term in terms]
    results = queryset.filter(*(found_in(term, "ABCD") for term in terms))
    if not by_relevance:
        return results
    tier = Case(
        *(When(reduce(and_, (found_in(t, weights) for t in terms)), then=Value(n)) for n, weights in TIERS),
        default=Value(0),
        output_field=IntegerField(),
    )
    rank = sum(
        (
            Case(When(**{f"{column}__icontains": term}, then=Value(COLUMN_WEIGHTS[w])), default=Value(0))
            for term in terms
            for w, columns in COLUMNS.items()
            for column in columns
        ),
        Value(0, output_field=IntegerField()),
    )
    return results.annotate(tier=tier, rank=rank).order_by("-tier", "-rank", "sort_start", "page_id")
