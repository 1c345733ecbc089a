"""Time cards: periods placed end to end, start rules, the daily limit in the merchant's days, refunds, photos."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from cards.timecards import services
from cards.timecards.models import RefundPolicy, StartRule, TimeCard, TimeCardUse
from loyalty import payments
from loyalty.errors import DomainError
from loyalty.usable_cards import card_code, merchant_today
from merchants import services as merchant_services
from tests.timecards.helpers import make_tier

D = Decimal
DAY = datetime.timedelta(days=1)
pytestmark = pytest.mark.django_db


def _code(call):
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value.code


def _on(day: datetime.date, hour: int = 12):
    """A moment on `day` in the merchant's time zone (Asia/Shanghai)."""
    from zoneinfo import ZoneInfo

    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=ZoneInfo("Asia/Shanghai"))


def _days_left(member, product, today):
    return services.standing(list(TimeCard.objects.filter(member=member, product=product, status="active")),
                             today).days_left


def test_a_card_bought_starts_today_and_both_ends_are_valid_days(tenant_a):
    tier = make_tier(tenant_a.merchant, days=30)
    card = services.sell_card(tier, tenant_a.member, store=tenant_a.store)
    today = merchant_today(tenant_a.merchant)
    assert (card.starts_on, card.ends_on) == (today, today + 29 * DAY)
    assert _days_left(tenant_a.member, tier.product, today) == 30


def test_buying_again_while_valid_adds_the_days_to_the_end(tenant_a):
    tier7 = make_tier(tenant_a.merchant, days=7)
    tier30 = make_tier(tenant_a.merchant, days=30, product=tier7.product)
    start = datetime.date(2026, 3, 1)
    with mock.patch("django.utils.timezone.now", return_value=_on(start)):
        services.sell_card(tier7, tenant_a.member, store=tenant_a.store)
    later = start + 2 * DAY  # 5 days left: 3rd to 7th
    with mock.patch("django.utils.timezone.now", return_value=_on(later)):
        assert _days_left(tenant_a.member, tier7.product, later) == 5
        second = services.sell_card(tier30, tenant_a.member, store=tenant_a.store)
        assert _days_left(tenant_a.member, tier7.product, later) == 35
    assert (second.starts_on, second.ends_on) == (start + 7 * DAY, start + 36 * DAY)


def test_buying_after_it_lapsed_starts_afresh(tenant_a):
    tier = make_tier(tenant_a.merchant, days=7)
    start = datetime.date(2026, 3, 1)
    with mock.patch("django.utils.timezone.now", return_value=_on(start)):
        services.sell_card(tier, tenant_a.member, store=tenant_a.store)
    again = start + 10 * DAY
    with mock.patch("django.utils.timezone.now", return_value=_on(again)):
        card = services.sell_card(tier, tenant_a.member, store=tenant_a.store)
    assert (card.starts_on, card.ends_on) == (again, again + 6 * DAY)


def test_the_day_after_the_last_day_it_is_refused(tenant_a):
    tier = make_tier(tenant_a.merchant, days=7, daily_limit=None)
    start = datetime.date(2026, 3, 1)
    with mock.patch("django.utils.timezone.now", return_value=_on(start)):
        card = services.sell_card(tier, tenant_a.member, store=tenant_a.store)
    with mock.patch("django.utils.timezone.now", return_value=_on(start + 6 * DAY, 23)):
        services.record_use(card, store=tenant_a.store)
    with mock.patch("django.utils.timezone.now", return_value=_on(start + 7 * DAY, 0)):
        assert _code(lambda: services.record_use(card, store=tenant_a.store)) == "time_card_expired"


def test_a_week_card_starts_on_the_first_visit(tenant_a):
    tier = make_tier(tenant_a.merchant, days=7, start_rule=StartRule.FIRST_USE)
    bought = datetime.date(2026, 3, 1)
    with mock.patch("django.utils.timezone.now", return_value=_on(bought)):
        card = services.sell_card(tier, tenant_a.member, store=tenant_a.store)
    assert card.starts_on is None
    visit = bought + 4 * DAY
    with mock.patch("django.utils.timezone.now", return_value=_on(visit)):
        use = services.record_use(card, store=tenant_a.store)
    card.refresh_from_db()
    assert (card.starts_on, card.ends_on, use.used_on) == (visit, visit + 6 * DAY, visit)


