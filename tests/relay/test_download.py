"""Range downloads and resumption over a line that drops (both databases)."""

from __future__ import annotations

import httpx

from sync.keyring_doc import load_keyring
from sync.keys import Keyring
from sync.reader import verify_bundle
from sync.relay_client import RelayClient
from tests.relay.conftest import CITY, STATION_A, Relay, ed, keyring_bytes, make_bundle
from tests.relay.flaky_proxy import FlakyProxy


def test_range_download_is_byte_identical(relay: Relay) -> None:
    bundle = make_bundle(relay.folder, events=30, pad=8000)
    relay.client(STATION_A).upload(bundle.path)
    city = relay.client(CITY)
    [entry] = city.mailbox()
    data = bundle.path.read_bytes()
    path = f"/v1/bundles/{entry.bundle_id}"

    tail = city.request("GET", path, headers={"Range": "bytes=1000-"})
    assert tail.status_code == 206 and tail.content == data[1000:]
    assert tail.headers["content-range"] == f"bytes 1000-{len(data) - 1}/{len(data)}"
    assert tail.headers["etag"] == f'"{bundle.sha256}"' and tail.headers["accept-ranges"] == "bytes"
    middle = city.request("GET", path, headers={"Range": "bytes=10-19"})
    assert middle.content == data[10:20]
    last = city.request("GET", path, headers={"Range": "bytes=-16"})
    assert last.content == data[-16:]
    beyond = city.request("GET", path, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(data)}"

    # A download cut off earlier resumes from the bytes on disk and ends byte-identical.
    dest = relay.folder / "resumed.msb"
    (relay.folder / "resumed.msb.part").write_bytes(data[:70_000])
    assert city.download(entry, dest).read_bytes() == data
    assert not (relay.folder / "resumed.msb.part").exists()


def test_upload_and_download_survive_a_dropped_line(relay: Relay) -> None:
    bundle = make_bundle(relay.folder, events=40, pad=8000)
    upstream = int(relay.url.rsplit(":", 1)[1])
    proxy = FlakyProxy(upstream, cut_after=150_000, drops=2)  # cut in the middle of the 2nd/3rd chunk
    try:
        sender = relay.client(STATION_A, chunk_size=65536)
        through = RelayClient(proxy.url, ed("transport:" + STATION_A), chunk_size=65536, backoff=sender._backoff)
        relay.clients.append(through)
        offsets: list[int] = []
        result = through.upload(bundle.path, progress=lambda offset, _t: offsets.append(offset))
        assert result.state == "stored" and proxy.cuts == 2
        assert offsets == sorted(offsets)  # resumed forward, never from zero again

        down = FlakyProxy(upstream, cut_after=10**9, drops=0)
        city = RelayClient(down.url, ed("transport:" + CITY), backoff=sender._backoff)
        relay.clients.append(city)
        [entry] = city.mailbox()
        got = city.download(entry, relay.folder / "got.msb")
        assert got.read_bytes() == bundle.path.read_bytes()
        verify_bundle(got, _keyring(), None)
        down.close()
    finally:
        proxy.close()


def _keyring() -> Keyring:
    return load_keyring(keyring_bytes()).bundle_keyring()


def test_unsigned_download_reveals_nothing(relay: Relay) -> None:
    bundle = make_bundle(relay.folder)
    relay.client(STATION_A).upload(bundle.path)
    response = httpx.get(f"{relay.url}/v1/bundles/{bundle.header.bundle_id}")
    assert response.status_code == 401 and bundle.header.bundle_id not in response.text
