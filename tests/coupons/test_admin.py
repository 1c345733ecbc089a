"""The merchant console: templates with their figures, the redeem screen, mass sends, CSV export."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coupons import services
from coupons.models import Coupon, CouponIssuance, CouponRedemption
from merchants.services import create_segment
from tests.conftest import staff_client
from tests.coupons.helpers import make_members, make_template

REDEEM = reverse("admin:coupons_coupon_redeem")

# A send's benefit lines inline, posted empty: these sends give a coupon only.
NO_LINES = {"benefits-TOTAL_FORMS": "0", "benefits-INITIAL_FORMS": "0"}


def test_a_cashier_redeems_at_the_counter(client, tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    staff_client(client, tenant_a.cashier)
    assert client.get(REDEEM).status_code == 200
    bill = {"code": coupon.display_code, "store": tenant_a.store.pk, "bill_amount": "120.00",
            "payment_reference": "CASH-9"}
    checked = client.post(REDEEM, bill)
    preview = checked.context["preview"]
    assert preview["coupon"] == coupon and preview["member"] == tenant_a.member and preview["discount"] > 0
    assert 'id="redeem-preview"' in checked.content.decode() and tenant_a.member.masked_phone in \
        checked.content.decode()
    assert not CouponRedemption.objects.exists()  # seeing the coupon uses nothing
    response = client.post(REDEEM, {**bill, "step": "confirm"}, follow=True)
    assert response.status_code == 200
    redemption = CouponRedemption.objects.get(coupon=coupon)
    assert redemption.staff == tenant_a.cashier.user and redemption.payment_reference == "CASH-9"


def test_the_redeem_screen_starts_on_the_cashiers_store(client, tenant_a):
    tenant_a.cashier.store = tenant_a.other_store
    tenant_a.cashier.save()
    staff_client(client, tenant_a.cashier)
    assert client.get(REDEEM).context["form"]["store"].value() == tenant_a.other_store.pk


def test_the_redeem_screen_shows_why_a_code_is_refused(client, tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    staff_client(client, tenant_a.cashier)
    response = client.post(REDEEM, {"code": coupon.code, "store": tenant_a.store.pk, "bill_amount": "20.00"})
    assert "bill_amount" in response.context["form"].errors
    assert Coupon.objects.get(pk=coupon.pk).state == Coupon.State.AVAILABLE


def test_staff_of_another_merchant_cannot_redeem_a_code_or_pick_a_store(client, tenant_a, tenant_b):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    staff_client(client, tenant_b.cashier)
    form = client.get(REDEEM).context["form"]
    assert set(form.fields["store"].queryset) == {tenant_b.store, tenant_b.other_store}
    response = client.post(REDEEM, {"code": coupon.code, "store": tenant_b.store.pk, "bill_amount": "150.00"})
    assert "code" in response.context["form"].errors
    response = client.post(REDEEM, {"code": coupon.code, "store": tenant_a.store.pk, "bill_amount": "150.00"})
    assert "store" in response.context["form"].errors
    assert not CouponRedemption.objects.exists()


def test_only_managers_reverse_redemptions(client, tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    services.redeem_coupon(coupon, bill_amount=Decimal("150"), store=tenant_a.store)
    changelist = reverse("admin:coupons_coupon_changelist")
    staff_client(client, tenant_a.cashier)
    response = client.post(changelist, {"action": "reverse_redemptions", "_selected_action": [coupon.pk]})
    assert response.status_code in (200, 302, 403)
    assert Coupon.objects.get(pk=coupon.pk).state == Coupon.State.USED
    staff_client(client, tenant_a.manager)
    client.post(changelist, {"action": "reverse_redemptions", "_selected_action": [coupon.pk]})
    assert Coupon.objects.get(pk=coupon.pk).state == Coupon.State.AVAILABLE


def test_template_pages_show_issued_claimed_redeemed_views_and_money(client, tenant_a):
    template = make_template(tenant_a.merchant, per_member_limit=0)
    coupons = [services.claim_coupon(template, tenant_a.member) for _ in range(4)]
    services.redeem_coupon(coupons[0], bill_amount=Decimal("150"), store=tenant_a.store)
    services.record_claim_page_view(template)
    staff_client(client, tenant_a.owner)
    changelist = client.get(reverse("admin:coupons_coupontemplate_changelist"))
    row = changelist.context["cl"].result_list[0]
    assert (row.claimed_count, row.redeemed_n, row.money_off_sum) == (4, 1, Decimal("10.00"))
    figures = services.template_figures(template)
    assert (figures["issued"], figures["redeemed"], figures["redemption_rate"], figures["claim_page_views"]) == \
        (4, 1, Decimal("25.0"), 1)
    page = client.get(reverse("admin:coupons_coupontemplate_change", args=[template.pk])).content.decode()
    assert template.claim_token in page and "<svg" in page
    assert sum(day["issued"] for day in services.daily_figures(template)) == 4


def test_a_template_form_refuses_stock_below_what_was_issued(client, tenant_a):
    template = make_template(tenant_a.merchant, stock=5, per_member_limit=0)
    for _ in range(3):
        services.claim_coupon(template, tenant_a.member)
    staff_client(client, tenant_a.owner)
    url = reverse("admin:coupons_coupontemplate_change", args=[template.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name not in ("stores",
                                                                                                       "levels")}
    data.update(stock=2, merchant=tenant_a.merchant.pk, products="[]", categories="[]", weekdays="[]",
                valid_from_0=template.valid_from.strftime("%Y-%m-%d"), valid_from_1="00:00:00",
                valid_until_0=template.valid_until.strftime("%Y-%m-%d"), valid_until_1="00:00:00")
    response = client.post(url, data)
    assert response.status_code == 200 and "stock" in response.context["adminform"].form.errors
    template.refresh_from_db()
    assert template.stock == 5


def test_a_mass_send_from_an_uploaded_csv(client, tenant_a, django_capture_on_commit_callbacks):
    members = make_members(tenant_a.merchant, 3)
    template = make_template(tenant_a.merchant, stock=None)
    staff_client(client, tenant_a.manager)
    upload = SimpleUploadedFile("phones.csv", f"phone\n{members[0].phone}\n{members[2].phone}\n".encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:coupons_couponissuance_add"), {**NO_LINES,
            "merchant": tenant_a.merchant.pk, "template": template.pk, "segment": "phones",
            "notify_members": "on", "phones_file": upload})
    assert response.status_code == 302
    issuance = CouponIssuance.objects.get()
    assert (issuance.status, issuance.issued, issuance.created_by) == ("completed", 2, tenant_a.manager.user)
    page = client.get(reverse("admin:coupons_couponissuance_change", args=[issuance.pk])).content.decode()
    assert "<progress" in page


def test_a_mass_send_to_a_saved_segment_from_the_admin(client, tenant_a, django_capture_on_commit_callbacks):
    members = make_members(tenant_a.merchant, 3)
    segment = create_segment(tenant_a.merchant, name="two", clauses=[
        ("phones", {"phones": [members[0].phone, members[1].phone]})])
    template = make_template(tenant_a.merchant, stock=None)
    staff_client(client, tenant_a.manager)
    form = client.get(reverse("admin:coupons_couponissuance_add")).content.decode()
    assert f'<option value="{segment.pk}">two</option>' in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:coupons_couponissuance_add"), {**NO_LINES,
            "merchant": tenant_a.merchant.pk, "template": template.pk, "segment": "saved",
            "saved_segment": segment.pk})
    assert response.status_code == 302
    issuance = CouponIssuance.objects.get()
    assert (issuance.saved_segment, issuance.status, issuance.issued) == (segment, "completed", 2)


def test_a_mass_send_to_another_merchants_saved_segment_is_refused_in_the_admin(client, tenant_a, tenant_b):
    theirs = create_segment(tenant_b.merchant, name="B's", clauses=[])
    template = make_template(tenant_a.merchant)
    staff_client(client, tenant_a.manager)
    response = client.post(reverse("admin:coupons_couponissuance_add"), {**NO_LINES,
        "merchant": tenant_a.merchant.pk, "template": template.pk, "segment": "saved", "saved_segment": theirs.pk})
    assert response.status_code == 200 and "saved_segment" in response.context["adminform"].form.errors
    assert not CouponIssuance.objects.exists()


def test_a_mass_send_of_another_merchants_template_is_refused(client, tenant_a, tenant_b):
    template = make_template(tenant_a.merchant)
    staff_client(client, tenant_b.manager)
    response = client.post(reverse("admin:coupons_couponissuance_add"), {**NO_LINES,
        "merchant": tenant_a.merchant.pk, "template": template.pk, "segment": "all"})
    assert response.status_code == 200 and "template" in response.context["adminform"].form.errors
    assert not CouponIssuance.objects.exists()


def test_coupons_export_as_csv(client, tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    make_members(tenant_a.merchant, 1)
    staff_client(client, tenant_a.owner)
    response = client.post(reverse("admin:coupons_coupon_changelist"), {
        "action": "export_csv", "_selected_action": [coupon.pk]})
    body = b"".join(response.streaming_content).decode()
    assert coupon.code in body


def test_managers_void_coupons_and_cashiers_cannot(client, tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    changelist = reverse("admin:coupons_coupon_changelist")
    staff_client(client, tenant_a.cashier)
    client.post(changelist, {"action": "void", "_selected_action": [coupon.pk]})
    assert Coupon.objects.get(pk=coupon.pk).state == Coupon.State.AVAILABLE
    staff_client(client, tenant_a.manager)
    client.post(changelist, {"action": "void", "_selected_action": [coupon.pk]})
    assert Coupon.objects.get(pk=coupon.pk).state == Coupon.State.VOID


def test_a_mass_sends_progress_is_polled_as_json_by_its_own_merchant_only(client, tenant_a, tenant_b):
    make_members(tenant_a.merchant, 6)
    issuance = services.create_issuance(make_template(tenant_a.merchant, stock=None), start=False)
    services.run_issuance(issuance.pk, batch_size=4, max_batches=1)
    url = reverse("admin:coupons_couponissuance_progress", args=[issuance.pk])
    staff_client(client, tenant_a.manager)
    page = client.get(reverse("admin:coupons_couponissuance_change", args=[issuance.pk])).content.decode()
    assert url in page and "issuance_progress.js" in page
    figures = client.get(url).json()
    assert (figures["status"], figures["total"], figures["processed"], figures["issued"]) == ("running", 7, 4, 4)
    staff_client(client, tenant_b.manager)
    assert client.get(url).status_code == 404
