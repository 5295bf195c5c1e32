"""Files that travel between Windows and Linux: legal file names, paths, UTF-8 config files.

Bureau PCs run Windows (cp936 / GBK as the "ANSI" code page, Notepad, backslashes); the
intranet server may run Linux. Three rules keep a project folder and its outputs portable:

- a file name made from data (a project or township name) is legal on Windows too
  (:func:`safe_file_name`);
- a path written in a project file with Windows backslashes also works on Linux
  (:func:`portable_path`);
- a project file is read as UTF-8 with or without Notepad's byte-order mark, and a file saved
  as GBK or a Windows path in a double-quoted TOML string is refused with the fix
  (:func:`county_gis.project.read_project_toml`).

Examples
--------
>>> safe_file_name("阜新县: 重点工程/2023?")
'阜新县_重点工程_2023'
>>> safe_file_name("CON")
'CON_'
>>> text = "数据\\\\道路.shp"
>>> portable_path(text) == (text if os.sep == "\\\\" else "数据/道路.shp")
True
"""

from __future__ import annotations

import os
import re

__all__ = ["WINDOWS_RESERVED", "portable_path", "safe_file_name"]

#: Device names Windows reserves, with or without an extension (``CON.html`` too).
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in "123456789¹²³"}
)
#: Characters Windows refuses in a name (and the separators of both), controls, whitespace runs.
_ILLEGAL = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f\s]+')
#: Bytes of UTF-8 a name may take: file systems allow 255 per name (Chinese takes 3 a character),
#: leaving room for a suffix and the temporary prefix of county_gis._atomic.
MAX_NAME_BYTES = 180


def safe_file_name(text: str, *, default: str = "map") -> str:
    """A file name stem made from ``text`` that is legal on Windows, macOS and Linux.

    Runs of characters Windows refuses (``<>:"/\\|?*``, control characters) and of whitespace
    become ``_``; leading and trailing dots, spaces and ``_`` go (Windows drops trailing dots
    and spaces, a leading dot hides a file on Linux); a reserved device name (``CON``,
    ``NUL``, ``COM1`` ..., alone or before a dot) gets a ``_`` after it; the name is cut to
    :data:`MAX_NAME_BYTES` bytes of UTF-8 on a character boundary. Chinese is kept as it is.

    Parameters
    ----------
    text : str
        A name from the data, such as a project or township name.
    default : str, default "map"
        The stem when nothing of ``text`` is left.

    Examples
    --------
    >>> safe_file_name("  重点工程 (示例数据). ")
    '重点工程_(示例数据)'
    >>> safe_file_name("nul.txt"), safe_file_name("..."), safe_file_name("a\\tb\\nc")
    ('nul_.txt', 'map', 'a_b_c')
    """
    name = _ILLEGAL.sub("_", text).strip(" ._")
    raw = name.encode("utf-8")[:MAX_NAME_BYTES]
    name = raw.decode("utf-8", errors="ignore").rstrip(" ._")
    if not name:
        return default
    stem, dot, rest = name.partition(".")
    if stem.upper() in WINDOWS_RESERVED:  # Windows reserves NUL.txt as much as NUL
        name = f"{stem}_{dot}{rest}"
    return name


def portable_path(text: str) -> str:
    """A relative path from a project file, with Windows backslashes made ``/`` off Windows.

    On Windows both separators work as they are; elsewhere a backslash would be part of a
    file name, so ``数据\\道路.shp`` written on a bureau PC becomes ``数据/道路.shp``.

    Examples
    --------
    >>> portable_path("rasters/ndvi_2023.tif")
    'rasters/ndvi_2023.tif'
    """
    return text if os.sep == "\\" else text.replace("\\", "/")


def _encoding_hint(data: bytes) -> str:
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return ""
    return " (it reads as GBK: saved as ANSI / 简体中文 GBK?)"
