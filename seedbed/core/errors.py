"""One exception type for every expected failure: it carries one clear sentence.

Scripts turn it into one line on stderr and a non-zero exit (see `seedbed.cli.errors`).
"""


class SeedbedError(Exception):
    """An expected failure (bad input, wrong network, too little balance...)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(SeedbedError):
    """The user's input (a folder, a file, an argument) is unusable."""

    exit_code = 2


class ChainError(SeedbedError):
    """The chain refused or cannot be reached, or the deployment is missing."""

    exit_code = 3
