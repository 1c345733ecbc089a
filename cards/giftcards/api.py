"""Terminal API for gift cards: the balance lookup by code. Scoped to the terminal's merchant, rate-limited."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.response import Response

from cards.giftcards import errors as giftcard_errors
from cards.giftcards import services
from cards.giftcards.serializers import BalanceAnswer, BalanceLookupSerializer, card_balance_body
from loyalty import errors, ratelimit
from loyalty.api_contract import ContractView, contract
from loyalty.errors import DomainError
from loyalty.http import client_ip


def check_lookup_rate(terminal, ip: str | None) -> None:
    """Lookups per terminal and per IP address in a minute: guessing codes at the counter gets nowhere."""
    limit = settings.GIFT_CARD_LOOKUPS_PER_MINUTE
    for key in (f"giftcard-lookup:terminal:{terminal.pk}", f"giftcard-lookup:ip:{ip}"):
        if not ratelimit.hit(key, limit=limit, window_seconds=60):
            raise DomainError(errors.RATE_LIMITED, _("Too many lookups; try again in a minute."), status_code=429)


class BalanceLookupView(ContractView):
    """A gift card's balance by its code (礼品卡余额查询). Every unusable code gets the same refusal."""

    tag = "cards"

    @contract(request=BalanceLookupSerializer, responses={200: BalanceAnswer}, operation_id="giftcard_lookup",
              errors=[errors.REQUIRED, errors.INVALID, errors.RATE_LIMITED, giftcard_errors.GIFT_CARD_UNUSABLE])
    def post(self, request):
        terminal = request.auth
        check_lookup_rate(terminal, client_ip(request))
        data = BalanceLookupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        card = services.usable_card(terminal.merchant_id, data.validated_data["code"])
        return Response(BalanceAnswer(card_balance_body(card, store=terminal.store)).data)
