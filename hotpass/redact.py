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
# scheme://user:password@host: the password may hold "/" or "@" (written unencoded), so it
# runs to the "@" whose host is followed by the end of the authority.
_USERINFO_RE = re.compile(
    r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<user>[^\s/@:?#'\"<>]*)"
    r"(?::(?P<password>[^\s'\"<>]*?))?@(?=[^\s@/?#'\"<>]+(?:[/?#:\s'\"<>,;)\]]|$))",
    re.IGNORECASE,
)
# key=value, key: value, KEY='v', "key": "value" (query strings, DSNs, env, YAML, JSON text).
_PAIR_RE = re.compile(
    rf"(?<![a-z0-9_.-])(?P<key>{_SECRET_KEY})(?P<kq>[\"']?)(?P<sep>\s*=\s*|\s*:[ \t]*)"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^&\s'\"<>,;]+)",
    re.IGNORECASE,
)
# HTTP auth header values: "Bearer <token>", "Basic <base64>", "Token x", "Digest ...".
_SCHEME_TOKEN_RE = re.compile(
    r"\b(?P<scheme>Bearer|Basic|Token|Digest|ApiKey|Negotiate)\s+(?P<value>[A-Za-z0-9._~+/=-]{8,})")
# Header lines whose whole value is a credential, whatever its scheme or length.
_HEADER_RE = re.compile(
    r"(?P<name>\b(?:proxy-)?authorization|\bx-api-key|\bx-auth-token|\bcookie|\bset-cookie)"
    r"(?P<sep>[\"']?\s*:\s*)(?P<value>[^\r\n\"']+)", re.IGNORECASE)
# Command lines: sshpass -p x, mysql -px / -p x, curl -u user:pass, --password VALUE.
_COMMAND_RES = (
    re.compile(r"(?P<flag>\bsshpass\s+-p)(?P<sep>\s*)(?P<value>\S+)"),
    re.compile(r"(?P<flag>\b(?:mysql|mysqldump|mariadb)\b[^\n]*?\s-p)(?P<sep>)(?P<value>[^\s-]\S*)"),
    re.compile(r"(?P<flag>\bcurl\b[^\n]*?\s(?:-u|--user))(?P<sep>\s+|=)(?P<value>\S+)"),
    re.compile(rf"(?P<flag>--{_SECRET_KEY})(?P<sep>=|[ \t]+)(?P<value>[^\s'\"-][^\s'\"]*)",
               re.IGNORECASE),
)
# Secrets recognisable by shape alone.
_SHAPED_RES = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
               re.DOTALL),
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
               r"|xox[abprs]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,}"
               r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"),
)


def redact(text: str) -> str:
    """``text`` with credentials in URLs, DSNs, headers, commands and pairs masked."""
    if not text or not isinstance(text, str):
        return text
    for shaped in _SHAPED_RES:
        text = shaped.sub(MASK, text)
    text = _USERINFO_RE.sub(_mask_userinfo, text)
    text = _HEADER_RE.sub(lambda m: f"{m.group('name')}{m.group('sep')}{MASK}", text)
    text = _SCHEME_TOKEN_RE.sub(lambda m: f"{m.group('scheme')} {MASK}", text)
    for command in _COMMAND_RES:
        text = command.sub(lambda m: f"{m.group('flag')}{m.group('sep')}{MASK}", text)
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


_LABEL_KEY_RE = re.compile(r"^(?:credentials?|auth)$", re.IGNORECASE)


def _mask_pair(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[0] if value[:1] in ("'", '"') and len(value) > 1 else ""
    if value.strip("'\"") == MASK:
        return match.group()
    if (quote and ":" in match.group("sep") and not match.group("kq")
            and _LABEL_KEY_RE.match(match.group("key"))):
        return match.group()  # "credentials: 'NAME' is not valid": a label, not a pair
    return f"{match.group('key')}{match.group('kq')}{match.group('sep')}{quote}{MASK}{quote}"


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
