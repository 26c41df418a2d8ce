"""Text search of the listings, in the database, over `ListingEntry` (read_model.py).

Every word of the query must be found (in any of the event's texts). What is found first: events
with every word in the title, then in the title, topics, summary and what the event offers (CE
credits, online), then also in the description and place; events found only through their
organizer's name come last. Within each tier, PostgreSQL ranks by how often and where the words
occur (`ts_rank`), SQLite by the weight of the texts that hold them; then soonest. That order needs
every match ranked: a search with more matches than it counts (EVENTS_COUNT_LIMIT) lists those
with every word in their title first, then the others, each soonest first (`title_first`).

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
from functools import cache, lru_cache, reduce
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


def title_document(entry=None):
    """The title's words alone, unweighted (the A part of `document()`), with an index of their
    own: the events with every word of a broad search in their title are found through it
    (`title_first`). Of each row from its title, or of `entry` from its values."""
    from django.contrib.postgres.search import SearchVector

    if entry is not None:
        return EntryDocument(entry, title_only=True)
    return SearchVector("title", config=F("search_config"))


class EntryDocument(Expression):
    """`document()` (or `title_document()`) of one entry's values: the same SQL functions on the
    same text (SearchVector joins a weight's columns with a space), written as one string, as a
    batch has thousands."""

    def __init__(self, entry, title_only=False):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())
        self.entry, self.title_only = entry, title_only

    def as_sql(self, compiler, connection):
        if self.title_only:
            return f"({title_sql('%s', '%s')})", [self.entry.search_config, self.entry.title]
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


def title_sql(config, title):
    """The SQL of `title_document()` from SQL expressions (or placeholders) of a configuration and
    a title: for EntryDocument, the bulk load and the migration that added it."""
    return f"to_tsvector({config}::regconfig, {title})"


def tsquery(terms, weights="", using="default"):
    """Every word, each in the forms the configured languages give it (or as typed), limited to
    `weights`. Word by word: a word that is a stop word in one language ("ce" in French) is still
    required, in the forms the other languages give it.

    The query goes to the database as a constant (its text, from `query_texts`), so the planner
    estimates how many rows hold its words from the column's statistics: as a subquery's result it
    could not, and took every search for 500 matches, whatever the words (a title search then
    sorted thousands of rows with their pages when reading the first twenty in order was enough)."""
    configs = tuple(sorted({*conf.get("EVENTS_SEARCH_CONFIGS").values(), "simple"}))
    return forms_query()(query_texts(using, tuple(terms), configs)[weights])


@cache
def forms_query():
    """The SearchQuery of a tsquery's text, its only argument (a class made once, where PostgreSQL
    is used: contrib.postgres is not imported elsewhere)."""
    from django.contrib.postgres.search import SearchQuery

    class Forms(SearchQuery):
        def __init__(self, text):
            super().__init__("")
            self.text = text

        def as_sql(self, compiler, connection, function=None, template=None):
            return "%s::tsquery", [self.text]  # (NULL: no word has a form, which matches nothing)

    return Forms


@lru_cache(maxsize=4096)
def query_texts(using, terms, configs):
    """{weights: the text of `tsquery(terms, weights)`} for each weights a search uses, in one
    query, kept for the process (the forms of a word depend only on the database's dictionaries).
    Each word's distinct forms once: most languages give a word the same form, which, asked once
    per language, cost as much to match and made the planner count it as that many words (a
    frequent word then looked rare, and a query scanned the table for a few matches)."""
    sql = (
        "SELECT weights, (SELECT string_agg(forms, ' & ') FROM ("
        "SELECT '(' || string_agg(DISTINCT '(' || query::text || ')', ' | ') || ')' AS forms "
        "FROM unnest(%s::text[]) WITH ORDINALITY AS word(text, n) "
        "CROSS JOIN unnest(%s::text[]::regconfig[]) AS config "
        "CROSS JOIN to_tsquery(config, word.text || CASE weights WHEN '' THEN '' ELSE ':' || weights END) AS query "
        "WHERE query::text <> '' GROUP BY n) AS words) "
        "FROM unnest(%s::text[]) AS weights"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [list(terms), list(configs), ["", *(weights for _tier, weights in TIERS)]])
        return dict(cursor.fetchall())


def postgres_matching(queryset, terms, by_relevance):
    from django.contrib.postgres.search import SearchRank

    query = tsquery(terms, using=queryset.db)
    results = queryset.filter(search_document=query)
    if not by_relevance:
        return results
    tier = Case(
        *(When(search_document=tsquery(terms, weights, queryset.db), then=Value(n)) for n, weights in TIERS),
        default=Value(0),
        output_field=IntegerField(),
    )
    return results.annotate(tier=tier, rank=SearchRank(F("search_document"), query)).order_by(
        "-tier", "-rank", "sort_start", "page_id"
    )


def title_first(queryset, query):
    """(the events of `queryset` with every word of `query` in their title, its other matches), for
    the order of a broad search by relevance (listing.PageEvents): title matches first, then the
    others, each soonest first. Ranking every match of a broad search reads every one of them (at
    1,000,000 events "trauma" matches 114,000); each part of this order is read in the listing's
    index order, or from the title's own index when few titles hold the words, and stops at its
    page. None when the query has no words."""
    terms = words(query)
    if not terms:
        return None
    if connections[queryset.db].vendor == "postgresql":
        query = tsquery(terms, using=queryset.db)
        in_title, found = Q(title_document=query), Q(search_document=query)
    else:
        terms = [stem(term) for term in terms]
        in_title = reduce(and_, (found_in(term, "A") for term in terms))
        found = reduce(and_, (found_in(term, "ABCD") for term in terms))
    return queryset.filter(in_title), queryset.filter(found).exclude(in_title)


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
