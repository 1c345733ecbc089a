from django.urls import path

from wallet import views

app_name = "wallet"

urlpatterns = [
    path("<slug:merchant_slug>/wallet/", views.home, name="home"),
    path("<slug:merchant_slug>/wallet/recharge/", views.start_recharge, name="recharge"),
    path("<slug:merchant_slug>/wallet/red-packets/<str:token>/", views.red_packet, name="red-packet"),
]
