"""scripts/bundle.py (the offline intranet bundle), without the network.

The download itself (``pip download``) is network and not part of the suite; here tiny fake
wheels stand in for it: the marker closure for the target platform, the install texts.
"""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import ROOT


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle = _load("bundle")


def _wheel(folder: Path, name: str, version: str, requires: list[str] = ()) -> Path:
    path = folder / f"{name}-{version}-py3-none-any.whl"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}-{version}.dist-info/METADATA", meta)
    return path


@pytest.fixture
def wheels(tmp_path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    _wheel(folder, "county_gis", "0.1.0", ["click>=8.1", "rich>=13",
                                           "colorama; platform_system == 'Windows'",
                                           "pytest; extra == 'test'"])
    _wheel(folder, "click", "8.1.7")
    _wheel(folder, "rich", "12.0.0", ["pygments[plugins]>=2"])  # too old for rich>=13
    _wheel(folder, "pygments", "2.18.0", ["importlib-metadata; extra == 'plugins'",
                                          "pywin32; sys_platform == 'win32' and extra == 'x'"])
    return folder


def test_the_closure_evaluates_markers_for_the_target_not_the_host(wheels):
    roots = [Requirement("county_gis==0.1.0")]
    windows = bundle.target_environment("win_amd64", "3.11")
    linux = bundle.target_environment("manylinux_2_28_x86_64", "3.11")
    assert (windows["sys_platform"], windows["platform_system"], windows["python_version"]) == (
        "win32", "Windows", "3.11")
    assert sorted(map(str, bundle.missing_requirements(wheels, windows, roots))) == [
        "colorama; platform_system == \"Windows\"", "rich>=13"]
    assert sorted(map(str, bundle.missing_requirements(wheels, linux, roots))) == ["rich>=13"]
    _wheel(wheels, "rich", "13.7.1", ["pygments[plugins]>=2"])
    (wheels / "rich-12.0.0-py3-none-any.whl").unlink()
    # rich 13 asks pygments with its 'plugins' extra: that extra's requirement counts
    assert sorted(map(str, bundle.missing_requirements(wheels, linux, roots))) == [
        "importlib-metadata; extra == \"plugins\""]
    _wheel(wheels, "importlib_metadata", "8.0.0")
    _wheel(wheels, "colorama", "0.4.6")
    assert bundle.missing_requirements(wheels, windows, roots) == []


def test_an_unknown_platform_is_refused_with_the_known_ones():
    with pytest.raises(SystemExit, match=r"unknown platform 'amiga'; known prefixes: win_amd64, "
                       r"win32, win_arm64, manylinux, musllinux, macosx"):
        bundle.target_environment("amiga", "3.11")


def test_the_bundle_folder_has_the_wheels_and_the_chinese_install_text(tmp_path, wheels,
                                                                      monkeypatch, capsys):
    (wheels / "rich-12.0.0-py3-none-any.whl").unlink()
    calls = []

    def fake_download(requirements, dest, platform, python, constraint=None):  # pip's job
        calls.append((requirements, platform, python))
        for path in wheels.glob("*.whl"):
            (dest / path.name).write_bytes(path.read_bytes())
        _wheel(dest, "rich", "13.7.1")
        if any(r.startswith("colorama") for r in requirements):
            _wheel(dest, "colorama", "0.4.6")

    monkeypatch.setattr(bundle, "_pip_download", fake_download)
    out = tmp_path / "县 bundle"
    assert bundle.main(["--wheel", str(wheels / "county_gis-0.1.0-py3-none-any.whl"),
                        "--out", str(out)]) == 0
    # first the wheel with its dependencies, then what the Windows markers add
    assert [c[0][0].rsplit("/", 1)[-1] for c in calls[:1]] == ["county_gis-0.1.0-py3-none-any.whl"]
    assert calls[1] == (["colorama; platform_system == \"Windows\""], "win_amd64", "3.11")
    assert (out / "requirements.txt").read_text(encoding="utf-8").splitlines() == [
        "click==8.1.7", "colorama==0.4.6", "county-gis==0.1.0", "pygments==2.18.0",
        "rich==13.7.1"]
    raw = (out / "安装说明.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # Notepad: UTF-8 BOM, CRLF
    text = raw.decode("utf-8-sig")
    assert "python -m pip install --no-index --find-links wheels county_gis" in text
    assert "py -3.11 -m venv county-gis-env" in text
    for piece in ("微软雅黑", "Visual C++ Redistributable", "python-3.11.x-amd64.exe", "Edge"):
        assert piece in text
    bat = (out / "install.bat").read_bytes()
    assert bat.isascii() and b"--no-index --find-links wheels county_gis" in bat
    assert capsys.readouterr().out.rstrip().splitlines()[-1].startswith(
        f"bundle: {out} — 5 wheels, ")
    with pytest.raises(SystemExit):  # never into a folder that has something in it
        bundle.main(["--wheel", str(wheels / "county_gis-0.1.0-py3-none-any.whl"),
                     "--out", str(out)])
