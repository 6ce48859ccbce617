"""`ape run campaign` as a user runs it (in this process, as the script fuzzers do), on the
suite's LabelCampaigns: `labels commit` → `campaign create` → `labels score` of a synthetic
export (four careful annotators, one spammer, eight gold items) → `campaign post` → status →
claims once the challenge window is over → finish; a challenge of a report that contradicts
its result; a dispute ruled by the suite's panel (the deployer alone); and every refusal one
`error:` line that sends nothing and writes nothing.

Roles: TEST::1 requests, TEST::2 operates, TEST::5..8 annotate (mapped by names.csv), the
spammer is TEST::3 (so it is not in the result), TEST::4 challenges and disputes, TEST::0 is
the panel."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from lifecycle_helpers import write_campaign

from seedbed.core.campaigns import Campaign, items_root, published_report
from seedbed.core.keccak import keccak
from seedbed.core.treefile import ContributorTree
from seedbed.workflows.campaigns import read_items

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from script_fuzzkit import Runner, assert_refused  # noqa: E402

PANEL, REQUESTER, OPERATOR, SPAMMER, CHALLENGER = 0, 1, 2, 3, 4
ANNOTATORS = (5, 6, 7, 8)
POOL, BOND = 10**18, 10**17
HOUR, DAY = 3_600, 86_400


@pytest.fixture(scope="module")
def runner(chain, deployments_dir, tmp_path_factory):
    return Runner(chain, deployments_dir, tmp_path_factory.mktemp("campaign-cwd"))


def ok(outcome) -> str:
    assert outcome.code == 0, outcome.explain()
    assert "Traceback" not in outcome.stderr
    return outcome.stdout


def data(outcome) -> dict:
    return json.loads(ok(outcome))


def refused(outcome, phrase: str) -> str:
    line = assert_refused(outcome)
    assert phrase.lower() in line.lower(), line
    return line


def later(chain, seconds: int) -> None:
    chain.pending_timestamp += seconds
    chain.mine()


@dataclass
class World:
    """A created campaign, its inputs and the scored result (not posted yet)."""

    id: int
    params: Campaign
    folder: Path
    gold: Path
    salt: str
    scored: Path
    tree: Path
    annotators: list[str]
    create_args: list

    def campaign(self, runner, *args, account=OPERATOR, **kw):
        return runner("campaign", *[str(a) for a in args], account=account, **kw)


@pytest.fixture
def world(runner, accounts, tmp_path) -> World:
    labels = write_campaign(tmp_path / "labels")
    people = [f"ann{i}@example.org" for i in range(4)] + ["spam@example.org"]
    who = [accounts[n].address for n in (*ANNOTATORS, SPAMMER)]
    labels.names.write_text(
        "name,address\n" + "".join(f"{p},{a}\n" for p, a in zip(people, who, strict=True))
    )
    items = tmp_path / "items.txt"
    items.write_text("".join(f"{i}\n" for i in range(1, 41)))
    commit = tmp_path / "commit.json"
    commit.write_text(ok(runner("labels", "commit", "--gold", labels.gold, "--json", account=None)))
    sealed = json.loads(commit.read_text())
    create = ["create", "--operator", accounts[OPERATOR].address, "--pool", "1", "--bond",
              "0.1", "--items", items, "--gold-commitment", commit, "--challenge", "1h",
              "--claim", "2d"]  # fmt: skip
    made = data(runner("campaign", *create, "--json", account=REQUESTER))
    scored = tmp_path / "scored"
    ok(runner("labels", "score", labels.export, "--label-studio", "--out", scored,
              "--addresses", labels.names, "--gold", labels.gold, "--salt", sealed["salt"],
              "--commitment", sealed["commitment"], account=None))  # fmt: skip
    p = made["params"]
    params = Campaign(
        p["requester"], p["currency"], p["pool"], bytes.fromhex(p["items_root"][2:]),
        bytes.fromhex(p["gold_commitment"][2:]), p["operator"], p["bond"], p["post_by"],
        p["challenge_window"], p["claim_window"],
    )  # fmt: skip
    return World(made["id"], params, tmp_path, labels.gold, sealed["salt"], scored,
                 scored / "contributors.sbtree", who[:4], create)  # fmt: skip


def post(runner, world, *extra):
    args = ["--scored", world.scored, "--gold", world.gold, "--salt", world.salt, *extra]
    return data(world.campaign(runner, "post", world.id, *args, "--json"))


@contextlib.contextmanager
def served(folder: Path):
    """An HTTP server of `folder` on a free local port, for as long as the block runs."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # not on the script's stderr
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def weights(world) -> dict[str, int]:
    with ContributorTree.load(world.tree) as tree:
        return {"0x" + a.hex(): w for a, w in tree.items()}


