from django.urls import path

from cards.giftcards import views

app_name = "giftcards"

urlpatterns = [
    path("<slug:merchant_slug>/giftcards/", views.centre, name="centre"),
    path("<slug:merchant_slug>/giftcards/qr.svg", views.centre_qr, name="centre-qr"),
    path("<slug:merchant_slug>/giftcards/balance/", views.lookup, name="lookup"),
    path("<slug:merchant_slug>/giftcards/mine/", views.mine, name="mine"),
    path("<slug:merchant_slug>/giftcards/c/<int:pk>/", views.card, name="card"),
    path("<slug:merchant_slug>/giftcards/c/<int:pk>/activate/", views.activate, name="activate"),
    path("<slug:merchant_slug>/giftcards/c/<int:pk>/send/", views.send, name="send"),
    path("<slug:merchant_slug>/giftcards/c/<int:pk>/move/", views.move, name="move"),
    path("<slug:merchant_slug>/giftcards/c/<int:pk>/take-back/", views.take_back, name="take-back"),
    path("<slug:merchant_slug>/giftcards/gift/<str:token>/", views.gift, name="gift"),
]
