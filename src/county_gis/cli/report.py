"""``county-gis report``: the 进度通报 (.docx) and the xlsx, from one progress computation.

The 通报 gets the section 三区三线核查 from one :func:`county_gis.compliance` run (the
project's ``[zones.*]``; without them the section says 未核查), unless ``--no-compliance``.
"""

from __future__ import annotations

import click

from ._options import handle_errors, overwrite_option

__all__ = ["report_command"]


@click.command("report")
@click.argument("project", required=False, type=click.Path(exists=True))
@click.option("--docx", "docx", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Write the 进度通报 (公文 form, GB/T 9704) to this .docx.")
@click.option("--xlsx", "xlsx", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Also write the progress workbook (same numbers as the 通报).")
@click.option("--title", default=None, help="标题 of the 通报.")
@click.option("--issuer", default=None, help="落款 (发文机关署名).")
@click.option("--date", "date", default=None, metavar="YYYY-MM-DD",
              help="成文日期 [default: today].")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="数据截至 [default: today].")
@click.option("--lagging-below", type=float, default=90.0, show_default=True,
              help="Completion rate (%) below which a target is listed as lagging.")
@click.option("--no-map", is_flag=True, default=False, help="Leave the A4 map out.")
@click.option("--no-compliance", is_flag=True, default=False,
              help="Leave the section 三区三线核查 (and the map's conflicts layer) out; by "
                   "default the 通报 reports the check against the project's [zones.*], or "
                   "says 未核查 when it has none.")
@click.option("--template", default=None, type=click.Path(exists=True, dir_okay=False),
              help="A .docx with docxtpl tags to use instead of the house style.")
@overwrite_option
@handle_errors
def report_command(project: str | None, docx: str | None, xlsx: str | None,
                   title: str | None, issuer: str | None, date: str | None,
                   as_of: str | None, lagging_below: float, no_map: bool,
                   no_compliance: bool, template: str | None, overwrite: bool) -> None:
    """Write the 进度通报 of PROJECT (default the bundled county project) as an editable Word
    document, and with --xlsx the workbook, both from the same progress results."""
    from .._atomic import check_overwrite
    from ..analysis import progress_details
    from ..project import load_project
    from ..report import ReportFormat, write_report
    from ..tongbao import write_tongbao

    if not docx and not xlsx:
        raise click.UsageError("nothing to write: pass --docx FILE.docx and / or --xlsx "
                               "FILE.xlsx")
    for path in (docx, xlsx):
        if path:
            check_overwrite(path, overwrite)  # fail before the work, not after
    if xlsx and ReportFormat.from_path(xlsx) is not ReportFormat.XLSX:
        raise click.UsageError(f"--xlsx {xlsx}: the workbook needs a .xlsx name")
    loaded = load_project(project)
    details = progress_details(loaded, by="township")
    checked = None  # the 三区三线 check, once, before anything is written
    if docx and not no_compliance:
        from ..analysis import compliance

        checked = compliance(loaded)
    if xlsx:
        write_report(details, xlsx, overwrite=overwrite,
                     title=f"{loaded.name} — 目标任务完成进度")
        click.echo(f"wrote {xlsx}")
    if docx:
        from ._history import project_trend

        write_tongbao(loaded, details, docx, title=title, issuer=issuer, date=date,
                      as_of=as_of, lagging_below=lagging_below, with_map=not no_map,
                      template=template, overwrite=overwrite,
                      trend=project_trend(loaded),  # lamps and 本月新增 with a history
                      compliance=checked)
        click.echo(f"wrote {docx}")
