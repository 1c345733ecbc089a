"""seed_demo gives each demo merchant a WeChat Pay statement with every outcome, and kept settlement days."""

import datetime

import pytest
from django.core.management import call_command

from cards.timecards.models import TimeCard
from checkout.models import Payment
from finance.models import SettledDay, Statement
from finance.reports import DailySettlement, LiabilityRollForward, StatementMatching
from loyalty.replica import REPLICA_ALIAS
from loyalty.reports import ReportScope
from loyalty.usable_cards import merchant_today, merchant_zone
from merchants.models import Merchant, StaffMember

pytestmark = pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True)


def test_each_demo_merchant_has_a_statement_showing_every_outcome_and_kept_days():
    call_command("seed_demo", members=12)
    merchants = list(Merchant.objects.all())
    assert merchants
    for merchant in merchants:
        statement = Statement.objects.get(merchant=merchant)
        scope = ReportScope(merchant_id=merchant.pk, start=statement.first_day, end=statement.last_day,
                            zone=merchant_zone(merchant))
        result = StatementMatching().compute(scope)
        assert result.totals["matched"] > 0, merchant.slug
        assert (result.totals["amount_mismatch"], result.totals["not_ours"]) == (1, 1), merchant.slug
        assert result.totals["missing"] >= 1, merchant.slug
        assert SettledDay.objects.filter(merchant=merchant).exists()
        today = merchant_today(merchant)
        weeks = DailySettlement().compute(replace_start(scope, today - datetime.timedelta(days=42), today))
        assert weeks.totals["payments"] > 0 and weeks.totals["platform_pays_in"] > 0
        # The demo's till payments name their cashier; the demo's time cards show in the roll-forward.
        assert Payment.objects.filter(merchant=merchant, cashier__isnull=False).exists(), merchant.slug
        assert {row["cashier"] for row in weeks.rows} & set(StaffMember.objects.filter(merchant=merchant)
                                                             .values_list("user__username", flat=True))
        owed = [row for row in LiabilityRollForward().compute(replace_start(scope, today - datetime.timedelta(
            days=30), today)).rows if row["code"] == "timecards.unused_days"]
        if TimeCard.objects.filter(merchant=merchant, price_paid__gt=0).exists():
            assert sum(row["issued"] for row in owed) > 0 and sum(row["redeemed"] for row in owed) > 0
            assert not any(row["flag"] for row in owed), merchant.slug
    call_command("seed_demo", members=12)
    assert Statement.objects.count() == len(merchants)  # a second run adds none


def replace_start(scope: ReportScope, start: datetime.date, end: datetime.date) -> ReportScope:
    return ReportScope(merchant_id=scope.merchant_id, start=start, end=end, zone=scope.zone)
