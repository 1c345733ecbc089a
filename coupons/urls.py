from django.urls import path

from coupons import views

app_name = "coupons"

urlpatterns = [
    path("<slug:merchant_slug>/coupons/", views.wallet, name="wallet"),
    path("<slug:merchant_slug>/coupons/shelf/", views.shelf, name="shelf"),
    path("<slug:merchant_slug>/coupons/c/<str:code>/", views.detail, name="detail"),
    path("<slug:merchant_slug>/coupons/c/<str:code>/qr.svg", views.qr_image, name="qr"),
    path("<slug:merchant_slug>/coupons/c/<str:code>/gift/", views.gift_start, name="gift-start"),
    path("<slug:merchant_slug>/coupons/c/<str:code>/gift/cancel/", views.gift_cancel, name="gift-cancel"),
    path("<slug:merchant_slug>/coupons/claim/<str:token>/", views.claim, name="claim"),
    path("<slug:merchant_slug>/coupons/ch/<str:token>/", views.channel_claim, name="channel"),
    path("<slug:merchant_slug>/coupons/gift/<str:token>/", views.gift, name="gift"),
    path("<slug:merchant_slug>/coupons/share/<str:token>/", views.share, name="share"),
]
