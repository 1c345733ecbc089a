from django.urls import path

from cards.membership import views

app_name = "membership"

urlpatterns = [
    path("<slug:merchant_slug>/card/", views.card, name="card"),
    path("<slug:merchant_slug>/card/points/", views.points_history, name="points"),
]
