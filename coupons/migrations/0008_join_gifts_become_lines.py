"""Coupon templates flagged "give on joining" become lines of their merchant's join gift (merchants.JoinGift)."""

from django.db import migrations


def join_gifts_from_templates(apps, schema_editor):
    """Every merchant with flagged templates gets a join gift giving one of each, in the order they were made."""
    CouponTemplate = apps.get_model("coupons", "CouponTemplate")
    JoinGift = apps.get_model("merchants", "JoinGift")
    JoinGiftBenefit = apps.get_model("merchants", "JoinGiftBenefit")
    lines = []
    positions = {}
    for template in CouponTemplate.objects.filter(give_on_joining=True).order_by("merchant_id", "pk"):
        gift, _created = JoinGift.objects.get_or_create(merchant_id=template.merchant_id)
        position = positions.get(gift.pk, 0)
        lines.append(JoinGiftBenefit(merchant_id=template.merchant_id, gift=gift, kind="coupon", quantity=1,
                                     target_id=template.pk, position=position))
        positions[gift.pk] = position + 1
    JoinGiftBenefit.objects.bulk_create(lines)


def templates_from_join_gifts(apps, schema_editor):
    CouponTemplate = apps.get_model("coupons", "CouponTemplate")
    JoinGiftBenefit = apps.get_model("merchants", "JoinGiftBenefit")
    flagged = JoinGiftBenefit.objects.filter(kind="coupon").values_list("target_id", flat=True)
    CouponTemplate.objects.filter(pk__in=list(flagged)).update(give_on_joining=True)


class Migration(migrations.Migration):

    dependencies = [
        ('coupons', '0007_template_kind_from_coupon_kinds'),
        ('merchants', '0002_join_gifts'),
    ]

    operations = [
        migrations.RunPython(join_gifts_from_templates, templates_from_join_gifts),
        migrations.RemoveField(
            model_name='coupontemplate',
            name='give_on_joining',
        ),
    ]
