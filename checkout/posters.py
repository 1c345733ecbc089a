"""Each open store's self-pay poster, for the counter and the tables."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.posters import Poster, PosterSource
from merchants.models import Store


class SelfPayPosters(PosterSource):
    code = "self_pay"
    label = gettext_lazy("Self-pay")
    order = 20

    def posters(self, merchant):
        return [Poster(_("Scan to pay"), store.name, reverse("checkout:pay", args=[merchant.slug, store.pk]))
                for store in Store.objects.filter(merchant=merchant, is_open=True).order_by("pk")]
