"""Reactions to signals of lower apps (DESIGN.md: dependencies point one way)."""

from django.dispatch import receiver

from cards.membership.services import card_for, program_for
from merchants.signals import member_joined


@receiver(member_joined, dispatch_uid="membership.open_card")
def open_card_on_joining(sender, member, **kwargs):
    # Only where the merchant runs a programme: elsewhere the card opens on first use (card_for).
    if program_for(member.merchant_id) is not None:
        card_for(member)
