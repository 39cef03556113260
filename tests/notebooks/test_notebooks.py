"""The notebooks of notebooks/: committed without outputs, and they run from top to bottom.

The slow test executes them in order with nbclient, in one temporary working folder (so that
notebooks 02-04 reuse what 01 wrote, as they do for a user), on a Jupyter kernel of this very
interpreter; a second slow test runs notebook 04 alone, which makes everything it needs itself.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = (  # in the order in which they build on each other
    "01_train.ipynb",
    "02_simulate_lava.ipynb",
    "03_deploy_loihi2.ipynb",
    "04_compare_sim_vs_hw.ipynb",
)
CELL_TIMEOUT_S = 600
"""Longest a single cell may run (training or a Lava run on a loaded 2-core machine)."""


def test_the_notebooks_are_there():
    missing = [name for name in NOTEBOOKS if not (NOTEBOOK_DIR / name).is_file()]
    assert not missing, f"missing notebooks: {missing}"


@pytest.mark.parametrize("path", sorted(NOTEBOOK_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_notebooks_have_stripped_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    for cell in code:
        assert cell.outputs == [], f"{path.name}: a cell has outputs:\n{cell.source[:200]}"
        assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory) -> KernelSpecManager:
    """Kernel specs holding only "python3" = this interpreter (sys.executable), whatever other
    kernels the user or the environment has installed."""
    kernels = tmp_path_factory.mktemp("kernels")
    (kernels / "python3").mkdir()
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (rat-lava tests)",
        "language": "python",
    }
    (kernels / "python3" / "kernel.json").write_text(json.dumps(spec))
    manager = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
    assert manager.get_kernel_spec("python3").argv[0] == sys.executable
    return manager


def execute(name: str, workdir: Path, kernel_specs: KernelSpecManager) -> None:
    """Run every cell of notebook ``name`` with ``workdir`` as working folder; a failing cell
    raises nbclient's CellExecutionError, which names the cell and shows its traceback."""
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    kernel = KernelManager(kernel_name="python3", kernel_spec_manager=kernel_specs)
    client = NotebookClient(
        notebook,
        km=kernel,
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(workdir)}},
    )
    # cleanup_kc: nbclient leaves a kernel it did not start itself running unless told.
    # One BLAS / OpenMP thread per process: Lava runs every process of the network in its own
    # OS process, and on a small shared machine oversubscribed torch threads slow training
    # several times
    client.execute(cleanup_kc=True, env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.mark.slow
def test_the_notebooks_run_in_order(tmp_path, kernel_specs):
    for name in NOTEBOOKS:
        execute(name, tmp_path, kernel_specs)
    work = tmp_path / "runs" / "notebooks"
    for written in ("rat/rat.pt", "rat.net", "rat_loihi2.net", "sim-fixed.h5", "sim-float.h5"):
        assert (work / written).is_file(), f"{written} was not written"
    assert (work / "compare_sim" / "report.md").is_file()


@pytest.mark.slow
def test_notebook_04_runs_alone(tmp_path, kernel_specs):
    execute(NOTEBOOKS[3], tmp_path, kernel_specs)
    assert (tmp_path / "runs" / "notebooks" / "compare_sim" / "velocity.png").is_file()