def test_a_card_waiting_for_its_first_use_starts_on_the_activation_deadline(tenant_a):
    deadline = datetime.date(2026, 3, 10)
    tier = make_tier(tenant_a.merchant, days=7, start_rule=StartRule.FIRST_USE, activate_by=deadline)
    with mock.patch("django.utils.timezone.now", return_value=_on(datetime.date(2026, 3, 1))):
        card = services.sell_card(tier, tenant_a.member, store=tenant_a.store)
    with mock.patch("django.utils.timezone.now", return_value=_on(deadline + 3 * DAY)):
        services.record_use(card, store=tenant_a.store)
    card.refresh_from_db()
    assert (card.starts_on, card.ends_on) == (deadline, deadline + 6 * DAY)


def test_days_after_purchase(tenant_a):
    tier = make_tier(tenant_a.merchant, days=30, start_rule=StartRule.DAYS_AFTER, start_after_days=3)
    today = merchant_today(tenant_a.merchant)
    card = services.sell_card(tier, tenant_a.member, store=tenant_a.store)
    assert card.starts_on == today + 3 * DAY
    assert _code(lambda: services.record_use(card, store=tenant_a.store)) == "time_card_not_started"


def test_the_daily_limit_counts_the_merchants_day(tenant_a, in_english):
    tier = make_tier(tenant_a.merchant, days=30, daily_limit=1)
    day = datetime.date(2026, 3, 1)
    with mock.patch("django.utils.timezone.now", return_value=_on(day)):
        card = services.sell_card(tier, tenant_a.member, store=tenant_a.store)
    # 23:30 in Shanghai is 15:30 UTC the same day; 00:10 next day in Shanghai is still the 1st in UTC.
    with mock.patch("django.utils.timezone.now", return_value=_on(day, 23).replace(minute=30)):
        services.record_use(card, store=tenant_a.store)
        with pytest.raises(DomainError) as raised:
            services.record_use(card, store=tenant_a.store)
        assert raised.value.code == "time_card_daily_limit_reached"
        assert "once a day" in str(raised.value.message)
    next_day = _on(day + DAY, 0).replace(minute=10)
    assert next_day.astimezone(datetime.UTC).date() == day
    with mock.patch("django.utils.timezone.now", return_value=next_day):
        use = services.record_use(card, store=tenant_a.store)
    assert use.used_on == day + DAY


def test_an_undone_use_frees_the_day_again(tenant_a):
    card = services.sell_card(make_tier(tenant_a.merchant), tenant_a.member, store=tenant_a.store)
    use = services.record_use(card, store=tenant_a.store)
    services.undo_use(use, staff=tenant_a.manager.user)
    assert _code(lambda: services.undo_use(use, staff=tenant_a.manager.user)) == "time_card_use_already_undone"
    services.record_use(card, store=tenant_a.store)
    assert TimeCardUse.objects.filter(card=card, undone_at__isnull=True).count() == 1


def test_a_refund_pays_the_unused_days_and_moves_the_next_period_forward(tenant_a):
    tier = make_tier(tenant_a.merchant, days=10, price="100.00")
    start = datetime.date(2026, 3, 1)
    with mock.patch("django.utils.timezone.now", return_value=_on(start)):
        first = services.sell_card(tier, tenant_a.member, store=tenant_a.store)
        second = services.sell_card(tier, tenant_a.member, store=tenant_a.store)
    assert second.starts_on == start + 10 * DAY
    with mock.patch("django.utils.timezone.now", return_value=_on(start + 3 * DAY)):
        assert services.refund_card(first) == D("60.00")  # 1st–4th used, 5th–10th returned
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.ends_on) == ("void", start + 3 * DAY)
    assert (second.starts_on, second.ends_on) == (start + 4 * DAY, start + 13 * DAY)


def test_no_refund_when_the_merchant_says_so(tenant_a):
    s = services.time_card_settings(tenant_a.merchant)
    s.refund_policy = RefundPolicy.NONE
    s.save()
    card = services.sell_card(make_tier(tenant_a.merchant), tenant_a.member, store=tenant_a.store)
    assert _code(lambda: services.refund_card(card)) == "time_card_not_refundable"


@settings(max_examples=40, deadline=None)
@given(days=st.integers(min_value=1, max_value=400), elapsed=st.integers(min_value=-5, max_value=500),
       price=st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2))
