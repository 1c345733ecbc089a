"""The joining poster: scan, join, get the join gift."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.posters import Poster, PosterSource


class JoinPoster(PosterSource):
    code = "join"
    label = gettext_lazy("Join")
    order = 10

    def posters(self, merchant):
        return [Poster(_("Scan to join"), _("Become a member of %(merchant)s") % {"merchant": merchant.name},
                       reverse("member:join", args=[merchant.slug]))]
