"""Make an offline install bundle (内网离线安装包): county_gis and every dependency as wheels.

Run from the repository root, on a machine with access to PyPI::

    python scripts/bundle.py --platform win_amd64 --python-version 3.11
    python scripts/bundle.py --platform manylinux_2_28_x86_64 --python-version 3.12 --out D:/bundle
    python scripts/bundle.py --constraint tested.txt   # pin to what the tests ran with

It builds county_gis's wheel from this checkout (``python -m build --wheel --no-isolation``:
the map assets and the bundled project go inside; ``--wheel FILE`` uses a wheel built before),
then ``pip download --only-binary=:all: --platform ... --python-version ...`` fetches a wheel of
every dependency for the target into ``<out>/wheels/``. pip evaluates environment markers for
the machine it runs on, not for ``--platform`` (a Linux host misses ``colorama;
platform_system == "Windows"`` of click, say), so the script then reads every wheel's
``Requires-Dist``, evaluates the markers for the target platform and downloads what is still
missing, until the set is closed; it fails if a requirement has no wheel for the target.

It writes ``<out>/安装说明.txt`` (the install steps in Chinese, UTF-8 with BOM for Notepad),
``<out>/install.bat`` (Windows) or ``<out>/install.sh``, ``<out>/requirements.txt`` (what is
in the bundle, pinned) and prints the bundle's size. Install on the intranet machine with::

    python -m pip install --no-index --find-links wheels county_gis

Check a bundle without installing (from any machine)::

    pip install --dry-run --ignore-installed --no-index --find-links <out>/wheels \\
        --platform win_amd64 --python-version 3.11 --only-binary=:all: --target /tmp/x county_gis
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]

#: Marker values of the target platforms (PEP 508), by the start of the platform tag.
PLATFORMS = {
    "win_amd64": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
                  "platform_machine": "AMD64"},
    "win32": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
              "platform_machine": "x86"},
    "win_arm64": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
                  "platform_machine": "ARM64"},
    "manylinux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    "musllinux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    "macosx": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
}

#: What a wheel cannot carry: named in the install text, with where to get it on Windows.
INSTALL_TEXT = """\
county_gis {version} 离线安装包（{platform}，Python {python}）
================================================================

本文件夹可在不能访问互联网的内网电脑上安装 county_gis
（阜新蒙古族自治县重点工程空间分析与制图工具）。
wheels\\ 文件夹里有 county_gis 本身和它需要的全部 {count} 个 Python 包（共 {size}）。
地图所需的 Leaflet 等脚本、样式及其许可证，以及示例项目（县界、乡镇、示例图层和栅格）都已包含在
county_gis 的 wheel 里，不需要 npm，也不需要联网。

一、先准备好（wheel 装不进去、需要另外拷入内网的东西）
  1. Python {python}（64 位）。Windows：从 https://www.python.org/downloads/windows/ 下载
     “Windows installer (64-bit)”（python-{python}.x-amd64.exe），与本文件夹一起拷入内网；
     安装时勾选 “Add python.exe to PATH”。版本必须是 {python}：本包的二进制 wheel 只适用于它。
  2. 浏览器：用 Microsoft Edge（Windows 10/11 自带）或 Chrome、Firefox 打开生成的地图；
     不支持 IE。地图文件是自包含的单个 HTML，离线即可打开。
  3. 中文字体：网页地图使用系统字体，Windows 自带的“微软雅黑”（C:\\Windows\\Fonts\\msyh.ttc）、
     “宋体”即可，无需安装。打印版地图 / 图表如缺字（显示为方框），请确认系统里有上述字体；
     Linux 服务器上安装 fonts-wqy-microhei 或 fonts-noto-cjk（发行版软件源）。
  4. 如导入时报 “DLL load failed”：安装微软 “Visual C++ Redistributable 2015-2022 (x64)”
     （vc_redist.x64.exe，下载自
      https://learn.microsoft.com/cpp/windows/latest-supported-vc-redist ，
     拷入内网后双击安装）。GDAL、PROJ 等地理库已包含在 wheel 里，不需另装。
  5. 在线底图（天地图、OSM 等）在内网通常无法加载；默认底图为“无”，离线可用。
     天地图需要自己的密钥（--tianditu-key），内网可用本地瓦片目录（--basemap local）。

