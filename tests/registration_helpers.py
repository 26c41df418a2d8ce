"""Doing what a buyer does, through the real views."""

import re

from registrations.models import Order


def attendee_data(n, ce=False, **extra):
    data = {}
    for i in range(n):
        data[f"attendee-{i}-name"] = f"Attendee {i}"
        data[f"attendee-{i}-email"] = f"attendee{i}@example.com"
        if ce:
            data[f"attendee-{i}-profession"] = "Psychologist"
            data[f"attendee-{i}-licence_number"] = f"LIC-{i}"
    data.update(extra)
    return data


def register(client, event, ticket=None, quantity=1, **extra):
    ticket = ticket or event.ticket_types.first()
    data = {"ticket_type": ticket.pk, "quantity": quantity, **attendee_data(quantity, ce=bool(event.ce_hours))}
    data.update(extra)
    return client.post(f"/events/{event.slug}/register/", data)


def checkout_session_id(response):
    assert response.status_code == 303, response.content[:2000]
    match = re.search(r"/pay/(cs_[A-Za-z0-9_]+)", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def latest_order():
    return Order.objects.order_by("-pk").first()
