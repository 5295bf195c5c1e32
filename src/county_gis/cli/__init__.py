"""The ``county-gis`` command: a click group whose commands are thin wrappers.

Each command lives in its own module and is imported only when it runs, so
``county-gis --help`` stays fast (nothing heavy is imported for it). Every error becomes
one line on stderr in Chinese and English and exit code 1 (``cli._options.handle_errors``);
``--debug`` shows the traceback.
Output never fails on a console encoding (``cli/_console.py``).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import click

__all__ = ["main"]

#: command name -> "module:attribute"; add one line per command module.
_COMMANDS = {
    "init": "county_gis.cli.init:init_command",
    "inspect": "county_gis.cli.inspect:inspect",
    "measure": "county_gis.cli.measure:measure",
    "overview": "county_gis.cli.overview:overview",
    "zonal": "county_gis.cli.zonal:zonal",
    "greening": "county_gis.cli.greening:greening",
    "map": "county_gis.cli.map:map_command",
    "progress": "county_gis.cli.progress:progress_command",
    "store": "county_gis.cli.store:store",
    "snapshot": "county_gis.cli.snapshot:snapshot_command",
    "update": "county_gis.cli.update:update_command",
    "compliance": "county_gis.cli.compliance:compliance_command",
    "print": "county_gis.cli.printing:print_command",
    "report": "county_gis.cli.report:report_command",
}
#: the one-line help of each command, shown by ``county-gis --help`` without importing it
_SHORT_HELP = {
    "init": "把一个文件夹写成 project.toml / Scan a folder of layers, write project.toml.",
    "inspect": "查看图层的读取情况 / How each layer of a file is read.",
    "measure": "量算长度面积 / Geodesic length and area of a layer.",
    "overview": "进度表和总览图 / Progress table and overview map.",
    "zonal": "分区统计 / Zonal statistics of a raster.",
    "greening": "遥感变绿核查 / NDVI check of regreening.",
    "map": "交互地图 / Interactive HTML map of a project.",
    "progress": "目标完成进度 / Progress against every target.",
    "snapshot": "记录进度快照 / Record the layers at a date in the history.",
    "update": "导入进度表 / Apply a bureau's progress sheet to the history.",
    "compliance": "三区三线核查 / Check every project against the control lines.",
    "print": "打印地图和图集 / Printed map (PDF / PNG) and the township atlas.",
    "report": "进度通报 / The 进度通报 in Word (and the xlsx), from one computation.",
    "store": "共享库 PostGIS / Push the project's layers into a PostGIS schema.",
}


class _LazyGroup(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        from ._console import readable_console

        readable_console()  # before --help too: never UnicodeEncodeError on cp437 / GBK
        return super().main(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        return getattr(importlib.import_module(module), attribute)  # type: ignore[no-any-return]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands 命令"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="county_gis", prog_name="county-gis")
@click.option("-v", "--verbose", count=True,
              help="更多日志, 出错时显示详情 / More log output (-v info, -vv debug); shows the "
                   "traceback of an error.")
@click.option("--debug", is_flag=True, default=False,
              help="出错时显示完整回溯 / Show the full traceback of an error.")
@click.pass_context
def main(ctx: click.Context, verbose: int, debug: bool) -> None:
    """county_gis: 阜新蒙古族自治县重点工程图层的读取、量算、进度与地图。

    Load, measure and map the project layers of 阜新蒙古族自治县. Start with your own
    folder: `county-gis init FOLDER`, then `county-gis progress FOLDER` and
    `county-gis map FOLDER`. 先运行 init, 再运行 progress 和 map。
    """
    ctx.obj = {"debug": debug or verbose > 0}
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