# -- the lifecycle -------------------------------------------------------------------------------


def test_a_campaign_runs_from_the_gold_commitment_to_its_finish(runner, world, suite, chain,
                                                                accounts):  # fmt: skip
    c, cid = suite.campaigns, world.id
    assert bytes(c.paramsHash(cid)) == world.params.hash()
    assert world.params.items_root == items_root([str(i) for i in range(1, 41)])
    # The export's task ids are the same items: the same root.
    export = world.folder / "labels" / "export.json"
    assert items_root(read_items(export)) == world.params.items_root
    assert int(c.state(cid).remaining) == POOL
    # Re-run after a crash: the campaign committed to this gold is found, not escrowed twice.
    rerun = world.campaign(runner, *world.create_args, "--json", account=REQUESTER)
    assert data(rerun)["already"] and data(rerun)["id"] == cid and rerun.sent == 0
    refused(world.campaign(runner, *world.create_args, "--bond", "0.2", account=REQUESTER),
            "committed to this gold already")  # fmt: skip
    assert "posts the result until" in ok(world.campaign(runner, "status", cid))

    done = post(runner, world)
    assert not done["already"] and done["total"] == sum(weights(world).values())
    published = (world.scored / "published-report.bin").read_bytes()
    quality = (world.scored / "quality-report.json").read_bytes()
    gold_root = bytes.fromhex(json.loads(quality)["inputs"]["gold"])
    assert published == published_report(bytes.fromhex(done["root"][2:]), gold_root, quality)
    assert done["report_hash"] == "0x" + keccak(published).hex()
    again = world.campaign(runner, "post", cid, "--scored", world.scored, "--json")
    assert data(again)["already"] and again.sent == 0  # a re-run resumes: nothing sent

    first, second, third, fourth = world.annotators
    refused(world.campaign(runner, "claim", cid, "--tree", world.tree, account=ANNOTATORS[0]),
            "claims open after its challenge window")  # fmt: skip
    later(chain, HOUR + 1)
    text = ok(world.campaign(runner, "status", cid))
    assert f"campaign {cid}: posted" in text and "annotators claim until" in text

    w, total = weights(world), done["total"]
    share = {a: POOL * w[a.lower()] // total for a in world.annotators}
    own = data(world.campaign(runner, "claim", cid, "--tree", world.tree, "--json",
                              account=ANNOTATORS[0]))  # fmt: skip
    assert own["claimed"][0]["amount"] == share[first]
    refused(world.campaign(runner, "claim", cid, "--tree", world.tree, account=ANNOTATORS[0]),
            "has claimed its share")  # fmt: skip
    refused(world.campaign(runner, "claim", cid, "--tree", world.tree, account=SPAMMER),
            "is not in campaign")  # fmt: skip

    before = accounts[ANNOTATORS[1]].balance
    ok(world.campaign(runner, "claim", cid, "--tree", world.tree, "--for", second,
                      account=CHALLENGER))  # fmt: skip
    assert accounts[ANNOTATORS[1]].balance - before == share[second]
    cold = accounts[9].address
    before = accounts[9].balance
    ok(world.campaign(runner, "claim", cid, "--tree", world.tree, "--to", cold,
                      account=ANNOTATORS[2]))  # fmt: skip
    assert accounts[9].balance - before == share[third]

    before = accounts[ANNOTATORS[3]].balance
    run = data(world.campaign(runner, "claim-all", cid, "--tree", world.tree, "--json",
                              account=CHALLENGER))  # fmt: skip
    assert [r["account"] for r in run["claimed"]] == [fourth] and run["skipped"] == 3
    assert accounts[ANNOTATORS[3]].balance - before == share[fourth]
    rerun = world.campaign(runner, "claim-all", cid, "--tree", world.tree, "--json",
                           account=CHALLENGER)  # fmt: skip
    assert data(rerun)["claimed"] == [] and rerun.sent == 0

    st = data(world.campaign(runner, "status", cid, "--json"))
    claims = {r["account"]: r for r in st["info"]["claims"]}
    assert {a: r["amount"] for a, r in claims.items()} == share
    assert claims[third]["to"] == cold

    refused(world.campaign(runner, "finish", cid, account=CHALLENGER), "claims run until")
    later(chain, 2 * DAY)
    refused(world.campaign(runner, "claim-all", cid, "--tree", world.tree, account=CHALLENGER),
            "claim window ended")  # fmt: skip
    operator_before = accounts[OPERATOR].balance
    requester_before = accounts[REQUESTER].balance
    end = data(world.campaign(runner, "finish", cid, "--json", account=CHALLENGER))
    assert end["refund"] == POOL - sum(share.values()) and end["bond_returned"] == BOND
    assert accounts[REQUESTER].balance - requester_before == end["refund"]
    assert accounts[OPERATOR].balance - operator_before == BOND
    text = ok(world.campaign(runner, "status", cid))
    assert "campaign is finished" in text and "finished: " in text
    refused(world.campaign(runner, "finish", cid, account=CHALLENGER), "is finished")


def test_a_report_that_contradicts_its_result_is_challenged_and_the_bond_slashed(
    runner, world, suite, chain, accounts
):
    c, cid, p = suite.campaigns, world.id, world.params
    quality = (world.scored / "quality-report.json").read_bytes()
    gold_root = bytes.fromhex(json.loads(quality)["inputs"]["gold"])
    with ContributorTree.load(world.tree) as tree:
        top = tree.top()
    # The operator posts the tree but publishes a report whose header names another root.
    bad = published_report(keccak(b"another result"), gold_root, quality)
    salt = bytes.fromhex(world.salt[2:])
    c.postResult(cid, p.t(), top, keccak(bad), salt, gold_root, value=BOND,
                 sender=accounts[OPERATOR])  # fmt: skip
    report = world.folder / "report.bin"
    report.write_bytes(bad)
    refused(world.campaign(runner, "challenge", cid, "--report", world.scored /
                           "quality-report.json", account=CHALLENGER, watch=[world.folder]),
            "is not campaign")  # fmt: skip

    before = accounts[CHALLENGER].balance
    with served(world.folder) as url:  # as a challenger finds it: published online
        refused(world.campaign(runner, "challenge", cid, "--report", f"{url}/gone.bin",
                               account=CHALLENGER), "cannot download")  # fmt: skip
        done = data(world.campaign(runner, "challenge", cid, "--report", f"{url}/report.bin",
                                   "--json", account=CHALLENGER))  # fmt: skip
    assert done["to_challenger"] == BOND // 2 and done["to_requester"] == BOND - BOND // 2
    assert accounts[CHALLENGER].balance > before  # half the bond, less the gas
    assert int(c.state(cid).status) == 1
    assert int(c.credit(p.requester, p.currency)) == BOND - BOND // 2

    before = accounts[REQUESTER].balance
    took = data(world.campaign(runner, "withdraw", "--json", account=REQUESTER))
    assert took[0]["amount"] == BOND - BOND // 2
    assert accounts[REQUESTER].balance > before
    refused(world.campaign(runner, "withdraw", account=REQUESTER), "nothing to withdraw")

    # Posted again, honestly: its own report agrees with it, and is not challenged.
    post(runner, world)
    refused(world.campaign(runner, "challenge", cid, "--report", world.scored /
                           "published-report.bin", account=CHALLENGER),
            "agrees with campaign")  # fmt: skip
    later(chain, HOUR + 1)
    refused(world.campaign(runner, "challenge", cid, "--report", report, account=CHALLENGER),
            "challenge window ended")  # fmt: skip


def test_a_dispute_goes_to_the_panel_which_upholds_then_dismisses_a_repost(
    runner, world, suite, chain, accounts, tmp_path
):
    c, cid = suite.campaigns, world.id
    # The requester reveals the gold first: the post carries it without --gold or --salt.
    reveal = ["reveal", cid, "--gold", world.gold, "--salt", world.salt]
    gold_root = data(world.campaign(runner, *reveal, "--json", account=REQUESTER))["gold_root"]
    refused(world.campaign(runner, *reveal, account=REQUESTER), "revealed already")
    done = data(world.campaign(runner, "post", cid, "--scored", world.scored, "--json"))
    assert done["gold_root"] == gold_root
    evidence = tmp_path / "recomputed.json"
    evidence.write_text('{"weights": "not what the labels give"}')
    opened = data(world.campaign(runner, "dispute", cid, "--evidence", evidence, "--json",
                                 account=CHALLENGER))  # fmt: skip
    assert opened["case_id"] == 1 << 128 | cid and opened["bond"] == BOND
    later(chain, HOUR + 1)  # a dispute holds the claims, whatever the time
    refused(world.campaign(runner, "claim", cid, "--tree", world.tree, account=ANNOTATORS[0]),
            "at the arbiter")  # fmt: skip
    refused(world.campaign(runner, "rule", cid, "--upheld", account=SPAMMER),
            "not a member of the arbiter panel")  # fmt: skip
    vote = data(world.campaign(runner, "rule", cid, "--upheld", "--json", account=PANEL))
    assert vote["ruled"] and vote["status"] == "open"
    assert int(c.credit(accounts[CHALLENGER].address, world.params.currency)) == 2 * BOND
    took = data(world.campaign(runner, "withdraw", "--json", account=CHALLENGER))
    assert took[0]["amount"] == 2 * BOND

    # The operator posts again (a new round): disputed again, dismissed, the result stands.
    assert not post(runner, world)["already"]
    again = data(world.campaign(runner, "dispute", cid, "--evidence", evidence, "--json",
                                account=CHALLENGER))  # fmt: skip
    assert again["case_id"] == 2 << 128 | cid
    vote = data(world.campaign(runner, "rule", cid, "--dismissed", "--json", account=PANEL))
    assert vote["ruled"] and vote["status"] == "posted"
    later(chain, 1)
    run = data(world.campaign(runner, "claim-all", cid, "--tree", world.tree, "--json",
                              account=CHALLENGER))  # fmt: skip
    assert len(run["claimed"]) == 4


def test_a_dispute_the_panel_leaves_unanswered_lapses_and_the_result_stands(
    runner, world, suite, chain, accounts
):
    cid = world.id
    post(runner, world)
    ok(world.campaign(runner, "dispute", cid, "--evidence", world.tree, account=CHALLENGER))
    refused(world.campaign(runner, "lapse", cid, account=CHALLENGER), "has until")
    later(chain, int(suite.campaigns.RULING_TIMEOUT()) + 1)
    assert data(world.campaign(runner, "lapse", cid, "--json"))["bond_returned"] == BOND
    st = data(world.campaign(runner, "status", cid, "--json"))
    assert st["info"]["status"] == 2 and st["credits"] == {accounts[CHALLENGER].address: BOND}
    later(chain, 1)
    ok(world.campaign(runner, "claim-all", cid, "--tree", world.tree, account=CHALLENGER))


def test_an_erc20_campaign_needs_the_allowance_or_approve(runner, world, accounts, project,
                                                           deployer, suite):  # fmt: skip
    token = deployer.deploy(project.MockERC20, "Test USD", "TUSD", 18)
    token.mint(accounts[REQUESTER], 10**20, sender=deployer)
    fresh = world.folder / "fresh-commit.json"  # a new campaign commits to fresh gold
    fresh.write_text(ok(runner("labels", "commit", "--gold", world.gold, "--json", account=None)))
    args = ["create", "--operator", accounts[OPERATOR].address, "--pool", "5", "--bond", "1",
            "--items", world.folder / "items.txt", "--gold-commitment", fresh,
            "--token", token.address]  # fmt: skip
    refused(world.campaign(runner, *args, account=REQUESTER), "--approve")
    made = data(world.campaign(runner, *args, "--approve", "--json", account=REQUESTER))
    assert made["params"]["currency"] == token.address and made["params"]["pool"] == 5 * 10**18
    assert int(token.balanceOf(suite.campaigns)) == 5 * 10**18


# -- refusals ------------------------------------------------------------------------------------


def test_every_refusal_is_one_error_line_and_changes_nothing(runner, world, chain, tmp_path):
    cid, f = world.id, world.folder

    def no(*args, phrase, account=OPERATOR):
        refused(world.campaign(runner, *args, account=account, watch=[f]), phrase)

    no("status", 999, phrase="campaign 999 does not exist")
    no("claim", 0, "--tree", world.tree, phrase="not a campaign id")
    no("post", cid, "--scored", world.scored, account=REQUESTER, phrase="only campaign")
    no("challenge", cid, "--report", world.tree, phrase="no result standing")
    no("finish", cid, phrase="may post a result until")
    no("withdraw", phrase="nothing to withdraw")
    no("rule", cid, "--upheld", account=PANEL, phrase="no result standing")

    treeless = f / "treeless"
    treeless.mkdir()
    (treeless / "quality-report.json").write_bytes(
        (world.scored / "quality-report.json").read_bytes()
    )
    no("post", cid, "--scored", treeless, phrase="no contributors tree")
    no(
        "post",
        cid,
        "--scored",
        world.scored,
        "--salt",
        world.salt,
        phrase="--salt goes with --gold",
    )
    wrong_gold = f / "wrong-gold.json"
    wrong_gold.write_text('{"1": "cat"}')
    no("post", cid, "--scored", world.scored, "--gold", wrong_gold, "--salt", world.salt,
       phrase="not the campaign's gold commitment")  # fmt: skip

    broken = f / "broken.json"
    broken.write_text('{"1": ')
    no("reveal", cid, "--gold", broken, "--salt", world.salt, phrase="is not valid JSON")
    no("reveal", cid, "--gold", wrong_gold, "--salt", world.salt,
       phrase="not the campaign's gold commitment")  # fmt: skip

    create = ["create", "--operator", world.params.operator, "--pool", "1", "--bond", "0.1",
              "--gold-commitment", f / "commit.json"]  # fmt: skip
    for text, phrase in (("[1, 2", "not valid JSON"), ("a\nb\na\n", "listed twice"),
                         ("\n\n", "lists no item"), ('[{"data": {}}]', "with an id")):  # fmt: skip
        bad = f / "bad-items.txt"
        bad.write_text(text)
        no(*create, "--items", bad, account=REQUESTER, phrase=phrase)
    items = f / "items.txt"
    no(*create[:-1], "0x" + "00" * 32, "--items", items, account=REQUESTER,
       phrase="non-zero 32-byte commitment")  # fmt: skip
    no(*create, "--items", items, "--claim", "400d", account=REQUESTER, phrase="--claim must be")
    no(*create, "--items", items, "--pool", "0", account=REQUESTER, phrase="--pool must be")

    post(runner, world)
    no("claim", cid, "--tree", f / "missing.sbtree", account=ANNOTATORS[0],
       phrase="no contributors tree")  # fmt: skip
    no("claim", cid, "--tree", world.tree, "--for", world.annotators[0], "--to",
       world.annotators[1], phrase="cannot be combined")  # fmt: skip
    later(chain, HOUR + 1)
    no("dispute", cid, "--evidence", world.tree, account=CHALLENGER,
       phrase="challenge window ended")  # fmt: skip
