from decimal import Decimal

import pytest

from registrations.stripe_gateway import from_minor_units, minor_units


@pytest.mark.parametrize(
    "amount,currency,minor",
    [
        ("12.50", "USD", 1250),
        ("1500", "JPY", 1500),
        ("1500", "jpy", 1500),
        ("9.99", "EUR", 999),
        ("3000", "KRW", 3000),
        ("1.234", "KWD", 1234),
        ("0", "GBP", 0),
    ],
)
def test_amounts_cross_the_stripe_boundary_in_minor_units(amount, currency, minor):
    assert minor_units(Decimal(amount), currency) == minor
    assert from_minor_units(minor, currency) == Decimal(amount)
