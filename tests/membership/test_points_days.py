"""The kept daily points sums (membership.PointsDay): the reports read from them give the entries' own figures."""

import datetime
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.utils import timezone

from cards.membership import services as membership
from cards.membership.models import PointsDay, PointsEntry, PointsKeptDay
from cards.membership.services.points_days import keep_points_days
from cards.membership.tasks import keep_points_days as keep_task
from finance.reports import LiabilityRollForward
from loyalty.replica import REPLICA_ALIAS
from tests.checkout.helpers import program_with_levels
from tests.reports.helpers import run, today_scope

pytestmark = pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True)


def _backdate(entry: PointsEntry, days: int) -> None:
    PointsEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - datetime.timedelta(days=days))


def _worked_example(tenant) -> None:
    """Three days back 300 gift points at the store and 50 earned at the other; two days back 120 pay part of a
    bill and staff add 20 and take 30; yesterday a refund returns 40; today 10 more are given."""
    program_with_levels(tenant.merchant)
    member = tenant.member
    _backdate(membership.grant_points(member, 300, reason="gift", reference="g1", store=tenant.store), 3)
    _backdate(membership.grant_points(member, 50, reason="payment", reference="p1", store=tenant.other_store), 3)
    _backdate(membership.spend_points(member, 120, reason="points_deduction", reference="d1", store=tenant.store), 2)
    _backdate(membership.adjust_points(member, 20, reason_text="goodwill", staff=tenant.owner.user), 2)
    _backdate(membership.adjust_points(member, -30, reason_text="mistake", staff=tenant.owner.user), 2)
    _backdate(membership.grant_points(member, 40, reason="points_returned", reference="r1", store=tenant.store), 1)
    membership.grant_points(member, 10, reason="gift", reference="g2", store=tenant.store)


def _points_rows(scope):
    return [row for row in LiabilityRollForward().compute(scope).rows if row["code"] == "membership.points"]


def test_the_reports_from_kept_days_equal_the_reports_from_the_entries(tenant_a):
    _worked_example(tenant_a)
    year = today_scope(tenant_a.merchant, days_back=5)
    one_store = replace(year, store_ids=(tenant_a.store.pk,))
    from_entries = (run("membership_cards", year), run("membership_cards", one_store), _points_rows(year))
    today = year.end
    assert [(row["day"], row["issued"], row["spent"]) for row in from_entries[0].rows] == [
        (today - datetime.timedelta(days=3), 350, 0), (today - datetime.timedelta(days=2), 20, 120),
        (today - datetime.timedelta(days=1), 0, 0), (today, 10, 0)]

    written = keep_points_days(tenant_a.merchant, first=year.start, last=year.end)

    # Today is never kept: it is read from the entries as they are written.
    assert PointsKeptDay.objects.filter(merchant=tenant_a.merchant).count() == 5
    assert not PointsKeptDay.objects.filter(merchant=tenant_a.merchant, day=today).exists()
    assert written == PointsDay.objects.filter(merchant=tenant_a.merchant).count() == 5  # gift, payment x2 stores...
    adjusted = PointsDay.objects.get(merchant=tenant_a.merchant, reason="adjustment")
    assert (adjusted.added, adjusted.taken, adjusted.count, adjusted.store_id) == (20, -30, 2, None)
    kept = (run("membership_cards", year), run("membership_cards", one_store), _points_rows(year))
    assert kept[0].rows == from_entries[0].rows and kept[0].totals == from_entries[0].totals
    assert kept[1].rows == from_entries[1].rows and kept[1].totals == from_entries[1].totals
    assert kept[2] == from_entries[2]
    assert kept[2][-1]["closing"] == 270

    # What is written today shows at once.
    membership.grant_points(tenant_a.member, 5, reason="gift", reference="g3", store=tenant_a.store)
    assert run("membership_cards", year).rows[-1]["issued"] == 15
    assert _points_rows(year)[-1]["closing"] == 275


def test_keeping_again_replaces_a_days_figures(tenant_a):
    _worked_example(tenant_a)
    scope = today_scope(tenant_a.merchant, days_back=5)
    keep_points_days(tenant_a.merchant, first=scope.start, last=scope.end)
    late = membership.grant_points(tenant_a.member, 7, reason="gift", reference="late", store=tenant_a.store)
    _backdate(late, 1)
    keep_points_days(tenant_a.merchant, first=scope.start, last=scope.end)
    assert run("membership_cards", scope).rows[-2]["issued"] == 7
    assert PointsKeptDay.objects.filter(merchant=tenant_a.merchant).count() == 5


def test_the_task_and_the_command_keep_the_days_just_past(tenant_a):
    _worked_example(tenant_a)
    assert keep_task() == 5
    assert PointsKeptDay.objects.filter(merchant=tenant_a.merchant).count() == 7
    call_command("keep_points_days", days=30, merchant=tenant_a.merchant.slug, stdout=open("/dev/null", "w"))
    assert PointsKeptDay.objects.filter(merchant=tenant_a.merchant).count() == 30


def test_another_merchants_kept_days_are_not_in_the_report(tenant_a, tenant_b):
    _worked_example(tenant_a)
    keep_points_days(tenant_a.merchant, first=today_scope(tenant_a.merchant, days_back=5).start,
                     last=today_scope(tenant_a.merchant).end)
    other = run("membership_cards", today_scope(tenant_b.merchant, days_back=5))
    assert [row for row in other.rows if row["issued"] or row["spent"]] == []
    assert all(row["issued"] == 0 and row["closing"] == 0
               for row in _points_rows(today_scope(tenant_b.merchant, days_back=5)))
