import { describe, expect, test } from "bun:test";
import { pyCommand } from "../../../io/pipes/index.ts";

describe("pyCommand()", () => {
  test("a plain script runs with $DAGX_PYTHON, else python3", () => {
    expect(pyCommand("a/score.asset.py", "# @group: ml\nprint(1)\n", {})).toEqual({ command: ["python3", "a/score.asset.py"], env: {} });
    expect(pyCommand("s.asset.py", "print(1)\n", { DAGX_PYTHON: ".venv/bin/python" })).toEqual({ command: [".venv/bin/python", "s.asset.py"], env: {} });
  });

  test("a PEP 723 block runs the file with uv run --script, never downloading a Python", () => {
    const text = `# @group: ml\n# /// script\n# dependencies = ["dagster-pipes"]\n# ///\nprint(1)\n`;
    expect(pyCommand("s.asset.py", text, {})).toEqual({ command: ["uv", "run", "--script", "s.asset.py"], env: { UV_PYTHON_DOWNLOADS: "never" } });
    expect(pyCommand("s.asset.py", text, { DAGX_UV: "/opt/uv" }).command[0]).toBe("/opt/uv");
    // an unclosed block, or one that is not a script block, is not PEP 723
    expect(pyCommand("s.asset.py", "# /// script\n# dependencies = []\nprint(1)\n", {}).command[0]).toBe("python3");
    expect(pyCommand("s.asset.py", "# /// pyproject\n# ///\n", {}).command[0]).toBe("python3");
  });
});

describe("pyCommand() with the python entry of dagx.config.ts", () => {
  test("python.executable and python.uv (a path or an argv) are used; $DAGX_PYTHON / $DAGX_UV override them", () => {
    const config = { executable: ["uv", "run", "--project", "py", "python"], uv: "/opt/uv/bin/uv" };
    expect(pyCommand("s.asset.py", "print(1)\n", {}, config).command).toEqual(["uv", "run", "--project", "py", "python", "s.asset.py"]);
    expect(pyCommand("s.asset.py", "print(1)\n", {}, { executable: ".venv/bin/python" }).command).toEqual([".venv/bin/python", "s.asset.py"]);
    expect(pyCommand("s.asset.py", "print(1)\n", { DAGX_PYTHON: "/env/python" }, config).command).toEqual(["/env/python", "s.asset.py"]);
    const pep = "# /// script\n# dependencies = []\n# ///\nprint(1)\n";
    expect(pyCommand("s.asset.py", pep, {}, config)).toEqual({ command: ["/opt/uv/bin/uv", "run", "--script", "s.asset.py"], env: { UV_PYTHON_DOWNLOADS: "never" } });
    expect(pyCommand("s.asset.py", pep, { DAGX_UV: "/env/uv" }, config).command[0]).toBe("/env/uv");
  });
});
