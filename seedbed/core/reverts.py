"""Revert data back into a custom error's name and values, from contract ABIs.

One decoder for every error a Seedbed call can return: the contracts' own, their libraries'
and OpenZeppelin's (all are in the compiled ABIs), plus Solidity's Error(string) and Panic.
Pure: no chain; `seedbed.chain.reverts` builds one from the project's build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak, to_checksum_address

ERROR_STRING = "Error(string)"
PANIC = "Panic(uint256)"


@dataclass(frozen=True)
class DecodedError:
    """A revert reason: the custom error's name and its values, in ABI order."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.args.items())
        return f"{self.name}({shown})"


@dataclass(frozen=True)
class _ErrorSpec:
    name: str
    arg_names: tuple[str, ...]
    types: tuple[str, ...]


class ErrorDecoder:
    """Revert data -> DecodedError, by 4-byte selector, from contract ABIs."""

    def __init__(self, abis: Iterable[Sequence[Mapping[str, Any]]]) -> None:
        self._specs: dict[bytes, _ErrorSpec] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") == "error":
                    self._add(item)

    @classmethod
    def from_contracts(cls, *contracts: Any) -> ErrorDecoder:
        """From ape contract instances or containers (anything with a `contract_type`)."""
        return cls([e.model_dump(mode="json") for e in c.contract_type.errors] for c in contracts)

    def _add(self, item: Mapping[str, Any]) -> None:
        inputs = item.get("inputs", [])
        types = tuple(_canonical(i) for i in inputs)
        selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
        names = tuple(i.get("name") or f"arg{n}" for n, i in enumerate(inputs))
        self._specs[selector] = _ErrorSpec(item["name"], names, types)

    def decode(self, data: bytes) -> DecodedError:
        """Never raises: undecodable data comes back as an "unknown error" with its hex."""
        selector, body = bytes(data[:4]), bytes(data[4:])
        if not data:
            return DecodedError("reverted without a reason")
        if selector == keccak(text=ERROR_STRING)[:4]:
            return self._try(DecodedError("Error", {}), ("message",), ("string",), body, data)
        if selector == keccak(text=PANIC)[:4]:
            return self._try(DecodedError("Panic", {}), ("code",), ("uint256",), body, data)
        spec = self._specs.get(selector)
        if spec is None:
            return _unknown(data)
        return self._try(DecodedError(spec.name, {}), spec.arg_names, spec.types, body, data)

    @staticmethod
    def _try(
        base: DecodedError,
        names: Sequence[str],
        types: Sequence[str],
        body: bytes,
        data: bytes,
    ) -> DecodedError:
        try:
            values = abi_decode(list(types), body)
        except (DecodingError, OverflowError, ValueError):
            return _unknown(data)
        pairs = zip(types, values, strict=True)
        shown = [to_checksum_address(v) if t == "address" else v for t, v in pairs]
        return DecodedError(base.name, dict(zip(names, shown, strict=True)))


