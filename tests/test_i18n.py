"""The Spanish translation: the language switcher changes what the site says, dates follow the
language, and the committed catalogues are complete and compiled: each app's own (events/locale,
registrations/locale, shipped in the package) and the reference site's (locale/)."""

import gettext as gnu_gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation

from tests.factories import event_index, local, make_event

ROOT = Path(settings.BASE_DIR)
# Each catalogue's folder, and how many entries it holds at least (a truncated file shows).
CATALOGUES = {"events": 200, "registrations": 350, ".": 20}


def catalogue_files(folder):
    messages = ROOT / folder / "locale" / "es" / "LC_MESSAGES"
    return messages / "django.po", messages / "django.mo"


each_catalogue = pytest.mark.parametrize("folder", CATALOGUES, ids=["events", "registrations", "site"])

LISTING_STRINGS = ["Find events", "From", "Until", "Any country", "Include past events", "Sort by", "Search"]
EVENT_HEADINGS = ["Learning objectives", "When", "Where", "Tickets", "About"]


def spanish(message):
    """`message` as the compiled Spanish catalogue has it; it must really be translated."""
    with translation.override("es"):
        translated = translation.gettext(message)
    assert translated != message, f"{message!r} has no Spanish translation"
    return translated


def switch_language(client, code, next_url):
    response = client.post("/i18n/setlang/", {"language": code, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == code
    return response


def workshop(**fields):
    fields.setdefault("learning_objectives", [("objective", "Name three alliance ruptures")])
    return make_event("Alliance workshop", start=local("UTC", 2031, 3, 12, 10), hours=3, **fields)


# The language switch


@pytest.mark.django_db
def test_listing_is_english_by_default(client):
    event_index()
    content = client.get("/events/").content.decode()
    assert '<html lang="en">' in content
    for message in LISTING_STRINGS:
        assert message in content
    for message in ("Find events", "Any country", "Include past events"):
        assert spanish(message) not in content


@pytest.mark.django_db
def test_set_language_switches_listing_to_spanish(client):
    event_index()
    switch_language(client, "es", "/events/")
    response = client.get("/events/")
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="es">' in content
    for message in LISTING_STRINGS:
        assert spanish(message) in content
    assert ">Any country<" not in content
    assert ">Find events<" not in content
    assert ">Include past events<" not in content


@pytest.mark.django_db
def test_switching_back_to_english(client):
    event_index()
    switch_language(client, "es", "/events/")
    assert '<html lang="es">' in client.get("/events/").content.decode()
    switch_language(client, "en", "/events/")
    content = client.get("/events/").content.decode()
    assert '<html lang="en">' in content
    assert ">Find events<" in content


# An event page


@pytest.mark.django_db
def test_event_page_headings_in_spanish(client):
    event = workshop()
    switch_language(client, "es", event.url)
    content = client.get(event.url).content.decode()
    assert '<html lang="es">' in content
    for heading in EVENT_HEADINGS:
        assert f"<h2>{spanish(heading)}</h2>" in content
        assert f"<h2>{heading}</h2>" not in content


@pytest.mark.django_db
def test_event_page_headings_in_english_by_default(client):
    event = workshop()
    content = client.get(event.url).content.decode()
    assert '<html lang="en">' in content
    for heading in EVENT_HEADINGS:
        assert f"<h2>{heading}</h2>" in content
        assert f"<h2>{spanish(heading)}</h2>" not in content


@pytest.mark.django_db
def test_dates_follow_the_language(client):
    event = workshop()  # Wednesday 12 March 2031, 10:00 UTC

    english = client.get(event.url).content.decode()
    assert "Wednesday, March 12, 2031" in english
    assert "marzo" not in english

    switch_language(client, "es", event.url)
    spanish_page = client.get(event.url).content.decode()
    assert "miércoles, 12 de marzo de 2031" in spanish_page
    assert "March" not in spanish_page
    assert "Wednesday" not in spanish_page


@pytest.mark.django_db
def test_listing_card_dates_follow_the_language(client):
    workshop()
    switch_language(client, "es", "/events/")
    content = client.get("/events/").content.decode()
    assert "12 de marzo de 2031" in content
    assert "March" not in content


# The catalogue


def read_po(path):
    """(flags, msgid, msgstrs) of each entry of a .po file, header included."""
    entries, flags, fields, current = [], [], {}, None

    def finish():
        if fields:
            msgstrs = [value for key, value in sorted(fields.items()) if key.startswith("msgstr")]
            entries.append((flags, fields.get("msgid", ""), msgstrs))

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            finish()
            flags, fields, current = [], {}, None
        elif line.startswith("#,"):
            flags = flags + [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[current] += _unquote(line)
        else:
            current, _, rest = line.partition(" ")
            fields[current] = _unquote(rest)
    finish()
    return entries


def _unquote(quoted):
    assert quoted.startswith('"') and quoted.endswith('"'), quoted
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda match: escapes[match.group(1)], quoted[1:-1])


@each_catalogue
def test_po_has_no_fuzzy_or_empty_entries(folder):
    po_file, _ = catalogue_files(folder)
    entries = read_po(po_file)
    assert len(entries) > CATALOGUES[folder]
    header = entries[0][2][0]
    assert "Language: es\n" in header
    assert "charset=UTF-8" in header
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header
    assert "fuzzy" not in po_file.read_text(encoding="utf-8")
    for flags, msgid, msgstrs in entries[1:]:
        assert "fuzzy" not in flags, msgid
        assert msgstrs and all(msgstrs), f"untranslated: {msgid!r}"


@each_catalogue
def test_compiled_catalogue_is_complete_and_current(folder):
    po_file, mo_file = catalogue_files(folder)
    with mo_file.open("rb") as handle:
        catalogue = gnu_gettext.GNUTranslations(handle)
    assert catalogue.info()["language"] == "es"
    messages = {key: value for key, value in catalogue._catalog.items() if key != ""}
    assert len(messages) > CATALOGUES[folder]
    for key, value in messages.items():
        assert value.strip(), f"empty translation for {key!r}"

    # The .mo was compiled from the .po as it is now.
    po_singulars = {msgid: msgstrs[0] for _, msgid, msgstrs in read_po(po_file)[1:] if len(msgstrs) == 1}
    mo_singulars = {key: value for key, value in messages.items() if isinstance(key, str)}
    assert mo_singulars == po_singulars


def test_plural_forms_are_compiled():
    with catalogue_files("events")[1].open("rb") as handle:
        catalogue = gnu_gettext.GNUTranslations(handle)
    assert catalogue.ngettext("%(counter)s event", "%(counter)s events", 1) == "%(counter)s evento"
    assert catalogue.ngettext("%(counter)s event", "%(counter)s events", 2) == "%(counter)s eventos"


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{\s*\w+\s*\}\}")


@each_catalogue
def test_translations_keep_placeholders(folder):
    for _, msgid, msgstrs in read_po(catalogue_files(folder)[0])[1:]:
        expected = sorted(PLACEHOLDER.findall(msgid))
        for msgstr in msgstrs:
            assert sorted(PLACEHOLDER.findall(msgstr)) == expected, (msgid, msgstr)


@pytest.mark.django_db
def test_the_event_language_is_named_in_the_visitors_language(client):
    event = workshop(language="de")
    assert "<dd>German</dd>" in client.get(event.url).content.decode()
    switch_language(client, "es", event.url)
    assert "<dd>alemán</dd>" in client.get(event.url).content.decode()


@pytest.mark.django_db
@override_settings(LOCALE_PATHS=[])
def test_the_apps_bring_their_own_spanish(client):
    """Without the project's catalogue, as in another site, the apps' pages are still in Spanish."""
    event = workshop()
    switch_language(client, "es", event.url)
    content = client.get(event.url).content.decode()
    for heading in EVENT_HEADINGS:  # events' catalogue
        assert f"<h2>{spanish(heading)}</h2>" in content
    assert spanish("Register now") in content  # registrations' catalogue
    assert ">Register now<" not in content
