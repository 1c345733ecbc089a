"""The rest of a busy merchant's year beside its payments, in set-based SQL on Postgres: the report benchmark's
members, coupons, stored value, cashback, points and cards.

`bench.reports_year` makes the payments; this module adds, in proportion to them (for 1,000,000 payments):

- 200,000 members (会员), four in five payments linked to one of them: members come and go over the year (a
  window of active members drifts through them), so the members report's RFM classes all fill, and the last
  tenth joined but never paid; each has a membership card on one of three levels;
- points (积分): every member payment earns its whole yuan, one bucket per card; a third of the cards spent
  half of theirs on a coupon, those silent for 200 days lost theirs to the expiry;
- 50 coupon templates over three claim channels each (and the no-channel row), 1,000,000 coupons: one for
  every fourth member payment, redeemed on it (the redemption names the payment), the rest issued over the
  year and available or expired; claim page views on every channel;
- wallets (储值) for a quarter of the members: an eighth recharge twice (with bonus) and spend part of it, every
  wallet got cashback (返现) and spent part, the older lots expired;
- punch cards (次卡) with uses, time cards (时间卡) with visits, gift cards (礼品卡) bought and spent.

Every balance is the sum of its ledger and of its lots (`manage.py audit_ledgers` stays clean): entries are
written with their running `balance_after` from a window sum, and the balances from the same rows.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

TEMPLATES = 50
CHANNELS_PER_TEMPLATE = 3
LEVELS = (("普通会员", 1, "100.00"), ("银卡会员", 2, "95.00"), ("金卡会员", 3, "90.00"))


@dataclass(frozen=True)
class Volumes:
    """How much of everything a merchant with `payments` payments a year has (the bench's proportions)."""

    payments: int

    @property
    def members(self) -> int:
        return max(self.payments // 5, 20)

    @property
    def templates(self) -> int:
        return max(3, min(TEMPLATES, self.payments // 1000))

    @property
    def coupons(self) -> int:
        return self.payments

    @property
    def active_window(self) -> int:
        """Members paying at any one time: a quarter of them."""
        return max(self.members // 4, 1)

    @property
    def drift(self) -> int:
        """How far the window of paying members moves over the year: the last tenth never pays."""
        return max(self.members * 9 // 10 - self.active_window, 1)


def member_expression(volumes: Volumes, first_member: int) -> str:
    """SQL for payment `g`'s member (NULL for a walk-in, one in five): the drifting window of active members."""
    # Doubled percent signs: the statement it goes into is run with parameters.
    return (f"CASE WHEN g %% 5 = 0 THEN NULL ELSE {first_member} + "
            f"floor((1 - g::float8 / {volumes.payments}) * {volumes.drift})::int "
            f"+ (g::bigint * 7919) %% {volumes.active_window}"
            " END")


def make_members(merchant_id: int, volumes: Volumes, now: datetime.datetime) -> int:
    """The members and their membership cards; returns the first member's id (their ids run on from it)."""
    from django.db import connection

    from cards.membership.models import Level, MembershipCard, MembershipProgram
    from merchants.models import Member

    program, _made = MembershipProgram.objects.get_or_create(merchant_id=merchant_id,
                                                           defaults={"card_name": "压测会员卡"})
    levels = [Level.objects.get_or_create(merchant_id=merchant_id, program=program, rank=rank,
                                          defaults={"name": name, "discount_percent": Decimal(percent)})[0].pk
              for name, rank, percent in LEVELS]
    params = {"m": merchant_id, "n": volumes.members, "now": now, "levels": levels,
              "w": volumes.active_window, "r": volumes.drift}
    with connection.cursor() as cursor:
        # Member k first pays when the window reaches it: it joined a day before (those in the first window
        # joined before the year).
        insert(cursor, Member, {
            "merchant_id": "%(m)s", "phone": "'139' || lpad(g::text, 8, '0')", "name": "'会员' || g",
            "joined_at": "%(now)s - interval '1 day' - interval '365 days' * "
                         "(1 - greatest(0, (g - 1 - %(w)s)::float8 / %(r)s)) - g * interval '1 second'",
        }, "generate_series(1, %(n)s) AS g", params)
        run(cursor, "SELECT min(id), max(id), count(*) FROM merchants_member WHERE merchant_id = %s",
                       [merchant_id])
        first, last, count = cursor.fetchone()
        if last - first + 1 != count:
            raise RuntimeError("the members' ids are not one run: build the bench on a database of its own")
        insert(cursor, MembershipCard, {
            "merchant_id": "merchant_id", "member_id": "id", "created_at": "joined_at", "level_since": "joined_at",
            "level_id": "(%(levels)s::int[])[CASE WHEN id % 10 < 6 THEN 1 WHEN id % 10 < 9 THEN 2 ELSE 3 END]",
        }, "merchants_member WHERE merchant_id = %(m)s", params)
    return first


def make_points(merchant_id: int, now: datetime.datetime) -> None:
    """Points earned by every member payment, spent by a third of the cards and expired on the silent ones."""
    from django.db import connection

    from cards.membership.models import PointsBucket, PointsEntry

    params = {"m": merchant_id, "now": now}
    with connection.cursor() as cursor:
        # One bucket per card: what its payments earned, what was spent (half, by a third of the cards) and
        # what expired (everything, on cards silent for 200 days).
        insert(cursor, PointsBucket, {
            "merchant_id": "%(m)s", "card_id": "card_id", "created_at": "first_at", "earned": "earned",
            "expired": "expired", "remaining": "earned - spent - expired",
            "expires_on": "CASE WHEN expired > 0 THEN (last_at + interval '180 days')::date "
                          "ELSE (%(now)s + (card_id % 60 + 1) * interval '1 day')::date END",
        }, """(SELECT card_id, first_at, last_at, earned,
                      CASE WHEN last_at < %(now)s - interval '200 days' THEN earned ELSE 0 END AS expired,
                      CASE WHEN last_at >= %(now)s - interval '200 days' AND card_id % 3 = 0 THEN earned / 2
                           ELSE 0 END AS spent
               FROM (SELECT c.id AS card_id, min(p.created_at) AS first_at, max(p.created_at) AS last_at,
                            sum(p.points_earned)::int AS earned
                     FROM checkout_payment p JOIN membership_membershipcard c ON c.member_id = p.member_id
                     WHERE p.merchant_id = %(m)s AND p.points_earned > 0 GROUP BY c.id) AS per_card) AS buckets""",
            params)
        insert(cursor, PointsEntry, {
            "merchant_id": "%(m)s", "reference": "p.number", "store_id": "p.store_id", "terminal_id": "p.terminal_id",
            "created_at": "p.created_at", "card_id": "c.id", "bucket_id": "b.id", "reason": "'payment'",
            "delta": "p.points_earned",
            "balance_after": "sum(p.points_earned) OVER (PARTITION BY c.id ORDER BY p.created_at, p.id)",
        }, """checkout_payment p JOIN membership_membershipcard c ON c.member_id = p.member_id
              JOIN membership_pointsbucket b ON b.card_id = c.id
              WHERE p.merchant_id = %(m)s AND p.points_earned > 0""", params)
        last_earned = "(SELECT max(created_at) FROM membership_pointsentry e WHERE e.bucket_id = b.id)"
        insert(cursor, PointsEntry, {
            "merchant_id": "%(m)s", "reference": "'BX' || b.id", "card_id": "b.card_id", "bucket_id": "b.id",
            "created_at": f"{last_earned} + interval '1 second'", "reason": "'coupon_exchange'",
            "delta": "b.remaining - b.earned", "balance_after": "b.remaining",
        }, "membership_pointsbucket b WHERE b.merchant_id = %(m)s AND b.expired = 0 AND b.remaining < b.earned",
            params)
        insert(cursor, PointsEntry, {
            "merchant_id": "%(m)s", "reference": "'EX' || b.id", "card_id": "b.card_id", "bucket_id": "b.id",
            "created_at": "b.expires_on::timestamptz", "reason": "'expired'", "delta": "-b.expired",
            "balance_after": "0",
        }, "membership_pointsbucket b WHERE b.merchant_id = %(m)s AND b.expired > 0", params)
        run(cursor, "UPDATE membership_membershipcard c SET points = b.remaining FROM membership_pointsbucket b "
                       "WHERE b.card_id = c.id AND c.merchant_id = %(m)s", params)


def make_wallets(merchant_id: int, store_ids: list[int], now: datetime.datetime) -> None:
    """Wallets for a quarter of the members: recharges with bonus and their spend, cashback and its expiry."""
    from django.db import connection

    from wallet.models import CashbackLot, Recharge, Wallet, WalletEntry, WalletSettings

    WalletSettings.objects.update_or_create(merchant_id=merchant_id, defaults={"stored_value_enabled": True})
    params = {"m": merchant_id, "now": now, "stores": store_ids}
    with connection.cursor() as cursor:
        insert(cursor, Wallet, {"merchant_id": "merchant_id", "member_id": "id", "created_at": "joined_at"},
               "merchants_member WHERE merchant_id = %(m)s AND id % 4 = 0", params)
        # Two recharges for every other wallet, 60 days apart, 40 % of each spent the next day.
        insert(cursor, Recharge, {
            "merchant_id": "w.merchant_id", "wallet_id": "w.id", "member_id": "w.member_id",
            "store_id": "(%(stores)s::int[])[1 + w.member_id / 8 % 4]", "channel": "'cash'", "status": "'paid'",
            "amount": "a.amount", "bonus_now": "a.bonus", "principal_left": "a.amount * 0.6",
            "bonus_left": "a.bonus * 0.6", "created_at": "a.at", "paid_at": "a.at",
        }, """wallet_wallet w, LATERAL (SELECT CASE WHEN k = 1 THEN 500.00 ELSE 300.00 END::numeric(14,2) AS amount,
                                               CASE WHEN k = 1 THEN 50.00 ELSE 20.00 END::numeric(14,2) AS bonus,
                                               %(now)s - interval '1 day' * (160 + w.id % 200 - 60 * k) AS at
                                        FROM generate_series(1, 2) AS k) AS a
              WHERE w.merchant_id = %(m)s AND w.member_id % 8 = 0""", params)
        insert(cursor, CashbackLot, {
            "merchant_id": "merchant_id", "wallet_id": "id", "source": "'cashback'", "reference": "'CB' || id",
            "amount": "8.00", "created_at": "%(now)s - interval '1 day' * (1 + id % 300)",
            "expires_at": "%(now)s - interval '1 day' * (1 + id % 300) + interval '90 days'",
            "expired": "id % 300 >= 90", "remaining": "CASE WHEN id % 300 >= 90 THEN 0 ELSE 3.00 END",
        }, "wallet_wallet WHERE merchant_id = %(m)s", params)
        moves = """
            SELECT r.wallet_id, 'principal' AS pocket, r.amount AS delta, 'recharge' AS reason, r.id AS recharge_id,
                   r.store_id, r.created_at, 'RC' || r.id AS reference
                   FROM wallet_recharge r WHERE r.merchant_id = %(m)s
            UNION ALL SELECT r.wallet_id, 'bonus', r.bonus_now, 'recharge_bonus', r.id, r.store_id, r.created_at,
                   'RC' || r.id FROM wallet_recharge r WHERE r.merchant_id = %(m)s
            UNION ALL SELECT r.wallet_id, 'principal', r.principal_left - r.amount, 'payment', NULL, r.store_id,
                   r.created_at + interval '1 day', 'SV' || r.id FROM wallet_recharge r WHERE r.merchant_id = %(m)s
            UNION ALL SELECT r.wallet_id, 'bonus', r.bonus_left - r.bonus_now, 'payment', NULL, r.store_id,
                   r.created_at + interval '1 day', 'SV' || r.id FROM wallet_recharge r WHERE r.merchant_id = %(m)s
            UNION ALL SELECT l.wallet_id, 'cashback', l.amount, 'cashback', NULL,
                   (%(stores)s::int[])[1 + l.id % 4], l.created_at, l.reference
                   FROM wallet_cashbacklot l WHERE l.merchant_id = %(m)s
            UNION ALL SELECT l.wallet_id, 'cashback', -5.00, 'payment', NULL, (%(stores)s::int[])[1 + l.id % 4],
                   l.created_at + interval '1 hour', 'CS' || l.id FROM wallet_cashbacklot l WHERE l.merchant_id = %(m)s
            UNION ALL SELECT l.wallet_id, 'cashback', -3.00, 'cashback_expired', NULL, NULL, l.expires_at,
                   l.reference FROM wallet_cashbacklot l WHERE l.merchant_id = %(m)s AND l.expired"""
        insert(cursor, WalletEntry, {
            "merchant_id": "%(m)s", "wallet_id": "wallet_id", "pocket": "pocket", "delta": "delta",
            "reason": "reason", "recharge_id": "recharge_id", "store_id": "store_id", "created_at": "created_at",
            "reference": "reference",
            "balance_after": "sum(delta) OVER (PARTITION BY wallet_id, pocket ORDER BY created_at, reason DESC)",
        }, f"({moves}) AS moves WHERE delta <> 0", params)
        run(cursor, """
            UPDATE wallet_wallet w SET principal = r.principal, bonus = r.bonus, recharged_total = r.recharged
            FROM (SELECT wallet_id, sum(principal_left) AS principal, sum(bonus_left) AS bonus,
                         sum(amount) AS recharged FROM wallet_recharge WHERE merchant_id = %(m)s
                  GROUP BY wallet_id) AS r
            WHERE w.id = r.wallet_id""", params)
        run(cursor, """
            UPDATE wallet_wallet w SET cashback = l.remaining
            FROM (SELECT wallet_id, sum(remaining) AS remaining FROM wallet_cashbacklot WHERE merchant_id = %(m)s
                  GROUP BY wallet_id) AS l
            WHERE w.id = l.wallet_id""", params)


def make_coupons(merchant_id: int, volumes: Volumes, first_member: int, now: datetime.datetime) -> None:
    """Templates over claim channels; a coupon redeemed on every fourth member payment, the rest issued over the
    year; the templates' and channels' counters (issued, claimed, page views) from those coupons."""
    from django.db import connection

    from coupons.models import ClaimChannel, Coupon, CouponRedemption, CouponTemplate

    templates, channels = [], []
    for t in range(volumes.templates):
        template = CouponTemplate.objects.create(merchant_id=merchant_id, name=f"压测券 {t + 1:02d}",
                                                 kind=CouponTemplate.Kind.CASH, amount_off=Decimal("5.00"),
                                                 minimum_bill=Decimal("10.00"),
                                                 created_at=now - datetime.timedelta(days=400))
        templates.append(template.pk)
        for c, kind in enumerate((ClaimChannel.Kind.POSTER, ClaimChannel.Kind.SMS, ClaimChannel.Kind.PARTNER)):
            channels.append(ClaimChannel.objects.create(merchant_id=merchant_id, template=template, kind=kind,
                                                        name=f"渠道 {c + 1}").pk)
    params = {"m": merchant_id, "now": now, "templates": templates, "channels": channels, "t": volumes.templates,
              "first": first_member, "members": volumes.members}
    # Coupon g's template and channel (three channels, then none: its own link, sends, gifts).
    shape = {
        "template_id": "(%(templates)s::int[])[1 + g % %(t)s]",
        "channel_id": "CASE WHEN g / %(t)s % 4 < 3 THEN (%(channels)s::int[])[1 + (g % %(t)s) * 3 + g / %(t)s % 4] END",
        "source": "CASE WHEN g / %(t)s % 4 < 3 THEN 'claim' "
                  "ELSE (ARRAY['claim', 'mass_send', 'join_gift', 'reward'])[1 + g % 4] END",
    }
    with connection.cursor() as cursor:
        insert(cursor, Coupon, {
            **shape, "merchant_id": "%(m)s", "member_id": "member_id", "code": "'U' || id",
            "state": "'used'", "issued_at": "created_at - interval '2 days'",
            "valid_from": "created_at - interval '2 days'",
            "valid_until": "created_at + interval '28 days'", "used_at": "created_at",
        }, "(SELECT id, id AS g, member_id, created_at FROM checkout_payment WHERE merchant_id = %(m)s "
           "AND member_id IS NOT NULL AND id % 4 = 0) AS used", params)
        run(cursor, "SELECT count(*) FROM coupons_coupon WHERE merchant_id = %(m)s", params)
        params["rest"] = max(volumes.coupons - cursor.fetchone()[0], 1)
        insert(cursor, Coupon, {
            **shape, "merchant_id": "%(m)s", "member_id": "%(first)s + (g::bigint * 7919) % %(members)s",
            "code": "'I' || g", "issued_at": "at", "valid_from": "at", "valid_until": "at + interval '30 days'",
            "state": "CASE WHEN at + interval '30 days' < %(now)s THEN 'expired' ELSE 'available' END",
        }, "generate_series(1, %(rest)s) AS g, "
           "LATERAL (SELECT %(now)s - g * interval '365 days' / %(rest)s AS at) AS a", params)
        insert(cursor, CouponRedemption, {
            "merchant_id": "c.merchant_id", "coupon_id": "c.id", "template_id": "c.template_id",
            "store_id": "p.store_id", "terminal_id": "p.terminal_id", "bill_amount": "p.bill_amount",
            "discount": "5.00", "payment_reference": "p.number", "redeemed_at": "p.created_at",
        }, "coupons_coupon c JOIN checkout_payment p ON p.id = substr(c.code, 2)::bigint "
           "WHERE c.merchant_id = %(m)s AND c.code LIKE 'U%'", params)
        run(cursor, """
            UPDATE coupons_claimchannel h SET claims = n.claims, views = n.claims * 3 + h.id % 100
            FROM (SELECT channel_id, count(*) AS claims FROM coupons_coupon WHERE merchant_id = %(m)s
                  AND channel_id IS NOT NULL GROUP BY channel_id) AS n WHERE h.id = n.channel_id""", params)
        run(cursor, """
            UPDATE coupons_coupontemplate t SET issued_count = n.issued, claimed_count = n.claimed,
                   claim_page_views = n.own * 2 + (SELECT coalesce(sum(views), 0) FROM coupons_claimchannel h
                                                   WHERE h.template_id = t.id)
            FROM (SELECT template_id, count(*) AS issued, count(*) FILTER (WHERE source = 'claim') AS claimed,
                         count(*) FILTER (WHERE channel_id IS NULL AND source = 'claim') AS own
                  FROM coupons_coupon WHERE merchant_id = %(m)s GROUP BY template_id) AS n
            WHERE t.id = n.template_id""", params)


def make_cards(merchant_id: int, store_ids: list[int], now: datetime.datetime) -> None:
    """Punch cards with three uses each, time cards with five visits, gift cards bought and spent twice."""
    from django.db import connection

    from cards.giftcards.models import FaceValue, GiftCard, GiftCardEntry, GiftCardPurchase, GiftCardUse, Theme
    from cards.punchcards.models import PunchCard, PunchCardEntry, PunchCardProduct, PunchCardUse
    from cards.timecards.models import TimeCard, TimeCardProduct, TimeCardTier, TimeCardUse

    punch = [PunchCardProduct.objects.create(merchant_id=merchant_id, name=f"十次卡 {n + 1}", uses=10,
                                             price=Decimal("199.00")).pk for n in range(3)]
    time_product = TimeCardProduct.objects.create(merchant_id=merchant_id, name="年卡")
    tier = TimeCardTier.objects.create(merchant_id=merchant_id, product=time_product, name="365 天", days=365,
                                       price=Decimal("999.00"))
    theme = Theme.objects.create(merchant_id=merchant_id, name="压测主题")
    faces = [FaceValue.objects.create(merchant_id=merchant_id, name=f"{amount} 元卡", amount=Decimal(amount),
                                      price=Decimal(amount)).pk for amount in ("100.00", "200.00")]
    params = {"m": merchant_id, "now": now, "stores": store_ids, "punch": punch, "product": time_product.pk,
              "tier": tier.pk, "theme": theme.pk, "faces": faces}
    with connection.cursor() as cursor:
        insert(cursor, PunchCard, {
            "merchant_id": "merchant_id", "member_id": "id", "product_id": "(%(punch)s::int[])[1 + id % 3]",
            "store_id": "(%(stores)s::int[])[1 + id / 20 % 4]", "status": "'active'",
            "source": "CASE WHEN id % 7 = 0 THEN 'benefit' ELSE 'purchase' END", "uses_total": "10",
            "uses_left": "7", "uses_count": "3", "price_paid": "CASE WHEN id % 7 = 0 THEN 0 ELSE 199.00 END",
            "reference": "'PC' || id", "created_at": "at", "activated_at": "at",
            "first_used_at": "at + interval '1 day'",
        }, "merchants_member, LATERAL (SELECT %(now)s - interval '1 day' * (10 + id % 300) AS at) AS a "
           "WHERE merchant_id = %(m)s AND id % 20 = 0", params)
        insert(cursor, PunchCardUse, {
            "merchant_id": "merchant_id", "card_id": "id", "product_id": "product_id", "member_id": "member_id",
            "store_id": "store_id", "used_at": "created_at + k * interval '1 day'",
        }, "punchcards_punchcard, generate_series(1, 3) AS k WHERE merchant_id = %(m)s", params)
        insert(cursor, PunchCardEntry, {
            "merchant_id": "merchant_id", "card_id": "card_id", "delta": "delta", "balance_after": "balance",
            "reason": "reason", "use_id": "use_id", "store_id": "store_id", "created_at": "at",
            "reference": "reference",
        }, """(SELECT merchant_id, id AS card_id, uses_total AS delta, uses_total AS balance, 'issue' AS reason,
                      NULL::bigint AS use_id, store_id, created_at AS at, reference
               FROM punchcards_punchcard WHERE merchant_id = %(m)s
               UNION ALL
               SELECT u.merchant_id, u.card_id, -u.count,
                      10 - sum(u.count) OVER (PARTITION BY u.card_id ORDER BY u.used_at, u.id), 'use', u.id,
                      u.store_id, u.used_at, 'PU' || u.id
               FROM punchcards_punchcarduse u WHERE u.merchant_id = %(m)s) AS moves""", params)
        insert(cursor, TimeCard, {
            "merchant_id": "merchant_id", "member_id": "id", "product_id": "%(product)s", "tier_id": "%(tier)s",
            "store_id": "(%(stores)s::int[])[1 + id / 50 % 4]", "status": "'active'", "source": "'purchase'",
            "days": "365", "price_paid": "999.00", "starts_on": "at::date", "ends_on": "at::date + 364",
            "reference": "'TC' || id", "created_at": "at", "activated_at": "at",
        }, "merchants_member, LATERAL (SELECT %(now)s - interval '1 day' * (10 + id % 300) AS at) AS a "
           "WHERE merchant_id = %(m)s AND id % 50 = 0", params)
        insert(cursor, TimeCardUse, {
            "merchant_id": "merchant_id", "card_id": "id", "product_id": "product_id", "member_id": "member_id",
            "store_id": "store_id", "used_on": "(created_at + k * interval '1 day')::date",
            "used_at": "created_at + k * interval '1 day'",
        }, "timecards_timecard, generate_series(1, 5) AS k WHERE merchant_id = %(m)s", params)
        insert(cursor, GiftCardPurchase, {
            "merchant_id": "merchant_id", "buyer_id": "id", "theme_id": "%(theme)s",
            "face_value_id": "(%(faces)s::int[])[1 + id % 2]", "quantity": "1",
            "unit_price": "CASE WHEN id % 2 = 0 THEN 100.00 ELSE 200.00 END",
            "total": "CASE WHEN id % 2 = 0 THEN 100.00 ELSE 200.00 END", "status": "'paid'",
            "created_at": "%(now)s - interval '1 day' * (5 + id % 300)",
            "paid_at": "%(now)s - interval '1 day' * (5 + id % 300)",
        }, "merchants_member WHERE merchant_id = %(m)s AND id % 100 = 0", params)
        insert(cursor, GiftCard, {
            "merchant_id": "merchant_id", "code": "'G' || lpad(id::text, 12, '0')", "theme_id": "theme_id",
            "face_value_id": "face_value_id", "purchase_id": "id", "holder_id": "buyer_id", "status": "'active'",
            "holder_phone": "''", "initial_amount": "total", "balance": "total - 60.00", "activated_at": "paid_at",
            "last_used_at": "paid_at + interval '2 days'", "created_at": "paid_at",
        }, "giftcards_giftcardpurchase WHERE merchant_id = %(m)s", params)
        insert(cursor, GiftCardUse, {
            "merchant_id": "merchant_id", "card_id": "id", "reference": "'GU' || id || '-' || k",
            "store_id": "(%(stores)s::int[])[1 + (id + k) % 4]", "amount": "30.00",
            "created_at": "activated_at + k * interval '1 day'",
        }, "giftcards_giftcard, generate_series(1, 2) AS k WHERE merchant_id = %(m)s", params)
        insert(cursor, GiftCardEntry, {
            "merchant_id": "merchant_id", "card_id": "card_id", "delta": "delta", "balance_after": "balance",
            "reason": "reason", "store_id": "store_id", "created_at": "at", "reference": "reference",
        }, """(SELECT merchant_id, id AS card_id, initial_amount AS delta, initial_amount AS balance,
                      'issued' AS reason, NULL::int AS store_id, created_at AS at, 'GP' || purchase_id AS reference
               FROM giftcards_giftcard WHERE merchant_id = %(m)s
               UNION ALL
               SELECT u.merchant_id, u.card_id, -u.amount,
                      c.initial_amount - sum(u.amount) OVER (PARTITION BY u.card_id ORDER BY u.created_at, u.id),
                      'payment', u.store_id, u.created_at, u.reference
               FROM giftcards_giftcarduse u JOIN giftcards_giftcard c ON c.id = u.card_id
               WHERE u.merchant_id = %(m)s) AS moves""", params)


def build(merchant_id: int, payments_volumes: Volumes, store_ids: list[int], first_member: int,
          now: datetime.datetime) -> None:
    """Everything but the members and payments (made first, the payments naming the members)."""
    make_points(merchant_id, now)
    make_wallets(merchant_id, store_ids, now)
    make_coupons(merchant_id, payments_volumes, first_member, now)
    make_cards(merchant_id, store_ids, now)


def counts(merchant_id: int) -> dict[str, int]:
    """The bench merchant's rows per table, printed at the top of the bench's output."""
    from django.db import connection

    tables = ("checkout_payment", "merchants_member", "membership_membershipcard", "membership_pointsentry",
              "membership_pointsbucket", "coupons_coupontemplate", "coupons_claimchannel", "coupons_coupon",
              "coupons_couponredemption", "wallet_wallet", "wallet_recharge", "wallet_cashbacklot",
              "wallet_walletentry", "punchcards_punchcard", "punchcards_punchcarduse", "timecards_timecard",
              "timecards_timecarduse", "giftcards_giftcard", "giftcards_giftcarduse")
    figures = {}
    with connection.cursor() as cursor:
        for table in tables:
            run(cursor, f"SELECT count(*) FROM {table} WHERE merchant_id = %s", [merchant_id])  # noqa: S608
            figures[table] = cursor.fetchone()[0]
    return figures


def insert(cursor, model, columns: dict[str, str], source: str, params: dict[str, Any]) -> int:
    """INSERT INTO the model's table SELECT `columns` (SQL per column) FROM `source`; every other NOT NULL
    column gets the field's default (or '' for a text field that may be blank), so the rows are what the ORM
    would write."""
    from django.db import connection

    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        names.append(field.column)
        if field.column in columns:
            values.append(columns[field.column])
        elif field.has_default():
            key = f"default_{field.column}"
            params[key] = field.get_db_prep_save(field.get_default(), connection)
            values.append(f"%({key})s")
        elif field.null:
            values.append("NULL")
        elif field.blank and field.get_internal_type() in {"CharField", "TextField", "SlugField"}:
            values.append("''")
        else:
            raise ValueError(f"{model.__name__}.{field.name} needs a value")
    sql = (f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "  # noqa: S608 (our own SQL)
           f"SELECT {', '.join(values)} FROM {source}")
    run(cursor, sql, params)
    made = cursor.rowcount
    # The rows are not committed yet: without fresh statistics the next statements plan for an empty table.
    cursor.execute(f"ANALYZE {model._meta.db_table}")
    return made


def run(cursor, sql: str, params: dict[str, Any] | list) -> None:
    """Execute `sql` written with bare `%` for the modulo: doubled here, the `%s` and `%(name)s` parameters kept."""
    cursor.execute(re.sub(r"%(?![(s])", "%%", sql), params)
