"""Properties of sealed files: any range reads back exactly, any flipped bit is caught."""

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedbed.core.manifest import build_manifest
from seedbed.core.sealed import (
    VerifyError,
    bytes_reader,
    check_ciphertext,
    cipher_path,
    decrypt_chunk,
    open_file,
    read_range,
    seal_folder,
)

KEY = bytes(range(32))
MAX_SIZE = 300_000

sizes = st.one_of(
    st.integers(0, MAX_SIZE),
    st.sampled_from([0, 1, 4095, 4096, 4097, 8192, 65536]),  # chunk edges
)
chunk_sizes = st.sampled_from([4096, 8192, 16384])


def content(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def seal_one(plain: bytes, chunk_size: int):
    """Seal a one-file folder; returns (index, file, ciphertext)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ds"
        folder.mkdir()
        (folder / "data.bin").write_bytes(plain)
        index = seal_folder(folder, Path(tmp) / "out", KEY, chunk_size=chunk_size)
        assert index.content_root == build_manifest(folder).root
        cipher = cipher_path(Path(tmp) / "out", "data.bin").read_bytes()
    return index, index.file("data.bin"), cipher


@settings(max_examples=30, deadline=None)
@given(size=sizes, seed=st.integers(0, 2**32), chunk_size=chunk_sizes, data=st.data())
def test_any_range_reads_back_exactly_the_plaintext_bytes(size, seed, chunk_size, data):
    plain = content(size, seed)
    index, sf, cipher = seal_one(plain, chunk_size)
    assert sf.chunk_count == max(1, -(-size // chunk_size))
    assert open_file(KEY, sf, cipher) == plain
    if not size:
        return
    reader = bytes_reader(cipher)
    for _ in range(3):
        start = data.draw(st.integers(0, size - 1), label="start")
        end = data.draw(st.integers(start, min(size - 1, start + 3 * chunk_size)), label="end")
        assert read_range(KEY, sf, reader, start, end, chunk_size) == plain[start : end + 1]


@settings(max_examples=30, deadline=None)
@given(
    size=st.integers(0, 40_000),
    seed=st.integers(0, 2**32),
    where=st.floats(0, 1, exclude_max=True),
    bit=st.integers(0, 7),
)
def test_any_single_bit_flip_in_the_ciphertext_is_detected(size, seed, where, bit):
    plain = content(size, seed)
    _, sf, cipher = seal_one(plain, 4096)
    position = int(where * len(cipher))
    damaged = bytearray(cipher)
    damaged[position] ^= 1 << bit
    with pytest.raises(VerifyError):
        open_file(KEY, sf, bytes(damaged))
    with tempfile.NamedTemporaryFile() as f:
        f.write(damaged)
        f.flush()
        assert not check_ciphertext(sf, f.name)
    hit = [i for i in range(sf.chunk_count) if _inside(sf.cipher_span(i), position)]
    if hit:  # not in the header: the chunk alone is refused, and named
        (i,) = hit
        offset, length = sf.cipher_span(i)
        with pytest.raises(VerifyError, match=f"Chunk {i} of data.bin"):
            decrypt_chunk(KEY, sf, i, bytes(damaged[offset : offset + length]))
        if size:
            lo, hi = sf.chunk_span(i)
            with pytest.raises(VerifyError):
                read_range(KEY, sf, bytes_reader(bytes(damaged)), lo, max(lo, hi - 1))


def _inside(span: tuple[int, int], position: int) -> bool:
    offset, length = span
    return offset <= position < offset + length
