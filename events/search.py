"""Text search of the listings, in the database, over `ListingEntry` (read_model.py).

Every word of the query must be found (in any of the event's texts). What is found first: events
with every word in the title, then in the title, topics, summary and what the event offers (CE
credits, online), then also in the description and place; events found only through their
organizer's name come last. Within each tier, PostgreSQL ranks by how often and where the words
occur (`ts_rank`), SQLite by the weight of the texts that hold them; then soonest.

PostgreSQL reads a weighted `tsvector` (A title, B topics/summary/offers, C description/place, D
organizer) made in the event's language (EVENTS_SEARCH_CONFIGS: "seminars" finds "seminar"), through
its GIN index; each word of the query is looked for in the forms every configured language gives
it, and as typed, so a search in English finds a Spanish event titled with the same word. SQLite matches words inside the texts
(LIKE), with plural endings taken off ("seminars" finds "seminar").

A query is cut into words made only of letters and digits, at most MAX_WORDS: nothing a visitor
types is read as search syntax.
"""

import difflib
import re
from functools import reduce
from operator import and_, or_

from django.db import connections
from django.db.models import Case, Expression, F, IntegerField, Q, Value, When

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


def lexicon_words(text):
    """The words of `text` worth correcting a search to: letters only, 3 to 100 of them."""
    return {word.casefold() for word in WORD.findall(text) if 3 <= len(word) <= 100 and word.isalpha()}


def correction(query):
    """`query` with each word the events never use replaced by the closest word they do (a typo:
    "aliance" is "alliance"), or None when no word was replaced. Asked only when a search found
    nothing: one query for the words known, one per unknown word for the words that begin with
    its letter and are about as long."""
    from .models import SearchTerm

    terms = words(query)
    known = set(SearchTerm.objects.filter(term__in=terms).values_list("term", flat=True))
    corrected = []
    for term in terms:
        if term not in known and len(term) >= 4 and term.isalpha():
            nearby = SearchTerm.objects.filter(term__startswith=term[0]).values_list("term", flat=True)
            similar = [t for t in nearby.iterator() if abs(len(t) - len(term)) <= 2]
            term = next(iter(difflib.get_close_matches(term, similar, n=1, cutoff=0.8)), term)
        corrected.append(term)
    return " ".join(corrected) if corrected != terms else None


def matching(queryset, query, by_relevance):
    """`queryset` (of ListingEntry) narrowed to the events that hold every word of `query`; ordered
    by relevance when `by_relevance`, else left in its order."""
    terms = words(query)
    if not terms:  # nothing to look for ("😀"): all, soonest first
        return queryset.order_by("sort_start", "page_id") if by_relevance else queryset
    if connections[queryset.db].vendor == "postgresql":
        return postgres_matching(queryset, terms, by_relevance)
    return like_matching(queryset, terms, by_relevance)


# PostgreSQL


def document(entry=None):
    """The weighted search document, in the event's language's configuration: of each row from its
    own columns, or of `entry` (a ListingEntry about to be written) from its values, so that the
    row is written once, not inserted and then updated (which leaves a dead copy of each row)."""
    from django.contrib.postgres.search import SearchVector

    if entry is not None:
        return EntryDocument(entry)
    vectors = (SearchVector(*columns, weight=weight, config=F("search_config")) for weight, columns in COLUMNS.items())
    return reduce(lambda a, b: a + b, vectors)


class EntryDocument(Expression):
    """`document()` of one entry's values: the same SQL functions on the same text (SearchVector
    joins a weight's columns with a space), written as one string, as a batch has thousands."""

    def __init__(self, entry):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())
        self.entry = entry

    def as_sql(self, compiler, connection):
        texts = weighted_texts(self.entry)
        params = [value for text in texts for value in (self.entry.search_config, text)]
        return f"({document_sql('%s', ['%s'] * len(texts))})", params


def weighted_texts(entry):
    """The text of each weight of `entry`'s document, in COLUMNS' order: its columns joined with a
    space, as SearchVector joins them."""
    return [" ".join(getattr(entry, column) or "" for column in columns) for columns in COLUMNS.values()]


def document_sql(config, texts):
    """The SQL of a weighted document from a configuration and one text per weight (SQL
    expressions or placeholders, in COLUMNS' order): what EntryDocument writes, and the bulk
    load's INSERT … SELECT (generate_events) too."""
    parts = (
        f"setweight(to_tsvector({config}::regconfig, {text}), '{weight}')"
        for weight, text in zip(COLUMNS, texts, strict=True)
    )
    return " || ".join(parts)


def tsquery(terms, weights=""):
    """Every word, each in the forms the configured languages give it (or as typed), limited to
    `weights`. Word by word: a word that is a stop word in one language ("ce" in French) is still
    required, in the forms the other languages give it."""
    from django.contrib.postgres.search import SearchQuery

    class EveryWord(SearchQuery):
        # One SQL string (as Django expressions, one per word and language, for each of the tiers
        # too, compiling the query took longer than running it), and a subquery that keeps each
        # word's distinct forms: most languages give a word the same form, which, asked once per
        # language, cost as much to match and made the planner count it as that many words (a
        # frequent word then looked rare, and a query scanned the table for a few matches).
        def as_sql(self, compiler, connection, function=None, template=None):
            configs = sorted({*conf.get("EVENTS_SEARCH_CONFIGS").values(), "simple"})
            sql = (
                "(SELECT string_agg(forms, ' & ')::tsquery FROM ("
                "SELECT '(' || string_agg(DISTINCT '(' || query::text || ')', ' | ') || ')' AS forms "
                "FROM unnest(%s::text[]) WITH ORDINALITY AS word(text, n) "
                "CROSS JOIN unnest(%s::text[]::regconfig[]) AS config "
                "CROSS JOIN to_tsquery(config, word.text || %s) AS query "
                "WHERE query::text <> '' GROUP BY n) AS words)"
            )
            return sql, [terms, configs, f":{weights}" if weights else ""]

    return EveryWord("")


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
