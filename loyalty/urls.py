from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from campaigns import api as campaign_api
from campaigns import views as campaign_views
from cards.giftcards import api as giftcard_api
from cards.punchcards import api as punchcard_api
from cards.timecards import api as timecard_api
from checkout import api as checkout_api
from coupons import api as coupon_api
from loyalty import card_api, views
from merchants import api as merchant_api
from merchants import views as merchant_views
from reports import views as report_views
from wallet import api as wallet_api

admin.site.site_header = admin.site.site_title = _("Loyalty platform")
admin.site.index_title = _("Merchant console")

api_v1 = [
    path("members/lookup", merchant_api.MemberLookupView.as_view(), name="member-lookup"),
    path("members", merchant_api.MemberJoinView.as_view(), name="member-join"),
    path("stores", merchant_api.StoreListView.as_view(), name="store-list"),
    path("coupons/redeem", coupon_api.RedeemView.as_view(), name="coupon-redeem"),
    path("coupons/<str:code>", coupon_api.CouponDetailView.as_view(), name="coupon-detail"),
    path("wallet/recharges", wallet_api.RechargeView.as_view(), name="wallet-recharge"),
    path("wallet/members/<int:member_id>", wallet_api.WalletView.as_view(), name="wallet-balance"),
    path("cards/lookup", card_api.CardLookupView.as_view(), name="card-lookup"),
    path("cards/uses", card_api.CardUseView.as_view(), name="card-uses"),
    path("punchcards/sales", punchcard_api.CashSaleView.as_view(), name="punch-card-sale"),
    path("timecards/sales", timecard_api.CashSaleView.as_view(), name="time-card-sale"),
    path("giftcards/lookup", giftcard_api.BalanceLookupView.as_view(), name="giftcard-lookup"),
    path("campaigns", campaign_api.CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/<int:campaign_id>", campaign_api.CampaignDetailView.as_view(), name="campaign-detail"),
    path("checkout/quote", checkout_api.QuoteView.as_view(), name="checkout-quote"),
    path("checkout/payments", checkout_api.PaymentListView.as_view(), name="checkout-payments"),
    path("checkout/payments/<int:payment_id>", checkout_api.PaymentDetailView.as_view(), name="checkout-payment"),
    path("checkout/payments/<int:payment_id>/refunds", checkout_api.RefundView.as_view(), name="checkout-refund"),
    path("webhooks/payments", checkout_api.PaymentWebhookView.as_view(), name="payments-webhook"),
]
# Last: any other address under /api/v1/ answers the API's JSON 404 (new endpoints go above this line).
api_v1_not_found = [re_path(r"^.*$", views.api_not_found, name="not-found")]

urlpatterns = [
    path("", merchant_views.landing, name="landing"),
    path("health", views.health, name="health"),
    # The console's home is the dashboard (reports); its report pages sit beside the admin's own.
    path("admin/", report_views.admin_views()["dashboard"], name="dashboard"),
    path("admin/reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("m/", include("merchants.urls")),
    path("m/", include("cards.membership.urls")),
    path("m/", include("coupons.urls")),
    path("m/", include("wallet.urls")),
    path("m/", include("cards.punchcards.urls")),
    path("m/", include("cards.timecards.urls")),
    path("m/", include("cards.giftcards.urls")),
    path("m/", include("checkout.urls")),
    path("m/", include("campaigns.urls")),
    path("s/<str:code>", campaign_views.short_link, name="short_link"),
    path("u/<str:token>/", merchant_views.marketing_opt_out, name="marketing_opt_out"),
    path("payments/", include("loyalty.payment_urls")),
    path("api/v1/", include((api_v1 + api_v1_not_found, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
