"""Head-office import: the neutral format (``docs/import.md``) into the hub, and adapters.

``run_import(hub, directory, progress=...)`` loads a directory; ``online_retail.convert(...)``
turns the UCI Online Retail file into that format.
"""

from cloud.importing.errors import UnusableInput
from cloud.importing.run import run_import
from cloud.importing.tally import ImportReport

__all__ = ["ImportReport", "UnusableInput", "run_import"]
