"""Member pages: 券包, claim links, gifts, fission shares, the points shelf, the home tile."""

from django.urls import reverse

from coupons import services
from coupons.models import Coupon
from tests.coupons.helpers import make_members, make_template


def member_client(client, member):
    session = client.session
    session[f"member:{member.merchant_id}"] = member.pk
    session.save()
    return client


def test_claim_link_shows_the_coupon_to_anyone_and_counts_views(client, tenant_a):
    template = make_template(tenant_a.merchant, name="Spring 10 off")
    url = reverse("coupons:claim", args=[tenant_a.merchant.slug, template.claim_token])
    response = client.get(url)
    assert response.status_code == 200 and "Spring 10 off" in response.content.decode()
    template.refresh_from_db()
    assert template.claim_page_views == 1
    # Claiming needs a member: the visitor is sent to log in and comes back.
    response = client.post(url)
    assert response.status_code == 302 and "/login/?next=" in response["Location"]


def test_a_member_claims_and_finds_it_in_the_wallet_with_code_qr_and_barcode(client, tenant_a):
    template = make_template(tenant_a.merchant, name="Spring 10 off")
    member_client(client, tenant_a.member)
    response = client.post(reverse("coupons:claim", args=[tenant_a.merchant.slug, template.claim_token]))
    coupon = Coupon.objects.get(member=tenant_a.member)
    assert response["Location"] == reverse("coupons:detail", args=[tenant_a.merchant.slug, coupon.code])
    detail = client.get(response["Location"]).content.decode()
    assert coupon.display_code in detail and detail.count("<svg") >= 2
    wallet = client.get(reverse("coupons:wallet", args=[tenant_a.merchant.slug])).content.decode()
    assert coupon.display_code in wallet and "Spring 10 off" in wallet
    qr_url = reverse("coupons:qr", args=[tenant_a.merchant.slug, coupon.code])
    assert qr_url in wallet
    image = client.get(qr_url)
    assert image["Content-Type"] == "image/svg+xml" and b"<svg" in image.content
    assert "private" in image["Cache-Control"]
    used = client.get(reverse("coupons:wallet", args=[tenant_a.merchant.slug]), {"tab": "used"}).content.decode()
    assert coupon.display_code not in used


def test_a_refused_claim_says_why(client, tenant_a):
    template = make_template(tenant_a.merchant, stock=0)
    member_client(client, tenant_a.member)
    response = client.post(reverse("coupons:claim", args=[tenant_a.merchant.slug, template.claim_token]),
                           follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "all of these coupons have been given out" in response.content.decode()


def test_a_member_sees_only_their_own_coupons(client, tenant_a, tenant_b):
    theirs = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    other = make_members(tenant_a.merchant, 1)[0]
    member_client(client, other)
    assert client.get(reverse("coupons:detail", args=[tenant_a.merchant.slug, theirs.code])).status_code == 404
    assert theirs.code not in client.get(reverse("coupons:wallet", args=[tenant_a.merchant.slug])).content.decode()
    assert client.get(reverse("coupons:qr", args=[tenant_a.merchant.slug, theirs.code])).status_code == 404


def test_gift_flow_through_the_pages(client, tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant, giftable=True), tenant_a.member)
    member_client(client, tenant_a.member)
    client.post(reverse("coupons:gift-start", args=[tenant_a.merchant.slug, coupon.code]))
    coupon.refresh_from_db()
    gift_url = reverse("coupons:gift", args=[tenant_a.merchant.slug, coupon.gift_token])
    detail = client.get(reverse("coupons:detail", args=[tenant_a.merchant.slug, coupon.code]))
    assert gift_url in detail.content.decode()
    friend = make_members(tenant_a.merchant, 1)[0]
    client.logout()
    member_client(client, friend)
    response = client.post(gift_url)
    received = Coupon.objects.get(member=friend)
    assert response["Location"].endswith(f"/c/{received.code}/")


def test_fission_flow_through_the_pages(client, tenant_a):
    friend_template = make_template(tenant_a.merchant, name="Friend coupon", stock=None)
    sharer = services.claim_coupon(make_template(tenant_a.merchant, fission_friends=1,
                                                 friend_template=friend_template), tenant_a.member)
    share_url = reverse("coupons:share", args=[tenant_a.merchant.slug, sharer.share_token])
    member_client(client, tenant_a.member)
    assert share_url in client.get(reverse("coupons:detail", args=[tenant_a.merchant.slug, sharer.code])
                                   ).content.decode()
    client.logout()
    member_client(client, make_members(tenant_a.merchant, 1)[0])
    assert "Friend coupon" in client.get(share_url).content.decode()
    client.post(share_url)
    sharer.refresh_from_db()
    assert sharer.state == Coupon.State.AVAILABLE


def test_points_shelf_lists_what_points_can_buy(client, tenant_a):
    make_template(tenant_a.merchant, name="For 100 points", points_price=100)
    make_template(tenant_a.merchant, name="Hidden one", points_price=50, audience="hidden")
    member_client(client, tenant_a.member)
    page = client.get(reverse("coupons:shelf", args=[tenant_a.merchant.slug])).content.decode()
    assert "For 100 points" in page and "Hidden one" not in page


def test_home_page_has_a_coupons_tile(client, tenant_a):
    services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    member_client(client, tenant_a.member)
    response = client.get(reverse("member:home", args=[tenant_a.merchant.slug]))
    wallet = reverse("coupons:wallet", args=[tenant_a.merchant.slug])
    assert wallet in response.content.decode()


def test_wallet_needs_a_login(client, tenant_a):
    response = client.get(reverse("coupons:wallet", args=[tenant_a.merchant.slug]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_tampered_shelf_form_is_a_404_not_an_error(client, tenant_a):
    member_client(client, tenant_a.member)
    url = reverse("coupons:shelf", args=[tenant_a.merchant.slug])
    assert client.post(url, {"template": "abc"}).status_code == 404
    hidden = make_template(tenant_a.merchant, points_price=10, audience="hidden")
    assert client.post(url, {"template": str(hidden.pk)}).status_code == 404
