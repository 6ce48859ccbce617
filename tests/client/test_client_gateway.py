"""GatewayClient and AsyncGatewayClient against the stand-in gateway, over httpx.MockTransport."""

import asyncio

import pytest
from clientkit import (
    ASSET,
    BASE,
    CHAIN_ID,
    FILES,
    LICENSE,
    METER,
    OPERATOR,
    PAYER,
    PAYER_KEY,
    ROOT,
    FakeGateway,
    signed_voucher,
)

from seedbed.client import (
    AsyncGatewayClient,
    GatewayClient,
    GatewayError,
    PaymentRefused,
    PaymentRequiredError,
    VerificationError,
)
from seedbed.core import x402

CHANNEL = (LICENSE, PAYER)


@pytest.fixture
def gateway():
    return FakeGateway()


@pytest.fixture
def client(gateway):
    with GatewayClient(
        BASE,
        private_key=PAYER_KEY,
        license_id=LICENSE,
        chain_id=CHAIN_ID,
        meter_address=METER,
        content_roots={ASSET: ROOT},
        transport=gateway.transport(),
        retries=2,
    ) as c:
        c._backoff = 0
        yield c


def paid(gateway):
    return [r for r in gateway.requests if x402.PAYMENT_SIGNATURE in r.headers]


def test_the_first_call_is_answered_402_and_paid_the_next_pays_up_front(client, gateway):
    assert client.invoke(ASSET, {"x": 1}) == {"echo": {"x": 1}}
    assert len(gateway.requests) == 2 and client.served == 2
    assert client.invoke(ASSET, {"x": 2}) == {"echo": {"x": 2}}
    assert len(gateway.requests) == 3 and client.served == 4  # one round trip
    assert gateway.desk.served[CHANNEL] == 4
    ids = [p.payment_id for p in gateway.desk.payments]
    assert len(set(ids)) == 2 and all(ids)
    first = gateway.requests[0]
    assert first.headers["Seedbed-License"] == str(LICENSE)
    assert first.headers["Seedbed-Payer"] == PAYER


def test_a_lost_answer_is_resent_with_the_same_identifier_and_replayed_not_charged(client, gateway):
    client.invoke(ASSET, {})  # terms cached
    gateway.faults = ["lost"]  # served and charged, but the answer never arrives
    assert client.invoke(ASSET, {"y": 1}) == {"echo": {"y": 1}}
    resent = paid(gateway)[-2:]
    assert resent[0].headers[x402.PAYMENT_SIGNATURE] == resent[1].headers[x402.PAYMENT_SIGNATURE]
    assert gateway.desk.served[CHANNEL] == 4 and client.served == 4  # charged once
    assert [p.payment_id for p in gateway.desk.payments][-2:] == [
        gateway.desk.payments[-1].payment_id
    ] * 2


def test_a_503_is_retried_and_a_gateway_that_never_answers_is_one_sentence(client, gateway):
    gateway.faults = ["503"]
    client.invoke(ASSET, {})
    assert client.served == 2
    gateway.faults = ["lost", "lost", "lost"]
    with pytest.raises(GatewayError, match="did not answer") as err:
        client.invoke(ASSET, {})
    assert err.value.status == 0 and err.value.code == "unreachable"


def test_a_stale_count_is_adopted_from_the_gateway_and_re_signed_once(client, gateway):
    client.invoke(ASSET, {})
    gateway.desk.served[CHANNEL] = 40  # another client of the channel was served meanwhile
    gateway.desk.last[CHANNEL] = signed_voucher(40)
    client.invoke(ASSET, {})
    vouchers = [p.signed.voucher.cumulative_units for p in gateway.desk.payments]
    assert vouchers[-2:] == [4, 42]  # up front from our count, then from the gateway's
    assert client.served == 42


