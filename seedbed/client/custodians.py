"""A sealed dataset's key from k of n key custodians (threshold release).

    from seedbed.client.custodians import fetch_key_threshold

    key = fetch_key_threshold(
        ["http://c1:8470", "http://c2:8470", "http://c3:8470", "http://c4:8470", "http://c5:8470"],
        license_id=7, private_key=KEY, chain_id=1, private_data=PRIVATE_DATA,
        key_check=KEY_CHECK, threshold=3, asset_id=4,
    )

Every custodian is asked at once (one thread each): a challenge (POST /v1/challenge), then
the share (POST /v1/assets/{id}/share) with an EIP-712 Release signed for that custodian's
own address and nonce. A share comes wrapped (ECIES) to the signer's public key, so only the
holder opens it. Shares are then combined k at a time until the key matches `key_check`, the
commitment the chain publishes (PrivateData.sealOf): a custodian that sends a wrong share is
outvoted and named, one that is down or refuses is left out. Fewer than k good shares is a
VerificationError that names every custodian that failed and why.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from seedbed.client.errors import GatewayError, VerificationError
from seedbed.core import access, ecies, shamir
from seedbed.core.errors import InputError
from seedbed.core.sealed import key_check as key_check_of
from seedbed.core.vouchers import checksum_address

log = logging.getLogger("seedbed.client.custodians")

MAX_COMBINATIONS = 10_000  # subsets tried before giving up (C(10, 5) = 252: never reached)


@dataclass(frozen=True)
class ThresholdRelease:
    """What a threshold release got: the key, the custodians whose shares gave it, and every
    custodian that failed with the reason (down, refused, or a share that does not fit)."""

    key: bytes
    used: tuple[str, ...]
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def liars(self) -> list[str]:
        """Custodians that answered with a share that does not fit the key."""
        return [url for url, why in self.failed.items() if why.startswith(WRONG_SHARE)]


WRONG_SHARE = "sent a share that does not fit the key"


def fetch_key_threshold(
    urls: Sequence[str],
    license_id: int,
    private_key: bytes | str,
    *,
    chain_id: int,
    private_data: str,
    key_check: bytes,
    threshold: int,
    asset_id: int,
    timeout: float = 5.0,
) -> bytes:
    """The dataset key, from any `threshold` of the custodians at `urls` (see the module).
    Custodians that failed are logged as warnings on "seedbed.client.custodians"."""
    result = release_threshold(
        urls,
        license_id,
        private_key,
        chain_id=chain_id,
        private_data=private_data,
        key_check=key_check,
        threshold=threshold,
        asset_id=asset_id,
        timeout=timeout,
    )
    for url, why in result.failed.items():
        log.warning("custodian %s: %s", url, why)
    return result.key


def release_threshold(
    urls: Sequence[str],
    license_id: int,
    private_key: bytes | str,
    *,
    chain_id: int,
    private_data: str,
    key_check: bytes,
    threshold: int,
    asset_id: int,
    timeout: float = 5.0,
    client: httpx.Client | None = None,
) -> ThresholdRelease:
    """fetch_key_threshold, with who gave the key and who failed."""
    bases = [_base(u) for u in urls]
    if len(set(bases)) != len(bases):
        raise InputError(f"the custodian URLs name one custodian twice: {list(urls)}.")
    if type(threshold) is not int or not 1 <= threshold <= shamir.MAX_SHARES:
        raise InputError(f"the threshold must be from 1 to {shamir.MAX_SHARES}, not {threshold!r}.")
    if not isinstance(key_check, bytes | bytearray) or len(key_check) != 32:
        raise InputError("key_check must be the 32 bytes PrivateData.sealOf publishes.")
    contract = checksum_address(private_data, "PrivateData address")
    owned = client is None
    http = client or httpx.Client(
        timeout=timeout, limits=httpx.Limits(max_connections=max(10, 2 * len(bases)))
    )
    try:

        def ask(base: str) -> shamir.Share:
            return _ask(http, base, license_id, private_key, chain_id, contract, asset_id)

        with ThreadPoolExecutor(max_workers=max(1, len(bases))) as pool:
            futures = {base: pool.submit(ask, base) for base in bases}
        shares: dict[str, shamir.Share] = {}
        failed: dict[str, str] = {}
        for base, future in futures.items():
            try:
                shares[base] = future.result()
            except _Failed as err:
                failed[base] = err.reason
    finally:
        if owned:
            http.close()
    return _combine(shares, failed, bytes(key_check), threshold, license_id)


class _Failed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _ask(
    http: httpx.Client,
    base: str,
    license_id: int,
    private_key: bytes | str,
    chain_id: int,
    contract: str,
    asset_id: int,
) -> shamir.Share:
    """One custodian's share, unwrapped; _Failed with a sentence for anything else."""
    challenge = _post(http, f"{base}/v1/challenge", None)
    try:
        release = access.Release(
            license_id=license_id,
            audience=str(challenge["audience"]),
            nonce=bytes.fromhex(str(challenge["nonce"]).removeprefix("0x")),
            deadline=int(challenge["deadline"]),
        )
    except (KeyError, TypeError, ValueError, InputError) as err:
        raise _Failed(f"sent a malformed challenge: {err}") from None
    try:
        signature = access.sign(release, chain_id, contract, private_key)
    except InputError as err:  # the caller's key: not the custodian's fault, and for all alike
        raise InputError(err.message) from None
    answer = _post(http, f"{base}/v1/assets/{asset_id}/share", release.to_json(signature))
    try:
        index, wrapped = answer["index"], str(answer["wrapped"])
        plain = ecies.unwrap(private_key, bytes.fromhex(wrapped.removeprefix("0x")))
        share = shamir.Share.from_json(json.loads(plain), f"the share from {base}")
    except (KeyError, TypeError, ValueError, InputError) as err:
        raise _Failed(f"sent a share that cannot be opened: {err}") from None
    if share.index != index:
        raise _Failed(f"sent share {share.index} labelled as share {index}")
    return share


