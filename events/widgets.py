"""Form widgets that write their HTML in Python.

Django renders every <option>, every checkbox and every <input> through templates of its own. The
listing's filter form has some 250 countries, 180 languages and every organizer and topic, so that
came to tens of milliseconds per listing page, and its nine inputs to more than a millisecond more,
on every search nobody asked for before; these widgets give the same HTML in a fraction of it, each
value and label escaped once with the standard library's `html.escape` (the same five characters
as Django's `escape`) rather than through `format_html` for every option.
"""

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe
from django.utils.translation import get_language


def _flat(choices):
    """(value, label) pairs, option groups flattened (the listing has none)."""
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            yield from _flat(label)
        else:
            yield "" if value is None else str(value), str(label)


class QuickSelect(forms.Select):
    # A function(name, make) that returns make() or what it returned before for `name` (set by a
    # form whose options are the same for every request in a language: the listing's).
    remember = None

    def options(self):
        """(value, HTML before the selected mark, HTML after it) of each option."""
        return [
            (value, f'<option value="{escape(value)}"', f">{escape(label)}</option>")
            for value, label in _flat(self.choices)
        ]

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {"name": name, **self.build_attrs(self.attrs, attrs or {})}
        selected = set(self.format_value(value))
        options = self.remember(f"options:{name}:{get_language()}", self.options) if self.remember else self.options()
        rows, chosen = [], False
        for option_value, before, after in options:
            mark = not chosen and option_value in selected
            chosen = chosen or mark
            rows.append(f"{before} selected{after}" if mark else before + after)
        return mark_safe(f"<select{flatatt(attrs)}>\n" + "\n".join(rows) + "\n</select>")


class QuickCheckboxes(forms.CheckboxSelectMultiple):
    remember = None  # as QuickSelect's

    def boxes(self, name, attrs, base_id):
        """(value, its box's HTML unchecked, checked) of each box."""
        boxes = []
        for index, (option_value, label) in enumerate(_flat(self.choices)):
            box = {"type": "checkbox", "name": name, "value": option_value, **attrs}
            if base_id:
                box["id"] = f"{base_id}_{index}"
            before, after = (
                f"<div>\n<label{flatatt({'for': box['id']} if base_id else {})}><input",
                f">\n {escape(label)}</label>\n\n</div>",
            )
            boxes.append(
                (option_value, before + flatatt(box) + after, before + flatatt({**box, "checked": True}) + after)
            )
        return boxes

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs or {})
        base_id = attrs.pop("id", None)
        checked = set(self.format_value(value))
        if self.remember:
            # (the attributes are part of what is written: those of a field with errors differ)
            key = f"boxes:{name}:{base_id}:{sorted(attrs.items())}:{get_language()}"
            boxes = self.remember(key, lambda: self.boxes(name, attrs, base_id))
        else:
            boxes = self.boxes(name, attrs, base_id)
        rows = [on if option in checked else off for option, off, on in boxes]
        return mark_safe(f"<div{flatatt({'id': base_id} if base_id else {})}>\n" + "\n".join(rows) + "\n</div>")


class QuickInput:
    """Mixed into one of Django's input widgets: the <input> its input.html and attrs.html write,
    written here (the same context, the same attributes in the same order)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
        if widget["value"] is not None:
            html += f' value="{escape(str(widget["value"]))}"'
        for key, attribute in widget["attrs"].items():
            if attribute is True:
                html += f" {escape(key)}"
            elif attribute is not False:
                html += f' {escape(key)}="{escape(str(attribute))}"'
        return mark_safe(html + ">")


class QuickTextInput(QuickInput, forms.TextInput):
    pass


class QuickNumberInput(QuickInput, forms.NumberInput):
    pass


class QuickDateInput(QuickInput, forms.DateInput):
    pass


class QuickCheckboxInput(QuickInput, forms.CheckboxInput):
    pass
