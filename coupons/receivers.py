"""Reactions to signals of lower apps (DESIGN.md: dependencies point one way)."""

from django.dispatch import receiver

from coupons.services import give_join_gifts
from merchants.signals import member_joined


@receiver(member_joined, dispatch_uid="coupons.join_gifts")
def give_join_gifts_on_joining(sender, member, **kwargs):
    # Inside the joining transaction: the gifts exist exactly when the membership does.
    give_join_gifts(member)
