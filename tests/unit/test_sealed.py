"""Sealed datasets: the format byte for byte, the roots, every refusal, resume after a crash."""

import dataclasses
import json
import os
import stat
from itertools import pairwise

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from treeref import K, file_node, sha256, u

from seedbed.core import sealed as sealed_module
from seedbed.core.errors import InputError
from seedbed.core.manifest import build_manifest
from seedbed.core.merkle import verify_proof
from seedbed.core.sealed import (
    HEADER_SIZE,
    SEAL_FILE,
    TAG_SIZE,
    SealIndex,
    VerifyError,
    bytes_reader,
    check_ciphertext,
    cipher_path,
    decrypt_chunk,
    file_key,
    file_reader,
    iter_plain,
    key_check,
    load_seal,
    new_key,
    open_file,
    read_key_file,
    read_range,
    seal_folder,
    write_key_file,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
CS = 4096  # small chunks: many of them in small files
BIG = bytes((i * 7 + i // 251) % 256 for i in range(3 * CS + 1000))  # 3 full chunks + a part
TWIN = bytes(reversed(BIG))  # same size as BIG: chunks that fit its slots exactly
CONTENT = {
    "big.bin": BIG,
    "twin.bin": TWIN,
    "exact.bin": b"e" * (2 * CS),  # a whole number of chunks
    "empty.txt": b"",
    "sub/small.txt": b"hello, sealed world\n",
    "donn\u00e9es/\u00e9t\u00e9.csv": "caf\u00e9".encode(),
}


# -- the format written out from the spec, sharing no code with seedbed.core.sealed -----------


def ref_file_key(key: bytes, path: str, plain: bytes) -> bytes:
    info = path.encode() + b"\x00" + sha256(plain)
    return HKDF(hashes.SHA256(), 32, b"seedbed/sealed/v1", info).derive(key)


def ref_cipher(key: bytes, path: str, plain: bytes, chunk_size: int) -> bytes:
    head = b"SBS1" + u(chunk_size, 4) + u(len(plain), 8)
    aead = AESGCM(ref_file_key(key, path, plain))
    pieces = [plain[i : i + chunk_size] for i in range(0, len(plain), chunk_size)] or [b""]
    out = [head]
    for i, piece in enumerate(pieces):
        aad = head + u(i, 8) + (b"\x01" if i == len(pieces) - 1 else b"\x00")
        out.append(aead.encrypt(bytes(4) + u(i, 8), piece, aad))
    return b"".join(out)


def ref_leaf(path: str, plain: bytes, cipher: bytes, chunk_size: int) -> bytes:
    pieces = [plain[i : i + chunk_size] for i in range(0, len(plain), chunk_size)] or [b""]
    chunks_hash = sha256(b"".join(sha256(p) for p in pieces))
    return K(
        b"\x02"
        + K(path.encode())
        + sha256(plain)
        + u(len(plain), 8)
        + sha256(cipher)
        + u(len(cipher), 8)
        + chunks_hash
    )


def ref_root(leaves: list[bytes]) -> bytes:
    level = leaves
    while len(level) > 1:
        up = [file_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = up + ([level[-1]] if len(level) % 2 else [])
    return level[0]


# -- fixtures ----------------------------------------------------------------------------------


def make(folder, files=CONTENT):
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


@pytest.fixture
def dataset(tmp_path):
    return make(tmp_path / "ds")


@pytest.fixture
def sealed(tmp_path, dataset):
    out = tmp_path / "sealed"
    return out, seal_folder(dataset, out, KEY, chunk_size=CS)


def cipher_of(out, path):
    return cipher_path(out, path).read_bytes()


def chunk_bytes(cipher: bytes, sf, index: int) -> bytes:
    offset, length = sf.cipher_span(index)
    return cipher[offset : offset + length]


# -- the format and the roots ------------------------------------------------------------------


def test_cipher_files_equal_the_format_written_from_the_spec(sealed):
    out, index = sealed
    for rel, plain in CONTENT.items():
        assert cipher_of(out, rel) == ref_cipher(KEY, rel, plain, CS), rel


def test_the_vector_in_the_docs_is_what_sealing_makes(tmp_path):
    # docs/private-data.md section 1.5: a change to the format shows here.
    folder = make(tmp_path / "one", {"sub/small.txt": b"hello, sealed world\n"})
    index = seal_folder(folder, tmp_path / "out", KEY, chunk_size=CS)
    assert key_check(KEY).hex() == (
        "7ea3ed7d93e9b47af8b51953775502a325caa8b9a29d5b9ccc3d22ac3ed26605"
    )
    assert file_key(KEY, "sub/small.txt", sha256(b"hello, sealed world\n")).hex() == (
        "83d458602a21faa626bbe0b77905c47ad9e6f6473c2b7ed64ee6ea9e822610a6"
    )
    assert cipher_of(tmp_path / "out", "sub/small.txt").hex() == (
        "534253310000100000000000000000141b4b8c16e4f93990f126747a111e5c2c617ed208"
        "5c8d3e94c204316eb791df7192615334"
    )
    assert index.seal_root.hex() == (
        "8091411844412906771a080b4ffe8f5f4122e93244fe00379d6a46209bb30007"
    )
    assert index.content_root.hex() == (
        "aebd1df614b7e0756f6d922fa19b621a52db470fbd41f9d9cb5ac512012b71b6"
    )


def test_seal_root_is_the_merkle_root_of_seal_leaves_in_path_order(sealed):
    out, index = sealed
    paths = sorted(CONTENT, key=lambda p: p.encode())
    leaves = [ref_leaf(p, CONTENT[p], cipher_of(out, p), CS) for p in paths]
    assert [f.path for f in index.files] == paths
    assert [f.leaf for f in index.files] == leaves
    assert index.seal_root == ref_root(leaves)


def test_content_root_is_the_registrys_content_root(sealed, dataset):
    _, index = sealed
    assert index.content_root == build_manifest(dataset).root
    assert index.manifest().root == index.content_root


def test_key_check_and_file_key_match_their_definitions():
    assert key_check(KEY) == K(b"seedbed/key-check/v1" + KEY)
    assert file_key(KEY, "a/b.csv", sha256(b"x")) == ref_file_key(KEY, "a/b.csv", b"x")
    assert len(new_key()) == 32 and new_key() != new_key()


def test_empty_file_has_one_authenticated_chunk(sealed):
    out, index = sealed
    sf = index.file("empty.txt")
    assert sf.chunk_count == 1 and sf.cipher_size == HEADER_SIZE + TAG_SIZE
    assert open_file(KEY, sf, cipher_path(out, "empty.txt")) == b""
    with pytest.raises(VerifyError):
        open_file(KEY, sf, cipher_of(out, "empty.txt")[:HEADER_SIZE])


def test_sealing_is_deterministic(tmp_path, dataset, sealed):
    out, index = sealed
    again = seal_folder(dataset, tmp_path / "again", KEY, chunk_size=CS)
    assert again == index
    for rel in CONTENT:
        assert cipher_of(tmp_path / "again", rel) == cipher_of(out, rel)
    assert (tmp_path / "again" / SEAL_FILE).read_bytes() == (out / SEAL_FILE).read_bytes()


def test_seal_json_has_the_documented_fields_and_loads_back(sealed):
    out, index = sealed
    data = json.loads((out / SEAL_FILE).read_text())
    assert data["version"] == 1 and data["chunkSize"] == CS
    assert data["sealRoot"] == "0x" + index.seal_root.hex()
    assert data["keyCheck"] == "0x" + key_check(KEY).hex()
    assert data["count"] == len(CONTENT) and data["bytes"] == sum(map(len, CONTENT.values()))
    row = next(r for r in data["files"] if r["path"] == "big.bin")
    assert row["sha256"] == sha256(BIG).hex()
    assert row["cipherSha256"] == sha256(cipher_of(out, "big.bin")).hex()
    assert len(bytes.fromhex(row["chunks"])) == 4 * 32
    assert load_seal(out / SEAL_FILE) == index


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(sealRoot="0x" + "11" * 32),
        lambda d: d.update(contentRoot="0x" + "11" * 32),
        lambda d: d.update(count=d["count"] + 1),
        lambda d: d.update(chunkSize=5000),
        lambda d: d["files"].reverse(),
        lambda d: d["files"][0].update(chunks=d["files"][0]["chunks"][:-64]),
        lambda d: d["files"][0].update(cipherSize=d["files"][0]["cipherSize"] + 1),
        lambda d: d["files"][0].update(path="../escape"),
        lambda d: d.update(version=2),
    ],
)
def test_a_seal_index_that_does_not_add_up_is_refused(sealed, change):
    out, _ = sealed
    data = json.loads((out / SEAL_FILE).read_text())
    change(data)
    with pytest.raises(InputError):
        SealIndex.from_json(data, "seal.json")


def test_proofs_verify_against_the_seal_root(sealed):
    _, index = sealed
    for f in index.files:
        assert verify_proof(f.leaf, index.proof(f.path), index.seal_root)
    with pytest.raises(InputError):
        index.proof("nope")


def test_verify_against_names_the_root_that_differs(sealed):
    _, index = sealed
    assert index.verify_against(index.content_root, index.seal_root, key_check(KEY))
    assert index.verify_against(seal_root="0x" + index.seal_root.hex())
    with pytest.raises(VerifyError, match="key check"):
        index.verify_against(key_check=key_check(OTHER_KEY))
    with pytest.raises(VerifyError, match="seal root"):
        index.verify_against(seal_root=bytes(32))


# -- reading and its refusals ------------------------------------------------------------------


def test_whole_files_and_chunks_decrypt(sealed):
    out, index = sealed
    for rel, plain in CONTENT.items():
        sf = index.file(rel)
        assert open_file(KEY, sf, cipher_of(out, rel)) == plain
        with open(cipher_path(out, rel), "rb") as f:
            assert b"".join(iter_plain(KEY, sf, f)) == plain
        cipher = cipher_of(out, rel)
        for i in range(sf.chunk_count):
            start, end = sf.chunk_span(i)
            assert decrypt_chunk(KEY, sf, i, chunk_bytes(cipher, sf, i), CS) == plain[start:end]


def test_a_tampered_chunk_is_refused_naming_file_and_chunk(sealed):
    out, index = sealed
    sf = index.file("big.bin")
    cipher = bytearray(cipher_of(out, "big.bin"))
    offset, _ = sf.cipher_span(2)
    cipher[offset + 5] ^= 0x01
    with pytest.raises(VerifyError, match="Chunk 2 of big.bin") as err:
        decrypt_chunk(KEY, sf, 2, chunk_bytes(bytes(cipher), sf, 2))
    assert (err.value.path, err.value.chunk) == ("big.bin", 2)
    with pytest.raises(VerifyError, match="Chunk 2 of big.bin"):
        open_file(KEY, sf, bytes(cipher))


def test_a_chunk_that_is_authentic_but_not_the_committed_one_is_refused(sealed):
    # A dishonest sealer's index: right key and ciphertext, wrong chunk hash in the seal.
    out, index = sealed
    sf = index.file("big.bin")
    lying = dataclasses.replace(sf, chunk_hashes=(bytes(32), *sf.chunk_hashes[1:]))
    cipher = cipher_of(out, "big.bin")
    with pytest.raises(VerifyError, match="Chunk 0 of big.bin decrypts to data whose SHA-256"):
        decrypt_chunk(KEY, lying, 0, chunk_bytes(cipher, sf, 0))
    assert decrypt_chunk(KEY, lying, 1, chunk_bytes(cipher, sf, 1)) == BIG[CS : 2 * CS]


def test_a_wrong_key_is_refused(sealed):
    out, index = sealed
    sf = index.file("big.bin")
    cipher = cipher_of(out, "big.bin")
    with pytest.raises(VerifyError, match="Chunk 0 of big.bin fails authentication"):
        decrypt_chunk(OTHER_KEY, sf, 0, chunk_bytes(cipher, sf, 0))
    with pytest.raises(VerifyError):
        open_file(OTHER_KEY, sf, cipher)
    with pytest.raises(InputError):
        open_file(b"short", sf, cipher)


def test_swapped_chunks_are_refused(sealed):
    out, index = sealed
    sf = index.file("big.bin")
    cipher = cipher_of(out, "big.bin")
    one, two = chunk_bytes(cipher, sf, 1), chunk_bytes(cipher, sf, 2)
    with pytest.raises(VerifyError, match="Chunk 1 of big.bin"):
        decrypt_chunk(KEY, sf, 1, two)
    o1, _ = sf.cipher_span(1)
    swapped = cipher[:o1] + two + one + cipher[o1 + 2 * len(one) :]
    assert len(swapped) == len(cipher)
    with pytest.raises(VerifyError, match="Chunk 1 of big.bin"):
        open_file(KEY, sf, swapped)


def test_a_chunk_from_another_file_is_refused(sealed):
    out, index = sealed
    big, twin = index.file("big.bin"), index.file("twin.bin")
    assert big.cipher_size == twin.cipher_size
    foreign = chunk_bytes(cipher_of(out, "twin.bin"), twin, 1)
    with pytest.raises(VerifyError, match="Chunk 1 of big.bin"):
        decrypt_chunk(KEY, big, 1, foreign)
    # The whole file of the same size under another name: refused too.
    with pytest.raises(VerifyError, match="big.bin"):
        open_file(KEY, big, cipher_of(out, "twin.bin"))


def test_a_chunk_moved_to_the_last_position_is_refused(sealed):
    # exact.bin has two full chunks: chunk 0 has the size of the last one, but not its flag.
    out, index = sealed
    sf = index.file("exact.bin")
    cipher = cipher_of(out, "exact.bin")
    with pytest.raises(VerifyError, match="Chunk 1 of exact.bin"):
        decrypt_chunk(KEY, sf, 1, chunk_bytes(cipher, sf, 0))


def test_truncated_files_and_chunks_are_refused(sealed):
    out, index = sealed
    sf = index.file("big.bin")
    cipher = cipher_of(out, "big.bin")
    last_offset, _ = sf.cipher_span(3)
    for cut in (cipher[:-1], cipher[:last_offset], cipher[: HEADER_SIZE + 10], cipher[:3], b""):
        with pytest.raises(VerifyError, match="big.bin"):
            open_file(KEY, sf, cut)
    with pytest.raises(VerifyError, match="cut short or has extra bytes"):
        decrypt_chunk(KEY, sf, 0, chunk_bytes(cipher, sf, 0)[:-1])


def test_extra_bytes_are_refused(sealed):
    out, index = sealed
    sf = index.file("big.bin")
    cipher = cipher_of(out, "big.bin")
    with pytest.raises(VerifyError, match="bytes after its last chunk"):
        open_file(KEY, sf, cipher + b"\x00")
    with pytest.raises(VerifyError, match="Chunk 0 of big.bin"):
        decrypt_chunk(KEY, sf, 0, chunk_bytes(cipher, sf, 0) + b"\x00")


@pytest.mark.parametrize(
    "header",
    [
        b"SBS2" + u(CS, 4) + u(len(BIG), 8),
        b"SBS1" + u(2 * CS, 4) + u(len(BIG), 8),
        b"SBS1" + u(CS, 4) + u(len(BIG) - 1, 8),
    ],
)
def test_a_wrong_header_is_refused(sealed, header):
    out, index = sealed
    sf = index.file("big.bin")
    cipher = cipher_of(out, "big.bin")
    with pytest.raises(VerifyError, match="does not start with its sealed header"):
        open_file(KEY, sf, header + cipher[HEADER_SIZE:])


def test_a_wrong_chunk_size_or_index_is_an_input_error(sealed):
    out, index = sealed
    sf = index.file("big.bin")
    piece = chunk_bytes(cipher_of(out, "big.bin"), sf, 0)
    with pytest.raises(InputError, match="chunks of 4096 bytes, not 8192"):
        decrypt_chunk(KEY, sf, 0, piece, 8192)
    with pytest.raises(InputError, match="no chunk 4"):
        decrypt_chunk(KEY, sf, 4, piece)


def test_read_range_returns_the_bytes_asked_for(sealed):
    out, index = sealed
    sf = index.file("big.bin")
    reader = bytes_reader(cipher_of(out, "big.bin"))
    for start, end in [
        (0, 0),
        (0, len(BIG) - 1),
        (CS - 1, CS),
        (5, 3 * CS + 7),
        (len(BIG) - 1,) * 2,
    ]:
        assert read_range(KEY, sf, reader, start, end, CS) == BIG[start : end + 1]
    with open(cipher_path(out, "big.bin"), "rb") as f:
        assert read_range(KEY, sf, file_reader(f), 100, 9000) == BIG[100:9001]


def test_read_range_decrypts_only_the_chunks_that_cover_the_range(sealed):
    out, index = sealed
    sf = index.file("big.bin")
    cipher = bytearray(cipher_of(out, "big.bin"))
    asked = []

    def reader(offset, length):
        asked.append((offset, length))
        return bytes(cipher[offset : offset + length])

    cipher[sf.cipher_span(0)[0]] ^= 0xFF  # chunk 0 is damaged, and never read
    assert read_range(KEY, sf, reader, CS + 10, 2 * CS + 10) == BIG[CS + 10 : 2 * CS + 11]
    assert asked == [(sf.cipher_span(1)[0], 2 * (CS + TAG_SIZE))]
    with pytest.raises(VerifyError, match="Chunk 0 of big.bin"):
        read_range(KEY, sf, reader, 0, 10)


@pytest.mark.parametrize("start,end", [(-1, 5), (5, 4), (0, len(BIG)), (len(BIG), len(BIG))])
def test_a_range_outside_the_file_is_refused(sealed, start, end):
    out, index = sealed
    sf = index.file("big.bin")
    with pytest.raises(InputError, match="range"):
        read_range(KEY, sf, bytes_reader(cipher_of(out, "big.bin")), start, end)


def test_a_reader_that_returns_too_little_is_refused(sealed):
    out, index = sealed
    sf = index.file("big.bin")
    cipher = cipher_of(out, "big.bin")
    with pytest.raises(VerifyError, match="cut short"):
        read_range(KEY, sf, bytes_reader(cipher[:-1]), 0, len(BIG) - 1)


def test_check_ciphertext_needs_no_key(sealed, tmp_path):
    out, index = sealed
    sf = index.file("big.bin")
    assert check_ciphertext(sf, cipher_path(out, "big.bin"))
    bad = tmp_path / "bad"
    data = bytearray(cipher_of(out, "big.bin"))
    data[-1] ^= 1
    bad.write_bytes(bytes(data))
    assert not check_ciphertext(sf, bad)
    bad.write_bytes(bytes(data[:-1]))
    assert not check_ciphertext(sf, bad)
    assert not check_ciphertext(sf, tmp_path / "missing")


# -- sealing: refusals, resume, crash ----------------------------------------------------------


def test_a_file_changed_after_its_manifest_is_refused(tmp_path, dataset):
    manifest = build_manifest(dataset)
    (dataset / "sub/small.txt").write_bytes(b"HELLO, sealed world\n")  # same size
    with pytest.raises(InputError, match="sub/small.txt changed since its manifest"):
        seal_folder(dataset, tmp_path / "out", KEY, manifest=manifest, chunk_size=CS)
    assert not cipher_path(tmp_path / "out", "sub/small.txt").exists()
    assert not (tmp_path / "out" / SEAL_FILE).exists()


def test_the_sealed_folder_may_not_be_inside_the_dataset(dataset):
    with pytest.raises(InputError, match="must not be inside"):
        seal_folder(dataset, dataset / "sealed", KEY)


def test_bad_keys_and_chunk_sizes_are_refused(tmp_path, dataset):
    with pytest.raises(InputError, match="32 bytes"):
        seal_folder(dataset, tmp_path / "o", b"k" * 31)
    for size in (1000, 4095, 6000, 32 << 20):
        with pytest.raises(InputError, match="power of two"):
            seal_folder(dataset, tmp_path / "o", KEY, chunk_size=size)


def count_encryptions(monkeypatch, fail_after=None):
    calls = []
    real = sealed_module._encrypt_file

    def spy(source, tmp, key, entry, chunk_size):
        if fail_after is not None and len(calls) >= fail_after:
            raise RuntimeError("simulated crash")
        calls.append(entry.path)
        return real(source, tmp, key, entry, chunk_size)

    monkeypatch.setattr(sealed_module, "_encrypt_file", spy)
    return calls


def test_a_rerun_skips_intact_files_and_redoes_damaged_ones(tmp_path, dataset, monkeypatch):
    out = tmp_path / "out"
    first = seal_folder(dataset, out, KEY, chunk_size=CS)
    damaged = bytearray(cipher_of(out, "big.bin"))
    damaged[100] ^= 1
    cipher_path(out, "big.bin").write_bytes(bytes(damaged))
    cipher_path(out, "sub/small.txt").unlink()
    calls = count_encryptions(monkeypatch)
    again = seal_folder(dataset, out, KEY, chunk_size=CS, workers=1)
    assert sorted(calls) == ["big.bin", "sub/small.txt"]
    assert again == first
    assert cipher_of(out, "big.bin") == ref_cipher(KEY, "big.bin", BIG, CS)


def test_a_crash_leaves_no_half_written_file_and_the_rerun_finishes(tmp_path, dataset, monkeypatch):
    out = tmp_path / "out"
    count_encryptions(monkeypatch, fail_after=2)
    with pytest.raises(RuntimeError, match="simulated crash"):
        seal_folder(dataset, out, KEY, chunk_size=CS, workers=1)
    assert not (out / SEAL_FILE).exists()
    written = [p for p in (out / "files").rglob("*") if p.is_file()]
    assert len(written) == 2
    for p in written:  # every cipher file there is whole
        rel = p.relative_to(out / "files").as_posix()
        assert p.read_bytes() == ref_cipher(KEY, rel, CONTENT[rel], CS)
    monkeypatch.undo()
    calls = count_encryptions(monkeypatch)
    index = seal_folder(dataset, out, KEY, chunk_size=CS, workers=1)
    assert len(calls) == len(CONTENT) - 2
    assert index == seal_folder(dataset, tmp_path / "fresh", KEY, chunk_size=CS)
    assert not any(p.name.endswith(".tmp") for p in out.rglob("*"))


def test_a_journal_from_another_key_is_not_trusted(tmp_path, dataset, monkeypatch):
    out = tmp_path / "out"
    seal_folder(dataset, out, KEY, chunk_size=CS)
    calls = count_encryptions(monkeypatch)
    index = seal_folder(dataset, out, OTHER_KEY, chunk_size=CS)
    assert len(calls) == len(CONTENT)
    assert open_file(OTHER_KEY, index.file("big.bin"), cipher_of(out, "big.bin")) == BIG


def test_a_forged_journal_line_is_not_trusted(tmp_path, dataset, monkeypatch):
    out = tmp_path / "out"
    seal_folder(dataset, out, KEY, chunk_size=CS)
    journal = out / ".seal-progress.jsonl"
    rows = [json.loads(line) for line in journal.read_text().splitlines()]
    for row in rows:
        row["mac"] = "00" * 32
    journal.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"cut short')
    calls = count_encryptions(monkeypatch)
    seal_folder(dataset, out, KEY, chunk_size=CS)
    assert len(calls) == len(CONTENT)


def test_progress_reaches_the_total(tmp_path, dataset):
    seen = []
    seal_folder(
        dataset, tmp_path / "out", KEY, chunk_size=CS, progress=lambda d, t: seen.append((d, t))
    )
    total = sum(map(len, CONTENT.values()))
    assert seen[-1] == (total, total)
    assert all(a[0] <= b[0] for a, b in pairwise(seen))


# -- key files ---------------------------------------------------------------------------------


def test_key_files_are_private_and_round_trip(tmp_path):
    path = tmp_path / "dataset.key.json"
    write_key_file(path, KEY, sealed_folder=tmp_path / "sealed")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data == {"version": 1, "key": "0x" + KEY.hex(), "keyCheck": "0x" + key_check(KEY).hex()}
    assert read_key_file(path) == KEY


def test_a_key_file_inside_the_sealed_folder_is_refused(tmp_path):
    (tmp_path / "sealed").mkdir()
    with pytest.raises(InputError, match="must not be inside the sealed folder"):
        write_key_file(tmp_path / "sealed" / "k.json", KEY, sealed_folder=tmp_path / "sealed")


def test_a_key_file_whose_check_disagrees_is_refused(tmp_path):
    path = tmp_path / "k.json"
    write_key_file(path, KEY)
    data = json.loads(path.read_text())
    data["keyCheck"] = "0x" + key_check(OTHER_KEY).hex()
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="does not match"):
        read_key_file(path)
    path.write_text("{}")
    with pytest.raises(InputError, match="not a version 1 Seedbed key file"):
        read_key_file(path)
