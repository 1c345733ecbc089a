"""The least Django payment: a reference the checkout benchmark measures beside the project (bench only).

One plain Django view, one transaction: an idempotency row, the member, row locks on wallet, card and coupon,
the payment and its lines, the wallet and points moved with one ledger row each, the stored answer. Its own
settings, URLconf and tables (`bench_ref_*`, made by `migrate --run-syncdb` with these settings); the product
never imports it.
"""
