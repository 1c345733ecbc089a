"""Member pages under /m/<merchant-slug>/card/: the card face with the dynamic QR code, points history, levels."""

from __future__ import annotations

import math
import re

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from cards.membership import services
from cards.membership.models import MembershipCard, PointsBucket, PointsEntry
from loyalty.money import money_text
from merchants.member_codes import member_code, seconds_until_next_code
from merchants.views import _qr_svg, member_required

PAGE_SIZE = 20
COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
DEFAULT_COLOUR = "#C0392B"


def card_tile(request, member):
    """The 会员卡 tile on the member home page: level and points."""
    card = MembershipCard.objects.filter(member=member).select_related("level").first()
    if card is None and services.program_for(member.merchant_id) is None:
        return None
    level = card.level.name if card is not None and card.level else _("Member")
    points = card.points if card is not None else 0
    return {"title": _("Membership card"), "value": ngettext("%(level)s · %(points)d point",
                                                             "%(level)s · %(points)d points", points) % {
        "level": level, "points": points}, "url": reverse("membership:card", args=[member.merchant.slug])}


def _progress(card: MembershipCard, program, levels) -> dict:
    """Where the member stands on the way to the next level, for the progress bar."""
    amount = services.qualifying_amount(card, program) if program is not None else 0
    upcoming = services.next_level(levels, card.level)
    if upcoming is None:
        return {"amount": amount, "next": None, "percent": 100, "missing": 0}
    percent = int(min(100, amount * 100 / upcoming.threshold)) if upcoming.threshold else 100
    missing = max(upcoming.threshold - amount, 0)
    if program.level_basis == program.LevelBasis.EXPERIENCE:
        missing = math.ceil(missing)  # experience is counted in whole points
    else:
        missing = f"¥{money_text(missing)}"
    return {"amount": amount, "next": upcoming, "percent": percent, "missing": missing}


@never_cache
@member_required
def card(request, merchant, member):
    """会员卡: the card face (level, points, experience, progress), the QR code to scan, expiry and level rules."""
    membership_card = services.card_for(member)
    program = services.program_for(merchant)
    levels = services.levels_of(program)
    today = timezone.localdate()
    expiring = (PointsBucket.objects.filter(card=membership_card, remaining__gt=0, expires_on__gte=today)
                .order_by("expires_on")[:3])
    code = member_code(member)
    return render(request, "membership/card.html", {
        "merchant": merchant, "member": member, "card": membership_card, "program": program, "levels": levels,
        "progress": _progress(membership_card, program, levels), "expiring": expiring,
        "recent": PointsEntry.objects.filter(card=membership_card).order_by("-created_at", "-pk")[:5],
        "colour": program.colour if program is not None and COLOUR.match(program.colour) else DEFAULT_COLOUR,
        "code": code, "qr_svg": _qr_svg(code), "refresh_in": seconds_until_next_code(),
    })


@never_cache
@member_required
def points_history(request, merchant, member):
    """积分明细: every change of the member's points with its reason, newest first, paginated."""
    membership_card = services.card_for(member)
    entries = PointsEntry.objects.filter(card=membership_card).order_by("-created_at", "-pk")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "membership/points.html", {"merchant": merchant, "member": member,
                                                      "card": membership_card, "page": page})
