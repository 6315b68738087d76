"""Signed relay requests: Ed25519 over the parts of a request that matter (SYNC.md §4.2).

Every request carries two headers::

    Content-Digest: sha-256=:<base64 of SHA-256(body)>:
    Authorization: MSync-Ed25519 keyid="<32 hex>", created="<Unix seconds>", nonce="<base64url, 16 bytes>",
        signature="<base64 of 64 bytes>"

The signature covers the UTF-8 lines of `signature_base`: a domain string, the method, the path
with its query, the `Range` and `Upload-Offset` headers (empty when absent), the content digest,
`created`, the nonce and the key id. The same shape as RFC 9421 message signatures, in one header
so that a proxy in front never reorders its parts. This module is shared by the relay and its
client and imports no web framework.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.keys import key_id

SCHEME = "MSync-Ed25519"
REQUEST_DOMAIN = "msync/v1/request"
NONCE_LEN = 16
MAX_SKEW_S = 300
_AUTH_RE = re.compile(
    r'MSync-Ed25519 keyid="(?P<keyid>[0-9a-f]{32})", created="(?P<created>[0-9]{1,12})", '
    r'nonce="(?P<nonce>[A-Za-z0-9_-]{22})", signature="(?P<signature>[A-Za-z0-9+/]{86}==)"'
)
_DIGEST_RE = re.compile(r"sha-256=:(?P<b64>[A-Za-z0-9+/]{43}=):")


@dataclass(frozen=True)
class SignedAuth:
    """A parsed `Authorization` header: key id (hex), created (Unix seconds), nonce and signature."""

    keyid: str
    created: int
    nonce: str
    signature: bytes


class AuthFormatError(ValueError):
    """The `Authorization` or `Content-Digest` header is missing or not of the form above."""


def content_digest(body: bytes) -> str:
    """The `Content-Digest` header value of a body (RFC 9530, SHA-256)."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def signature_base(
    method: str, target: str, range_: str, upload_offset: str, digest: str, created: int, nonce: str, keyid: str
) -> bytes:
    """The bytes an Ed25519 request signature covers (one field per line, UTF-8)."""
    lines = (REQUEST_DOMAIN, method.upper(), target, range_, upload_offset, digest, str(created), nonce, keyid)
    return "\n".join(lines).encode("utf-8")


def sign_request(
    key: Ed25519PrivateKey,
    method: str,
    target: str,
    body: bytes,
    headers: Mapping[str, str],
    created: int,
    nonce: bytes | None = None,
) -> dict[str, str]:
    """The `Authorization` and `Content-Digest` headers for a request.

    Args:
        key: the sender's transport key.
        method: the HTTP method.
        target: the path with its query (`/v1/bundles/ID`), exactly as sent.
        body: the request body (b"" for none).
        headers: the other headers; `Range` and `Upload-Offset` (any case) are signed if present.
        created: Unix seconds by the sender's clock (corrected by the server's time if known).
        nonce: 16 random bytes; fresh from the OS if None.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    digest = content_digest(body)
    nonce_text = base64.urlsafe_b64encode(nonce or os.urandom(NONCE_LEN)).decode("ascii").rstrip("=")
    kid = key_id(key.public_key())
    base = signature_base(
        method, target, lower.get("range", ""), lower.get("upload-offset", ""), digest, created, nonce_text, kid
    )
    signature = base64.b64encode(key.sign(base)).decode("ascii")
    auth = f'{SCHEME} keyid="{kid}", created="{created}", nonce="{nonce_text}", signature="{signature}"'
    return {"Authorization": auth, "Content-Digest": digest}


def parse_authorization(value: str | None) -> SignedAuth:
    """Parse an `Authorization` header of the `MSync-Ed25519` scheme.

    Raises:
        AuthFormatError: missing or malformed.
    """
    match = _AUTH_RE.fullmatch(value or "")
    if match is None:
        raise AuthFormatError("no MSync-Ed25519 authorization")
    return SignedAuth(
        match["keyid"], int(match["created"]), match["nonce"], base64.b64decode(match["signature"], validate=True)
    )


def check_digest(header: str | None, body: bytes) -> bool:
    """True if `header` is a well-formed SHA-256 `Content-Digest` matching `body`."""
    return header is not None and _DIGEST_RE.fullmatch(header) is not None and header == content_digest(body)


def verify_request(
    key: Ed25519PublicKey, auth: SignedAuth, method: str, target: str, range_: str, upload_offset: str, digest: str
) -> bool:
    """True if `auth.signature` is `key`'s signature over this request's signature base."""
    base = signature_base(method, target, range_, upload_offset, digest, auth.created, auth.nonce, auth.keyid)
    try:
        key.verify(auth.signature, base)
    except InvalidSignature:
        return False
    return True
