"""Terminal API for punch cards: a cash sale at the counter. Uses go through `POST /api/v1/cards/uses`."""

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from cards.punchcards import errors, services
from cards.punchcards.models import PunchCardProduct
from cards.punchcards.serializers import PunchCardSaleInputSerializer, PunchCardSerializer
from loyalty import errors as loyalty_errors
from loyalty.api_contract import ContractView, contract
from loyalty.errors import DomainError
from loyalty.idempotency import idempotent
from merchants import errors as member_errors
from merchants.models import Member


class CashSaleView(ContractView):
    """Sell a punch card for cash at the terminal's store (现金售卡). Idempotent with an Idempotency-Key."""

    tag = "cards"

    @contract(request=PunchCardSaleInputSerializer, responses={201: PunchCardSerializer},
              operation_id="punch_cards_sell",
              errors=[loyalty_errors.REQUIRED, loyalty_errors.INVALID, member_errors.MEMBER_NOT_FOUND,
                      member_errors.MEMBER_FROZEN, errors.PRODUCT_NOT_FOUND, errors.PRODUCT_NOT_ON_SALE,
                      errors.HOLDING_LIMIT_REACHED],
              idempotent=True)
    @idempotent
    def post(self, request):
        terminal = request.auth
        data = PunchCardSaleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = Member.objects.filter(pk=data.validated_data["member"], merchant_id=terminal.merchant_id).first()
        if member is None:
            raise DomainError(member_errors.MEMBER_NOT_FOUND, _("No member with this id."), field="member",
                              status_code=404)
        product = (PunchCardProduct.objects.filter(pk=data.validated_data["product"], merchant_id=terminal.merchant_id)
                .first())
        if product is None:
            raise DomainError(errors.PRODUCT_NOT_FOUND, _("No punch card product with this id."), field="product",
                              status_code=404)
        card = services.sell_card(product, member, store=terminal.store, terminal=terminal)
        return Response(PunchCardSerializer(card).data, status=status.HTTP_201_CREATED)
