"""Terminal API for time cards: a cash sale at the counter. Uses go through `POST /api/v1/cards/uses`."""

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from cards.timecards import errors, services
from cards.timecards.models import TimeCardTier
from cards.timecards.serializers import TimeCardSaleInputSerializer, TimeCardSerializer
from loyalty import errors as loyalty_errors
from loyalty.api_contract import ContractView, contract
from loyalty.errors import DomainError
from loyalty.idempotency import idempotent
from merchants import errors as member_errors
from merchants.models import Member


class CashSaleView(ContractView):
    """Sell a time card for cash at the terminal's store. Idempotent with an Idempotency-Key."""

    tag = "cards"

    @contract(request=TimeCardSaleInputSerializer, responses={201: TimeCardSerializer}, operation_id="time_cards_sell",
              errors=[loyalty_errors.REQUIRED, loyalty_errors.INVALID, member_errors.MEMBER_NOT_FOUND,
                      member_errors.MEMBER_FROZEN, errors.TIER_NOT_FOUND, errors.NOT_ON_SALE],
              idempotent=True)
    @idempotent
    def post(self, request):
        terminal = request.auth
        data = TimeCardSaleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = Member.objects.filter(pk=data.validated_data["member"], merchant_id=terminal.merchant_id).first()
        if member is None:
            raise DomainError(member_errors.MEMBER_NOT_FOUND, _("No member with this id."), field="member",
                              status_code=404)
        tier = (TimeCardTier.objects.select_related("product")
                .filter(pk=data.validated_data["tier"], merchant_id=terminal.merchant_id).first())
        if tier is None:
            raise DomainError(errors.TIER_NOT_FOUND, _("No time card with this id."), field="tier", status_code=404)
        card = services.sell_card(tier, member, store=terminal.store, terminal=terminal)
        return Response(TimeCardSerializer(card).data, status=status.HTTP_201_CREATED)
