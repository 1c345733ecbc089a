"""Reactions to signals of lower apps (DESIGN.md: dependencies point one way)."""

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from coupons.models import CouponTemplate
from coupons.services.rules import template_store_key
from loyalty.config_cache import forget, forget_on_change
from merchants.models import Store

forget_on_change(CouponTemplate, lambda template: [template_store_key(template.pk)], m2m_fields=("stores",))


@receiver(pre_delete, sender=Store, dispatch_uid="coupons.forget_stores_of_templates")
def forget_the_stores_of_its_templates(sender, instance, **kwargs):
    # A deleted store leaves its templates by cascade, which sends no m2m_changed.
    forget([template_store_key(pk) for pk in CouponTemplate.objects.filter(stores=instance).values_list("pk",
                                                                                                     flat=True)])
