import { describe, expect, test } from "bun:test";
import { pythonImports } from "../../../core/pipes/index.ts";

describe("pythonImports()", () => {
  test("import, from … import, relative imports, aliases, parentheses, continuations; comments ignored", () => {
    const text = `import os, sys as system
import lib.features as feats
from helpers import clean, score as s  # a comment: import nothing
from . import sibling
from ..pkg.mod import (
    a,
    b as bee,  # trailing
)
from x \\
    import y
try: import optional_dep
except ImportError: pass
# import commented_out
x = "not an import"; import after_semicolon
def f():
    from inner import thing
`;
    expect(pythonImports(text)).toEqual([
      { level: 0, module: "os", names: [] },
      { level: 0, module: "sys", names: [] },
      { level: 0, module: "lib.features", names: [] },
      { level: 0, module: "helpers", names: ["clean", "score"] },
      { level: 1, module: "", names: ["sibling"] },
      { level: 2, module: "pkg.mod", names: ["a", "b"] },
      { level: 0, module: "x", names: ["y"] },
      { level: 0, module: "optional_dep", names: [] },
      { level: 0, module: "after_semicolon", names: [] },
      { level: 0, module: "inner", names: ["thing"] },
    ]);
  });

  test("a file without imports has none", () => {
    expect(pythonImports("print('import x')\nimported = 1\n")).toEqual([]);
  });
});