def test_a_refusal_is_raised_with_the_gateways_code_and_sentence(client, gateway):
    gateway.desk.refuse_with = x402.LICENSE_INVALID
    with pytest.raises(PaymentRequiredError, match="Refused: license_invalid") as err:
        client.invoke(ASSET, {})
    assert err.value.code == x402.LICENSE_INVALID and err.value.status == 402
    assert len(paid(gateway)) == 1


def test_a_gateway_on_another_chain_is_refused_before_anything_is_signed(gateway):
    with GatewayClient(
        BASE, private_key=PAYER_KEY, license_id=LICENSE, chain_id=1, transport=gateway.transport()
    ) as c:
        with pytest.raises(PaymentRefused, match="configured for chain 1"):
            c.invoke(ASSET, {})
    assert not paid(gateway)


def test_an_error_answer_is_a_gateway_error_with_its_code(client):
    with pytest.raises(GatewayError, match="No such route") as err:
        client._free("GET", "/nowhere")
    assert (err.value.status, err.value.code) == (404, "not_found")


def test_api_key_mode_sends_the_key_and_never_signs(gateway):
    gateway.api_keys["k-1"] = CHANNEL
    with GatewayClient(BASE, api_key="k-1", transport=gateway.transport()) as c:
        c.invoke(ASSET, {})
        c.invoke(ASSET, {})
        assert c.served == 4
    assert all(r.headers["Authorization"] == "Bearer k-1" for r in gateway.requests)
    assert not paid(gateway)


def test_api_key_mode_resends_a_lost_call_under_its_idempotency_key(gateway):
    gateway.api_keys["k-1"] = CHANNEL
    with GatewayClient(BASE, api_key="k-1", transport=gateway.transport()) as c:
        c._backoff = 0
        gateway.faults = ["lost"]
        c.invoke(ASSET, {})
        assert c.served == 2 and gateway.desk.served[CHANNEL] == 2  # charged once
    keys = [r.headers["Idempotency-Key"] for r in gateway.requests]
    assert len(keys) == 2 and keys[0] == keys[1]


def test_a_key_and_an_api_key_together_are_refused():
    with pytest.raises(Exception, match="not both"):
        GatewayClient(BASE, private_key=PAYER_KEY, api_key="k")


# -- chat -------------------------------------------------------------------------------------


def test_chat_pays_the_most_it_may_charge_and_keeps_what_was_charged(client, gateway):
    answer = client.chat([{"role": "user", "content": "hi"}], "tiny", max_tokens=10)
    assert answer["choices"][0]["message"]["content"] == "hi there"
    assert gateway.desk.payments[-1].signed.voucher.cumulative_units == 10
    assert client.served == 3  # used, not the most
    client.chat([{"role": "user", "content": "again"}], "tiny", max_tokens=10)
    assert gateway.desk.payments[-1].signed.voucher.cumulative_units == 13
    assert client.served == 6


def test_a_streamed_chat_yields_chunks_and_takes_the_charge_from_the_payment_event(client, gateway):
    stream = client.chat([{"role": "user", "content": "hi"}], "tiny", max_tokens=10, stream=True)
    chunks = list(stream)
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["hi", " there"]
    assert stream.authorization["extensions"]["seedbed"]["served"] == "10"  # not adopted
    assert stream.payment["extensions"]["seedbed"]["served"] == "3"
    assert client.served == 3
    assert gateway.requests[-1].headers["Accept"] == "text/event-stream"
    assert gateway.requests[-1].read().find(b'"stream":true') >= 0


# -- files ------------------------------------------------------------------------------------


def test_a_file_is_returned_once_it_verifies_against_the_trusted_root(client, gateway):
    assert client.file(ASSET, "data/b.bin") == FILES["data/b.bin"]
    assert client.file(ASSET, "a.txt") == FILES["a.txt"]
    assert client.served == 2
    assert gateway.requests[-1].headers["Accept-Encoding"] == "identity"