二、安装（在本文件夹中打开“命令提示符”或 PowerShell）
  方法 A：双击 install.bat（它执行下面的命令）。
  方法 B：手动执行：
      {python_cmd} -m venv county-gis-env
      county-gis-env\\Scripts\\activate
      python -m pip install --no-index --find-links wheels county_gis
  （--no-index --find-links wheels：只从本文件夹安装，不访问任何软件源。）

三、运行
      county-gis overview
  在当前文件夹生成 maps\\overview.html（示例项目的进度表和总览地图），用浏览器打开即可。
  自己的项目：county-gis overview D:\\项目\\project.toml --out-dir D:\\项目\\地图
  更多命令：county-gis --help

四、中文显示
  命令行输出为 UTF-8（Windows 终端、PowerShell 7 可直接显示中文）。旧的“命令提示符”如显示乱码，
  先执行 chcp 65001，或设置环境变量 PYTHONUTF8=1；输出重定向到文件时按系统代码页（GBK）写入，
  系统代码页里没有的字符显示为 “?”，不会中断运行。
  project.toml 请以 UTF-8 编码保存（记事本“另存为”→ 编码选 UTF-8）；路径可写 '数据\\道路.shp'
  （单引号）或 "数据/道路.shp"。

本包内容清单见 requirements.txt。制作方法：county_gis 源码中的 scripts/bundle.py。
"""

BAT = """\
@echo off
rem county_gis offline install: only from the wheels folder next to this file, no network.
cd /d "%~dp0"
{python_cmd} -m venv county-gis-env || goto :error
call county-gis-env\\Scripts\\activate.bat || goto :error
python -m pip install --no-index --find-links wheels county_gis || goto :error
echo.
echo county_gis installed. Run:  county-gis-env\\Scripts\\county-gis overview
goto :eof
:error
echo Installation failed: see the message above.
exit /b 1
"""

SH = """\
#!/bin/sh
# county_gis offline install: only from the wheels folder next to this file, no network.
set -e
cd "$(dirname "$0")"
python{python} -m venv county-gis-env
county-gis-env/bin/python -m pip install --no-index --find-links wheels county_gis
echo "county_gis installed. Run: county-gis-env/bin/county-gis overview"
"""


def target_environment(platform: str, python: str) -> dict[str, str]:
    """PEP 508 marker values of the target (``platform`` tag, ``python`` as ``3.11``)."""
    key = next((k for k in PLATFORMS if platform.startswith(k)), None)
    if key is None:
        raise SystemExit(f"unknown platform {platform!r}; known prefixes: {', '.join(PLATFORMS)}")
    env = dict(default_environment())
    env.update(PLATFORMS[key])
    if key in ("manylinux", "musllinux", "macosx"):
        env["platform_machine"] = ("x86_64" if platform.endswith("x86_64") else
                                   "aarch64" if platform.endswith("aarch64") else
                                   "arm64" if platform.endswith("arm64") else
                                   env["platform_machine"])
    env.update({"python_version": python, "python_full_version": f"{python}.0",
                "implementation_name": "cpython", "platform_python_implementation": "CPython"})
    return env


def _metadata(wheel: Path) -> tuple[str, list[Requirement]]:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(name).decode("utf-8"))
    return meta["Name"], [Requirement(r) for r in meta.get_all("Requires-Dist") or []]


def missing_requirements(folder: Path, env: dict[str, str],
                         roots: list[Requirement]) -> list[Requirement]:
    """Requirements (with their markers true for ``env``) that no wheel in ``folder`` meets.

    Walks from ``roots`` through the wheels' ``Requires-Dist``, extras included.
    """
    wheels = {}
    for path in folder.glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(path.name)
        wheels[name] = (version, path)
    missing, seen = [], set()
    todo = [(r, "") for r in roots]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({**env, "extra": extra}):
            continue
        key = (canonicalize_name(req.name), tuple(sorted(req.extras)))
        if key in seen:
            continue
        seen.add(key)
        found = wheels.get(canonicalize_name(req.name))
        if found is None or (req.specifier and not req.specifier.contains(found[0],
                                                                          prereleases=True)):
            missing.append(req)
            continue
        _, requires = _metadata(found[1])
        todo += [(r, "") for r in requires]
        todo += [(r, e) for e in req.extras for r in requires]
    return missing


def _pip_download(requirements: list[str], dest: Path, platform: str, python: str,
                  constraint: Path | None = None) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check",
           "--only-binary=:all:", "--platform", platform, "--python-version", python,
           "--implementation", "cp", "--dest", str(dest), *requirements]
    if constraint is not None:
        cmd += ["--constraint", str(constraint)]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def build_wheel(out: Path) -> Path:
    """Build county_gis's wheel from this checkout into ``out``; return it."""
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(out), str(ROOT)], check=True)
    wheels = sorted(out.glob("county_gis-*.whl"), key=lambda p: p.stat().st_mtime)
    return wheels[-1]


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", default="win_amd64",
                        help="wheel platform tag of the target: win_amd64 (default), "
                             "manylinux_2_28_x86_64, macosx_11_0_arm64, ...")
    parser.add_argument("--python-version", default="3.11",
                        help="Python of the target, as 3.11 (default)")
    parser.add_argument("--out", type=Path, default=None,
                        help="bundle folder (default: dist/county_gis-<platform>-py<version>)")
    parser.add_argument("--wheel", type=Path, default=None,
                        help="county_gis wheel to bundle (default: build one from this checkout)")
    parser.add_argument("--constraint", type=Path, default=None,
                        help="pip constraints file: pin the versions to bundle, e.g. those the "
                             "tests ran with (pip freeze > tested.txt)")
    args = parser.parse_args(argv)
    python = args.python_version
    if not re.fullmatch(r"3\.\d+", python):
        parser.error(f"--python-version {python!r}: give major.minor, such as 3.11")
    out = args.out or ROOT / "dist" / f"county_gis-{args.platform}-py{python}"
    wheels = out / "wheels"
    if out.exists() and any(out.iterdir()):
        parser.error(f"{out} exists and is not empty; remove it or choose another --out")
    wheels.mkdir(parents=True, exist_ok=True)

    wheel = args.wheel or build_wheel(wheels)
    if args.wheel:
        (wheels / wheel.name).write_bytes(wheel.read_bytes())
        wheel = wheels / wheel.name
    version = str(parse_wheel_filename(wheel.name)[1])
    _pip_download([str(wheel)], wheels, args.platform, python, args.constraint)

    env = target_environment(args.platform, python)
    roots = [Requirement(f"county_gis=={version}")]
    for _ in range(10):  # pip's markers were the host's: add what the target needs
        missing = missing_requirements(wheels, env, roots)
        if not missing:
            break
        print("markers for the target add:", ", ".join(map(str, missing)), flush=True)
        _pip_download([str(r) for r in missing], wheels, args.platform, python,
                      args.constraint)
    else:
        raise SystemExit(f"still missing after 10 rounds: {', '.join(map(str, missing))}")

    pins = sorted(f"{parse_wheel_filename(p.name)[0]}=={parse_wheel_filename(p.name)[1]}"
                  for p in wheels.glob("*.whl"))
    (out / "requirements.txt").write_text("\n".join(pins) + "\n", encoding="utf-8")
    windows = env["platform_system"] == "Windows"
    python_cmd = f"py -{python}" if windows else f"python{python}"
    size = _size(wheels)
    text = INSTALL_TEXT.format(version=version, platform=args.platform, python=python,
                               count=len(pins), size=f"{size / 1e6:.0f} MB",
                               python_cmd=python_cmd)
    if not windows:
        text = text.replace("county-gis-env\\Scripts\\activate",
                            "source county-gis-env/bin/activate")
    (out / "安装说明.txt").write_text(text.replace("\n", "\r\n") if windows else text,
                                    encoding="utf-8-sig")
    if windows:
        (out / "install.bat").write_bytes(BAT.format(python_cmd=python_cmd)
                                          .replace("\n", "\r\n").encode("utf-8"))
    else:
        script = out / "install.sh"
        script.write_text(SH.format(python=python), encoding="utf-8")
        script.chmod(0o755)
    print(f"bundle: {out} — {len(pins)} wheels, {size / 1e6:.1f} MB "
          f"({_size(out) / 1e6:.1f} MB with the texts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
