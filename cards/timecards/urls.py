from django.urls import path

from cards.timecards import views

app_name = "timecards"

urlpatterns = [
    path("<slug:merchant_slug>/cards/time/shelf/", views.shelf, name="shelf"),
    path("<slug:merchant_slug>/cards/time/<int:card_id>/", views.detail, name="detail"),
    path("<slug:merchant_slug>/cards/time/<int:card_id>/code/", views.code, name="code"),
    path("<slug:merchant_slug>/cards/time/<int:card_id>/photo/", views.upload_photo, name="upload-photo"),
    path("<slug:merchant_slug>/cards/time/photos/<int:photo_id>/", views.photo, name="photo"),
]