def test_a_range_is_returned_once_its_content_range_checks(client, gateway):
    assert client.file(ASSET, "data/b.bin", range=(100, 199)) == FILES["data/b.bin"][100:200]
    assert gateway.requests[-1].headers["Range"] == "bytes=100-199"
    assert client.file(ASSET, "data/b.bin", range=(10_200, None)) == FILES["data/b.bin"][10_200:]
    gateway.ignore_range = True
    assert client.file(ASSET, "data/b.bin", range=(5, 9)) == FILES["data/b.bin"][5:10]


@pytest.mark.parametrize(
    ("tamper", "match"),
    [
        ({"body": b"hello, seedbeD\n"}, "hash to"),
        ({"headers": {"Seedbed-File-Size": "16"}}, "does not lead"),
        ({"headers": {"Seedbed-File-Sha256": "00" * 32}}, "does not lead"),
        ({"headers": {"Seedbed-File-Proof": "0x" + "00" * 32}}, "does not lead"),
        ({"headers": {"Seedbed-Content-Root": "0x" + "00" * 32}}, "trusted root"),
    ],
)
def test_a_tampered_file_is_refused(client, gateway, tamper, match):
    gateway.tamper = tamper
    with pytest.raises(VerificationError, match=match):
        client.file(ASSET, "a.txt")


def test_a_gateway_whose_root_is_its_own_cannot_pass_a_forged_file(client, gateway):
    """The gateway names a root of its own making: the client checks against the chain's."""
    from clientkit import dataset

    forged_root, forged = dataset({**FILES, "a.txt": b"forged"})
    gateway.files, gateway.facts, gateway.root = {**FILES, "a.txt": b"forged"}, forged, forged_root
    with pytest.raises(VerificationError, match="trusted root"):
        client.file(ASSET, "a.txt")


def test_a_range_whose_bytes_disagree_with_the_content_range_is_refused(client, gateway):
    gateway.tamper = {"content_range": "bytes 0-99/10240"}
    with pytest.raises(VerificationError, match="asked for bytes 100-199"):
        client.file(ASSET, "data/b.bin", range=(100, 199))


def test_nothing_is_paid_for_a_file_whose_root_cannot_be_known(gateway):
    with GatewayClient(BASE, private_key=PAYER_KEY, transport=gateway.transport()) as c:
        with pytest.raises(VerificationError, match="no trusted content root"):
            c.file(ASSET, "a.txt")
    assert not gateway.requests


def test_a_path_that_climbs_out_of_the_dataset_is_refused(client):
    with pytest.raises(Exception, match="relative POSIX path"):
        client.file(ASSET, "../etc/passwd")


def test_download_assembles_ranges_checks_the_whole_and_writes_it(client, gateway, tmp_path):
    dest = client.download(ASSET, "data/b.bin", tmp_path, chunk_size=4096)
    assert dest == tmp_path / "b.bin" and dest.read_bytes() == FILES["data/b.bin"]
    ranges = [r.headers["Range"] for r in paid(gateway)]
    assert ranges == ["bytes=0-4095", "bytes=4096-8191", "bytes=8192-12287"]
    assert client.served == 3
    assert list(tmp_path.iterdir()) == [dest]  # no temporary file left


def test_download_of_an_empty_file_and_of_a_gateway_that_ignores_ranges(client, gateway, tmp_path):
    assert client.download(ASSET, "empty", tmp_path / "e").read_bytes() == b""
    gateway.ignore_range = True
    dest = client.download(ASSET, "data/b.bin", tmp_path / "b", chunk_size=1000)
    assert dest.read_bytes() == FILES["data/b.bin"]


def test_a_failed_download_leaves_nothing_behind(client, gateway, tmp_path):
    (tmp_path / "b.bin").write_bytes(b"the old file")
    gateway.tamper = {"headers": {"Seedbed-File-Proof": ""}}
    with pytest.raises(VerificationError):
        client.download(ASSET, "data/b.bin", tmp_path / "b.bin", chunk_size=4096)
    assert [p.name for p in tmp_path.iterdir()] == ["b.bin"]
    assert (tmp_path / "b.bin").read_bytes() == b"the old file"


