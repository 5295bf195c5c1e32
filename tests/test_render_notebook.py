"""notebooks/01-quickstart.ipynb runs top to bottom (nbclient, local kernel, no network)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01-quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for o in outputs)
    assert "county area 6,215.0 km² (geodesic, GRS80)" in text
    assert "GPKG 22 features; CRS: EPSG:4490" in text
    # the township rows of the rural-roads target add up to its county row
    found = re.search(r"rural roads completed: ([\d,.]+) km over \d+ townships = ([\d,.]+) km", text)
    assert found and found.group(1) == found.group(2)
    assert "self-contained: True | online tiles: none" in text
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("data-asset" in h and "leaflet.js" in h for h in html)  # the map displayed inline
