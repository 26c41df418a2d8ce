"""Driving the Wagtail admin's page editor as a browser would."""

from wagtail.test.utils.form_data import querydict_from_html


def form_data(client, url):
    """The admin form as the browser would post it (StreamField counts are set by its scripts)."""
    response = client.get(url)
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    for name in ("body", "learning_objectives", "presenters", "evaluation"):
        data.setdefault(f"{name}-count", "0")
    return data
