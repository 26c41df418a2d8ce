"""Stripe API emulator for tests and local development; see README.md."""

from .server import StripeEmulator, format_amount, sign

__all__ = ["StripeEmulator", "format_amount", "sign"]
