from django.urls import path

from loyalty import payment_views

app_name = "payments"

urlpatterns = [
    path("sandbox/<str:out_trade_no>/", payment_views.sandbox, name="sandbox"),
    path("callback/", payment_views.callback, name="callback"),
]
