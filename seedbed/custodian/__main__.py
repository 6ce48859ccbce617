"""`python -m seedbed.custodian --config custodian.toml`: one custodian process."""

import sys

from seedbed.custodian.run import main

if __name__ == "__main__":
    sys.exit(main())
