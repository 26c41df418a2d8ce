from django import template
from django.utils.translation import gettext as _

from ..qr import ticket_qr_svg

register = template.Library()


@register.simple_tag
def ticket_qr(registration):
    """The registration's QR code as inline SVG."""
    return ticket_qr_svg(registration.ticket_secret, _("QR code of your ticket"))
