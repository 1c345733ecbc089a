"""Every member page of every demo merchant, in both languages, writes money with two places and counts with
their plural: no "¥2338.290000000000", no "1 points"."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from checkout.models import Payment
from coupons.models import Coupon, CouponTemplate
from merchants.models import Member, Merchant
from merchants.views import log_member_in
from wallet.models import RedPacketCampaign

pytestmark = pytest.mark.django_db

# A decimal with more than two places, or an English count of one with a plural noun.
UNFORMATTED = re.compile(r"(?<![\w.])\d+\.\d{3,}(?![\w.])"
                         r"|(?<![\d.,])1 (points|coupons|members|days|uses|times|visits)\b")
TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S)


def _log_in(client, member):
    request = client.get(reverse("member:home", args=[member.merchant.slug])).wsgi_request
    log_member_in(request, member)
    request.session.save()
    client.cookies["sessionid"] = request.session.session_key


def _member_pages(merchant, member) -> list[str]:
    slug = merchant.slug
    pages = [reverse(name, args=[slug]) for name in (
        "member:home", "membership:card", "membership:points", "coupons:wallet", "coupons:shelf", "wallet:home")]
    pages += [reverse("checkout:pay", args=[slug, store.pk]) for store in merchant.stores.all()]
    pages += [reverse("coupons:detail", args=[slug, code])
              for code in Coupon.objects.filter(member=member).values_list("code", flat=True)]
    pages += [reverse("coupons:claim", args=[slug, token])
              for token in CouponTemplate.objects.filter(merchant=merchant).values_list("claim_token", flat=True)]
    links = RedPacketCampaign.objects.filter(merchant=merchant, trigger=RedPacketCampaign.Trigger.LINK)
    pages += [reverse("wallet:red-packet", args=[slug, token]) for token in links.values_list("link_token", flat=True)]
    pages += [reverse("checkout:result", args=[slug, number])
              for number in Payment.objects.filter(member=member).values_list("number", flat=True)[:15]]
    return pages


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", members=6)
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_member_page_of_every_demo_merchant_formats_money_and_plurals(demo, client, language):
    checked = 0
    for merchant in Merchant.objects.all():
        anonymous = [reverse(name, args=[merchant.slug]) for name in ("member:login", "member:join")]
        for url in anonymous:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language, follow=True)
            assert response.status_code == 200, url
        for member in Member.objects.filter(merchant=merchant):
            _log_in(client, member)
            for url in _member_pages(merchant, member):
                response = client.get(url, HTTP_ACCEPT_LANGUAGE=language, follow=True)
                assert response.status_code == 200, url
                text = TAGS.sub(" ", response.content.decode())
                found = UNFORMATTED.search(text)
                assert found is None, f"{url} ({language}): …{text[max(found.start() - 60, 0):found.end() + 20]}…"
                checked += 1
            client.cookies.pop("sessionid")
    assert checked > 100
    translation.activate("zh-hans")
