"""The reference's own tables: a member with a wallet, a card and coupons; payments, lines, two ledgers."""

from django.db import models


class Member(models.Model):  # noqa: DJ008 - bench tables, never shown
    phone = models.CharField(max_length=20, unique=True)

    class Meta:
        db_table = "bench_ref_member"


class Wallet(models.Model):  # noqa: DJ008 - bench tables, never shown
    member = models.OneToOneField(Member, on_delete=models.CASCADE)
    balance = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        db_table = "bench_ref_wallet"
        constraints = [models.CheckConstraint(condition=models.Q(balance__gte=0), name="bench_ref_wallet_gte_0")]


class Card(models.Model):  # noqa: DJ008 - bench tables, never shown
    member = models.OneToOneField(Member, on_delete=models.CASCADE)
    points = models.IntegerField()

    class Meta:
        db_table = "bench_ref_card"


class Coupon(models.Model):  # noqa: DJ008 - bench tables, never shown
    member = models.ForeignKey(Member, on_delete=models.CASCADE)
    code = models.CharField(max_length=20, unique=True)
    amount_off = models.DecimalField(max_digits=14, decimal_places=2)
    used_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "bench_ref_coupon"


class Payment(models.Model):  # noqa: DJ008 - bench tables, never shown
    number = models.CharField(max_length=32, unique=True)
    member = models.ForeignKey(Member, on_delete=models.PROTECT)
    coupon = models.ForeignKey(Coupon, null=True, on_delete=models.PROTECT)
    bill_amount = models.DecimalField(max_digits=14, decimal_places=2)
    amount_due = models.DecimalField(max_digits=14, decimal_places=2)
    points_earned = models.IntegerField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "bench_ref_payment"


class PaymentLine(models.Model):  # noqa: DJ008 - bench tables, never shown
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE)
    kind = models.CharField(max_length=20)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        db_table = "bench_ref_paymentline"


class WalletEntry(models.Model):  # noqa: DJ008 - bench tables, never shown
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT)
    delta = models.DecimalField(max_digits=14, decimal_places=2)
    balance_after = models.DecimalField(max_digits=14, decimal_places=2)
    reference = models.CharField(max_length=32)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "bench_ref_walletentry"


class PointsEntry(models.Model):  # noqa: DJ008 - bench tables, never shown
    card = models.ForeignKey(Card, on_delete=models.PROTECT)
    delta = models.IntegerField()
    balance_after = models.IntegerField()
    reference = models.CharField(max_length=32)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "bench_ref_pointsentry"


class IdempotencyRow(models.Model):  # noqa: DJ008 - bench tables, never shown
    key = models.CharField(max_length=255, unique=True)
    response = models.JSONField(null=True)

    class Meta:
        db_table = "bench_ref_idempotency"
