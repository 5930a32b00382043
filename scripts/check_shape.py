"""List qprlib modules over 500 lines and functions over 60 lines (issue 15's limits).

Run: `.venv/bin/python scripts/check_shape.py` (exit 1 while any limit is exceeded).
"""

import ast
import sys
from pathlib import Path

MODULE_LINES, FUNCTION_LINES = 500, 60
ROOT = Path(__file__).resolve().parent.parent / "qprlib"


def main() -> int:
    over = []
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT.parent)
        if len(text.splitlines()) > MODULE_LINES:
            over.append(f"{name}: {len(text.splitlines())} lines (limit {MODULE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > FUNCTION_LINES:
                    over.append(f"{name}:{node.lineno} {node.name}(): {length} lines")
    print("\n".join(over) or "every module and function within the limits")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
