"""The ticket's QR code: one way to draw it, for the ticket page (SVG) and the email (PNG).

It encodes the ticket secret and nothing else, so a scan carries no personal data and the door
looks everything up on the server.
"""

import io

import segno
from django.utils.html import escape
from django.utils.safestring import mark_safe


def ticket_qr(secret):
    # Level M survives a scratched phone screen or a crumpled printout; never a Micro QR, which
    # phone cameras and BarcodeDetector read less reliably.
    return segno.make_qr(secret, error="m")


def ticket_qr_svg(secret, label, scale=5):
    """Inline SVG (dark on white, so it scans in dark mode too), announced as an image named `label`."""
    svg = ticket_qr(secret).svg_inline(
        scale=scale, dark="#000", light="#fff", svgclass="ticket-qr-code", lineclass=None, title=label
    )
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


def ticket_qr_png(secret, scale=8):
    buffer = io.BytesIO()
    ticket_qr(secret).save(buffer, kind="png", scale=scale, dark="#000", light="#fff")
    return buffer.getvalue()
