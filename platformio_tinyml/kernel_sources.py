"""Which CMSIS-NN source files a build needs: those defining what the generated engine, the runtime
and the project's own code use, and what those files use in turn. Compiling only these keeps a
clean build's output to the files that matter (the linker would drop the rest anyway).

The C is read as text: a definition is a function or array whose declaration starts a line (CMSIS-NN's
layout), a use is any identifier naming a definition. Reading too much only compiles a file more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_ATTRIBUTE = re.compile(r"__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)")
# `type name(` or `type name[` at the start of a line, up to the body or initializer.
_DEFINITION = re.compile(r"^[A-Za-z_][\w \t*]*?\b([A-Za-z_]\w*)\s*[(\[]", re.M)
_IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*\b")
USER_SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".h", ".hpp")


def _code(path: Path) -> str:
    return _ATTRIBUTE.sub(" ", _COMMENT.sub(" ", path.read_text(encoding="utf-8", errors="replace")))


def _definitions(code: str) -> set[str]:
    """Names this file defines (a declaration that ends in a body or an initializer, not a `;`)."""
    names = set()
    for match in _DEFINITION.finditer(code):
        rest = code[match.end():]
        ends = [i for i in (rest.find(";"), rest.find("{"), rest.find("=")) if i >= 0]
        if ends and rest[min(ends)] in "{=":
            names.add(match.group(1))
    return names


def needed_sources(library_sources: Path, users: Iterable[Path]) -> list[Path]:
    """The .c files under `library_sources` that the files `users` reach, directly or through each
    other, sorted by path."""
    codes = {path: _code(path) for path in sorted(library_sources.rglob("*.c"))}
    defined_in = {}
    for path, code in codes.items():
        for name in _definitions(code):
            defined_in.setdefault(name, path)
    needed: set[Path] = set()
    pending = [_code(path) for path in users]
    while pending:
        for name in set(_IDENTIFIER.findall(pending.pop())):
            path = defined_in.get(name)
            if path is not None and path not in needed:
                needed.add(path)
                pending.append(codes[path])
    return sorted(needed)


def user_sources(*folders: Path) -> list[Path]:
    """The C/C++ files (and headers, which may hold inline calls) under the given folders."""
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*")
                  if path.is_file() and path.suffix.lower() in USER_SOURCE_SUFFIXES)
