"""Croissant metadata, license ids and the metadata hash."""

import json

import pytest
from treeref import K

from seedbed.core.croissant import encoding_format
from seedbed.core.errors import InputError
from seedbed.core.manifest import (
    FileEntry,
    Manifest,
    canonical_json,
    croissant,
    metadata_hash,
    write_croissant,
)
from seedbed.core.spdx import SPDX_IDS, canonical_license, license_value

MANIFEST = Manifest.from_files(
    [
        FileEntry("train/a.csv", bytes.fromhex("11" * 32), 1234),
        FileEntry("data/part-0.parquet", bytes.fromhex("22" * 32), 10),
        FileEntry("notes.jsonl", bytes.fromhex("33" * 32), 0),
        FileEntry("blob", bytes.fromhex("44" * 32), 5),
    ]
)


def doc(**kwargs):
    args = dict(name="Demo", description="A demo set.", license_spdx="CC-BY-4.0")
    args.update(kwargs)
    return croissant(MANIFEST, **args)


def test_document_shape():
    d = doc(
        url="https://example.org/demo",
        creators=["Ada", {"@type": "sc:Organization", "name": "Lab"}],
    )
    ctx = d["@context"]
    assert ctx["@vocab"] == "https://schema.org/"
    assert ctx["cr"] == "http://mlcommons.org/croissant/"
    assert ctx["sc"] == "https://schema.org/"
    assert ctx["dct"] == "http://purl.org/dc/terms/"
    assert ctx["conformsTo"] == "dct:conformsTo"
    assert d["@type"] == "sc:Dataset"
    assert d["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert d["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert d["url"] == "https://example.org/demo"
    assert d["creator"] == [
        {"@type": "sc:Person", "name": "Ada"},
        {"@type": "sc:Organization", "name": "Lab"},
    ]
    assert d["seedbed:contentRoot"] == "0x" + MANIFEST.root.hex()


def test_one_file_object_per_file_in_manifest_order():
    objects = doc()["distribution"]
    assert [o["contentUrl"] for o in objects] == [f.path for f in MANIFEST.files]
    first = next(o for o in objects if o["@id"] == "train/a.csv")
    assert first == {
        "@type": "cr:FileObject",
        "@id": "train/a.csv",
        "name": "train/a.csv",
        "contentUrl": "train/a.csv",
        "contentSize": "1234 B",
        "encodingFormat": "text/csv",
        "sha256": "11" * 32,
    }


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("a.csv", "text/csv"),
        ("a.JSON", "application/json"),
        ("a.jsonl", "application/jsonlines"),
        ("a.parquet", "application/x-parquet"),
        ("a.png", "image/png"),
        ("a.csv.gz", "application/gzip"),
        ("a.tar", "application/x-tar"),
        ("noext", "application/octet-stream"),
    ],
)
def test_encoding_format(path, mime):
    assert encoding_format(path) == mime


def test_optional_fields_are_left_out():
    d = doc()
    assert "url" not in d and "creator" not in d


def test_name_and_description_are_required():
    with pytest.raises(InputError, match="name"):
        doc(name=" ")
    with pytest.raises(InputError, match="description"):
        doc(description="")


def test_licenses():
    assert len(SPDX_IDS) >= 60
    for lid in (
        "CC-BY-4.0",
        "CC-BY-SA-4.0",
        "CC0-1.0",
        "CC-BY-NC-4.0",
        "MIT",
        "Apache-2.0",
        "ODbL-1.0",
        "ODC-By-1.0",
        "PDDL-1.0",
        "GPL-3.0-only",
    ):
        assert lid in SPDX_IDS
    assert canonical_license("cc-by-4.0") == "CC-BY-4.0"
    assert license_value(" mit ") == "https://spdx.org/licenses/MIT.html"
    assert license_value("OpenRAIL") == "openrail"  # a Hub tag, not an SPDX id: no SPDX URL
    assert license_value("LicenseRef-Acme-Data-1") == "LicenseRef-Acme-Data-1"
    with pytest.raises(InputError, match="Unknown license id 'CC-BY-5.0'"):
        doc(license_spdx="CC-BY-5.0")
    with pytest.raises(InputError, match="Unknown license id 'LicenseRef-'"):
        canonical_license("LicenseRef-")


def test_metadata_hash_is_keccak_of_canonical_json(tmp_path):
    d = doc()
    raw = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical_json(d) == raw
    assert metadata_hash(d) == K(raw)
    pretty = json.dumps(d, indent=4).encode()  # whitespace and escapes do not matter
    assert metadata_hash(pretty) == K(raw)
    path = tmp_path / "croissant.json"
    assert write_croissant(d, path) == K(raw)
    assert path.read_bytes() == raw  # so keccak(file at the URI) == the hash on chain


def test_unicode_is_written_as_utf8():
    d = doc(name="Donn\u00e9es")
    assert "Donn\u00e9es".encode() in canonical_json(d)


def test_metadata_hash_errors():
    with pytest.raises(InputError, match="not valid JSON"):
        metadata_hash(b"{")
    with pytest.raises(InputError, match="JSON object"):
        metadata_hash(b"[1]")
    with pytest.raises(InputError, match="cannot be written as JSON"):
        metadata_hash({"x": float("nan")})
