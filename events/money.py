"""Money as Stripe takes it: which currencies, how many decimals, the smallest and largest charge.

The one place that knows this. Editors are told here when a price cannot be charged (the event
form calls `price_problem`), so buyers never meet it at checkout; the Stripe boundary
(registrations.stripe_gateway) converts with `minor_units` / `from_minor_units`.

Transcribed from Stripe's "Supported currencies" page (docs.stripe.com/currencies): presentment
currencies for card payments, zero- and three-decimal currencies, special cases, and the table of
minimum charge amounts. For a currency missing from that table Stripe's minimum is the equivalent
of USD 0.50 at the day's rate, which cannot be checked offline: only one minor unit is required
here. The emulator (registrations/stripe_emulator) keeps its own transcription, and
tests/test_money.py holds the two equal.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

STRIPE_CURRENCIES = frozenset(
    """USD AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BIF BMD BND BOB BRL BSD BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP ETB EUR FJD FKP GBP GEL GIP GMD GNF
    GTQ GYD HKD HNL HTG HUF IDR ILS INR ISK JMD JPY KES KGS KHR KMF KRW KYD KZT LAK LBP LKR LRD LSL
    MAD MDL MGA MKD MMK MNT MOP MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR
    PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SEK SGD SHP SLE SOS SRD STD SZL THB TJS TOP TRY TTD TWD
    TZS UAH UGX UYU UZS VND VUV WST XAF XCD XOF XPF YER ZAR ZMW BHD JOD KWD OMR TND""".split()
)
# Amounts are whole units, not cents.
ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
# Stripe takes thousandths, the last digit zero: at most two decimals.
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
# Two decimals in the API, but only whole amounts (the decimals always 00).
WHOLE_UNITS_IN_TWO_DECIMALS = frozenset({"ISK"})
# The smallest charge, in the currency's major unit.
MINIMUM_CHARGE = {
    code: Decimal(amount)
    for code, amount in {
        "USD": "0.50", "AED": "2.00", "AUD": "0.50", "BGN": "1.00", "BRL": "0.50", "CAD": "0.50",
        "CHF": "0.50", "CZK": "15.00", "DKK": "2.50", "EUR": "0.50", "GBP": "0.30", "HKD": "4.00",
        "HUF": "175.00", "INR": "0.50", "JPY": "50", "MXN": "10", "MYR": "2", "NOK": "3.00",
        "NZD": "0.50", "PLN": "2.00", "RON": "2.00", "SEK": "3.00", "SGD": "0.50", "THB": "10",
    }.items()
}  # fmt: skip
# The largest amount Stripe takes, in minor units (eight digits; twelve for IDR).
MAXIMUM_MINOR_UNITS = 99_999_999
MAXIMUM_MINOR_UNITS_BY_CURRENCY = {"IDR": 999_999_999_999}


def exponent(currency: str) -> int:
    """How many decimals Stripe's minor unit has in `currency` (USD 2, JPY 0, KWD 3)."""
    currency = currency.upper()
    return 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2


def decimal_places(currency: str) -> int:
    """How many decimals a price may have in `currency` (JPY and ISK 0, most 2)."""
    currency = currency.upper()
    return 0 if currency in ZERO_DECIMAL or currency in WHOLE_UNITS_IN_TWO_DECIMALS else 2


def is_exact(amount, currency: str) -> bool:
    """Whether `amount` has no more decimals than `currency` allows."""
    amount = Decimal(amount)
    return amount == amount.quantize(Decimal(1).scaleb(-decimal_places(currency)))


def minor_units(amount, currency: str) -> int:
    """`amount` in the currency's smallest unit, as Stripe wants it (JPY 1500 -> 1500, USD 12.5 -> 1250).

    Raises ValueError rather than round: money is never silently changed on its way to Stripe.
    """
    if not is_exact(amount, currency):
        raise ValueError(f"{amount} {currency} has more decimals than {currency} allows")
    return int(Decimal(amount).scaleb(exponent(currency)))


def from_minor_units(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-exponent(currency))


def minimum_charge(currency: str) -> Decimal:
    """The smallest amount Stripe charges in `currency` (one minor unit where Stripe gives no figure)."""
    currency = currency.upper()
    return MINIMUM_CHARGE.get(currency, Decimal(1).scaleb(-decimal_places(currency)))


def maximum_charge(currency: str) -> Decimal:
    currency = currency.upper()
    return from_minor_units(MAXIMUM_MINOR_UNITS_BY_CURRENCY.get(currency, MAXIMUM_MINOR_UNITS), currency)


def price_problem(price, currency: str):
    """Why Stripe could not charge `price` in `currency` (a sentence for the editor), or None.

    A price of 0 (a free ticket) never goes to Stripe, so any currency will do.
    """
    if price is None or price == 0:
        return None
    currency = currency.upper()
    if currency not in STRIPE_CURRENCIES:
        return _("Stripe cannot take payments in %(currency)s: choose another currency or make this ticket free.") % {
            "currency": currency
        }
    if not is_exact(price, currency):
        if decimal_places(currency) == 0:
            return _("%(currency)s has no minor unit: use a whole number.") % {"currency": currency}
        return _("%(currency)s allows %(places)s decimal places.") % {
            "currency": currency,
            "places": decimal_places(currency),
        }
    if price < minimum_charge(currency):
        return _("Stripe's smallest charge in %(currency)s is %(minimum)s: charge at least that, or make it free.") % {
            "currency": currency,
            "minimum": minimum_charge(currency),
        }
    if price > maximum_charge(currency):
        return _("Stripe's largest charge in %(currency)s is %(maximum)s.") % {
            "currency": currency,
            "maximum": maximum_charge(currency),
        }
    return None


@dataclass(frozen=True)
class Tax:
    """The tax on a ticket: its name (VAT, sales tax), rate in percent, and whether the ticket's
    price includes it or it is added. Computed as Stripe computes a tax rate on a Checkout line
    (the line's amount, the unit price times the quantity, rounded half up to the minor unit), so
    the order's tax and Stripe's agree to the cent. Rounded to the decimals a price may have in the
    currency (`decimal_places`), so a total with its tax can always be charged."""

    name: str
    rate: Decimal | None
    inclusive: bool
    automatic: bool = False  # Stripe Tax works it out at payment, from the buyer's country (rate None)

    def on(self, amount, currency):
        """The tax in `amount` (inclusive) or on it (exclusive), rounded to the currency's minor unit;
        0 until Stripe has worked out an automatic one."""
        if self.automatic:
            return Decimal(0)
        amount, rate = Decimal(amount), Decimal(self.rate)
        share = amount * rate / (100 + rate) if self.inclusive else amount * rate / 100
        return share.quantize(Decimal(1).scaleb(-decimal_places(currency)), rounding=ROUND_HALF_UP)

    def gross(self, amount, currency):
        """What the buyer pays for `amount` at the listed price: the amount, plus the tax if added."""
        return Decimal(amount) if self.inclusive else Decimal(amount) + self.on(amount, currency)


def split(amount, count, currency):
    """`amount` shared between `count` seats as evenly as the currency's smallest price step
    allows (the first seats carry the odd steps), so the shares add up to it exactly."""
    step = Decimal(1).scaleb(-decimal_places(currency))
    each, odd = divmod(int(Decimal(amount) / step), count)
    return [(each + (1 if i < odd else 0)) * step for i in range(count)]
