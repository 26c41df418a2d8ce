"""The listing form's widgets write in Python what Django's widget templates write (events/widgets.py):
every visible field, empty, filled, filled wrongly and with markup in its value, in two languages."""

import pytest
from django.http import QueryDict
from django.test.html import parse_html
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from events.listing import EventFilterSet
from events.models import ListingEntry
from events.widgets import QuickCheckboxes, QuickInput, QuickSelect
from tests.factories import OrganizerFactory, TopicFactory

pytestmark = pytest.mark.django_db

HOSTILE = "\"><script>alert(1)</script>&amp;'é"
INPUTS = {"q", "start", "end", "city", "max_price", "ce", "near", "radius", "past"}
QUERIES = [
    "",
    "q=trauma&city=Boston&max_price=12.5&ce=1&past=on&near=51.5,-0.12&radius=20&start=2027-01-02&end=2027-02-03",
    "when=next_month&country=US&format=online&language=es&price=free&sort=newest&topic=cbt&topic=grief",
    "max_price=abc&radius=-1&start=31/02/2027&country=XX&ce=maybe&near=north",
    f"q={HOSTILE}&city={HOSTILE}&near={HOSTILE}&radius={HOSTILE}&start={HOSTILE}&max_price={HOSTILE}",
]


def django_html(field):
    """The field as Django's own widget of the same kind renders it, through its templates."""
    widget = field.field.widget
    base = next(
        klass
        for klass in type(widget).__mro__
        if klass.__module__.startswith("django.forms") and klass not in (QuickInput, QuickSelect, QuickCheckboxes)
    )
    plain = base.__new__(base)
    plain.__dict__.update(widget.__dict__)
    return field.as_widget(widget=plain)


def render_both(query):
    OrganizerFactory(name="Alliance <Institute> & Co")
    TopicFactory(name="CBT", slug="cbt")
    TopicFactory(name='Grief "care"', slug="grief")
    search = EventFilterSet(QueryDict(query), queryset=ListingEntry.objects.all())
    search.is_valid()
    return [(field.name, str(field), django_html(field)) for field in search.form.visible_fields()]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("query", QUERIES)
def test_each_field_is_written_as_django_writes_it(query, language):
    with translation.override(language):
        fields = render_both(query)
    assert {name for name, _quick, _django in fields} >= {"q", "start", "country", "topic", "ce", "radius", "past"}
    for name, quick, django in fields:
        # Inputs byte for byte; selects and checkboxes as HTML (their attributes are sorted).
        if name in INPUTS:
            assert quick == django, name
        else:
            assert parse_html(quick) == parse_html(django), name


def test_every_input_of_the_form_is_written_in_python():
    """A new filter with one of Django's own input widgets would be rendered by the templates again."""
    form = EventFilterSet(QueryDict(""), queryset=ListingEntry.objects.all()).form
    for field in form.visible_fields():
        assert isinstance(field.field.widget, QuickInput | QuickSelect | QuickCheckboxes), field.name


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=30), number=st.text(alphabet="0123456789.,-e", max_size=8))
def test_any_typed_value_is_escaped_as_django_escapes_it(text, number):
    data = QueryDict(mutable=True)
    data.update({"q": text, "city": text, "near": text, "max_price": number, "radius": number})
    search = EventFilterSet(data, queryset=ListingEntry.objects.all())
    search.is_valid()
    for field in search.form.visible_fields():
        if isinstance(field.field.widget, QuickInput):
            assert str(field) == django_html(field), field.name


def test_each_checkbox_of_the_listing_form_is_inside_its_label(client):
    """The listing's template lays out a field by its widget's type (`widget_type`, from the class
    name): a checkbox goes inside its label, so a widget of our own must keep its field's layout."""
    from bs4 import BeautifulSoup

    from tests.factories import make_event

    make_event("Ethics seminar", topics=[TopicFactory(name="Ethics", slug="ethics")])
    form = BeautifulSoup(client.get("/events/").content, "html.parser").select_one("form.filters")
    boxes = form.select('input[type="checkbox"]')
    assert {box["name"] for box in boxes} == {"ce", "past", "topic"}
    for box in boxes:
        assert box.find_parent("label") is not None, box["name"]


# The form's fields as the listing's template wrote them in a loop, before `filter_fields` wrote them in Python.
TEMPLATE_LOOP = """{% for field in form.visible_fields %}
  {% if field.name == "radius" %}
  {% elif field.name == "near" %}
    {% include "events/includes/near_filter.html" with near=field radius=form.radius %}
  {% else %}
  <div class="field field-{{ field.name }}{% if field.errors %} has-error{% endif %}">
    {% if field.widget_type == "quickcheckboxes" %}
      <fieldset{% if field.errors %} aria-describedby="{{ field.auto_id }}_error"{% endif %}><legend>{{ field.label }}</legend>{{ field }}</fieldset>
    {% elif field.widget_type == "quickcheckbox" or field.widget_type == "checkbox" %}
      <label class="check" for="{{ field.id_for_label }}">{{ field }} {{ field.label }}</label>
    {% else %}
      <label for="{{ field.id_for_label }}">{{ field.label }}</label> {{ field }}
    {% endif %}
    {% if field.errors %}<div class="error" id="{{ field.auto_id }}_error">{% for error in field.errors %}<p>{{ error }}</p>{% endfor %}</div>{% endif %}
  </div>
  {% endif %}
{% endfor %}"""


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    "query", [*QUERIES, "near=51.5,-0.1&radius=99999&sort=distance&end=2027-01-01&start=2027-02-01"]
)
def test_the_fields_are_laid_out_as_the_template_loop_did(query, language):
    from django.template import Context, Template

    OrganizerFactory(name="Alliance <Institute> & Co")
    TopicFactory(name="CBT", slug="cbt")
    with translation.override(language):
        search = EventFilterSet(QueryDict(query), queryset=ListingEntry.objects.all())
        search.is_valid()
        quick = Template("{% load event_tags %}{% filter_fields form %}").render(Context({"form": search.form}))
        loop = Template(TEMPLATE_LOOP).render(Context({"form": search.form}))
    assert parse_html(quick) == parse_html(loop)
    assert "field-topic" in quick and 'class="field near-filters' in quick
    assert ("has-error" in quick) == bool(search.form.errors)
