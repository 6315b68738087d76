"""Why a bundle was refused: one exception class per error class of DESIGN.md's sync contract.

`BundleError.error_class` is exactly the name the command line prints (`fields.bundle`), so
callers never map messages to classes. Messages are short, English, for logs, and never carry
personal data: only sizes, counts and field names, never event content.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorClass(StrEnum):
    """The refusal classes of a bundle (DESIGN.md, `sync import`)."""

    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    TRUNCATED = "truncated"
    UNKNOWN_SENDER = "unknown_sender"
    REVOKED_SENDER = "revoked_sender"
    BAD_SIGNATURE = "bad_signature"
    WRONG_RECIPIENT = "wrong_recipient"
    PAYLOAD_FAILURE = "payload_failure"
    DECOMPRESS_LIMIT = "decompress_limit"
    REPLAY = "replay"
    FORK = "fork"


class BundleError(Exception):
    """A bundle refused whole; `error_class` says why (one of `ErrorClass`).

    Built from an optional `detail`, which the message adds after the class.
    """

    error_class: ErrorClass = ErrorClass.MALFORMED

    def __init__(self, detail: str = "") -> None:
        super().__init__(f"{self.error_class.value}: {detail}" if detail else self.error_class.value)
        self.detail = detail


class MalformedBundle(BundleError):
    """Bad magic or version, non-canonical header, bad stanza sizes, trailer or manifest."""

    error_class = ErrorClass.MALFORMED


class BundleTooLarge(BundleError):
    """A length over its limit: header, ciphertext, events per bundle, bytes per event line."""

    error_class = ErrorClass.TOO_LARGE


class TruncatedBundle(BundleError):
    """The file is shorter than its header says."""

    error_class = ErrorClass.TRUNCATED


class UnknownSender(BundleError):
    """The sender's key id is not in the keyring (or belongs to someone else)."""

    error_class = ErrorClass.UNKNOWN_SENDER


class RevokedSender(BundleError):
    """The sender's key is in the keyring but revoked."""

    error_class = ErrorClass.REVOKED_SENDER


class BadSignature(BundleError):
    """The Ed25519 signature does not verify, or the file changed after it was verified."""

    error_class = ErrorClass.BAD_SIGNATURE


class WrongRecipient(BundleError):
    """The bundle is addressed to another store, or no stanza is for one of our keys."""

    error_class = ErrorClass.WRONG_RECIPIENT


class PayloadFailure(BundleError):
    """The file key cannot be unwrapped, a chunk fails to decrypt, or the STREAM is cut wrong."""

    error_class = ErrorClass.PAYLOAD_FAILURE


class DecompressLimit(BundleError):
    """Decompressed output would exceed min(1 GiB, 50 x ciphertext)."""

    error_class = ErrorClass.DECOMPRESS_LIMIT


class ReplayRefused(BundleError):
    """A keyring or provisioning bundle that would roll the keyring back."""

    error_class = ErrorClass.REPLAY


class ForkDetected(BundleError):
    """The sender's history disagrees with what this store holds (a new epoch, or another hash)."""

    error_class = ErrorClass.FORK


ERROR_TYPES: dict[ErrorClass, type[BundleError]] = {
    cls.error_class: cls
    for cls in (
        MalformedBundle,
        BundleTooLarge,
        TruncatedBundle,
        UnknownSender,
        RevokedSender,
        BadSignature,
        WrongRecipient,
        PayloadFailure,
        DecompressLimit,
        ReplayRefused,
        ForkDetected,
    )
}
