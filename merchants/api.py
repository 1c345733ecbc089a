"""Terminal API for members and stores. Every query is scoped to the calling terminal's merchant."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample
from rest_framework import generics, status
from rest_framework.response import Response

from loyalty import errors as loyalty_errors
from loyalty.api_contract import ContractMixin, ContractView, contract
from loyalty.errors import DomainError
from loyalty.idempotency import idempotent
from merchants import errors
from merchants.member_codes import resolve_member_code
from merchants.models import Member, Store
from merchants.serializers import (
    MemberJoinSerializer,
    MemberLookupSerializer,
    MemberSummarySerializer,
    StoreSerializer,
    member_summary,
)
from merchants.services import join_member, normalize_phone


class MemberLookupView(ContractView):
    """Find a member by phone number or by the QR code on their card page."""

    tag = "members"

    @contract(parameters=[MemberLookupSerializer], responses=MemberSummarySerializer,
              operation_id="members_lookup",
              errors=[loyalty_errors.INVALID, errors.LOOKUP_REQUIRED, errors.PHONE_INVALID, errors.MEMBER_NOT_FOUND,
                      errors.MEMBER_CODE_INVALID, errors.MEMBER_CODE_EXPIRED])
    def get(self, request):
        terminal = request.auth
        params = MemberLookupSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        phone, code = params.validated_data.get("phone"), params.validated_data.get("code")
        if code:
            member = resolve_member_code(terminal.merchant, code)
        elif phone:
            member = Member.objects.filter(merchant_id=terminal.merchant_id, phone=normalize_phone(phone)).first()
        else:
            raise DomainError(errors.LOOKUP_REQUIRED, _("Give the member's phone or scanned code."), field="phone")
        if member is None:
            raise DomainError(errors.MEMBER_NOT_FOUND, _("No member with this phone number."), field="phone",
                              status_code=404)
        return Response(member_summary(member))


class MemberJoinView(ContractView):
    """Register a customer as a member at the counter. Idempotent with an Idempotency-Key."""

    tag = "members"

    @contract(request=MemberJoinSerializer, responses={201: MemberSummarySerializer}, operation_id="members_join",
              errors=[errors.PHONE_INVALID, errors.MEMBER_EXISTS, errors.MEMBER_FIELD_INVALID,
                      errors.MEMBER_FIELD_REQUIRED, loyalty_errors.INVALID, loyalty_errors.REQUIRED],
              idempotent=True,
              examples=[OpenApiExample("A new member at the counter", request_only=True, value={
                  "phone": "13800000001", "name": "王小明", "gender": "male", "birthday": "1990-05-01"})])
    @idempotent
    def post(self, request):
        terminal = request.auth
        data = MemberJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = join_member(terminal.merchant, source_store=terminal.store, **data.validated_data)
        return Response(member_summary(member), status=status.HTTP_201_CREATED)


class StoreListView(ContractMixin, generics.ListAPIView):
    """The merchant's stores, for terminals that route orders between them."""

    tag = "members"
    serializer_class = StoreSerializer

    @contract(responses=StoreSerializer(many=True), operation_id="stores_list", errors=[loyalty_errors.NOT_FOUND])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return Store.objects.filter(merchant_id=self.request.auth.merchant_id).order_by("pk")
