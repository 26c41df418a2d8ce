"""Money crosses the Stripe boundary in minor units, exactly, and editors may only set prices Stripe
can charge (events/money.py is the one place that knows Stripe's currency rules)."""

from decimal import Decimal

import pytest

from events import money
from registrations.stripe_emulator import server as emulator
from registrations.stripe_gateway import from_minor_units, minor_units


@pytest.mark.parametrize(
    "amount,currency,minor",
    [
        ("12.50", "USD", 1250),
        ("1500", "JPY", 1500),
        ("1500", "jpy", 1500),
        ("9.99", "EUR", 999),
        ("3000", "KRW", 3000),
        ("1.23", "KWD", 1230),
        ("1500", "ISK", 150000),
        ("0", "GBP", 0),
    ],
)
def test_amounts_cross_the_stripe_boundary_in_minor_units(amount, currency, minor):
    assert minor_units(Decimal(amount), currency) == minor
    assert from_minor_units(minor, currency) == Decimal(amount)


@pytest.mark.parametrize("amount,currency", [("1500.50", "JPY"), ("12.505", "USD"), ("10.5", "ISK"), ("1.234", "KWD")])
def test_an_amount_more_precise_than_its_currency_is_refused_not_rounded(amount, currency):
    with pytest.raises(ValueError):
        minor_units(Decimal(amount), currency)


@pytest.mark.parametrize(
    "price,currency,problem",
    [
        ("0", "XTS", None),  # free: never sent to Stripe
        ("0.50", "USD", None),
        ("0.49", "USD", "smallest charge in USD is 0.50"),
        ("0.49", "EUR", "smallest charge in EUR is 0.50"),
        ("0.30", "GBP", None),
        ("0.29", "GBP", "smallest charge in GBP is 0.30"),
        ("50", "JPY", None),
        ("49", "JPY", "smallest charge in JPY is 50"),
        ("1500.50", "JPY", "JPY has no minor unit"),
        ("100.50", "KRW", "KRW has no minor unit"),
        ("10.50", "ISK", "ISK has no minor unit"),
        ("1000000.00", "USD", "largest charge in USD is 999999.99"),
        ("10", "XTS", "Stripe cannot take payments in XTS"),
        ("10", "VES", "Stripe cannot take payments in VES"),
        ("0.01", "COP", None),  # no figure from Stripe: one minor unit
    ],
)
def test_editors_may_only_set_prices_stripe_can_charge(price, currency, problem):
    found = money.price_problem(Decimal(price), currency)
    assert (found is None) if problem is None else (problem in found), found


def test_the_app_and_the_emulator_agree_on_stripes_currency_rules():
    """Two transcriptions of Stripe's currency page: the app's rules and the emulator's, which
    stands in for Stripe and must not borrow from the code it checks."""
    assert {c.upper() for c in emulator.STRIPE_CURRENCIES} == money.STRIPE_CURRENCIES
    assert {c.upper() for c in emulator.ZERO_DECIMAL} == money.ZERO_DECIMAL
    assert {c.upper() for c in emulator.THREE_DECIMAL} == money.THREE_DECIMAL
    assert {c.upper(): money.from_minor_units(m, c) for c, m in emulator.MINIMUM_CHARGE.items()} == money.MINIMUM_CHARGE
