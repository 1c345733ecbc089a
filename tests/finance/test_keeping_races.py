"""Two builders of one kept-days table at once (the hourly task and an operator's backfill) take turns: the
second replaces the first's figures instead of failing on the unique day key. Postgres only."""

import datetime
import threading
import time

import pytest
from django.db import connections, transaction
from django.utils import timezone

from cards.membership import services as membership
from cards.membership.models import PointsDay, PointsEntry, PointsKeptDay
from cards.membership.services.points_days import keep_points_days
from checkout.models import Payment
from finance.models import SettledDay, SettlementFigure
from finance.services.settlement import settle_days
from loyalty.usable_cards import merchant_today
from tests.checkout.helpers import fund_wallet, program_with_levels
from tests.conftest import requires_postgres
from tests.finance.helpers import a_day_of_payments
from wallet.models import WalletDay, WalletEntry, WalletKeptDay
from wallet.services.wallet_days import keep_wallet_days

pytestmark = [requires_postgres(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _second_builder_while_the_first_is_open(build) -> list[BaseException]:
    """Run `build` in a transaction left open while another thread runs it too, then commit; the other
    thread's errors."""
    errors: list[BaseException] = []

    def second():
        try:
            build()
        except BaseException as error:  # noqa: BLE001 (the test reports whatever the second builder raised)
            errors.append(error)
        finally:
            connections.close_all()

    with transaction.atomic():
        build()
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)  # the second builder reaches its writes while the first's are uncommitted
    thread.join()
    return errors


def test_two_settlement_builders_at_once_take_turns(tenant_a):
    a_day_of_payments(tenant_a)
    Payment.objects.filter(merchant=tenant_a.merchant).update(created_at=timezone.now() - datetime.timedelta(days=1))
    yesterday = merchant_today(tenant_a.merchant) - datetime.timedelta(days=1)
    alone = settle_days(tenant_a.merchant, first=yesterday, last=yesterday)

    errors = _second_builder_while_the_first_is_open(
        lambda: settle_days(tenant_a.merchant, first=yesterday, last=yesterday))

    assert errors == []
    assert SettlementFigure.objects.filter(merchant=tenant_a.merchant).count() == alone
    assert list(SettledDay.objects.filter(merchant=tenant_a.merchant).values_list("day", flat=True)) == [yesterday]


def test_two_points_day_builders_at_once_take_turns(tenant_a):
    program_with_levels(tenant_a.merchant)
    entry = membership.grant_points(tenant_a.member, 300, reason="gift", reference="g1", store=tenant_a.store)
    PointsEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    yesterday = merchant_today(tenant_a.merchant) - datetime.timedelta(days=1)
    alone = keep_points_days(tenant_a.merchant, first=yesterday, last=yesterday)

    errors = _second_builder_while_the_first_is_open(
        lambda: keep_points_days(tenant_a.merchant, first=yesterday, last=yesterday))

    assert errors == []
    assert PointsDay.objects.filter(merchant=tenant_a.merchant).count() == alone == 1
    assert PointsKeptDay.objects.filter(merchant=tenant_a.merchant).count() == 1


def test_two_wallet_day_builders_at_once_take_turns(tenant_a):
    fund_wallet(tenant_a.member, "100.00")
    WalletEntry.objects.filter(wallet__member=tenant_a.member).update(
        created_at=timezone.now() - datetime.timedelta(days=1))
    yesterday = merchant_today(tenant_a.merchant) - datetime.timedelta(days=1)
    alone = keep_wallet_days(tenant_a.merchant, first=yesterday, last=yesterday)

    errors = _second_builder_while_the_first_is_open(
        lambda: keep_wallet_days(tenant_a.merchant, first=yesterday, last=yesterday))

    assert errors == []
    assert WalletDay.objects.filter(merchant=tenant_a.merchant).count() == alone >= 1
    assert WalletKeptDay.objects.filter(merchant=tenant_a.merchant).count() == 1
