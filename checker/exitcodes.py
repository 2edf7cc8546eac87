"""Named exit codes: the contract CI scripts rely on."""

from enum import IntEnum


class Exit(IntEnum):
    """Process exit codes."""

    OK = 0  # the gate passed
    GATE_FAILED = 1  # gaps or error findings
    USAGE = 2  # bad option, configuration or rule pack
    INTERNAL = 3  # a bug: please report it