def test_download_refuses_a_file_that_changes_between_ranges(client, gateway, tmp_path):
    calls = []
    route = gateway.route

    def changing(request):
        calls.append(request)
        response = route(request)
        if len(calls) > 2:  # after the first range: another file's size
            response.headers["Seedbed-File-Size"] = "10241"
        return response

    gateway.route = changing
    with pytest.raises(VerificationError):
        client.download(ASSET, "data/b.bin", tmp_path / "b.bin", chunk_size=4096)
    assert list(tmp_path.iterdir()) == []


# -- free routes ------------------------------------------------------------------------------


def test_the_manifest_is_checked_against_the_trusted_root(client, gateway):
    assert client.manifest(ASSET)["contentRoot"] == "0x" + ROOT.hex()
    gateway.facts = {**gateway.facts, "a.txt": ("00" * 32, 15, [])}
    with pytest.raises(VerificationError, match="build the root"):
        client.manifest(ASSET)


def test_the_channel_route_names_the_count_and_the_client_adopts_it(client, gateway):
    gateway.desk.served[CHANNEL] = 7
    gateway.desk.last[CHANNEL] = signed_voucher(7)
    document = client.channel()
    assert document["served"] == "7" and document["lastVoucher"]["operator"] == OPERATOR
    assert client.served == 7
    assert gateway.requests[-1].url.path == f"/v1/channels/{LICENSE}/{PAYER}"
    assert client.healthz() == {"ok": True}


# -- the async client -------------------------------------------------------------------------


def test_the_async_client_pays_streams_and_verifies_like_the_sync_one(gateway, tmp_path):
    async def run():
        async with AsyncGatewayClient(
            BASE,
            private_key=PAYER_KEY,
            license_id=LICENSE,
            chain_id=CHAIN_ID,
            content_roots={ASSET: ROOT},
            transport=gateway.transport(),
        ) as c:
            c._backoff = 0
            assert await c.invoke(ASSET, {"a": 1}) == {"echo": {"a": 1}}
            stream = await c.chat(
                [{"role": "user", "content": "x"}], "m", max_tokens=4, stream=True
            )
            chunks = [chunk async for chunk in stream]
            assert len(chunks) == 2 and stream.payment is not None
            assert await c.file(ASSET, "a.txt", range=(0, 4)) == b"hello"
            dest = await c.download(ASSET, "data/b.bin", tmp_path, chunk_size=5000)
            assert dest.read_bytes() == FILES["data/b.bin"]
            gateway.faults = ["lost"]
            await c.invoke(ASSET, {})
            return c.served

    assert asyncio.run(run()) == 2 + 3 + 1 + 3 + 2


# -- the chain the roots come from ------------------------------------------------------------


def on_chain(client, chain_id):
    from clientkit import StubRpc, asset_view

    from seedbed.client import ContentRoots

    client._roots = ContentRoots(
        rpc=StubRpc(asset_view(ROOT), chain_id=chain_id), registry_address="0x" + "42" * 20
    )
    client._chain_checked = False
    return client


def test_without_a_chain_id_the_client_signs_only_for_the_registrys_chain(gateway):
    with GatewayClient(
        BASE, private_key=PAYER_KEY, license_id=LICENSE, transport=gateway.transport()
    ) as c:
        on_chain(c, CHAIN_ID)
        assert c.file(ASSET, "a.txt") == FILES["a.txt"]
        assert c.signer.chain_id == CHAIN_ID
    with GatewayClient(
        BASE, private_key=PAYER_KEY, license_id=LICENSE, transport=gateway.transport()
    ) as c:
        on_chain(c, 10)
        with pytest.raises(PaymentRefused, match="configured for chain 10"):
            c.file(ASSET, "a.txt")
