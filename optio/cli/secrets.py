"""Strings given as ``--account`` that look like secrets (a private key, a mnemonic): refused
when used, and never printed back by any error (light: the `optio` entry point imports it)."""

from __future__ import annotations

import re

#: Strings given as --account that looked like secrets: error messages never show them.
SECRETS: set[str] = set()


def looks_secret(spec: str) -> bool:
    """A private key (64 hex digits, with or without 0x) or a mnemonic (12 words or more)."""
    text = spec.strip()
    return bool(re.fullmatch(r"(0x)?[0-9a-fA-F]{60,}", text)) or len(text.split()) >= 12


def redact(message: str) -> str:
    """``message`` with every secret seen as --account replaced."""
    for secret in SECRETS:
        message = message.replace(secret.strip(), "<secret not shown>")
    return message
