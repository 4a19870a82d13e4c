#!/usr/bin/env python3
"""Fails on an import loop inside a crate: module A uses module B which (through others) uses A.

Reads every `crate::<module>` path in each crate's `src/` (in `use` lines and inline), maps it to
the top-level module it names (a file `src/<module>.rs` or a folder `src/<module>/`), and looks for
strongly connected components among those modules. The crate root (`lib.rs`, which declares the
modules and holds the router and the state every handler receives) is not a module here; tests
(`#[cfg(test)]` blocks) are skipped. In `make lint`.

usage: scripts/check-structure.py [crate dir ...]   (default: every crate under crates/)
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
USE_GROUP = re.compile(r"\buse\s+crate::\{([^}]*)\}", re.S)


def modules(src: Path) -> dict[str, list[Path]]:
    """Top-level module name -> its files."""
    found: dict[str, list[Path]] = {}
    for path in src.iterdir():
        if path.suffix == ".rs" and path.stem not in ("lib", "main"):
            found.setdefault(path.stem, []).append(path)
        elif path.is_dir() and path.name != "bin":
            found.setdefault(path.name, []).extend(sorted(path.rglob("*.rs")))
    return found


def without_tests(text: str) -> str:
    """The code up to its first `#[cfg(test)]` (tests sit at the end of our files), without
    comments: a documentation link is no dependency."""
    code = text.split("#[cfg(test)]", 1)[0]
    return "\n".join(line.split("//", 1)[0] for line in code.splitlines())


def references(text: str) -> set[str]:
    names = set(PATH.findall(text))
    for group in USE_GROUP.findall(text):
        for item in group.split(","):
            head = item.strip().split("::", 1)[0].strip()
            if head and head[0].islower():
                names.add(head)
    return names


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def check(crate: Path) -> list[str]:
    src = crate / "src"
    if not src.is_dir():
        return []
    mods = modules(src)
    graph = {name: set() for name in mods}
    for name, files in mods.items():
        for file in files:
            for target in references(without_tests(file.read_text())):
                if target in mods and target != name:
                    graph[name].add(target)
    problems = []
    for component in cycles(graph):
        edges = [f"{a} → {b}" for a in component for b in sorted(graph[a]) if b in component]
        problems.append(f"{crate.name}: import loop among {', '.join(component)} ({'; '.join(edges)})")
    return problems


def main() -> int:
    crates = [Path(a) for a in sys.argv[1:]] or sorted(p for p in (ROOT / "crates").iterdir() if p.is_dir())
    problems = [p for crate in crates for p in check(crate)]
    for problem in problems:
        print(f"fail: {problem}")
    if problems:
        return 1
    print(f"structure: no import loop inside {len(crates)} crates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
