"""Reward rules hold benefit lines: their points, experience, coupon and cashback columns move into lines, and
every reward given records what it gave (under the references its ledgers already hold) in `given`."""

import django.db.models.deletion
import loyalty.benefits
import loyalty.money
from decimal import Decimal
from django.db import migrations, models

# The order `_credit` gave them in before rules had lines.
KINDS = ("points", "experience", "coupon", "cashback")


def lines_from_rules(apps, schema_editor):
    RewardRule = apps.get_model("checkout", "RewardRule")
    RewardRuleBenefit = apps.get_model("checkout", "RewardRuleBenefit")
    lines = []
    for rule in RewardRule.objects.order_by("pk").iterator():
        values = {"points": {"quantity": rule.points}, "experience": {"quantity": rule.experience},
                  "coupon": {"quantity": 1, "target_id": rule.coupon_template_id},
                  "cashback": {"amount": rule.cashback}}
        present = [kind for kind, given in zip(KINDS, (rule.points, rule.experience, rule.coupon_template_id,
                                                       rule.cashback), strict=True) if given]
        lines += [RewardRuleBenefit(merchant_id=rule.merchant_id, rule=rule, kind=kind, position=position,
                                    **values[kind]) for position, kind in enumerate(present)]
    RewardRuleBenefit.objects.bulk_create(lines)


def given_from_grants(apps, schema_editor):
    """What each credited grant gave; a coupon its rule gave but that could not be issued is not there."""
    RewardGrant = apps.get_model("checkout", "RewardGrant")
    grants = RewardGrant.objects.filter(status__in=["given", "withdrawn"]).select_related("coupon").order_by("pk")
    for grant in grants.iterator():
        reference = f"reward:{grant.pk}"
        given = []
        if grant.points:
            given.append(_record("points", quantity=grant.points, reference=reference))
        if grant.experience:
            given.append(_record("experience", quantity=grant.experience, reference=reference))
        if grant.coupon_id is not None:
            given.append(_record("coupon", quantity=1, target_id=grant.coupon.template_id, objects=[grant.coupon_id],
                                 codes=[grant.coupon.code]))
        if grant.cashback:
            given.append(_record("cashback", amount=f"{grant.cashback:.2f}", reference=reference))
        if given:
            grant.given = given
            grant.save(update_fields=["given"])


def _record(kind, *, quantity=0, amount="0.00", target_id=None, reference="", objects=(), codes=()):
    return {"kind": kind, "quantity": quantity, "amount": amount, "target_id": target_id, "reference": reference,
            "objects": list(objects), "codes": list(codes), "taken_quantity": 0, "taken_amount": "0.00",
            "shortfall_quantity": 0, "shortfall_amount": "0.00"}


class Migration(migrations.Migration):

    dependencies = [
        ('checkout', '0003_tender_kind_from_registry'),
        ('membership', '0002_membershipcard_drop_warned_at_and_more'),
        ('coupons', '0008_join_gifts_become_lines'),
        ('merchants', '0002_join_gifts'),
    ]

    operations = [
        migrations.CreateModel(
            name='RewardRuleBenefit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=30, validators=[loyalty.benefits.validate_kind], verbose_name='kind')),
                ('quantity', models.PositiveIntegerField(default=0, verbose_name='quantity')),
                ('amount', loyalty.money.MoneyField(decimal_places=2, default=Decimal('0.00'), max_digits=14, verbose_name='amount')),
                ('target_id', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='what it gives')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
            ],
            options={
                'verbose_name': 'benefit of the reward',
                'verbose_name_plural': 'benefits of the reward',
                'ordering': ['position', 'pk'],
                'abstract': False,
            },
        ),
        migrations.AddField(
            model_name='rewardgrant',
            name='given',
            field=models.JSONField(blank=True, default=list, verbose_name='what it gave'),
        ),
        migrations.AddField(
            model_name='rewardrulebenefit',
            name='merchant',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='merchants.merchant', verbose_name='merchant'),
        ),
        migrations.AddField(
            model_name='rewardrulebenefit',
            name='rule',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='benefits', to='checkout.rewardrule', verbose_name='rule'),
        ),
        migrations.AddConstraint(
            model_name='rewardrulebenefit',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='checkout_rewardrulebenefit_amount'),
        ),
        migrations.RunPython(lines_from_rules, migrations.RunPython.noop),
        migrations.RunPython(given_from_grants, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name='rewardrule',
            name='reward_rule_amounts_not_negative',
        ),
        migrations.RemoveField(
            model_name='rewardgrant',
            name='cashback',
        ),
        migrations.RemoveField(
            model_name='rewardgrant',
            name='coupon',
        ),
        migrations.RemoveField(
            model_name='rewardgrant',
            name='experience',
        ),
        migrations.RemoveField(
            model_name='rewardgrant',
            name='points',
        ),
        migrations.RemoveField(
            model_name='rewardrule',
            name='cashback',
        ),
        migrations.RemoveField(
            model_name='rewardrule',
            name='coupon_template',
        ),
        migrations.RemoveField(
            model_name='rewardrule',
            name='experience',
        ),
        migrations.RemoveField(
            model_name='rewardrule',
            name='points',
        ),
        migrations.AddConstraint(
            model_name='rewardrule',
            constraint=models.CheckConstraint(condition=models.Q(('min_paid__gte', 0)), name='reward_rule_min_paid_not_negative'),
        ),
    ]
