"""What a terminal sees of a member's card in the member lookup (merchants.serializers.MEMBER_SUMMARY_EXTRAS)."""

from __future__ import annotations

from cards.membership.models import MembershipCard


def membership_summary_extra(member) -> dict:
    """Level and balances as the card says now; nothing is opened or written by a lookup."""
    card = MembershipCard.objects.filter(member=member).select_related("level").first()
    level = card.level if card is not None else None
    return {"membership": {
        "level": None if level is None else {"id": level.pk, "name": level.name, "rank": level.rank,
                                             "discount_percent": str(level.discount_percent)},
        "points": card.points if card is not None else 0,
        "experience": card.experience if card is not None else 0,
    }}
