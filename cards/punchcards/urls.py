from django.urls import path

from cards.punchcards import views

app_name = "punchcards"

urlpatterns = [
    path("<slug:merchant_slug>/cards/", views.my_cards, name="my-cards"),
    path("<slug:merchant_slug>/cards/punch/shelf/", views.shelf, name="shelf"),
    path("<slug:merchant_slug>/cards/punch/<int:card_id>/", views.detail, name="detail"),
    path("<slug:merchant_slug>/cards/punch/<int:card_id>/code/", views.code, name="code"),
    path("<slug:merchant_slug>/cards/punch/<int:card_id>/co-users/", views.add_co_user, name="add-co-user"),
    path("<slug:merchant_slug>/cards/punch/<int:card_id>/co-users/<int:co_user_id>/remove/", views.remove_co_user,
         name="remove-co-user"),
]
