"""Autocomplete of the listing's search box: `GET /api/events/suggest/?q=alli`, asked at each pause in
typing (autocomplete.js), so it must cost a few milliseconds whatever the number of events.

What is suggested: topics, organizers and cities (Venue) first, then the titles of public upcoming
events, soonest first and those in the visitor's language before the others; each with the address
it leads to (the listing filtered by it, or the event's page). A word matches when it begins with
what was typed, without case or accents ("alli" finds "Therapeutic alliance", "therap" finds
"Thérapie"); every word typed must match.

Why it stays fast without a cache: topics, organizers and venues are small tables an editor keeps,
read whole in one query and matched here. Event titles are not: a `LIKE '%alli%'` or a prefix
tsquery (`alli:*`) reads every matching row before the soonest can be picked, and "th" matches most
of them. So a title's words are stored folded, one row each (`EntryTitleWord`, written with the
event's ListingEntry by read_model.py) with the event's end, indexed on (word, end); and every word
once in `TitleWord`. Then:
1. the words that begin with the last one typed, the first WORDS of them: a range of TitleWord's
   unique index (varchar_pattern_ops on PostgreSQL), bounded by the number of distinct words;
2. for each such word, its soonest upcoming events: one descent of the (word, end) index from
   (word, now), reading PER_WORD rows; all the words in one UNION ALL query, written as SQL
   (titles_sql) rather than compiled by Django at every keystroke.
Both are O(log n): no step reads the events that match but are not shown, nor the past ones.
The names (with their folded words), and the listing's address on the host asked, are kept in
memory under the content version (routing.cached): two queries in all once they are, however many
events there are. An event's address is its listing's plus the rest of its path, made only for the
titles shown.
Words of events that have ended stay in TitleWord (as SearchTerm's do): a prefix whose first words
have no upcoming event suggests fewer titles, never wrong ones.
"""

import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote, urlencode

from django.db import connections, router
from django.db.models import F, Value
from django.http import JsonResponse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited
from wagtail.models import Page

from . import ratelimits
from .http_cache import shared_view
from .models import EntryTitleWord, EventIndexPage, ListingEntry, Organizer, TitleWord, Topic, Venue
from .routing import cached, remember_site

MIN_LENGTH = 2
MAX_LENGTH = 100
LIMIT = 8  # suggestions in all
NAMES = 4  # of which topics, organizers and cities, at most
WORDS = 5  # completions of the last word looked up
PER_WORD = 8  # events read per completion
WORD = re.compile(r"[^\W_]+")
# What else is suggested, in this order: (model, kind, its name, the listing's parameter's value).
NAMED = [(Topic, "topic", "name", "slug"), (Organizer, "organizer", "name", "slug"), (Venue, "city", "city", "city")]


@lru_cache(maxsize=8192)
def fold(text):
    """`text` as it is compared: without case or accents ("Thérapie" is "therapie")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def words(text):
    return WORD.findall(fold(text))


def title_words(title):
    """The words of a title worth completing to: two letters or more, not a bare number ("#12")."""
    return {word for word in words(title) if MIN_LENGTH <= len(word) <= MAX_LENGTH and not word.isdigit()}


def index_titles(entries):
    """Store the title words of `entries` (ListingEntry rows just written by read_model.sync)."""
    EntryTitleWord.objects.filter(entry_id__in=[entry.page_id for entry in entries]).delete()
    rows = title_word_rows(entries)
    EntryTitleWord.objects.bulk_create([EntryTitleWord(entry_id=pk, word=word, end=end) for pk, word, end in rows])
    add_title_words({word for _pk, word, _end in rows})


def title_word_rows(entries):
    """(page id, word, end) of each word of each entry's title: its EntryTitleWord rows."""
    return [(entry.page_id, word, entry.end) for entry in entries for word in sorted(title_words(entry.title))]


def add_title_words(found):
    TitleWord.objects.bulk_create([TitleWord(word=w) for w in sorted(found)], ignore_conflicts=True)


def matches(terms, text_words):
    """Whether every term begins one of `text_words`."""
    return all(any(word.startswith(term) for word in text_words) for term in terms)


def problem(query):
    """Why `query` cannot be looked up (None: it can)."""
    if len(query) > MAX_LENGTH:
        return _("Type at most %(limit)s characters.") % {"limit": MAX_LENGTH}
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in query):
        return _("Type letters and digits, without control characters.")
    return None


def first_listing(request):
    """(address on this host, url_path) of the first public listing, or None."""
    listing = EventIndexPage.objects.live().public().order_by("path").first()
    url = listing.get_url(request) if listing is not None else None
    return (url, listing.url_path) if url else None


def listing_address(request):
    """first_listing(), kept in memory under the content version (routing.cached)."""
    return cached(f"suggest:listing:{request.get_host()}", lambda: first_listing(request))


def listing_url(request, **params):
    """The first public listing, filtered by `params` (None when the site has no listing)."""
    found = listing_address(request)
    return f"{found[0]}?{urlencode(params)}" if found else None


