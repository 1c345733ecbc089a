from django.urls import path

from bench.reference.views import pay

urlpatterns = [path("pay", pay)]
