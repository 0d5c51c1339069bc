"""The wheel and sdist carry the built front end, and installing them never needs Node.

`make` builds the bundle (seedance_widgets/_widget/static/studio.js and studio.css, git-ignored)
from js/src before the tests; the hatch build hook (hatch-jupyter-builder, see pyproject.toml)
refuses to make a wheel or sdist without it and does not rebuild it when it is there. Here:
`python -m build` makes the sdist and, from it, the wheel; both are installed into a fresh
virtual environment whose PATH has no `node` or `npm`, and `Studio()` starts from each.
Slow-ish (a fresh venv with the runtime dependencies): marked `packaging`, run by `make test`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1200)]

REPO = Path(__file__).resolve().parents[1]
STATIC = "seedance_widgets/_widget/static"
BUNDLE = (f"{STATIC}/studio.js", f"{STATIC}/studio.css")
SMOKE = (
    "import pathlib, seedance_widgets, sys\n"
    "from seedance_widgets import Studio\n"
    "studio = Studio()\n"
    "assert 'job-adopt' in studio._esm and '.sdw-static' in studio._css\n"
    "print(pathlib.Path(seedance_widgets.__file__).parent)\n"
    "studio.close()\n"
)


def _env_without_node(bin_dir: Path) -> dict[str, str]:
    """The environment with PATH reduced to `bin_dir`, which must hold no node or npm."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"VIRTUAL_ENV", "PYTHONPATH", "OXEN_API_KEY", "OXEN_BASE_URL"}}
    env["PATH"] = str(bin_dir)
    for tool in ("node", "nodejs", "npm", "npx"):
        assert shutil.which(tool, path=env["PATH"]) is None, f"{tool} is still on PATH"
    return env


def _run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = 600) -> str:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, (f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n"
                                  f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bin folder with only this interpreter: build's isolated environments need no more."""
    for path in BUNDLE:
        if not (REPO / path).is_file():
            pytest.fail(f"{path} is missing: run `make js` (make test builds it first)")
    bin_dir = tmp_path_factory.mktemp("bin")
    (bin_dir / "python").symlink_to(sys.executable)
    return bin_dir


@pytest.fixture(scope="module")
def dists(tools: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`python -m build` (sdist, then the wheel from it) with Node out of reach."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
         _env_without_node(tools), REPO)
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    return venv


def test_wheel_and_sdist_carry_the_bundle(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = set(wheel.namelist())
        for path in BUNDLE:
            assert path in names, f"{path} not in the wheel"
            assert wheel.read(path) == (REPO / path).read_bytes()
    assert "seedance_widgets/py.typed" in names  # type checkers read the package's hints
    assert not any(n.startswith(("js/", "node_modules/")) for n in names)
    with tarfile.open(dists["sdist"]) as sdist:
        members = {m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name}
    for path in (*BUNDLE, "package.json", "package-lock.json", "js/src/index.js"):
        assert path in members, f"{path} not in the sdist"
    assert not any(m.startswith("node_modules/") for m in members)


def test_installed_wheel_and_sdist_run_without_node(dists: dict[str, Path], fresh_venv: Path,
                                                    tmp_path: Path) -> None:
    env = _env_without_node(fresh_venv / "bin")
    python = str(fresh_venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run([*pip, str(dists["wheel"])], env, tmp_path, timeout=900)
    where = _run([python, "-c", SMOKE], env, tmp_path).strip().splitlines()[-1]
    assert Path(where).is_relative_to(fresh_venv), where  # the installed copy, not the tree
    # The sdist builds its wheel (in pip's isolated build environment) without Node too.
    _run([*pip, "--force-reinstall", "--no-deps", str(dists["sdist"])], env, tmp_path,
         timeout=900)
    _run([python, "-c", SMOKE], env, tmp_path)


def test_no_wheel_without_the_bundle(tools: Path, tmp_path: Path) -> None:
    """A checkout without the bundle and without Node cannot make a wheel."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                           check=True).stdout.decode().split("\0")
    tree = tmp_path / "tree"
    for name in filter(None, files):
        if (REPO / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, tree / name)
    assert not (tree / BUNDLE[0]).exists()
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir",
                           str(tmp_path / "out"), str(tree)], env=_env_without_node(tools),
                          cwd=tree, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert not list((tmp_path / "out").glob("*.whl"))
