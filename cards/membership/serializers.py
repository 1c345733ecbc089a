"""What a terminal sees of a member's card in the member lookup (merchants.serializers.MEMBER_SUMMARY_EXTRAS)."""

from __future__ import annotations

from rest_framework import serializers

from cards.membership.models import MembershipCard
from merchants.serializers import SummaryExtra


class LevelAnswer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    rank = serializers.IntegerField()
    discount_percent = serializers.CharField(help_text="The level's price as a percentage: \"90\" is 10% off.")


class MembershipAnswer(serializers.Serializer):
    level = LevelAnswer(allow_null=True)
    points = serializers.IntegerField()
    experience = serializers.IntegerField()


def read_membership(member) -> dict:
    """Level and balances as the card says now; nothing is opened or written by a lookup."""
    card = MembershipCard.objects.filter(member=member).select_related("level").first()
    level = card.level if card is not None else None
    return {
        "level": None if level is None else {"id": level.pk, "name": level.name, "rank": level.rank,
                                             "discount_percent": str(level.discount_percent)},
        "points": card.points if card is not None else 0,
        "experience": card.experience if card is not None else 0,
    }


membership_summary_extra = SummaryExtra("membership", MembershipAnswer, read_membership)
