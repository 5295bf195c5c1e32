"""``python -m county_gis``: the ``county-gis`` command, for when its script is not on PATH.

On Windows, ``py -3.11 -m county_gis overview`` works right after ``pip install`` even if
the ``Scripts`` folder of the installation is not on PATH.
"""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    main(prog_name="county-gis")
