"""Join-then-claim: a visitor opens a link, logs in, joins, and is brought back to finish what the link offered."""

from django.urls import reverse

from coupons.models import ClaimChannel, Coupon
from coupons.services import start_gift
from merchants.models import Member
from tests.coupons.helpers import make_template
from tests.merchants.test_login import _send, last_code

NEW_PHONE = "13700000042"


def _login_and_join(client, slug: str, login_location: str):
    """Follow the login page the link sent us to: send the code, verify it, join. Returns the last answer."""
    assert client.get(login_location).status_code == 200
    next_path = client.get(login_location).context["next"]
    _send(client, _merchant(slug), NEW_PHONE)
    verified = client.post(reverse("member:login", args=[slug]), {"step": "verify", "phone": NEW_PHONE,
                                                                 "code": last_code(NEW_PHONE), "next": next_path})
    join_page = verified["Location"]
    assert join_page.startswith(reverse("member:join", args=[slug]))
    form = client.get(join_page)
    assert form.context["next"] == next_path
    return client.post(join_page, {"name": "New", "gender": "unknown", "next": next_path})


def _merchant(slug):
    from merchants.models import Merchant

    return Merchant.objects.get(slug=slug)


def test_a_visitor_pressing_claim_joins_and_lands_on_the_claimed_coupon(client, tenant_a):
    template = make_template(tenant_a.merchant, audience="anyone")
    claim = reverse("coupons:claim", args=["alpha", template.claim_token])
    pressed = client.post(claim)
    assert pressed["Location"] == f"/m/alpha/login/?next=%2Fm%2Falpha%2Fcoupons%2Fclaim%2F{template.claim_token}%2F"
    joined = _login_and_join(client, "alpha", pressed["Location"])
    assert joined["Location"] == claim
    landed = client.get(claim)
    member = Member.objects.get(merchant=tenant_a.merchant, phone=NEW_PHONE)
    coupon = Coupon.objects.get(member=member, template=template)
    assert landed["Location"] == reverse("coupons:detail", args=["alpha", coupon.code])
    # Once: opening the claim page again shows it, it does not claim again.
    again = client.get(claim)
    assert again.status_code == 200 and Coupon.objects.filter(member=member).count() == 1


def test_a_channel_link_brings_the_new_member_back_and_counts_for_the_channel(client, tenant_a):
    template = make_template(tenant_a.merchant, audience="anyone")
    door = ClaimChannel.objects.create(merchant=tenant_a.merchant, template=template, name="Door")
    link = reverse("coupons:channel", args=["alpha", door.token])
    client.get(link)
    pressed = client.post(link)
    assert client.get(_login_and_join(client, "alpha", pressed["Location"])["Location"]).status_code == 302
    coupon = Coupon.objects.get(member__phone=NEW_PHONE)
    door.refresh_from_db()
    assert (coupon.channel_id, door.views, door.claims) == (door.pk, 1, 1)


def test_a_gift_link_is_taken_after_joining(client, tenant_a):
    template = make_template(tenant_a.merchant, giftable=True)
    from coupons.services import issue_coupon

    coupon = start_gift(issue_coupon(template, tenant_a.member, source="staff"), tenant_a.member)
    gift = reverse("coupons:gift", args=["alpha", coupon.gift_token])
    pressed = client.post(gift)
    assert _login_and_join(client, "alpha", pressed["Location"])["Location"] == gift
    landed = client.get(gift)
    received = Coupon.objects.get(member__phone=NEW_PHONE)
    assert landed["Location"] == reverse("coupons:detail", args=["alpha", received.code])
    assert received.gifted_from_id == coupon.pk


def test_a_fission_link_is_helped_after_joining(client, tenant_a):
    friends = make_template(tenant_a.merchant, name="Friend's coupon", audience="anyone")
    template = make_template(tenant_a.merchant, fission_friends=2, friend_template=friends)
    from coupons.services import issue_coupon

    sharer = issue_coupon(template, tenant_a.member, source="staff")
    share = reverse("coupons:share", args=["alpha", sharer.share_token])
    pressed = client.post(share)
    assert _login_and_join(client, "alpha", pressed["Location"])["Location"] == share
    landed = client.get(share)
    received = Coupon.objects.get(member__phone=NEW_PHONE)
    assert landed["Location"] == reverse("coupons:detail", args=["alpha", received.code])
    assert received.shared_via_id == sharer.pk


