"""Races on Postgres: claims against stock and limits, two cashiers scanning one code, a worker killed mid-send."""

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from cards.punchcards.models import PunchCard
from coupons import services
from coupons.models import Coupon, CouponIssuance, CouponIssuanceBenefit, CouponRedemption
from tests.conftest import race, requires_postgres
from tests.coupons.helpers import make_members, make_template
from tests.punchcards.helpers import make_product

pytestmark = [requires_postgres(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_claims_never_exceed_the_stock(tenant_a):
    template = make_template(tenant_a.merchant, stock=5)
    members = make_members(tenant_a.merchant, 10)
    results, codes = race([lambda m=m: services.claim_coupon(template, m) for m in members])
    assert len(results) == 5 and codes == ["coupon_out_of_stock"] * 5
    template.refresh_from_db()
    assert template.issued_count == 5 == Coupon.objects.filter(template=template).count()


def test_concurrent_claims_by_one_member_respect_the_limit(tenant_a):
    template = make_template(tenant_a.merchant, stock=None, per_member_limit=2)
    results, codes = race([lambda: services.claim_coupon(template, tenant_a.member) for _ in range(6)])
    assert len(results) == 2 and codes == ["coupon_claim_limit"] * 4
    assert Coupon.objects.filter(template=template, member=tenant_a.member).count() == 2


def test_two_cashiers_scanning_the_same_code_redeem_it_once(tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    stores = [tenant_a.store, tenant_a.other_store] * 3

    def redeem(store):
        found = services.find_coupon_by_code(tenant_a.merchant, coupon.code)
        return services.redeem_coupon(found, bill_amount=Decimal("150.00"), store=store)

    results, codes = race([lambda s=s: redeem(s) for s in stores])
    assert len(results) == 1 and codes == ["coupon_used"] * 5
    assert CouponRedemption.objects.filter(coupon=coupon).count() == 1


def test_fission_friends_racing_unlock_once_at_n(tenant_a):
    friend_template = make_template(tenant_a.merchant, name="friend", stock=None)
    template = make_template(tenant_a.merchant, fission_friends=3, friend_template=friend_template)
    sharer = services.claim_coupon(template, tenant_a.member)
    friends = make_members(tenant_a.merchant, 5)
    results, codes = race([lambda f=f: services.claim_through_share(sharer.share_token, f) for f in friends])
    assert len(results) == 5 and not codes
    sharer.refresh_from_db()
    assert sharer.state == Coupon.State.AVAILABLE


def test_a_send_whose_worker_is_killed_resumes_exactly(tenant_a):
    members = make_members(tenant_a.merchant, 60) + [tenant_a.member]
    template = make_template(tenant_a.merchant, stock=None)
    issuance = services.create_issuance(template, start=False)
    database = connection.settings_dict
    login = database["USER"] + (f":{database['PASSWORD']}" if database.get("PASSWORD") else "")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "loyalty.settings", "REDIS_URL": "",
           "DATABASE_URL": f"postgres://{login}@{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
                           f"/{database['NAME']}"}
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "issue_coupons", "--resume", str(issuance.pk), "--batch-size", "5",
         "--throttle-ms", "300"], cwd=Path(settings.BASE_DIR), env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            issuance.refresh_from_db()
            if issuance.issued >= 10:
                break
            assert worker.poll() is None, worker.stderr.read().decode()
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    issuance.refresh_from_db()
    assert issuance.status == CouponIssuance.Status.RUNNING and 10 <= issuance.issued < 61
    done = services.run_issuance(issuance.pk, batch_size=7)
    assert (done.status, done.issued, done.processed) == ("completed", 61, 61)
    holders = list(Coupon.objects.filter(issuance=issuance).values_list("member_id", flat=True))
    assert sorted(holders) == sorted(m.pk for m in members)


def test_two_workers_on_one_punch_card_send_give_each_member_one_card(tenant_a):
    members = make_members(tenant_a.merchant, 30) + [tenant_a.member]
    product = make_product(tenant_a.merchant)
    issuance = services.create_issuance(merchant=tenant_a.merchant, notify_members=False, start=False, lines=[
        CouponIssuanceBenefit(kind="punch_card", quantity=1, target_id=product.pk)])
    race([lambda: services.run_issuance(issuance.pk, batch_size=4),
          lambda: services.run_issuance(issuance.pk, batch_size=4)])
    issuance.refresh_from_db()
    assert (issuance.status, issuance.processed, issuance.benefits_given) == ("completed", 31, 31)
    holders = list(PunchCard.objects.filter(product=product).values_list("member_id", flat=True))
    assert sorted(holders) == sorted(m.pk for m in members)