def _canonical(param: Mapping[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical(c) for c in param.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _unknown(data: bytes) -> DecodedError:
    return DecodedError("unknown error", {"data": "0x" + bytes(data).hex()})


def _show(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value)


_EXPLAIN: dict[str, str] = {
    # UsageMeter: vouchers and settlement
    "UsageMeterStaleVoucher": "the channel already settled {unitsCharged} units; the voucher "
    "covers {cumulativeUnits} in total, not more",
    "UsageMeterVoucherExpired": "its deadline {deadline} passed (chain time {nowTime})",
    "UsageMeterUnitsAboveCap": "{cumulativeUnits} units pass the channel's unit limit of "
    "{unitLimit}",
    "UsageMeterBadSignature": "not signed by {signer}, the payer {payer}'s voucher signer on "
    "license {licenseId}",
    "UsageMeterInsufficientReserve": "the channel's reserve holds {available}, {needed} needed "
    "(base units)",
    "UsageMeterNoChannel": "no channel {channelId} was ever opened (the payer deposits or opens "
    "one first)",
    "UsageMeterChannelClosed": "the payer {payer}'s vouchers on license {licenseId} settled "
    "only until {closesAt}",
    "UsageMeterNoOperator": "a channel on license {licenseId} must name an operator (the "
    "gateway it pays), not the zero address",
    "UsageMeterGasTooLow": "too little gas was left for a contract signer's check ({left} of "
    "{needed}); send the batch with more gas",
    "UsageMeterReserveTooLarge": "the total would reach {reserve}, past 2^128 - 1",
    "UsageMeterBatchMismatch": "{vouchers} vouchers but {signatures} signatures",
    "UsageMeterBatchTooLarge": "{count} vouchers in one batch, more than the meter's {max}",
    # UsageMeter: channels and escrow
    "UsageMeterZeroAmount": "the amount (or number of units) is zero",
    "UsageMeterWrongValue": "{sent} wei was sent with the call, {expected} expected",
    "UsageMeterNothingArrived": "the token {currency} delivered nothing of the {requested} pulled",
    "UsageMeterNotHolder": "{caller} does not hold license {licenseId} (the holder is {holder})",
    "UsageMeterScopeMissing": "the license's scopes ({scopes}) allow no metered use",
    "UsageMeterLicenseExpired": "license {licenseId} expired at {expiresAt}: no channel opens "
    "on it",
    "UsageMeterChannelExists": "the channel {channelId} is open already (deposit to add to it)",
    "UsageMeterNotHeld": "{payer} no longer holds license {licenseId}: its channels take no "
    "deposits and no metering",
    "UsageMeterChannelOpen": "the channel is open until {closesAt}; its units return only after",
    "UsageMeterNoUnitsLeft": "license {licenseId} has {left} units left to allot, not {asked}",
    "UsageMeterNoWithdrawalRequested": "no withdrawal is pending on the channel",
    "UsageMeterWithdrawalNotReady": "the withdrawal is ready only from {readyAt} (chain time "
    "{nowTime})",
    "UsageMeterWithdrawalLapsed": "the withdrawal's window closed at {windowEnd} (chain time "
    "{nowTime}); request it again",
    "UsageMeterSignerChangePending": "the previous signer change is in transition until "
    "{until}; change the signer again after that",
    "UsageMeterNothingOwed": "nothing is owed to asset {assetId} in {currency}",
    "UsageMeterTransferFailed": "sending {amount} of {currency} to {to} failed",
    "UsageMeterNotLicense": "only the license token reports transfers, not {caller}",
    "UsageMeterBadParameter": "{what} of {value} s is outside {min}..{max} s",
    "UsageMeterNoExcess": "the meter holds {balance} of {currency} and owes {held}: nothing was "
    "sent to it by mistake",
    # LicenseToken
    "LicenseTokenUnknownLicense": "license {licenseId} does not exist",
    "LicenseTokenDeriveUsed": "license {licenseId} has registered its derivative already (a "
    "DERIVE license registers one)",
    "LicenseTokenInvalidServiceShare": "a service share of {serviceBps} bps passes the "
    "maximum of {max} bps",
    "LicenseTokenNotAttested": "offer {offerId} needs validator set {setId}'s attestations and "
    "asset {assetId} does not hold enough live ones now (ape run attest status)",
    "LicenseTokenRequirementSet": "offer {offerId} requires validator set {setId} already: a "
    "requirement is set once, for good",
    # Attestations: anchors, revocations, sets, certificates
    "AttestationsEmptyAnchor": "an anchor needs a non-zero root and at least one attestation "
    "(root {root}, count {count})",
    "AttestationsAlreadyAnchored": "{validator} anchored root {root} already, at {anchoredAt}",
    "AttestationsAlreadyRevoked": "{revoker} revoked attestation {uid} already, at {revokedAt}",
    "AttestationsBadBatch": "{length} revocations in one call; 1 to {max}",
    "AttestationsBadSet": "a set of {size} validators with threshold {threshold}: it needs 1 "
    "to 16 non-zero validators in ascending order and a threshold from 1 to their number",
    "AttestationsUnknownSet": "validator set {setId} does not exist",
    "AttestationsWrongSchema": "the attestation is of schema {schema} (revocable: {revocable}); "
    "a certificate needs Seedbed's quality schema, revocable",
    "AttestationsBadData": "the attestation's data has {length} bytes, not the schema's 224",
    "AttestationsWrongSubject": "the attestation does not name asset {assetId} with its content "
    "root {contentRoot}",
    "AttestationsNotCurrent": "the attestation is dated {time} and expires at {expirationTime} "
    "(0: never); it is now {nowTime}",
    "AttestationsNotAnchored": "the proof does not lead to a root {validator} anchored (it "
    "leads to {root})",
    "AttestationsRevoked": "{validator} revoked attestation {uid}",
    "AttestationsRetired": "validator {validator} retired at {retiredAt}: it anchors and "
    "certifies nothing more",
    "AttestationsNotNewer": "{validator}'s certificate of asset {assetId} is dated {standingTime}:"
    " only a newer attestation replaces it",
    # AssetCourt: opening
    "AssetCourtBadParameters": "a court needs an arbiter, a bond, an answer period and a "
    "ruling timeout above zero",
    "AssetCourtWrongDeposit": "{sent} wei was sent, the call needs exactly {required} wei (the "
    "bond, plus the arbiter's ruling fee to open)",
    "AssetCourtAlreadyDisputed": "asset {assetId} is under dispute or taken down already "
    "(status {status}): an asset has one dispute at a time",
    "AssetCourtBadReason": "reason {reason} is not 1 (infringement), 2 (licence breach) or 3 "
    "(bad data)",
    "AssetCourtNoEvidence": "a subjective claim needs an evidence hash, not zero",
    "AssetCourtBadBeneficiary": "asset {beneficiary} cannot be the beneficiary (the disputed "
    "asset itself, or for a prior commitment an asset the claimant does not own)",
    "AssetCourtNotTheSameFile": "the two proven files differ in sha256 or size",
    "AssetCourtFileTooSmall": "the shared file has {size} bytes, below the court's minimum of "
    "{minimum} (licence texts and READMEs prove nothing)",
    "AssetCourtBadFileProof": "the file proof does not hold against asset {assetId}'s content root",
    "AssetCourtNotEarlier": "asset {earlier} was not committed before asset {later}",
    "AssetCourtSameOwner": "assets {earlier} and {later} have the same owner",
    "AssetCourtIsParent": "asset {earlier} is a parent of asset {later}: it licensed its files",
    "AssetCourtNotYourLeaf": "leaf {index} is not the caller's registration leaf for the "
    "asset's content root",
    "AssetCourtNotCommitted": "the caller never committed {commitment}",
    "AssetCourtNotOlder": "the commitment (time {ours}) is not older than the asset's own "
    "(time {theirs})",
    "AssetCourtCommitmentExpired": "the commitment expired at {expiredAt}, before the asset "
    "was registered at {registeredAt}",
    "AssetCourtClaimTooLate": "a prior-commitment claim had to come by {deadline} (twice "
    "MAX_COMMIT_AGE after the commitment)",
    # AssetCourt: answering, ruling and money
    "AssetCourtUnknownDispute": "no dispute {disputeId} was ever opened",
    "AssetCourtWrongState": "dispute {disputeId} is not in the state this step needs (state "
    "{state}: 1 open, 2 at the arbiter, 3 upheld, 4 dismissed, 5 lapsed)",
    "AssetCourtAnswerPeriodOver": "dispute {disputeId}'s answer period ended at {deadline}",
    "AssetCourtAnswerPeriodRunning": "dispute {disputeId}'s answer period runs until "
    "{deadline}: the owner may still answer",
    "AssetCourtNotDefendant": "only the disputed asset's owner may contest dispute "
    "{disputeId}, not {caller}",
    "AssetCourtNotArbiter": "only the court's arbiter rules, not {caller}",
    "AssetCourtRulingPending": "the arbiter has until {deadline} to rule on dispute {disputeId}",
    "AssetCourtArbiterOutOfGas": "the call to the arbiter ran out of gas; send the transaction "
    "again with a higher gas limit",
    "AssetCourtCaseRefused": "the arbiter refused dispute {disputeId} when it was sent: the case "
    "can only lapse after the ruling timeout",
    "AssetCourtNotDuplicate": "dispute {disputeId} is not a duplicate-content claim: only those "
    "are answered with a lineage",
    "AssetCourtBadLineage": "the path does not lead from dispute {disputeId}'s asset to the "
    "earlier one (parent indices, at most 8 hops)",
    "AssetCourtNoDeposit": "{account} has no deposits in the court",
    "AssetCourtNoExcess": "the court holds {balance} of {currency} and owes {deposits}: nothing "
    "was sent to it by mistake",
    # PrivateData: seals, key services and key grants
    "PrivateDataNotAssetOwner": "only asset {assetId}'s owner {owner} seals it and names its "
    "key services, not {caller}",
    "PrivateDataAlreadySealed": "asset {assetId} is sealed already (seal root {sealRoot}): an "
    "asset is sealed once",
    "PrivateDataEmptySeal": "a seal needs a non-zero seal root and key check (given {sealRoot} "
    "and {keyCheck})",
    "PrivateDataZeroGranter": "the zero address cannot be a key service of asset {assetId}",
    "PrivateDataGranterUnchanged": "{granter} is already {allowed} as a key service of asset "
    "{assetId} (True: named, False: not named)",
    "PrivateDataBadWrappedKey": "the wrapped key has {length} bytes; it must have {min} to {max}",
    "PrivateDataUnknownLicense": "license {licenseId} does not exist",
    "PrivateDataNotGranter": "{caller} is neither asset {assetId}'s owner nor a key service its "
    "owner named",
    "PrivateDataNotSealed": "asset {assetId} is not sealed: there is no key to grant",
    "PrivateDataLicenseExpired": "license {licenseId} expired at {expiresAt}: no key is granted "
    "on it",
    "PrivateDataNoAccessScope": "license {licenseId}'s scopes ({scopes}) lack ACCESS (1), which "
    "a key to keep needs",
    "PrivateDataAssetNotListed": "asset {assetId} is not listed (delisted: {delisted}, dispute "
    "status {status}: 1 disputed, 2 taken down): its key goes to no one meanwhile",
    # LabelCampaigns: pools, results, challenges, disputes, claims
    "CampaignUnknown": "campaign {id} does not exist",
    "CampaignParamsMismatch": "these are not campaign {id}'s parameters (they hash to {given}, "
    "not {stored}): pass them as its CampaignCreated event logged them",
    "CampaignNotRequester": "a campaign is created by its requester {requester}, not {caller}",
    "CampaignBadParams": "campaign parameter {field} (1 operator, 2 items root, 3 gold, 4 pool, "
    "5 bond, 6 postBy, 7 challenge window, 8 claim window) cannot be {value}",
    "CampaignWrongValue": "{sent} wei were sent; the call takes exactly {expected}",
    "CampaignBadArrival": "{arrived} of the {requested} requested arrived from {currency}",
    "CampaignWrongStatus": "campaign {id} is in status {status} (0 none, 1 open, 2 posted, "
    "3 finished, 4 disputed); this needs {required}",
    "CampaignNotOperator": "only campaign {id}'s operator {operator} posts its result, not "
    "{caller}",
    "CampaignPostDeadlinePassed": "campaign {id}'s results were due by {postBy} (now {now_})",
    "CampaignGoldRevealMismatch": "the salt and gold root do not open campaign {id}'s "
    "commitment {commitment}",
    "CampaignGoldAlreadyRevealed": "campaign {id}'s gold root was revealed as {revealed}: it "
    "cannot be {given}",
    "CampaignBadTop": "the result's top ({length} nodes) is not a contributors root preimage",
    "CampaignBadTotalWeight": "the result's total weight {totalWeight} must be 1 to 2^96 - 1",
    "CampaignZeroContributor": "a one-contributor result cannot name the zero address",
    "CampaignChallengeWindowOver": "campaign {id}'s challenge window ended at {endedAt}",
    "CampaignReportTooShort": "the report has {length} bytes, less than its 64-byte header",
    "CampaignNotPostedReport": "this report ({reportHash}) with gold root {goldRoot} is not the "
    "one posted for campaign {id}",
    "CampaignReportMatches": "the report {reportHash} agrees with campaign {id}'s result: "
    "nothing to challenge (a dispute goes to the arbiter)",
    "CampaignClaimsNotOpen": "campaign {id}'s claims open at {opensAt}",
    "CampaignClaimsClosed": "campaign {id}'s claim window ended at {endedAt}",
    "CampaignZeroAccount": "the zero address cannot claim",
    "CampaignInvalidProof": "{account} with weight {weight} is not in campaign {id}'s result",
    "CampaignAlreadyClaimed": "{account} has claimed its share of campaign {id} already",
    "CampaignNothingToClaim": "{account}'s share of campaign {id} (weight {weight}) rounds to 0",
    "CampaignTransferFailed": "sending {amount} of {currency} to {to} failed: nothing was "
    "booked (claim to another address with --to)",
    "CampaignBatchTooLarge": "{count} claims in one batch; at most {max}",
    "CampaignNotOver": "campaign {id} cannot be finished before {at}",
    "CampaignNoCredit": "{account} has no credit in {currency}",
    "CampaignBadDeployment": "the campaigns contract needs an arbiter and a ruling timeout",
    "CampaignArbiterRefused": "the arbiter refused campaign {id}'s dispute: nothing changed",
    "CampaignNotArbiter": "only the arbiter {arbiter} rules, not {caller}",
    "CampaignRulingPending": "the arbiter may rule on campaign {id} until {at}; lapse after",
    "CampaignGasTooLow": "{left} gas left, {needed} needed for a capped payout: send again with "
    "a higher gas limit",
    "CampaignZeroRecipient": "the recipient cannot be the zero address",
    "CampaignUnknownCase": "case {caseId} is not the running dispute of its campaign (an "
    "earlier round's, or none)",
}


def explain(err: DecodedError) -> str:
    """A short human reason for a skipped voucher, falling back to the raw error."""
    template = _EXPLAIN.get(err.name)
    if template is None:
        return str(err)
    try:
        return template.format(**{k: _show(v) for k, v in err.args.items()})
    except (KeyError, IndexError):
        return str(err)
