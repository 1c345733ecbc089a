"""Member login by phone and one-time code: expiry, single use, limits per phone and per IP."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from loyalty.errors import DomainError
from loyalty.models import OutboxMessage
from merchants import errors
from merchants.models import LoginCode, Member
from merchants.services import request_login_code, verify_login_code


def last_code(phone: str) -> str:
    message = OutboxMessage.objects.filter(recipient=phone, kind=OutboxMessage.Kind.LOGIN_CODE).latest("pk")
    return re.search(r"\d{6}", message.body).group()


def refused(code, call, *args, **kwargs):
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.code
    return caught.value


def test_a_code_is_texted_through_the_outbox_and_stored_only_as_a_hash(tenant_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        login_code = request_login_code(tenant_a.merchant, "138 0000 0001", client_ip="1.2.3.4")
    code = last_code("13800000001")
    assert login_code.phone == "13800000001"
    assert code not in login_code.code_hash
    assert OutboxMessage.objects.get(kind=OutboxMessage.Kind.LOGIN_CODE).status == OutboxMessage.Status.SENT
    assert verify_login_code(tenant_a.merchant, "+8613800000001", code) == "13800000001"


def test_a_code_works_once(tenant_a):
    request_login_code(tenant_a.merchant, "13800000001")
    code = last_code("13800000001")
    verify_login_code(tenant_a.merchant, "13800000001", code)
    refused(errors.LOGIN_CODE_INVALID, verify_login_code, tenant_a.merchant, "13800000001", code)


def test_a_code_expires_after_five_minutes(tenant_a):
    login_code = request_login_code(tenant_a.merchant, "13800000001")
    lifetime = login_code.expires_at - login_code.created_at
    assert abs(lifetime - timedelta(minutes=5)) < timedelta(seconds=1)
    LoginCode.objects.filter(pk=login_code.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused(errors.LOGIN_CODE_EXPIRED, verify_login_code, tenant_a.merchant, "13800000001", last_code("13800000001"))


def test_a_new_code_retires_the_previous_one(tenant_a, settings):
    settings.OTP_SEND_INTERVAL_SECONDS = 0
    request_login_code(tenant_a.merchant, "13800000001")
    first = last_code("13800000001")
    from loyalty import ratelimit

    ratelimit.reset(f"otp-interval:{tenant_a.merchant.pk}:13800000001")
    request_login_code(tenant_a.merchant, "13800000001")
    second = last_code("13800000001")
    if first != second:
        refused(errors.LOGIN_CODE_INVALID, verify_login_code, tenant_a.merchant, "13800000001", first)
    assert verify_login_code(tenant_a.merchant, "13800000001", second)


def test_five_wrong_tries_burn_the_code(tenant_a):
    request_login_code(tenant_a.merchant, "13800000001")
    code = last_code("13800000001")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        refused(errors.LOGIN_CODE_INVALID, verify_login_code, tenant_a.merchant, "13800000001", wrong)
    refused(errors.LOGIN_CODE_TOO_MANY_ATTEMPTS, verify_login_code, tenant_a.merchant, "13800000001", code)


def test_another_merchants_code_does_not_log_in_here(tenant_a, tenant_b):
    request_login_code(tenant_a.merchant, "13800000001")
    refused(errors.LOGIN_CODE_INVALID, verify_login_code, tenant_b.merchant, "13800000001",
            last_code("13800000001"))


def test_codes_are_sent_at_most_once_a_minute_per_phone(tenant_a):
    request_login_code(tenant_a.merchant, "13800000001")
    error = refused(errors.LOGIN_CODE_SENT_TOO_SOON, request_login_code, tenant_a.merchant, "13800000001")
    assert error.status_code == 429
    assert LoginCode.objects.count() == 1


def test_codes_per_phone_per_hour_are_limited(tenant_a, settings):
    settings.OTP_SEND_INTERVAL_SECONDS = 1
    from loyalty import ratelimit

    for _ in range(5):
        request_login_code(tenant_a.merchant, "13800000001")
        ratelimit.reset(f"otp-interval:{tenant_a.merchant.pk}:13800000001")
    refused(errors.LOGIN_RATE_LIMITED, request_login_code, tenant_a.merchant, "13800000001")
    assert LoginCode.objects.count() == 5


def test_codes_per_ip_per_hour_are_limited(tenant_a):
    for index in range(20):
        request_login_code(tenant_a.merchant, f"1380000{index:04d}", client_ip="9.9.9.9")
    refused(errors.LOGIN_RATE_LIMITED, request_login_code, tenant_a.merchant, "13899999999", client_ip="9.9.9.9")
    request_login_code(tenant_a.merchant, "13899999999", client_ip="8.8.8.8")


def test_wrong_guesses_per_phone_are_limited_across_codes(tenant_a, settings):
    settings.OTP_SEND_INTERVAL_SECONDS = 1
    from loyalty import ratelimit

    for _ in range(2):
        request_login_code(tenant_a.merchant, "13800000001")
        ratelimit.reset(f"otp-interval:{tenant_a.merchant.pk}:13800000001")
        for _ in range(5):
            with pytest.raises(DomainError):
                verify_login_code(tenant_a.merchant, "13800000001", "000001")
    request_login_code(tenant_a.merchant, "13800000001")
    refused(errors.LOGIN_RATE_LIMITED, verify_login_code, tenant_a.merchant, "13800000001",
            last_code("13800000001"))


@pytest.mark.parametrize("phone", ["12345", "23800000001", "1380000000a", "", "+0123"])
def test_bad_phone_numbers_are_refused_and_nothing_is_sent(tenant_a, phone):
    refused(errors.PHONE_INVALID, request_login_code, tenant_a.merchant, phone)
    assert not OutboxMessage.objects.exists()


def _send(client, merchant, phone):
    return client.post(reverse("member:login", args=[merchant.slug]), {"step": "send", "phone": phone})


def _verify(client, merchant, phone, code, next_url=""):
    return client.post(reverse("member:login", args=[merchant.slug]),
                       {"step": "verify", "phone": phone, "code": code, "next": next_url})


def test_a_member_logs_in_on_the_page_and_sees_home(client, tenant_a):
    home = reverse("member:home", args=[tenant_a.merchant.slug])
    assert client.get(home).status_code == 302
    assert _send(client, tenant_a.merchant, tenant_a.member.phone).status_code == 200
    response = _verify(client, tenant_a.merchant, tenant_a.member.phone, last_code(tenant_a.member.phone))
    assert response.status_code == 302 and response["Location"] == home
    page = client.get(home)
    assert page.status_code == 200 and "<svg" in page.content.decode()


def test_a_wrong_code_on_the_page_shows_the_message_and_logs_nobody_in(client, tenant_a):
    _send(client, tenant_a.merchant, tenant_a.member.phone)
    response = _verify(client, tenant_a.merchant, tenant_a.member.phone, "000000"
                       if last_code(tenant_a.member.phone) != "000000" else "111111")
    assert response.status_code == 200
    assert "code" in response.context["code_form"].errors
    assert client.get(reverse("member:home", args=[tenant_a.merchant.slug])).status_code == 302


def test_being_logged_in_at_one_merchant_is_not_being_logged_in_at_another(client, tenant_a, tenant_b):
    _send(client, tenant_a.merchant, tenant_a.member.phone)
    _verify(client, tenant_a.merchant, tenant_a.member.phone, last_code(tenant_a.member.phone))
    assert client.get(reverse("member:home", args=[tenant_b.merchant.slug])).status_code == 302


def test_next_only_goes_to_this_site(client, tenant_a):
    _send(client, tenant_a.merchant, tenant_a.member.phone)
    response = _verify(client, tenant_a.merchant, tenant_a.member.phone, last_code(tenant_a.member.phone),
                       next_url="https://evil.example/steal")
    assert response["Location"] == reverse("member:home", args=[tenant_a.merchant.slug])


def test_a_new_phone_joins_after_verifying(client, tenant_a):
    from merchants.models import MemberField

    MemberField.objects.create(merchant=tenant_a.merchant, key="size", label="Size", kind="choice",
                               choices=["S", "M"], required=True)
    join = reverse("member:join", args=[tenant_a.merchant.slug])
    assert client.get(join).status_code == 302  # phone not verified yet
    _send(client, tenant_a.merchant, "13700000007")
    response = _verify(client, tenant_a.merchant, "13700000007", last_code("13700000007"))
    assert response["Location"] == join
    missing = client.post(join, {"name": "Lin", "gender": "female"})
    assert missing.status_code == 200 and "cf_size" in missing.context["form"].errors
    assert not Member.objects.filter(phone="13700000007").exists()
    done = client.post(join, {"name": "Lin", "gender": "female", "cf_size": "M"})
    assert done.status_code == 302
    member = Member.objects.get(merchant=tenant_a.merchant, phone="13700000007")
    assert member.custom_fields == {"size": "M"} and member.name == "Lin"
    assert client.get(reverse("member:home", args=[tenant_a.merchant.slug])).status_code == 200


def test_a_frozen_member_cannot_log_in(client, tenant_a):
    Member.objects.filter(pk=tenant_a.member.pk).update(status=Member.Status.FROZEN)
    _send(client, tenant_a.merchant, tenant_a.member.phone)
    response = _verify(client, tenant_a.merchant, tenant_a.member.phone, last_code(tenant_a.member.phone))
    assert response.status_code == 200 and response.context["code_form"].non_field_errors()


def test_logout_ends_the_member_session(client, tenant_a):
    _send(client, tenant_a.merchant, tenant_a.member.phone)
    _verify(client, tenant_a.merchant, tenant_a.member.phone, last_code(tenant_a.member.phone))
    client.post(reverse("member:logout", args=[tenant_a.merchant.slug]))
    assert client.get(reverse("member:home", args=[tenant_a.merchant.slug])).status_code == 302


def test_pages_work_in_english_and_chinese(client, tenant_a):
    url = reverse("member:login", args=[tenant_a.merchant.slug])
    assert "获取验证码" in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": url})
    assert "Send code" in client.get(url).content.decode()
