"""Redaction: the one helper that masks credentials before text leaves the process.

Contract: ``redact(text)`` returns ``text`` with every credential it can recognise
replaced by ``***``: the password of ``scheme://user:password@host`` (a lone
``scheme://token@host`` user part is masked whole), and the value of every secret-looking
``key=value`` pair, whether in a URL query string (``?token=``, ``&password=``,
``api_key=``, ``X-Amz-Signature=``) or a keyword DSN (``host=db password=s3cret``).
``redact_url`` is the same for one URL; ``redact_data`` walks JSON-able data (dicts,
lists, tuples) and redacts every string, and masks whole values held under secret-looking
keys (``{"password": "x"}``). ``install_log_redaction()`` makes every log record created
afterwards carry its redacted message. Use these for every message, log line, evidence
file and JSON document.

Pitfalls: the patterns are for credentials in URLs, DSNs and ``key=value`` text; a secret
printed bare (``my token is abc``) cannot be recognised; never print one. Redaction is
idempotent (``redact(redact(x)) == redact(x)``). Non-string values (numbers, None) pass
through unchanged.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "***"

# Keys whose values are secrets (whole ``_``/``.``/``-`` separated components, so
# ``design=`` or ``author=`` are left alone): in query strings, DSNs, env lines, JSON keys.
_ANY = r"password|passwd|secret|token|api[_-]?key|apikey|credentials?|private[_-]?key|access[_-]?key"
_EXACT = r"pwd|pass|sig|signature|auth|authorization"
_SECRET_KEY = (rf"(?:[a-z0-9]+[_.-])*(?:[a-z0-9]*(?:{_ANY})|(?:{_EXACT}))"
               r"(?:[_.-][a-z0-9]+)*")
_SECRET_KEY_RE = re.compile(rf"^{_SECRET_KEY}$", re.IGNORECASE)
# scheme://user:password@  or  scheme://token@  (userinfo ends at the @ before the host)
_USERINFO_RE = re.compile(
    r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<user>[^\s/@:?#'\"<>]*)"
    r"(?::(?P<password>[^\s/@?#'\"<>]*))?@",
    re.IGNORECASE,
)
# key=value or "key: value" (query strings, DSNs, env and YAML lines).
_PAIR_RE = re.compile(
    rf"(?<![a-z0-9_.-])(?P<key>{_SECRET_KEY})(?P<sep>\s*=\s*|:[ \t]+)"
    r"(?P<value>[^&\s'\"<>,;]+)",
    re.IGNORECASE,
)
# HTTP auth header values: "Bearer <token>", "Basic <base64>".
_SCHEME_TOKEN_RE = re.compile(r"\b(?P<scheme>Bearer|Basic)\s+(?P<value>[A-Za-z0-9._~+/=-]{8,})")

# Command-line flags: --password VALUE, --api-key=VALUE (a value starting with - is a flag).
_FLAG_RE = re.compile(rf"(?P<flag>--{_SECRET_KEY})(?P<sep>=|[ \t]+)(?P<value>[^\s'\"-][^\s'\"]*)",
                      re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with credentials in URLs, DSNs and ``key=value`` pairs masked."""
    if not text or not isinstance(text, str):
        return text
    text = _USERINFO_RE.sub(_mask_userinfo, text)
    text = _SCHEME_TOKEN_RE.sub(lambda m: f"{m.group('scheme')} {MASK}", text)
    text = _FLAG_RE.sub(lambda m: f"{m.group('flag')}{m.group('sep')}{MASK}", text)
    return _PAIR_RE.sub(_mask_pair, text)


def redact_url(url: str) -> str:
    """One URL or DSN with its password and secret query values masked."""
    return redact(url)


def redact_data(value: Any, key: str | None = None) -> Any:
    """JSON-able data with every string redacted and secret-keyed values masked."""
    if key is not None and _SECRET_KEY_RE.match(key) and isinstance(value, str) and value:
        return MASK
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v, k if isinstance(k, str) else None) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_data(item) for item in value)
    return value


def _mask_userinfo(match: re.Match[str]) -> str:
    user, password = match.group("user"), match.group("password")
    if password is None:  # scheme://token@host: the user part may be the secret
        return f"{match.group('scheme')}{MASK}@" if user else match.group()
    return f"{match.group('scheme')}{user}:{MASK}@"


def _mask_pair(match: re.Match[str]) -> str:
    return f"{match.group('key')}{match.group('sep')}{MASK}"


_installed = False


def install_log_redaction() -> None:
    """Redact the message of every log record created from now on (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it for logging to report
            return record
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
