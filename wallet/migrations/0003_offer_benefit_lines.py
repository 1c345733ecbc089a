"""Recharge offers hold benefit lines: their points, experience and coupon rows move into lines, and every
recharge records what it gave (points, experience, its coupons) so that a refund takes back exactly that."""

import django.db.models.deletion
import loyalty.benefits
import loyalty.money
from decimal import Decimal
from django.db import migrations, models


def lines_from_offers(apps, schema_editor):
    """Coupons first, then points, then experience: the order a recharge gave them in."""
    RechargeOffer = apps.get_model("wallet", "RechargeOffer")
    RechargeOfferCoupon = apps.get_model("wallet", "RechargeOfferCoupon")
    RechargeOfferBenefit = apps.get_model("wallet", "RechargeOfferBenefit")
    lines = []
    for offer in RechargeOffer.objects.order_by("pk").iterator():
        values = [("coupon", row.quantity, row.template_id)
                  for row in RechargeOfferCoupon.objects.filter(offer=offer).order_by("pk")]
        values += [(kind, quantity, None) for kind, quantity in (("points", offer.points),
                                                                 ("experience", offer.experience)) if quantity]
        lines += [RechargeOfferBenefit(merchant_id=offer.merchant_id, offer=offer, kind=kind, quantity=quantity,
                                       target_id=target_id, position=position)
                  for position, (kind, quantity, target_id) in enumerate(values)]
    RechargeOfferBenefit.objects.bulk_create(lines)


def given_from_recharges(apps, schema_editor):
    """What each credited recharge gave, under the references its ledgers already hold."""
    Recharge = apps.get_model("wallet", "Recharge")
    RechargeCoupon = apps.get_model("wallet", "RechargeCoupon")
    credited = (Recharge.objects.filter(status__in=["paid", "refunded"]).exclude(points=0, experience=0, coupons_given=0)
                .order_by("pk"))
    for recharge in credited.iterator():
        given = []
        by_template = {}
        for coupon_id, template_id, code in (RechargeCoupon.objects.filter(recharge=recharge).order_by("pk")
                                             .values_list("coupon_id", "coupon__template_id", "coupon__code")):
            by_template.setdefault(template_id, []).append((coupon_id, code))
        for template_id, coupons in by_template.items():
            given.append(_record("coupon", quantity=len(coupons), target_id=template_id,
                                 objects=[pk for pk, _code in coupons], codes=[code for _pk, code in coupons]))
        for kind, quantity in (("points", recharge.points), ("experience", recharge.experience)):
            if quantity:
                given.append(_record(kind, quantity=quantity, reference=f"recharge:{recharge.pk}"))
        recharge.given = given
        recharge.save(update_fields=["given"])


def _record(kind, *, quantity, target_id=None, reference="", objects=(), codes=()):
    return {"kind": kind, "quantity": quantity, "amount": "0.00", "target_id": target_id, "reference": reference,
            "objects": list(objects), "codes": list(codes), "taken_quantity": 0, "taken_amount": "0.00",
            "shortfall_quantity": 0, "shortfall_amount": "0.00"}


class Migration(migrations.Migration):

    dependencies = [
        ('coupons', '0008_join_gifts_become_lines'),
        ('merchants', '0002_join_gifts'),
        ('wallet', '0002_recharge_coupons_and_cashback_take_back'),
    ]

    operations = [
        migrations.AddField(
            model_name='recharge',
            name='given',
            field=models.JSONField(blank=True, default=list, verbose_name='benefits given'),
        ),
        migrations.CreateModel(
            name='RechargeOfferBenefit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=30, validators=[loyalty.benefits.validate_kind], verbose_name='kind')),
                ('quantity', models.PositiveIntegerField(default=0, verbose_name='quantity')),
                ('amount', loyalty.money.MoneyField(decimal_places=2, default=Decimal('0.00'), max_digits=14, verbose_name='amount')),
                ('target_id', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='what it gives')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
                ('merchant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='merchants.merchant', verbose_name='merchant')),
                ('offer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='benefits', to='wallet.rechargeoffer', verbose_name='recharge offer')),
            ],
            options={
                'verbose_name': 'benefit of the recharge offer',
                'verbose_name_plural': 'benefits of the recharge offer',
                'ordering': ['position', 'pk'],
                'abstract': False,
            },
        ),
        migrations.AddConstraint(
            model_name='rechargeofferbenefit',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='wallet_rechargeofferbenefit_amount'),
        ),
        migrations.RunPython(lines_from_offers, migrations.RunPython.noop),
        migrations.RunPython(given_from_recharges, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='rechargeoffer',
            name='experience',
        ),
        migrations.RemoveField(
            model_name='rechargeoffer',
            name='points',
        ),
        migrations.DeleteModel(
            name='RechargeOfferCoupon',
        ),
        migrations.CreateModel(
            name='RechargeOfferCoupon',
            fields=[
            ],
            options={
                'verbose_name': 'coupon given with the recharge',
                'verbose_name_plural': 'coupons given with the recharge',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('wallet.rechargeofferbenefit',),
        ),
    ]
