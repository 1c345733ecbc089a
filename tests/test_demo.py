"""seed_demo gives each demo merchant real configuration and weeks of history in every app, made through the
services: coupons of every kind, rewards after payment, segments, the join gift, payments and refunds."""

import datetime

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from campaigns.models import Campaign
from cards.membership.models import MembershipCard, PointsEntry
from checkout.models import CheckoutSettings, Payment, Refund, RewardGrant, RewardRule
from coupons.models import Coupon, CouponIssuance, CouponRedemption, CouponTemplate
from loyalty.demo import demo_data
from merchants.models import Member, Merchant, Segment
from merchants.services import members_in_segment
from wallet.models import Recharge, WalletEntry

pytestmark = pytest.mark.django_db
# Twelve members: one born in each month, so this month's birthday segment is never empty.
MEMBERS = 12


def _merchants():
    return list(Merchant.objects.order_by("slug"))


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_each_demo_merchant_offers_coupons_of_every_kind_on_the_shelf_by_link_and_for_products():
    call_command("seed_demo", members=1)
    for merchant in _merchants():
        templates = CouponTemplate.objects.filter(merchant=merchant)
        assert set(templates.values_list("kind", flat=True)) == {"cash", "discount", "exchange"}
        assert templates.filter(points_price__gt=0).exists()
        assert templates.filter(audience=CouponTemplate.Audience.ANYONE).exists()
    chacha = Merchant.objects.get(slug="chacha")
    assert CouponTemplate.objects.filter(merchant=chacha, scope=CouponTemplate.Scope.PRODUCTS).exists()


def test_each_demo_merchant_has_reward_rules_with_lines_a_join_gift_and_segments():
    call_command("seed_demo", members=1)
    for merchant in _merchants():
        rules = RewardRule.objects.filter(merchant=merchant)
        assert rules.exists() and not rules.filter(benefits__isnull=True).exists()
        assert set(merchant.join_gift.benefits.values_list("kind", flat=True)) == {"points", "coupon"}
        assert {"生日在本月", "30 天未到店", "高价值会员"} <= set(Segment.objects.filter(merchant=merchant)
                                                           .values_list("name", flat=True))
    assert CheckoutSettings.objects.get(merchant__slug="chacha").random_reduction_enabled


def test_every_demo_member_gets_the_join_gift_coupon():
    call_command("seed_demo", members=3)
    for merchant in _merchants():
        assert Coupon.objects.filter(merchant=merchant, source=Coupon.Source.JOIN_GIFT).count() == 3


def test_demo_members_paid_over_weeks_with_coupons_points_and_refunds_and_earned_rewards():
    call_command("seed_demo", members=MEMBERS)
    for merchant in _merchants():
        payments = Payment.objects.filter(merchant=merchant)
        first, last = (payments.order_by(order).values_list("created_at", flat=True).first()
                       for order in ("created_at", "-created_at"))
        assert last - first >= datetime.timedelta(weeks=3)
        assert payments.filter(coupon__isnull=False).exists() and payments.filter(points_used__gt=0).exists()
        refunds = Refund.objects.filter(merchant=merchant)
        assert refunds.filter(is_full=True).exists() and refunds.filter(is_full=False).exists()
        assert RewardGrant.objects.filter(merchant=merchant, status=RewardGrant.Status.GIVEN).exists()
        assert CouponRedemption.objects.filter(merchant=merchant).exists()
        assert Coupon.objects.filter(merchant=merchant, state=Coupon.State.EXPIRED).exists()
    assert Payment.objects.filter(merchant__slug="chacha", wallet_debit__isnull=False).exists()


def test_demo_redemptions_are_dated_on_the_days_the_coupons_were_used():
    call_command("seed_demo", members=MEMBERS)
    days = {timezone.localtime(at).date() for at in CouponRedemption.objects.values_list("redeemed_at", flat=True)}
    assert len(days) > 5


def test_demo_segments_have_members_and_the_mass_sends_to_them_completed():
    call_command("seed_demo", members=MEMBERS)
    for merchant in _merchants():
        for name in ("生日在本月", "30 天未到店"):
            assert members_in_segment(Segment.objects.get(merchant=merchant, name=name)).exists(), name
        # The campaigns' runs give through mass sends of their own (tests/test_demo.py below counts them).
        sends = CouponIssuance.objects.filter(merchant=merchant).exclude(
            saved_segment__in=Campaign.objects.filter(merchant=merchant, sends_segment__isnull=False)
            .values("sends_segment"))
        # The birthday and win-back coupons, and the punch card sent to every member.
        assert (sends.exclude(template=None).count(), sends.filter(template=None).count()) == (2, 1)
        assert all(send.status == CouponIssuance.Status.COMPLETED and send.issued + send.benefits_given > 0
                   for send in sends)


