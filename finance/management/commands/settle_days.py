"""Keep the daily settlement of past days (finance.SettlementFigure): `--days 400` after an import or a restore."""

from finance.services.settlement import settle_days
from merchants.kept_days import keeping

Command = keeping(settle_days, "Build the kept daily settlement of the last N days (idempotent), for one merchant "
                               "or all.")
