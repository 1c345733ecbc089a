"""Mass sends (投放) give benefit lines of any registered kind: punch cards, time cards, a coupon and a card."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from cards.punchcards.models import PunchCard, PunchCardEntry
from cards.timecards.models import TimeCard
from coupons import services
from coupons.models import Coupon, CouponIssuance, CouponIssuanceBenefit, MassSendDelivery
from loyalty import benefits
from loyalty.errors import DomainError
from loyalty.models import OutboxMessage
from merchants.models import MemberTag
from tests.checkout.helpers import assert_ledgers_clean
from tests.conftest import staff_client
from tests.coupons.helpers import make_members, make_template
from tests.punchcards.helpers import make_product
from tests.stamp_benefit import StampBenefit
from tests.timecards.helpers import make_tier

pytestmark = pytest.mark.django_db


def _line(kind, target=None, quantity=1):
    return CouponIssuanceBenefit(kind=kind, quantity=quantity, target_id=target.pk if target else None)


def _send(merchant, *lines, template=None, batch_size=4, **kwargs):
    issuance = services.create_issuance(template, merchant=merchant, lines=list(lines), start=False, **kwargs)
    return services.run_issuance(issuance.pk, batch_size=batch_size)


def _vips(merchant, count):
    members = make_members(merchant, count)
    tag = MemberTag.objects.create(merchant=merchant, name="VIP")
    for member in members:
        member.tags.add(tag)
    return members, tag


def test_a_mass_send_of_a_punch_card_gives_each_member_of_the_segment_one_card(tenant_a):
    members, tag = _vips(tenant_a.merchant, 6)
    product = make_product(tenant_a.merchant)
    done = _send(tenant_a.merchant, _line("punch_card", product), segment="tag", tag=tag)
    assert (done.status, done.total, done.processed, done.issued, done.benefits_given) == ("completed", 6, 6, 0, 6)
    cards = PunchCard.objects.filter(product=product)
    assert sorted(cards.values_list("member_id", flat=True)) == sorted(m.pk for m in members)
    assert set(cards.values_list("uses_left", flat=True)) == {10}
    assert not PunchCard.objects.filter(member=tenant_a.member).exists()  # not in the segment
    assert PunchCardEntry.objects.filter(card__in=cards).count() == 6
    assert_ledgers_clean(tenant_a.merchant)
    call_command("audit_ledgers")
    texts = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.MARKETING)
    assert texts.count() == 6 and all(f"{product.name} ×1" in text.body for text in texts)


def test_a_mass_send_of_a_time_card_gives_each_member_one_period(tenant_a):
    members, tag = _vips(tenant_a.merchant, 5)
    tier = make_tier(tenant_a.merchant, days=30)
    done = _send(tenant_a.merchant, _line("time_card", tier), segment="tag", tag=tag, notify_members=False)
    assert (done.status, done.benefits_given) == ("completed", 5)
    passes = TimeCard.objects.filter(tier=tier)
    assert sorted(passes.values_list("member_id", flat=True)) == sorted(m.pk for m in members)
    assert set(passes.values_list("source", flat=True)) == {TimeCard.Source.BENEFIT}
    assert not OutboxMessage.objects.filter(kind=OutboxMessage.Kind.MARKETING).exists()
    assert_ledgers_clean(tenant_a.merchant)


def test_a_mass_send_of_a_coupon_and_a_card_gives_both_and_says_so(tenant_a):
    members = make_members(tenant_a.merchant, 4) + [tenant_a.member]
    template = make_template(tenant_a.merchant, stock=None)
    product = make_product(tenant_a.merchant, name="年卡10次")
    done = _send(tenant_a.merchant, _line("punch_card", product), template=template, batch_size=2)
    assert (done.status, done.issued, done.benefits_given) == ("completed", 5, 5)
    assert sorted(Coupon.objects.filter(issuance=done).values_list("member_id", flat=True)) == \
        sorted(m.pk for m in members)
    assert PunchCard.objects.filter(product=product).count() == 5
    texts = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.MARKETING)
    assert texts.count() == 5
    assert all(template.name in text.body and "年卡10次 ×1" in text.body for text in texts)
    assert_ledgers_clean(tenant_a.merchant)


def test_a_send_reaches_a_kind_coupons_never_heard_of_through_the_registry(tenant_a):
    make_members(tenant_a.merchant, 2)
    with benefits.benefits.registered(StampBenefit()) as stamps:
        done = _send(tenant_a.merchant, _line("test_stamp", tenant_a.store, quantity=3), notify_members=False)
    assert done.benefits_given == 3
    assert sorted(stamps.given) == sorted((f"send:{done.pk}:{pk}", 3) for pk in stamps.held)
    delivery = MassSendDelivery.objects.filter(issuance=done).first()
    assert delivery.given[0]["kind"] == "test_stamp" and delivery.given[0]["quantity"] == 3


def test_a_batch_killed_half_way_gives_nothing_and_the_resumed_send_gives_each_member_once(tenant_a, monkeypatch):
    members = make_members(tenant_a.merchant, 9) + [tenant_a.member]
    product = make_product(tenant_a.merchant)
    issuance = services.create_issuance(merchant=tenant_a.merchant, lines=[_line("punch_card", product)],
                                        start=False)
    services.run_issuance(issuance.pk, batch_size=4, max_batches=1)
    real_give = benefits.give_lines
    calls = {"n": 0}

    def dies_on_the_third_member(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the worker was killed")
        return real_give(*args, **kwargs)

    monkeypatch.setattr(benefits, "give_lines", dies_on_the_third_member)
    with pytest.raises(RuntimeError):
        services.run_issuance(issuance.pk, batch_size=4)
    issuance.refresh_from_db()
    # The batch under way rolled back whole, its two cards with it, and the checkpoint stayed.
    assert (issuance.processed, issuance.benefits_given, PunchCard.objects.count()) == (4, 4, 4)
    monkeypatch.setattr(benefits, "give_lines", real_give)
    done = services.run_issuance(issuance.pk, batch_size=4)
    assert (done.status, done.processed, done.benefits_given) == ("completed", 10, 10)
    assert sorted(PunchCard.objects.values_list("member_id", flat=True)) == sorted(m.pk for m in members)
    assert_ledgers_clean(tenant_a.merchant)


def test_a_batch_run_again_from_a_lost_checkpoint_gives_nobody_a_second_card(tenant_a):
    make_members(tenant_a.merchant, 5)
    product = make_product(tenant_a.merchant)
    done = _send(tenant_a.merchant, _line("punch_card", product), notify_members=False)
    # As if the checkpoint had been lost: the same members come round again.
    CouponIssuance.objects.filter(pk=done.pk).update(status="running", last_member_id=0)
    again = services.run_issuance(done.pk, batch_size=4)
    assert (again.status, again.processed, again.benefits_given) == ("completed", 12, 6)
    assert PunchCard.objects.count() == 6 == MassSendDelivery.objects.filter(issuance=done).count()
    assert_ledgers_clean(tenant_a.merchant)


def test_a_cancelled_card_send_stops_after_its_batch_and_a_killed_one_resumes(tenant_a):
    make_members(tenant_a.merchant, 10)
    product = make_product(tenant_a.merchant)
    cancelled = services.create_issuance(merchant=tenant_a.merchant, lines=[_line("punch_card", product)],
                                         start=False, notify_members=False)
    services.run_issuance(cancelled.pk, batch_size=4, max_batches=1)
    assert services.cancel_issuance(cancelled)
    done = services.run_issuance(cancelled.pk, batch_size=4)
    assert (done.status, done.benefits_given, PunchCard.objects.count()) == ("cancelled", 4, 4)
    with pytest.raises(DomainError):
        services.resume_issuance(done)

    tier = make_tier(tenant_a.merchant)
    killed = services.create_issuance(merchant=tenant_a.merchant, lines=[_line("time_card", tier)], start=False,
                                      notify_members=False)
    stopped = services.run_issuance(killed.pk, batch_size=3, max_batches=2)
    assert (stopped.status, stopped.benefits_given) == ("running", 6)
    resumed = services.run_issuance(killed.pk, batch_size=3)
    assert (resumed.status, resumed.benefits_given, TimeCard.objects.filter(tier=tier).count()) == \
        ("completed", 11, 11)


def test_a_send_of_neither_a_coupon_nor_a_benefit_is_refused(tenant_a):
    with pytest.raises(DomainError) as refused:
        services.create_issuance(merchant=tenant_a.merchant, start=False)
    assert refused.value.code == "coupon_issuance_empty"
    assert not CouponIssuance.objects.exists()


def test_a_send_of_another_merchants_card_is_refused(tenant_a, tenant_b):
    theirs = make_product(tenant_b.merchant)
    with pytest.raises(DomainError) as refused:
        services.create_issuance(merchant=tenant_a.merchant, lines=[_line("punch_card", theirs)], start=False)
    assert refused.value.code == "benefit_target_foreign"
    assert not CouponIssuance.objects.exists() and not CouponIssuanceBenefit.objects.exists()


def _add_page(client):
    return client.get(reverse("admin:coupons_couponissuance_add"))


def _post(client, tenant, lines, **fields):
    data = {"merchant": tenant.merchant.pk, "segment": "all", "notify_members": "on",
            "benefits-TOTAL_FORMS": str(len(lines)), "benefits-INITIAL_FORMS": "0", **fields}
    for n, line in enumerate(lines):
        data.update({f"benefits-{n}-{name}": value for name, value in
                     {"quantity": "0", "amount": "0", "position": str(n), **line}.items()})
    return client.post(reverse("admin:coupons_couponissuance_add"), data)


def test_the_admin_plans_a_punch_card_send_with_the_reward_rules_inline(client, tenant_a,
                                                                     django_capture_on_commit_callbacks):
    make_members(tenant_a.merchant, 2)
    product = make_product(tenant_a.merchant)
    staff_client(client, tenant_a.manager)
    page = _add_page(client)
    line = page.context["inline_admin_formsets"][0].formset.empty_form
    assert page.status_code == 200 and "punch_card_product" in line.fields
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, tenant_a, [{"kind": "punch_card", "punch_card_product": str(product.pk),
                                             "quantity": "1"}])
    assert response.status_code == 302, response.context and response.context["errors"]
    issuance = CouponIssuance.objects.get()
    assert (issuance.template, issuance.status, issuance.benefits_given, issuance.created_by) == \
        (None, "completed", 3, tenant_a.manager.user)
    assert list(issuance.benefits.values_list("merchant_id", "kind", "quantity", "target_id")) == [
        (tenant_a.merchant.pk, "punch_card", 1, product.pk)]
    assert PunchCard.objects.filter(product=product).count() == 3
    change = client.get(reverse("admin:coupons_couponissuance_change", args=[issuance.pk])).content.decode()
    assert product.name in change and "<progress" in change


def test_the_admin_refuses_a_send_with_neither_a_coupon_nor_a_benefit(client, tenant_a):
    staff_client(client, tenant_a.manager)
    response = _post(client, tenant_a, [])
    assert response.status_code == 200 and not CouponIssuance.objects.exists()
    with translation.override("zh-hans"):
        refused = translation.gettext("Choose a coupon template or add at least one benefit to give.")
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors() == [refused]
    assert refused in response.content.decode()
