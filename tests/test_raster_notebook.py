"""notebooks/02-regreening-check.ipynb runs top to bottom (nbclient, local kernel, no network)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02-regreening-check.ipynb"


@pytest.mark.slow
def test_regreening_notebook_runs(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for o in outputs)
    assert "ndvi_2023.tif  580 x 420 px" in text
    assert "elevation (m)" in text
    assert "115 completed plots of 135 mine-restoration / afforestation plots" in text
    assert "greened" in text and "green_share" in text
    assert "regreening.html (" in text and "self-contained" in text
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("data-asset" in h and "leaflet.js" in h for h in html)  # the map displayed inline