def test_seed_demo_twice_adds_nothing_and_leaves_every_ledger_clean():
    call_command("seed_demo", members=5)
    counts = _row_counts()
    call_command("seed_demo", members=5)
    assert _row_counts() == counts
    call_command("audit_ledgers")


def test_cards_points_and_stored_value_are_dated_over_the_weeks_in_ledger_order():
    call_command("seed_demo", members=MEMBERS)
    now = timezone.now()
    for model in (PointsEntry, WalletEntry):
        entries = list(model.objects.filter(merchant__slug="chacha").values_list(
            "card_id" if model is PointsEntry else "wallet_id", "pk", "created_at").order_by("pk"))
        days = {created.date() for _account, _pk, created in entries}
        assert len(days) >= 5 and min(days) <= (now - datetime.timedelta(weeks=3)).date(), model.__name__
        last: dict[int, datetime.datetime] = {}
        for account, _pk, created in entries:
            assert created >= last.get(account, created) and created <= now
            last[account] = created
    recharges = Recharge.objects.filter(merchant__slug="chacha")
    assert recharges.exists() and recharges.filter(created_at__lt=now - datetime.timedelta(days=1)).exists()
    assert len({card.date() for card in MembershipCard.objects.values_list("created_at", flat=True)}) > 1
    call_command("audit_ledgers")


def test_the_demo_seeds_merchants_first_coupons_before_the_wallet_and_checkout_last():
    codes = demo_data.codes()
    assert codes.index("merchants") < codes.index("membership") < codes.index("coupons") < codes.index("wallet") \
        < codes.index("checkout")


def test_each_demo_merchant_has_birthday_holiday_and_wake_up_campaigns_with_history():
    from campaigns.models import Delivery, Outcome

    call_command("seed_demo", members=MEMBERS)
    for merchant in _merchants():
        campaigns = Campaign.objects.filter(merchant=merchant)
        assert sorted(campaigns.values_list("trigger", "birthday_calendar")) == [
            ("birthday", "lunar"), ("birthday", "solar"), ("holiday", "solar"), ("wake_up", "solar")]
        lunar = campaigns.get(birthday_calendar=Campaign.BirthdayCalendar.LUNAR)
        assert lunar.days == 3 and lunar.occurrences.exists()
        assert Delivery.objects.filter(campaign=lunar).exists()   # its runs are dated on days with lunar birthdays
        assert not Member.objects.filter(merchant=merchant, birthday__isnull=False,
                                         lunar_birthday_month__isnull=True).exists()
        holiday = campaigns.get(trigger="holiday")
        assert Delivery.objects.filter(campaign=holiday, outcome=Outcome.TREATED).exists()
        # Who is held out is the hash's choice: with the test's dozen members, only the counts can be pinned.
        assert Delivery.objects.filter(campaign=holiday, outcome=Outcome.HELD_OUT).count() == sum(
            holiday.occurrences.values_list("held_out", flat=True))
        issuances = holiday.occurrences.values("issuance")
        assert CouponRedemption.objects.filter(coupon__issuance__in=issuances).exists()
        door = holiday.channels.get(name="门口海报")
        assert door.views == 9 and door.claims >= 1
        assert CouponRedemption.objects.filter(coupon__channel=door.claim_channel).exists()


def test_each_demo_merchant_has_claim_channels_with_views_claims_and_redemptions_and_members_have_an_inbox():
    from coupons.models import ClaimChannel
    from coupons.services import channel_figures
    from loyalty.models import OutboxMessage

    call_command("seed_demo", members=MEMBERS)
    for merchant in _merchants():
        channels = ClaimChannel.objects.filter(merchant=merchant)
        assert channels.filter(kind=ClaimChannel.Kind.POSTER).exists()
        assert channels.filter(kind=ClaimChannel.Kind.PARTNER).exists()
        assert sum(c.views for c in channels) > sum(c.claims for c in channels) > 0
        through_channels = Coupon.objects.filter(merchant=merchant, channel__isnull=False).count()
        assert through_channels == sum(c.claims for c in channels)
        rows = [row for template in {c.template for c in channels} for row in channel_figures(template)]
        assert all(row["views"] >= 0 and row["claims"] >= 0 for row in rows)
        inbox = OutboxMessage.objects.filter(merchant=merchant, channel=OutboxMessage.Channel.INBOX)
        assert inbox.filter(status=OutboxMessage.Status.SENT).count() >= MEMBERS
        assert inbox.filter(read_at__isnull=True).exists() and inbox.filter(read_at__isnull=False).exists()
