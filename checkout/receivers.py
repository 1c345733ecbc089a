"""Reactions to signals of lower apps (DESIGN.md: dependencies point one way)."""

from django.dispatch import receiver

from checkout.services import credit_held_rewards
from merchants.signals import member_joined


@receiver(member_joined, dispatch_uid="checkout.held_rewards")
def credit_rewards_held_for_the_new_member(sender, member, **kwargs):
    # Inside the joining transaction: rewards held for this phone are credited exactly when the membership exists.
    credit_held_rewards(member)
