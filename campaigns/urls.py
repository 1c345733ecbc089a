from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("<slug:merchant_slug>/campaigns/<int:campaign_id>/", views.landing, name="landing"),
    path("<slug:merchant_slug>/campaigns/<int:campaign_id>/c/<str:token>/", views.channel_landing,
         name="channel_landing"),
]