def event_url(request, url_path, listing):
    """An event's address: below `listing`'s (listing_address()), as its page's path is, with no
    lookup; else (an event of another listing) as Wagtail finds it."""
    if listing and url_path.startswith(listing[1]):
        # (quoted as Wagtail's reverse() quotes a page's path: a slug may hold any letter)
        return listing[0] + quote(url_path[len(listing[1]) :], safe=RFC3986_SUBDELIMS + "/~:@")
    return Page(url_path=url_path).get_url(request)


def fetch_names():
    first, *others = (
        model.objects.order_by()
        .annotate(kind=Value(kind), label=F(label), key=F(key))
        .values_list("kind", "label", "key")
        for model, kind, label, key in NAMED
    )
    return [(kind, label, key, words(label)) for kind, label, key in first.union(*others)]


def names():
    """(kind, name, key, the name's words) of every topic, organizer and city (a city of several
    venues once), kept in memory under the content version (routing.cached): any edit of one makes
    a new list. The words are folded once here, not at every keystroke."""
    return cached("suggest:name-words", fetch_names)


def name_suggestions(request, terms):
    """Topics, organizers and cities whose name matches, those that begin with the first term first."""
    kinds = [kind for _model, kind, _label, _key in NAMED]
    found = sorted(
        (row for row in names() if matches(terms, row[3])),
        key=lambda row: (kinds.index(row[0]), not fold(row[1]).startswith(terms[0]), fold(row[1])),
    )
    suggestions = []
    for kind, label, key, _words in found[:NAMES]:
        url = listing_url(request, **{kind: key})
        if url is not None:
            suggestions.append({"kind": kind, "label": label, "url": url})
    return suggestions


def titles_sql(count, connection):
    """The soonest upcoming public events of each of `count` words, PER_WORD each, soonest first:
    one SQL string, as Django would compile the same UNION of querysets anew at every keystroke.
    Each part is in a subquery, so that SQLite takes its LIMIT too."""
    quote = connection.ops.quote_name
    words_table, entries, pages = (quote(m._meta.db_table) for m in (EntryTitleWord, ListingEntry, Page))
    part = (
        f"SELECT * FROM (SELECT w.entry_id, e.title, e.language, p.url_path, w.{quote('end')} AS ends"
        f" FROM {words_table} w JOIN {entries} e ON e.page_id = w.entry_id JOIN {pages} p ON p.id = e.page_id"
        f" WHERE w.word = %s AND w.{quote('end')} >= %s AND e.public = %s"
        f" ORDER BY w.{quote('end')}, w.entry_id LIMIT {PER_WORD}) AS part"
    )
    return " UNION ALL ".join([part] * count) + " ORDER BY 5, 1"


def upcoming_titles(completions, now):
    """(page id, title, language, url_path, end) of the soonest upcoming public events with each
    word, soonest first. Read where the ORM would read the titles: from the replica, when the site
    routes the listing there (routers.py)."""
    connection = connections[router.db_for_read(EntryTitleWord)]
    now = EntryTitleWord._meta.get_field("end").get_db_prep_value(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            titles_sql(len(completions), connection), [value for word in completions for value in (word, now, True)]
        )
        return cursor.fetchall()


def event_suggestions(request, terms, room):
    completions = list(
        TitleWord.objects.filter(word__startswith=terms[-1]).order_by("word").values_list("word", flat=True)[:WORDS]
    )
    if not completions or not room:
        return []
    language = (get_language() or "").split("-")[0]
    rows = {row[0]: row for row in upcoming_titles(completions, timezone.now())}.values()
    # (a stable sort: soonest first within each language, as the rows come)
    rows = sorted(
        (row for row in rows if matches(terms, words(row[1]))), key=lambda row: row[2].split("-")[0] != language
    )
    listing = listing_address(request)
    suggestions, seen = [], set()
    for _pk, title, _language, url_path, _end in rows:
        if len(suggestions) == room:
            break
        url = event_url(request, url_path, listing) if title not in seen else None
        if url is not None:
            seen.add(title)
            suggestions.append({"kind": "event", "label": title, "url": url})
    return suggestions


def suggestions(request, query):
    terms = words(query)
    if len(query) < MIN_LENGTH or not terms:
        return []
    remember_site(request)  # (the addresses below are on its host)
    names = name_suggestions(request, terms)
    return names + event_suggestions(request, terms, LIMIT - len(names))


@require_GET
@shared_view
def suggest_events(request):
    """`{"query", "suggestions": [{"kind", "label", "url"}]}`; fewer than two characters suggest
    nothing; more than MAX_LENGTH, or control characters, answer 400 with the reason."""
    query = " ".join(request.GET.get("q", "").split())
    if reason := problem(request.GET.get("q", "")):
        return JsonResponse({"errors": {"q": [{"message": reason, "code": "invalid"}]}}, status=400)
    if len(query) >= MIN_LENGTH and is_ratelimited(
        request, group="suggest", key="ip", rate=ratelimits.rate, method=ALL, increment=True
    ):
        message = _("Too many searches from your address in a short time. Please wait a minute, then try again.")
        response = JsonResponse({"errors": {"__all__": [{"message": message, "code": "rate_limited"}]}}, status=429)
        response["Retry-After"] = str(ratelimits.retry_after("suggest"))
        return response
    return JsonResponse({"query": query, "suggestions": suggestions(request, query)})
