"""The canary table: one secret, every shape it is printed in (the ones issue 22 found and
the ones a security reviewer adds). ``redact`` must remove the canary from each, keep the
text around it readable, and be idempotent."""

from __future__ import annotations

import json

import pytest

from hotpass.redact import MASK, redact, redact_data

CANARY = "Zq7-canary-Secret"

SHAPES = {
    "url password": f"postgresql://prefect:{CANARY}@db:5432/prefect",
    "url password with /": f"http://admin:pa/{CANARY}@127.0.0.1:4200/api",
    "url password with @": f"http://admin:p@{CANARY}@127.0.0.1:4200/api",
    "url password with / and @ then path": f"https://u:a/b@{CANARY}@host.example/x?y=1",
    "url token user": f"https://{CANARY}@github.com/org/repo.git",
    "query token": f"http://h/api?token={CANARY}&page=2",
    "dsn password": f"host=db user=prefect password={CANARY} dbname=x",
    "env line": f"PREFECT_API_KEY={CANARY}",
    "env single-quoted": f"PASSWORD='{CANARY} with space'",
    "env double-quoted": f'DB_PASSWORD="{CANARY}"',
    "export line": f"export AWS_SECRET_ACCESS_KEY={CANARY}",
    "yaml": f"password: {CANARY}",
    "json text": json.dumps({"user": "u", "password": CANARY}),
    "json text no space": f'{{"api_key":"{CANARY}"}}',
    "python repr": f"{{'secret': '{CANARY}'}}",
    "authorization token": f"Authorization: Token {CANARY[:4]}",
    "authorization bearer": f"Authorization: Bearer {CANARY}",
    "bare bearer": f"curl -H 'x' Bearer {CANARY}",
    "x-api-key header": f"X-Api-Key: {CANARY}",
    "cookie header": f"Cookie: session={CANARY}",
    "sshpass": f"sshpass -p {CANARY} ssh ops@bastion",
    "sshpass joined": f"sshpass -p{CANARY} ssh ops@bastion",
    "mysql -p": f"mysql -u root -p{CANARY} db",
    "curl -u": f"curl -u ops:{CANARY} https://h/api",
    "flag": f"prefect --api-key {CANARY} deploy",
    "flag =": f"tool --password={CANARY}",
    "ssh option": f"-o ProxyCommand=sshpass -p {CANARY} ssh -W %h:%p jump",
    "private key": f"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blb{CANARY}\n"
                   "-----END OPENSSH PRIVATE KEY-----",
    "github token": "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2",
    "slack token": "xoxb-123456789012-abcdefghij",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "s3 presigned": f"s3://b/k?X-Amz-Credential=AKIA1&X-Amz-Signature={CANARY}",
    "traceback line": f"ValueError: invalid URL 'http://u:{CANARY}/x@h:4200/api'",
}
SECRETS = {"github token": "ghp_", "slack token": "xoxb-", "jwt": "eyJhbGci"}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_loses_its_secret(shape):
    text = SHAPES[shape]
    out = redact(text)
    secret = SECRETS.get(shape, CANARY[:4] if shape == "authorization token" else CANARY)
    assert secret not in out, out
    assert MASK in out
    assert redact(out) == out  # idempotent


def test_text_around_a_secret_stays_readable():
    assert redact(f"http://admin:p@{CANARY}@127.0.0.1:4200/api") == \
        "http://admin:***@127.0.0.1:4200/api"
    assert redact(f"PASSWORD='{CANARY}' USER=ops") == "PASSWORD='***' USER=ops"
    assert redact(json.dumps({"password": CANARY, "user": "u"})) == \
        '{"password": "***", "user": "u"}'
    assert redact("mail ops@acme.co.za via https://acme.co.za/a?email=x@y.z") == \
        "mail ops@acme.co.za via https://acme.co.za/a?email=x@y.z"
    assert redact("design=blue author: Ann passage=3") == "design=blue author: Ann passage=3"


def test_data_walk_masks_secret_keys_and_secret_text():
    data = {"env": {"PREFECT_API_URL": f"http://u:a/{CANARY}@h/api"},
            "ssh_options": [f"ProxyCommand=sshpass -p {CANARY} ssh jump"],
            "token": CANARY}
    assert CANARY not in json.dumps(redact_data(data))
