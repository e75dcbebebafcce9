"""The quickstart notebook runs top to bottom and shows the map inline."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # executes the tutorial notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01-quickstart.ipynb"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_quickstart_notebook_executes(tmp_path, default_plan):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    # the same scenario, seed and time limit give the same plan in another process
    assert f"'closure': '{default_plan.kpis()['closure']}'" in text
    assert "'bound_hours'" in text and "'gap'" in text  # the road solver's status, bound and gap are shown
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "leaflet" in html.lower() and "1-CAB-WHL" in html  # the map, with the routes
