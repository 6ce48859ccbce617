"""Key custodians: independent services that each hold one Shamir share of a dataset key and
release it, wrapped to the requester's public key, to the holder of an ACCESS license that
PrivateData says is releasable now. Any k of n give the key back (seedbed.client.custodians);
fewer tell nothing. No ape in this process: it reads the chain by plain JSON-RPC."""
