"""The least Django payment: one view, one transaction, 13 statements (BEGIN and COMMIT aside)."""

import json
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F
from django.http import JsonResponse
from django.utils import timezone

from bench.reference.models import (
    Card,
    Coupon,
    IdempotencyRow,
    Member,
    Payment,
    PaymentLine,
    PointsEntry,
    Wallet,
    WalletEntry,
)

CENT = Decimal("0.01")


def pay(request):
    body = json.loads(request.body)
    amount = Decimal(body["amount"]).quantize(CENT, rounding=ROUND_HALF_UP)
    now = timezone.now()
    with transaction.atomic():
        claim = IdempotencyRow.objects.create(key=request.headers["Idempotency-Key"])
        member = Member.objects.only("pk").get(phone=body["phone"])
        wallet = Wallet.objects.select_for_update().get(member=member)
        card = Card.objects.select_for_update().get(member=member)
        coupon = None
        if body.get("coupon_code"):
            coupon = Coupon.objects.select_for_update().get(member=member, code=body["coupon_code"],
                                                            used_at__isnull=True)
        discount = min(coupon.amount_off, amount) if coupon else Decimal("0.00")
        due = amount - discount
        points = int(due)
        number = f"R{secrets.token_hex(8)}"
        payment = Payment.objects.create(number=number, member=member, coupon=coupon, bill_amount=amount,
                                         amount_due=due, points_earned=points, created_at=now)
        PaymentLine.objects.bulk_create([PaymentLine(payment=payment, kind="coupon", amount=discount),
                                         PaymentLine(payment=payment, kind="wallet", amount=due)])
        Wallet.objects.filter(pk=wallet.pk).update(balance=F("balance") - due)
        Card.objects.filter(pk=card.pk).update(points=F("points") + points)
        if coupon is not None:
            Coupon.objects.filter(pk=coupon.pk).update(used_at=now)
        WalletEntry.objects.create(wallet=wallet, delta=-due, balance_after=wallet.balance - due, reference=number,
                                   created_at=now)
        PointsEntry.objects.create(card=card, delta=points, balance_after=card.points + points, reference=number,
                                   created_at=now)
        answer = {"id": payment.pk, "number": number, "bill": str(amount), "discount": str(discount),
                  "amount_due": str(due), "points_earned": points}
        IdempotencyRow.objects.filter(pk=claim.pk).update(response=answer)
    return JsonResponse(answer, status=201)
