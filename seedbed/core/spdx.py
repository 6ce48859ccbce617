"""License ids for dataset metadata: common SPDX ids, checked offline.

The list is embedded (no network at registration time) and holds the licenses datasets and
models actually use. A license outside it can still be named the SPDX way, `LicenseRef-<id>`.
"""

import re

from seedbed.core.errors import InputError

# Ids exactly as the SPDX License List spells them (https://spdx.org/licenses/).
SPDX_IDS = frozenset(
    {
        # Creative Commons and public-domain dedications
        "CC0-1.0",
        "CC-PDDC",
        "CC-BY-2.0",
        "CC-BY-2.5",
        "CC-BY-3.0",
        "CC-BY-4.0",
        "CC-BY-SA-2.0",
        "CC-BY-SA-3.0",
        "CC-BY-SA-4.0",
        "CC-BY-ND-3.0",
        "CC-BY-ND-4.0",
        "CC-BY-NC-2.0",
        "CC-BY-NC-3.0",
        "CC-BY-NC-4.0",
        "CC-BY-NC-SA-2.0",
        "CC-BY-NC-SA-3.0",
        "CC-BY-NC-SA-4.0",
        "CC-BY-NC-ND-3.0",
        "CC-BY-NC-ND-4.0",
        # Open data licenses
        "ODbL-1.0",
        "ODC-By-1.0",
        "PDDL-1.0",
        "CDLA-Permissive-1.0",
        "CDLA-Permissive-2.0",
        "CDLA-Sharing-1.0",
        "C-UDA-1.0",
        "O-UDA-1.0",
        "OGL-UK-3.0",
        "OGL-Canada-2.0",
        "etalab-2.0",
        "DL-DE-BY-2.0",
        "NLOD-1.0",
        "NLOD-2.0",
        # Responsible-AI licenses for models
        "CreativeML-OpenRAIL-M",
        "BigScience-OpenRAIL-M",
        # Software licenses often applied to code-like datasets and models
        "0BSD",
        "AFL-3.0",
        "AGPL-3.0-only",
        "AGPL-3.0-or-later",
        "Apache-2.0",
        "Artistic-2.0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "BSD-3-Clause-Clear",
        "BSL-1.0",
        "BUSL-1.1",
        "ECL-2.0",
        "EPL-1.0",
        "EPL-2.0",
        "EUPL-1.1",
        "EUPL-1.2",
        "GFDL-1.3-only",
        "GFDL-1.3-or-later",
        "GPL-2.0-only",
        "GPL-2.0-or-later",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
        "ISC",
        "LGPL-2.1-only",
        "LGPL-2.1-or-later",
        "LGPL-3.0-only",
        "LGPL-3.0-or-later",
        "LPPL-1.3c",
        "MIT",
        "MIT-0",
        "MPL-2.0",
        "MS-PL",
        "NCSA",
        "OFL-1.1",
        "OSL-3.0",
        "PostgreSQL",
        "PSF-2.0",
        "Unicode-DFS-2016",
        "Unlicense",
        "UPL-1.0",
        "W3C",
        "WTFPL",
        "Zlib",
    }
)

# Hugging Face license tags with no SPDX id; kept as the tag, without an spdx.org URL.
HUB_LICENSE_TAGS = frozenset(
    {"openrail", "openrail++", "bigcode-openrail-m", "bigscience-bloom-rail-1.0"}
)

_BY_FOLDED = {lid.casefold(): lid for lid in SPDX_IDS | HUB_LICENSE_TAGS}
_LICENSE_REF = re.compile(r"LicenseRef-[A-Za-z0-9.\-]+")


def canonical_license(license_id: str) -> str:
    """The license id as SPDX spells it (matching is case-insensitive, as SPDX says)."""
    text = license_id.strip()
    if _LICENSE_REF.fullmatch(text):
        return text
    found = _BY_FOLDED.get(text.casefold())
    if found is None:
        raise InputError(
            f"Unknown license id {license_id!r}: use an SPDX id such as CC-BY-4.0 or MIT, "
            "or LicenseRef-<name> for a custom license."
        )
    return found


def license_value(license_id: str) -> str:
    """What metadata should say: the SPDX page for a listed license, the id otherwise."""
    lid = canonical_license(license_id)
    return f"https://spdx.org/licenses/{lid}.html" if lid in SPDX_IDS else lid
