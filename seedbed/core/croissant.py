"""Croissant 1.0 (JSON-LD) metadata for a manifest, and the hash the registry stores.

The metadata is written in canonical JSON (sorted keys, no spaces, UTF-8), so the keccak of
the published file is exactly `metadata_hash`: anyone can check the URI against the chain.
"""

import json
import mimetypes
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from seedbed.core.atomic import write_atomic
from seedbed.core.errors import InputError
from seedbed.core.keccak import keccak
from seedbed.core.spdx import license_value

if TYPE_CHECKING:
    from seedbed.core.manifest import Manifest

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
SEEDBED_NS = "urn:seedbed:"  # our own terms (the content root); no web vocabulary page yet

# The recommended @context of Croissant 1.0 (spec, appendix 1), plus our prefix.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
    "seedbed": SEEDBED_NS,
}

# Python's built-in table only (not /etc/mime.types), so every machine writes the same
# metadata; plus the ML formats it lacks, spelled as Croissant's examples spell them.
_MIME = mimetypes.MimeTypes()
_EXTRA_TYPES = {
    ".jsonl": "application/jsonlines",
    ".ndjson": "application/jsonlines",
    ".parquet": "application/x-parquet",
    ".arrow": "application/vnd.apache.arrow.file",
    ".tsv": "text/tab-separated-values",
    ".md": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
}
_COMPRESSED = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}


def encoding_format(path: str) -> str:
    """The MIME type of a file, from its name."""
    mime, compression = _MIME.guess_type(path, strict=False)
    if compression:
        return _COMPRESSED.get(compression, "application/octet-stream")
    suffix = os.path.splitext(path)[1].lower()
    return _EXTRA_TYPES.get(suffix) or mime or "application/octet-stream"


def croissant(
    manifest: "Manifest",
    name: str,
    description: str,
    license_spdx: str,
    url: str | None = None,
    creators: Sequence[str | Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The Croissant 1.0 JSON-LD document of a dataset: one FileObject per manifest file.

    `creators` are names (written as schema.org Persons) or ready JSON-LD objects.
    """
    if not name.strip():
        raise InputError("The dataset needs a name.")
    if not description.strip():
        raise InputError("The dataset needs a description.")
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": name,
        "description": description,
        "license": license_value(license_spdx),
        "seedbed:contentRoot": "0x" + manifest.root.hex(),
        "distribution": [
            {
                "@type": "cr:FileObject",
                "@id": f.path,
                "name": f.path,
                "contentUrl": f.path,
                "contentSize": f"{f.size} B",
                "encodingFormat": encoding_format(f.path),
                "sha256": f.sha256.hex(),
            }
            for f in manifest.files
        ],
    }
    if url is not None:
        doc["url"] = url
    if creators:
        doc["creator"] = [
            {"@type": "sc:Person", "name": c} if isinstance(c, str) else dict(c) for c in creators
        ]
    return doc


def canonical_json(doc: Mapping[str, Any]) -> bytes:
    """The one byte form of a JSON document that its hash is taken over."""
    try:
        text = json.dumps(
            doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as err:
        raise InputError(f"The metadata cannot be written as JSON: {err}.") from err
    return text.encode("utf-8")


def metadata_hash(data: bytes | Mapping[str, Any]) -> bytes:
    """keccak256 of the canonical JSON of a document (given as a dict or as JSON bytes).

    JSON bytes are parsed and re-canonicalized first, so whitespace and key order in a
    hand-edited file do not change the hash.
    """
    if isinstance(data, bytes | bytearray):
        try:
            data = json.loads(data)
        except ValueError as err:
            raise InputError(f"The metadata is not valid JSON: {err}.") from err
        if not isinstance(data, dict):
            raise InputError("The metadata must be a JSON object.")
    return keccak(canonical_json(data))


def write_croissant(doc: Mapping[str, Any], path: str | os.PathLike[str]) -> bytes:
    """Save `doc` as canonical JSON, atomically; return its metadata hash."""
    raw = canonical_json(doc)
    write_atomic(path, raw)
    return keccak(raw)
