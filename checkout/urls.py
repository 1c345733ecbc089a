from django.urls import path

from checkout import views

app_name = "checkout"

urlpatterns = [
    path("<slug:merchant_slug>/pay/", views.stores, name="stores"),
    path("<slug:merchant_slug>/pay/<int:store_id>/", views.self_pay, name="pay"),
    path("<slug:merchant_slug>/pay/<int:store_id>/quote/", views.live_quote, name="quote"),
    path("<slug:merchant_slug>/pay/result/<str:number>/", views.result, name="result"),
]
