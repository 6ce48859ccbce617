"""Exclude rules: gitignore-style matching on relative POSIX paths, and the ignore file."""

import pytest

from seedbed.core.errors import InputError
from seedbed.core.manifest import (
    DEFAULT_EXCLUDES,
    IGNORE_FILE,
    ExcludeRules,
    folder_rules,
    parse_ignore_file,
)

# (pattern, path, is the path a folder, excluded?)
CASES = [
    ("*.pyc", "a.pyc", False, True),
    ("*.pyc", "deep/er/a.pyc", False, True),
    ("*.pyc", "a.pyc.txt", False, False),
    ("__pycache__/", "pkg/__pycache__", True, True),
    ("__pycache__/", "pkg/__pycache__", False, False),  # dir/ matches only folders
    (".DS_Store", "x/.DS_Store", False, True),
    ("/build", "build", True, True),
    ("/build", "src/build", True, False),  # a leading slash anchors at the top
    ("doc/*.txt", "doc/a.txt", False, True),
    ("doc/*.txt", "x/doc/a.txt", False, False),  # a middle slash anchors too
    ("doc/*.txt", "doc/sub/a.txt", False, False),  # * does not cross a slash
    ("**/logs", "a/b/logs", True, True),
    ("**/logs", "logs", True, True),
    ("a/**/z", "a/z", False, True),
    ("a/**/z", "a/b/c/z", False, True),
    ("data/**", "data/x/y.csv", False, True),
    ("data/**", "data", True, False),
    ("?.csv", "a.csv", False, True),
    ("?.csv", "ab.csv", False, False),
    ("[ab].csv", "b.csv", False, True),
    ("[!ab].csv", "c.csv", False, True),
    ("[!ab].csv", "a.csv", False, False),
    ("\\#notes", "#notes", False, True),
    ("\\!x", "!x", False, True),
    ("caf\u00e9.txt", "d/caf\u00e9.txt", False, True),
    ("a+b(1).txt", "a+b(1).txt", False, True),  # regex characters are literal
    ("[oops", "[oops", False, True),  # no closing bracket: a literal bracket
]


@pytest.mark.parametrize(("pattern", "path", "is_dir", "excluded"), CASES)
def test_a_pattern_matches_as_gitignore_would(pattern, path, is_dir, excluded):
    assert (ExcludeRules([pattern]).match(path, is_dir) == pattern) is excluded


def test_the_last_matching_rule_wins_and_negation_re_includes():
    rules = ExcludeRules(["*.log", "!keep.log", "keep.log.d/"])
    assert rules.match("a.log", False) == "*.log"
    assert rules.match("x/keep.log", False) is None
    rules = ExcludeRules(["!keep.log", "*.log"])  # order matters
    assert rules.match("keep.log", False) == "*.log"


def test_ignore_file_drops_comments_and_blanks_and_trailing_spaces():
    text = "# a comment\n\n*.tmp   \n  \nlogs/\n\\#literal\n!keep.tmp\r\n"
    assert parse_ignore_file(text) == ["*.tmp   ", "logs/", "\\#literal", "!keep.tmp"]
    rules = ExcludeRules(parse_ignore_file(text))
    assert rules.texts == ("*.tmp", "logs/", "\\#literal", "!keep.tmp")
    assert rules.match("x.tmp", False) == "*.tmp"


def test_an_empty_pattern_is_refused():
    with pytest.raises(InputError, match="matches nothing"):
        ExcludeRules(["/"])
    with pytest.raises(InputError, match="matches nothing"):
        ExcludeRules(["!"])


def test_folder_rules_are_ours_then_defaults_then_ignore_file_then_extra(tmp_path):
    (tmp_path / IGNORE_FILE).write_text("# local\n*.tmp\n")
    assert folder_rules(tmp_path, ["x/"]) == ["/.seedbed/", *DEFAULT_EXCLUDES, "*.tmp", "x/"]
    assert folder_rules(tmp_path, defaults=False) == ["/.seedbed/", "*.tmp"]


def test_an_unreadable_ignore_file_is_one_error(tmp_path):
    (tmp_path / IGNORE_FILE).write_bytes(b"\xff\xfe*.tmp\n")
    with pytest.raises(InputError, match="is not UTF-8"):
        folder_rules(tmp_path)
