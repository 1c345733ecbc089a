"""Error codes of the webhooks app (stable: forms and integrators match on them)."""

URL_REFUSED = "webhook_url_refused"
EVENT_TYPE_UNKNOWN = "webhook_event_type_unknown"
ENDPOINT_NOT_ACTIVE = "webhook_endpoint_not_active"