def test_an_existing_member_logging_in_is_brought_back_too(client, tenant_a):
    template = make_template(tenant_a.merchant)
    claim = reverse("coupons:claim", args=["alpha", template.claim_token])
    pressed = client.post(claim)
    next_path = client.get(pressed["Location"]).context["next"]
    _send(client, tenant_a.merchant, tenant_a.member.phone)
    logged_in = client.post(reverse("member:login", args=["alpha"]), {
        "step": "verify", "phone": tenant_a.member.phone, "code": last_code(tenant_a.member.phone), "next": next_path})
    assert logged_in["Location"] == claim
    assert client.get(claim).status_code == 302 and Coupon.objects.filter(member=tenant_a.member).count() == 1


def test_only_a_look_at_the_page_claims_nothing_after_login(client, tenant_a):
    template = make_template(tenant_a.merchant)
    claim = reverse("coupons:claim", args=["alpha", template.claim_token])
    client.get(claim)
    login_link = client.get(claim).context["login_url"]
    next_path = client.get(login_link).context["next"]
    _send(client, tenant_a.merchant, tenant_a.member.phone)
    client.post(reverse("member:login", args=["alpha"]), {
        "step": "verify", "phone": tenant_a.member.phone, "code": last_code(tenant_a.member.phone), "next": next_path})
    assert client.get(claim).status_code == 200 and not Coupon.objects.exists()


def test_next_never_leaves_the_merchants_member_pages(rf, tenant_a, tenant_b):
    from merchants.views import _safe_next

    for target in ("https://evil.example/x", "//evil.example/x", "/m/beta/coupons/", "/admin/", "/m/alpha/../beta/",
                   "/m/alpha//evil.example", "\\\\evil.example", "/m/alpha/\\evil", "javascript:alert(1)",
                   "http://testserver/m/alpha/"):
        request = rf.post("/m/alpha/login/", {"next": target})
        request.merchant = tenant_a.merchant
        assert _safe_next(request, "/m/alpha/") == "/m/alpha/", target
    for target in ("/m/alpha/coupons/claim/abc/", "/m/alpha/giftcards/gift/x/?from=poster"):
        request = rf.post("/m/alpha/login/", {"next": target})
        request.merchant = tenant_a.merchant
        assert _safe_next(request, "/m/alpha/") == target


def test_a_bad_next_on_the_login_page_goes_home(client, tenant_a):
    _send(client, tenant_a.merchant, tenant_a.member.phone)
    response = client.post(reverse("member:login", args=["alpha"]), {
        "step": "verify", "phone": tenant_a.member.phone, "code": last_code(tenant_a.member.phone),
        "next": "/m/beta/coupons/"})
    assert response["Location"] == "/m/alpha/"


def test_next_survives_a_join_form_with_errors(client, tenant_a):
    from merchants.models import MemberField

    MemberField.objects.create(merchant=tenant_a.merchant, key="size", label="Size", kind="choice",
                               choices=["S", "M"], required=True)
    template = make_template(tenant_a.merchant, audience="anyone")
    claim = reverse("coupons:claim", args=["alpha", template.claim_token])
    pressed = client.post(claim)
    next_path = client.get(pressed["Location"]).context["next"]
    _send(client, tenant_a.merchant, NEW_PHONE)
    verified = client.post(reverse("member:login", args=["alpha"]), {
        "step": "verify", "phone": NEW_PHONE, "code": last_code(NEW_PHONE), "next": next_path})
    missing = client.post(verified["Location"], {"name": "New", "gender": "unknown", "next": next_path})
    assert missing.status_code == 200 and missing.context["next"] == claim
    done = client.post(verified["Location"], {"name": "New", "gender": "unknown", "cf_size": "S", "next": next_path})
    assert done["Location"] == claim