def test_a_refund_is_never_more_than_the_price_and_all_of_it_before_the_start(days, elapsed, price):
    start = datetime.date(2026, 1, 1)
    card = TimeCard(days=days, price_paid=price, starts_on=start, ends_on=start + (days - 1) * DAY)
    refund = services.refund_due(card, start + elapsed * DAY)
    assert D("0.00") <= refund <= price
    if elapsed < 0:
        assert refund == price
    if elapsed >= days - 1:
        assert refund == D("0.00")


def test_the_identity_check_needs_a_photo_and_the_cashiers_confirmation(tenant_a):
    s = services.time_card_settings(tenant_a.merchant)
    s.identity_check = True
    s.save()
    tier = make_tier(tenant_a.merchant)
    card = services.sell_card(tier, tenant_a.member, store=tenant_a.store)
    assert _code(lambda: services.record_use(card, store=tenant_a.store, identity_confirmed=True)) == (
        "time_card_photo_missing")
    services.save_photo(tenant_a.member, tier.product, SimpleUploadedFile("me.jpg", b"jpeg", "image/jpeg"))
    assert _code(lambda: services.record_use(card, store=tenant_a.store)) == "time_card_identity_not_confirmed"
    use = services.record_use(card, store=tenant_a.store, staff=tenant_a.cashier.user, identity_confirmed=True)
    assert (use.identity_confirmed, use.staff) == (True, tenant_a.cashier.user)


def test_a_photo_is_the_members_and_the_staffs_only(client, tenant_a, tenant_b):
    tier = make_tier(tenant_a.merchant)
    photo = services.save_photo(tenant_a.member, tier.product, SimpleUploadedFile("me.png", b"png", "image/png"))
    url = reverse("timecards:photo", args=[tenant_a.merchant.slug, photo.pk])
    assert client.get(url).status_code == 302  # not logged in: to the login page
    session = client.session
    session[f"member:{tenant_a.merchant.pk}"] = tenant_a.member.pk
    session.save()
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"png"
    other = client.__class__()
    other.force_login(tenant_b.owner.user)
    assert other.get(reverse("admin:timecards_identityphoto_image", args=[photo.pk])).status_code == 404
    own = client.__class__()
    own.force_login(tenant_a.cashier.user)
    assert own.get(reverse("admin:timecards_identityphoto_image", args=[photo.pk])).status_code == 200
    someone = merchant_services.join_member(tenant_a.merchant, "13766660000")
    stranger = client.__class__()
    session = stranger.session
    session[f"member:{tenant_a.merchant.pk}"] = someone.pk
    session.save()
    assert stranger.get(url).status_code == 404


def test_a_purchase_through_the_gateway_and_a_use_through_the_api(client, tenant_a):
    tier = make_tier(tenant_a.merchant)
    card, payment = services.start_purchase(tier, tenant_a.member)
    client.post(reverse("payments:callback"), payments.SandboxGateway().callback_params(payment, paid=True))
    card.refresh_from_db()
    assert card.status == "active" and card.starts_on == merchant_today(tenant_a.merchant)
    code = card_code("time", merchant_id=tenant_a.merchant.pk, card_id=card.pk)
    api = tenant_a.api()
    first = api.post(reverse("api:card-uses"), {"code": code}, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert first.status_code == 201 and first.json()["kind"] == "time"
    again = api.post(reverse("api:card-uses"), {"code": code}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "time_card_daily_limit_reached"
    many = api.post(reverse("api:card-uses"), {"code": code, "count": 2}, format="json")
    assert many.status_code == 400 and many.json()["error"]["code"] == "time_card_one_use_at_a_time"


def test_given_as_a_benefit_and_taken_back(tenant_a):
    from loyalty import benefits

    tier = make_tier(tenant_a.merchant)
    kind = benefits.kind_of("time_card")
    line = type("Line", (), {"quantity": 1, "target_id": tier.pk})()
    given = kind.give(line, tenant_a.member, target=tier, occasion="reward", reference="pay:1")
    card = TimeCard.objects.get(pk=given.objects[0])
    assert (card.source, card.price_paid, card.status) == ("benefit", D("0.00"), "active")
    taken = kind.take_back(given, tenant_a.member, share=None, reference="refund:1")
    assert taken.quantity == 1
    card.refresh_from_db()
    assert card.status == "void"
