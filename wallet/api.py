"""Terminal API for the wallet. Every query is scoped to the calling terminal's merchant."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample
from rest_framework import status
from rest_framework.response import Response

from loyalty import errors as loyalty_errors
from loyalty.api_contract import AMOUNT_ERRORS, ContractView, contract
from loyalty.errors import DomainError
from loyalty.idempotency import idempotent
from merchants import errors as member_errors
from merchants.models import Member
from wallet import errors, services
from wallet.serializers import RechargeAnswer, RechargeInputSerializer, RechargeSerializer, WalletBalanceSerializer


def _member(terminal, member_id, field: str) -> Member:
    member = Member.objects.filter(pk=member_id, merchant_id=terminal.merchant_id).first()
    if member is None:
        raise DomainError(member_errors.MEMBER_NOT_FOUND, _("No member with this id."), field=field,
                          status_code=404)
    return member


class RechargeView(ContractView):
    """Record a cash recharge (现金充值) at the terminal's store. Idempotent with an Idempotency-Key.

    Only cash taken at the counter: the body has the member and the amount, nothing else (a recharge paid
    from the wallet or with other tenders is refused as `unknown_field`, not recorded as cash)."""

    tag = "wallet"

    @contract(request=RechargeInputSerializer, responses={201: RechargeAnswer}, operation_id="wallet_recharge",
              errors=[*AMOUNT_ERRORS, loyalty_errors.INVALID, loyalty_errors.REQUIRED, member_errors.MEMBER_NOT_FOUND,
                      member_errors.MEMBER_FROZEN, errors.STORED_VALUE_OFF, errors.STORED_VALUE_HELD],
              idempotent=True,
              examples=[OpenApiExample("500.00 in cash", request_only=True, value={"member": 42, "amount": "500.00"})])
    @idempotent
    def post(self, request):
        terminal = request.auth
        data = RechargeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = _member(terminal, data.validated_data["member"], "member")
        created = services.recharge(member, data.validated_data["amount"], store=terminal.store, terminal=terminal)
        body = dict(RechargeSerializer(created).data)
        body["wallet"] = WalletBalanceSerializer(services.wallet_summary(member)).data
        return Response(body, status=status.HTTP_201_CREATED)


class WalletView(ContractView):
    """A member's wallet balances."""

    tag = "wallet"

    @contract(responses=WalletBalanceSerializer, operation_id="wallet_balance",
              errors=[member_errors.MEMBER_NOT_FOUND, loyalty_errors.NOT_FOUND])
    def get(self, request, member_id):
        member = _member(request.auth, member_id, "member_id")
        return Response(WalletBalanceSerializer(services.wallet_summary(member)).data)
