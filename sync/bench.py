"""Micro-benchmark of the bundle pipeline (export and import, no store), SYNC.md §5.1.

Synthetic but realistic events: each case has a registration carrying a full intake from
`station_app.synthetic` (names, ID numbers, phones, employers), then five shorter events, each
with a UUID, chain position and hash, about 600 bytes of canonical JSON on average.
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from station_app.synthetic import make_intake
from sync.header import BundleKind, Compression, canonical_json
from sync.keys import Keyring, Recipient, SenderKey, Signer
from sync.limits import MAX_EVENTS
from sync.manifest import ChainRange, Manifest
from sync.reader import open_bundle
from sync.writer import WrittenBundle, new_bundle_id, write_bundle

ORIGIN = "232701100001"
FOLLOW_UPS = ("case_routed", "referral_printed", "department_signed", "callback_logged", "reply_sent")


def synthetic_events(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """`count` events of one station chain, six per case (a registration and five follow-ups)."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    case_uuid = ""
    prev = "0" * 64
    for seq in range(1, count + 1):
        index = (seq - 1) % 6
        if index == 0:
            case_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            kind, payload = "case_registered", make_intake(rng)
        else:
            kind = FOLLOW_UPS[index - 1]
            payload = {"note": "已电话联系申请人,约定下周复核材料。", "dept": "税务局", "step": index}
        event = {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "case_uuid": case_uuid,
            "type": kind,
            "origin": ORIGIN,
            "stream": ORIGIN,
            "origin_seq": seq,
            "base": {ORIGIN: seq - 1} if index else None,
            "at": f"2025-11-20T09:{seq % 60:02d}:00+08:00",
            "author": "worker01",
            "payload": payload,
            "hash_v": 2,
        }
        prev = hashlib.sha256(prev.encode() + canonical_json(event)).hexdigest()
        event["hash"] = prev
        events.append(event)
    return events


def bundle_bench(events: int = 60_000, runs: int = 3, compression: Compression = Compression.ZSTD) -> dict[str, Any]:
    """Time export (encrypt+sign) and import (verify+decrypt) of `events` synthetic events.

    The events are split into bundles of at most 20,000 (as an export does). Export covers JSON
    encoding, compression, key wrap, STREAM encryption, SHA-512 and Ed25519 signing, the file
    write with fsync and rename, and the read-back verification. Import covers the private copy,
    pass 1 (limits, SHA-512, Ed25519 verify) and pass 2 (unwrap, decrypt, re-hash, bounded
    decompression, JSON parse).

    Returns:
        `events`, `bundles`, `plain_bytes` (JSON Lines), `bundle_bytes` (files), and medians over
        `runs` of `export_s` and `import_s` in seconds, plus `export_mb_s` and `import_mb_s` (MB of
        plain JSON per second), `compression`, `runs`, and for scale `json_encode_s` and
        `json_parse_s` (canonical `json.dumps` and `json.loads` of the same events, once; they are
        part of export and import).
    """
    batch = synthetic_events(events)
    parts = [batch[i : i + MAX_EVENTS] for i in range(0, len(batch), MAX_EVENTS)] or [[]]
    plain_bytes = sum(len(canonical_json(e)) + 1 for e in batch)
    signing, box = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
    signer = Signer(ORIGIN, signing)
    keyring = Keyring.of([SenderKey(ORIGIN, signing.public_key())])
    recipient = Recipient("232700", (box,))
    export_times, import_times, sizes = [], [], 0
    with tempfile.TemporaryDirectory(prefix="bundle-bench-") as tmp:
        folder = Path(tmp)
        for _ in range(runs):
            paths, sizes = [], 0
            start = time.perf_counter()
            for n, part in enumerate(parts):
                written = _export_one(folder / f"{n}.msb", n, part, signer, box, compression)
                paths.append(written.path)
                sizes += written.size
            export_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            opened = sum(len(open_bundle(p, keyring, recipient, temp_dir=folder).events) for p in paths)
            import_times.append(time.perf_counter() - start)
            if opened != events:
                raise AssertionError("the bench bundles did not round-trip")
    export_s, import_s = statistics.median(export_times), statistics.median(import_times)
    start = time.perf_counter()
    lines = [canonical_json(e) for e in batch]
    encode_s = time.perf_counter() - start
    start = time.perf_counter()
    for line in lines:
        json.loads(line)
    parse_s = time.perf_counter() - start
    return {
        "events": events,
        "bundles": len(parts),
        "compression": compression.value,
        "runs": runs,
        "plain_bytes": plain_bytes,
        "bundle_bytes": sizes,
        "export_s": round(export_s, 3),
        "import_s": round(import_s, 3),
        "export_mb_s": round(plain_bytes / 1e6 / export_s, 1),
        "import_mb_s": round(plain_bytes / 1e6 / import_s, 1),
        "json_encode_s": round(encode_s, 3),
        "json_parse_s": round(parse_s, 3),
    }


def _export_one(
    path: Path, n: int, part: list[dict[str, Any]], signer: Signer, box: X25519PrivateKey, compression: Compression
) -> WrittenBundle:
    first, last = part[0] if part else {}, part[-1] if part else {}
    chains = (ChainRange(ORIGIN, ORIGIN, first["origin_seq"], last["origin_seq"], last["hash"]),) if part else ()
    manifest = Manifest(new_bundle_id(), BundleKind.EVENTS, ORIGIN, "232700", n, "epoch", "bench", 1, 1, chains)
    return write_bundle(path, manifest, part, signer, [box.public_key()], compression=compression)


if __name__ == "__main__":
    import sys

    print(json.dumps(bundle_bench(int(sys.argv[1]) if len(sys.argv) > 1 else 60_000)))
