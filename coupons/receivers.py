"""Reactions to signals of lower apps (DESIGN.md: dependencies point one way)."""

from django.dispatch import receiver

from coupons.models import CouponTemplate
from coupons.services import give_join_gifts
from coupons.services.rules import template_store_key
from loyalty.config_cache import forget_on_change
from merchants.signals import member_joined


@receiver(member_joined, dispatch_uid="coupons.join_gifts")
def give_join_gifts_on_joining(sender, member, **kwargs):
    # Inside the joining transaction: the gifts exist exactly when the membership does.
    give_join_gifts(member)


forget_on_change(CouponTemplate, lambda template: [template_store_key(template.pk)], m2m_fields=("stores",))