def _post(http: httpx.Client, url: str, body: dict[str, Any] | None) -> dict[str, Any]:
    try:
        response = http.post(url, json=body) if body is not None else http.post(url)
    except httpx.HTTPError as err:
        raise _Failed(f"unreachable ({type(err).__name__}: {err})") from None
    if response.status_code != 200:
        refusal = GatewayError.from_body(response.status_code, response.content)
        raise _Failed(f"refused: HTTP {refusal.status} {refusal.code}: {refusal.message}")
    try:
        document = response.json()
    except ValueError:
        raise _Failed("answered 200 with a body that is not JSON") from None
    if not isinstance(document, dict):
        raise _Failed("answered 200 with JSON that is not an object")
    return document


def _combine(
    shares: dict[str, shamir.Share],
    failed: dict[str, str],
    key_check: bytes,
    k: int,
    license_id: int,
) -> ThresholdRelease:
    def explain() -> str:
        return (
            "; ".join(f"{url}: {why.rstrip('.')}" for url, why in failed.items()) or "none failed"
        )

    if len(shares) < k:
        raise VerificationError(
            f"only {len(shares)} of {len(shares) + len(failed)} custodians sent a share for "
            f"license {license_id}; {k} are needed. {explain()}."
        )
    order = list(shares)
    for tried, subset in enumerate(itertools.combinations(order, k)):
        if tried >= MAX_COMBINATIONS:
            break
        try:
            key = shamir.combine([shares[u] for u in subset], k)
        except InputError:  # two custodians claim one index: at least one lies
            continue
        if key_check_of(key) != key_check:
            continue
        # The key is known: each other share fits iff it completes the same polynomial.
        good = list(subset)
        for url in order:
            if url in good:
                continue
            probe = [shares[u] for u in good[: k - 1]] + [shares[url]]
            try:
                fits = shamir.combine(probe, k) == key
            except InputError:
                fits = False
            if fits:
                good.append(url)
            else:
                failed[url] = f"{WRONG_SHARE} (share {shares[url].index})"
        return ThresholdRelease(key, tuple(good), failed)
    raise VerificationError(
        f"no {k} of the {len(shares)} shares received for license {license_id} give the key "
        f"whose keyCheck is 0x{key_check.hex()}: too many custodians sent wrong shares "
        f"({', '.join(order)}). Others: {explain()}."
    )


def _base(url: str) -> str:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InputError(f"a custodian URL must be http(s), not {url!r}.")
    return url.rstrip("/")
