"""Keep the daily wallet ledger sums of past days (wallet.WalletDay): `--days 400` after an import or a restore."""

from merchants.kept_days import keeping
from wallet.services.wallet_days import keep_wallet_days

Command = keeping(keep_wallet_days, "Build the kept daily wallet ledger sums of the last N days (idempotent), for "
                                    "one merchant or all.")
