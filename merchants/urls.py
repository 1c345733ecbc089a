from django.urls import path

from merchants import views

app_name = "member"

urlpatterns = [
    path("<slug:merchant_slug>/", views.home, name="home"),
    path("<slug:merchant_slug>/login/", views.login, name="login"),
    path("<slug:merchant_slug>/logout/", views.logout, name="logout"),
    path("<slug:merchant_slug>/join/", views.join, name="join"),
    path("<slug:merchant_slug>/code/", views.code, name="code"),
    path("<slug:merchant_slug>/marketing/", views.marketing, name="marketing"),
    path("<slug:merchant_slug>/inbox/", views.inbox, name="inbox"),
    path("<slug:merchant_slug>/inbox/<int:pk>/", views.inbox_message, name="inbox-message"),
]
