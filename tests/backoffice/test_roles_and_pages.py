"""Roles hold in every figure (a cashier walks every admin page and finds none), error pages speak the visitor's
language in the product's style, and the landing page names no merchant."""

import json
import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.views.defaults import server_error

from loyalty.reports import reports
from loyalty.tenancy import scope_queryset
from merchants.models import Merchant, StaffMember, StaffRole

pytestmark = pytest.mark.django_db
# What the admin calls its money figures and performance figures, in English.
FIGURE_WORDS = ["Stored value owed to members", "money taken off bills", "redemption rate", "claim page views",
                "last 30 days (issued / redeemed)", 'id="liability"', "remaining liability", "revenue",
                "outstanding", "takings", "average bill", "stored value spent",
                "the platform pays in", "closing in money",
                # The claim channels' figures: their column headers, in the channel list and the template's inline.
                "column-views", "column-claims"]



@pytest.fixture
def demo(in_english):
    call_command("seed_demo", members=3)
    return Merchant.objects.get(slug="chacha")


def _staff(merchant, role):
    return StaffMember.objects.filter(merchant=merchant, role=role).select_related("user").first().user


def _pages(user):
    """Every admin changelist the user may view, and the change page of the first row they may see in it."""
    for model in admin.site._registry:
        opts = model._meta
        if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            continue
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        obj = scope_queryset(model._default_manager.all(), user).first()
        if obj is not None:
            try:
                yield reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            except NoReverseMatch:
                continue


def test_a_cashier_walks_every_admin_page_and_sees_no_money_or_performance_figure(client, demo):
    cashier = _staff(demo, StaffRole.CASHIER)
    client.force_login(cashier)
    walked = 0
    for url in _pages(cashier):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode().lower()
        shown = [word for word in FIGURE_WORDS if word.lower() in page]
        assert not shown, f"{url} shows {shown} to a cashier"
        walked += 1
    assert walked >= 20


def test_a_cashier_sees_their_stores_dashboard_without_money_and_opens_no_report(client, demo):
    cashier = _staff(demo, StaffRole.CASHIER)
    client.force_login(cashier)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="dashboard"' in page and 'id="tile-payments"' in page
    shown = [word for word in [*FIGURE_WORDS, "¥"] if word.lower() in page.lower()]
    assert not shown, f"the dashboard shows {shown} to a cashier"
    for report in reports.all():
        assert client.get(reverse("reports:report", args=[report.code])).status_code == 403, report.code
    assert client.get(reverse("reports:list")).status_code == 403


def test_owners_and_managers_see_the_figures_the_cashier_does_not(client, demo):
    for role in (StaffRole.OWNER, StaffRole.MANAGER):
        client.force_login(_staff(demo, role))
        wallets = client.get(reverse("admin:wallet_wallet_changelist")).content.decode()
        templates = client.get(reverse("admin:coupons_coupontemplate_changelist")).content.decode().lower()
        assert 'id="liability"' in wallets and "money taken off bills" in templates and "redemption rate" in templates


@pytest.mark.parametrize(("language", "words"), [("en", "There is nothing at this address."), ("zh-hans", "这个地址")])
def test_the_404_page_is_in_the_visitors_language_and_style(client, language, words):
    response = client.get("/m/no-such-shop/", HTTP_ACCEPT_LANGUAGE=language)
    page = response.content.decode()
    assert response.status_code == 404 and words in page and "member/member.css" in page


def test_an_admin_404_leads_back_to_the_console(client, tenant_a, in_english):
    client.force_login(tenant_a.owner.user)
    response = client.get(reverse("admin:merchants_member_change", args=[999999]))
    assert response.status_code == 404 and reverse("admin:index") in response.content.decode()


def test_a_cashier_refused_a_page_gets_the_403_page(client, tenant_a, in_english):
    client.force_login(tenant_a.cashier.user)
    response = client.get(reverse("admin:coupons_coupontemplate_add"))
    assert response.status_code == 403 and "You may not open this page." in response.content.decode()


def test_the_500_page_is_translated():
    request = RequestFactory().get("/")
    with translation.override("zh-hans"):
        page = server_error(request).content.decode()
    assert "出错" in page and "member/member.css" in page


def test_the_landing_page_names_no_merchant(client, tenant_a, tenant_b):
    page = client.get("/").content.decode()
    assert tenant_a.merchant.name not in page and tenant_b.merchant.name not in page
    assert not re.search(r'href="/m/', page)


def test_a_superuser_is_not_a_cashier(client, tenant_a):
    operator = get_user_model().objects.create_superuser("op", "op@example.com", "x")
    assert operator.has_perm("loyalty.view_figures") and not tenant_a.cashier.user.has_perm("loyalty.view_figures")


def test_admin_pages_and_widgets_speak_chinese(client, tenant_a):
    client.force_login(tenant_a.owner.user)
    page = client.get(reverse("admin:coupons_coupontemplate_add"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Model name" not in page and "Change or view list link" not in page
    catalog = client.get(reverse("admin:jsi18n"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert json.dumps("选中要添加的%s")[1:-1] in catalog and json.dumps("全选%s")[1:-1] in catalog
