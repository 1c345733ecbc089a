"""Signing per the Standard Webhooks specification, with the reference implementation (`standardwebhooks`).

`webhook-signature` carries one `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per valid secret, space
separated, so during a rotation receivers holding either secret verify the same request.
"""

from __future__ import annotations

import base64
import datetime
import secrets

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """24 random bytes, base64, with the `whsec_` prefix receivers' libraries expect."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signature_header(secrets_in_use: list[str], *, message_id: str, at: datetime.datetime, body: str) -> str:
    at = at.astimezone(datetime.UTC)  # the library reads the timestamp as UTC
    return " ".join(Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body) for secret in secrets_in_use)


def headers(secrets_in_use: list[str], *, message_id: str, at: datetime.datetime, body: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": "loyalty-webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(secrets_in_use, message_id=message_id, at=at, body=body),
    }
