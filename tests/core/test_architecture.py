"""Structural rules of DESIGN §4: dependencies point one way, every hook is documented and tested."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pluggy

from core import hookspecs

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_core_never_imports_a_plugin() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "core").rglob("*.py")
                 if any(m == "plugins" or m.startswith("plugins.") for m in _imports(p))]
    assert offenders == []


def test_plugins_never_import_each_other() -> None:
    plugins = [p.name for p in (ROOT / "plugins").iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    assert {"providers_vipreseller", "payment_trakteer", "notify_whatsapp"} <= set(plugins)
    offenders = []
    for name in plugins:
        for path in (ROOT / "plugins" / name).rglob("*.py"):
            for module in _imports(path):
                parts = module.split(".")
                if parts[0] == "plugins" and len(parts) > 1 and parts[1] != name:
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def _hook_names() -> list[str]:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return sorted(name for name in dir(pm.hook) if not name.startswith("_"))


def test_every_hook_has_a_docstring_with_params() -> None:
    for name in _hook_names():
        doc = getattr(hookspecs, name).__doc__ or ""
        assert ":returns:" in doc and ":param" in doc, name


def test_every_hook_is_documented_in_docs_plugins_md() -> None:
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    missing = [name for name in _hook_names() if not re.search(rf"^#+ .*`{name}`", text, re.M)]
    assert missing == []


def test_every_hook_is_exercised_by_a_test() -> None:
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py")
                      if p.name != "test_architecture.py")
    missing = [name for name in _hook_names() if name not in tests]
    assert missing == []


def test_no_float_literals_near_amounts_in_core() -> None:
    """Money is integer Rupiah: no float literal or float() call on a line naming an *_idr amount."""
    offenders = []
    for path in (ROOT / "core").rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "_idr" in line and (re.search(r"\bfloat\(", line) or re.search(r"(?<![\w.])\d+\.\d+(?![\w.])", line)):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
