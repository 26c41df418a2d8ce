"""The words of a search on PostgreSQL (search.py `tsquery`): each word in the forms every
configured language gives it, each distinct form once, and a document matches exactly when it
matched the query that asked every language in turn (one `to_tsquery` per language, joined by
`||`), stop words of one language and words with digits included."""

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from events import conf, search

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

# Stop words in some of the languages and not in others, word forms, words with digits.
WORDS = ["the", "ce", "de", "und", "les", "y", "seminars", "seminar", "grief", "trauma", "ceu", "co2", "3d", "café"]
TEXTS = [
    "Grief seminars for clinicians",
    "Le séminaire sur le deuil: ce que la CE offre",
    "Trauma und Trauer, 3D co2",
    "The café seminar, y de los talleres",
]


def configs():
    return sorted({*conf.get("EVENTS_SEARCH_CONFIGS").values(), "simple"})


def fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def query_sql(terms, weights=""):
    return search.tsquery(terms, weights).as_sql(None, connection)


def every_language_in_turn(terms, weights):
    """The query as it was written before: every language's `to_tsquery` of each word, joined."""
    label = f":{weights}" if weights else ""
    either = " || ".join(["to_tsquery(%s::regconfig, %s)"] * len(configs()))
    sql = " && ".join([f"({either})"] * len(terms))
    return f"({sql})", [value for term in terms for config in configs() for value in (config, term + label)]


def document(texts):
    """A document with one text per weight, A to D, in English."""
    sql = " || ".join(f"setweight(to_tsvector('english', %s), '{weight}')" for weight in "ABCD")
    return f"({sql})", list(texts)


def test_each_form_of_a_word_once():
    sql, params = query_sql(["seminars", "grief"])
    text = fetch(f"SELECT ({sql})::text", params)
    groups = [group.strip(" ()") for group in text.split(" & ")]
    forms = [[form.strip(" ()") for form in group.split(" | ")] for group in groups]
    assert sorted(map(sorted, forms)) == [["'grief'"], ["'seminar'", "'seminars'"]]


def matches(texts, terms, weights="", query=query_sql):
    doc_sql, doc_params = document(texts)
    sql, params = query(terms, weights)
    return fetch(f"SELECT {doc_sql} @@ {sql}", [*doc_params, *params])


def test_what_is_found_where():
    title, body = "Grief seminars for clinicians", "Le séminaire: ce que la CE offre"
    assert matches([title, "", body, ""], ["seminar", "grief"], "A")
    assert not matches(["", title, body, ""], ["seminar", "grief"], "A")
    assert matches(["", title, body, ""], ["seminar", "grief"], "AB")
    assert matches([title, "", body, ""], ["ce"])  # a French stop word, still a word in English
    assert not matches([title, "", body, ""], ["trauma"])


@settings(max_examples=60, deadline=None)
@given(
    terms=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3, unique=True),
    weights=st.sampled_from(["", "A", "AB", "ABC"]),
    texts=st.permutations(TEXTS),
)
def test_matches_exactly_what_asking_every_language_in_turn_matched(terms, weights, texts):
    assert matches(texts, terms, weights) == matches(texts, terms, weights, query=every_language_in_turn)
