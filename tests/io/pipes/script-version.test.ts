import { afterAll, describe, expect, test } from "bun:test";
import { makeProject, removeProject, writeFile } from "../../cli/helpers.ts";
import { pipesScriptsVersion, pythonClosure, pythonImportsVersion } from "../../../io/pipes/index.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

function project(files: Record<string, string>): string {
  const dir = makeProject(files, "dagx-py-closure-");
  dirs.push(dir);
  return dir;
}

describe("pythonClosure()", () => {
  test("follows local modules and packages recursively, from the script's folder and the project root; ignores the rest", () => {
    const dir = project({
      "ml/score.asset.py": "import os, json\nimport helpers\nfrom lib.features import build\nfrom . import sibling\nimport pandas as pd\n",
      "ml/helpers.py": "from lib import util\n",
      "ml/sibling.py": "x = 1\n",
      "lib/__init__.py": "",
      "lib/features.py": "from .util import f\n",
      "lib/util.py": "import numpy\n",
      "lib/unused.py": "",
      "unrelated.py": "",
      ".venv/lib/python3.12/site-packages/pandas/__init__.py": "",
      "pandas_like/__init__.py": "",
    });
    expect(pythonClosure(dir, `${dir}/ml/score.asset.py`)).toEqual(["lib/__init__.py", "lib/features.py", "lib/util.py", "ml/helpers.py", "ml/sibling.py"]);
  });

  test("the imports' version changes with a helper's text, not with an unrelated file's; a cycle ends", () => {
    const dir = project({ "a.asset.py": "import h\n", "h.py": "import g\nV = 1\n", "g.py": "import h\n", "other.py": "" });
    const v1 = pythonImportsVersion(dir, `${dir}/a.asset.py`);
    writeFile(dir, "other.py", "changed = True\n");
    expect(pythonImportsVersion(dir, `${dir}/a.asset.py`)).toBe(v1);
    writeFile(dir, "g.py", "import h\nW = 2\n");
    expect(pythonImportsVersion(dir, `${dir}/a.asset.py`)).not.toBe(v1);
    expect(pythonImportsVersion(dir, `${dir}/other.py`)).toBe("");
  });

  test("a pipesAsset's Python script: its command's version follows the script's imports", () => {
    const dir = project({ "scripts/score.py": "from helpers import f\n", "scripts/helpers.py": "def f(): return 1\n" });
    const v1 = pipesScriptsVersion(dir, ["python3", "scripts/score.py"]);
    writeFile(dir, "scripts/helpers.py", "def f(): return 2\n");
    expect(pipesScriptsVersion(dir, ["python3", "scripts/score.py"])).not.toBe(v1);
  });
});
