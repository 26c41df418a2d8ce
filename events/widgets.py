"""Form widgets that write their HTML in Python.

Django renders every <option> and every checkbox through a template of its own. The listing's
filter form has some 250 countries, 180 languages and every organizer and topic, so that came to
tens of milliseconds per listing page; these widgets give the same HTML in a fraction of it.
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


def _flat(choices):
    """(value, label) pairs, option groups flattened (the listing has none)."""
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            yield from _flat(label)
        else:
            yield value, label


class QuickSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        attrs = {"name": name, **self.build_attrs(self.attrs, attrs or {})}
        selected = set(self.format_value(value))
        rows, chosen = [], False
        for option_value, label in _flat(self.choices):
            option_value = "" if option_value is None else str(option_value)
            mark = not chosen and option_value in selected
            chosen = chosen or mark
            rows.append((option_value, " selected" if mark else "", label))
        options = format_html_join("\n", '<option value="{}"{}>{}</option>', rows)
        return format_html("<select{}>\n{}\n</select>", flatatt(attrs), options)


class QuickCheckboxes(forms.CheckboxSelectMultiple):
    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs or {})
        base_id = attrs.pop("id", None)
        checked = set(self.format_value(value))
        rows = []
        for index, (option_value, label) in enumerate(_flat(self.choices)):
            option_value = "" if option_value is None else str(option_value)
            box = {"type": "checkbox", "name": name, "value": option_value, **attrs}
            if base_id:
                box["id"] = f"{base_id}_{index}"
            if option_value in checked:
                box["checked"] = True
            rows.append((flatatt({"for": box["id"]} if base_id else {}), flatatt(box), label))
        boxes = format_html_join("\n", "<div>\n<label{}><input{}>\n {}</label>\n\n</div>", rows)
        return format_html("<div{}>\n{}\n</div>", flatatt({"id": base_id} if base_id else {}), boxes)
