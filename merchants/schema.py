"""Tells drf-spectacular how terminals authenticate, so the API docs show the key header."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TerminalKeyScheme(OpenApiAuthenticationExtension):
    target_class = "merchants.authentication.TerminalKeyAuthentication"
    name = "terminalKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Terminal <key>`: the key shown once when the terminal was created."}
