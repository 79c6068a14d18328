// Why the compiled binary's embedded DuckDB did not load, for each cause a user can meet: the
// message names the platform, the cause and what to do or download instead; the error exits 2.
import { describe, expect, test } from "bun:test";
import { DagxError } from "../../../core/errors.ts";
import { dagxCacheRoot } from "../../../io/platform/duckdb-embedded.ts";
import { causeOf, classifyLoadFailure, DuckDBLoadError, explainLoadFailure, type LoadFailureFacts } from "../../../io/platform/duckdb-load-error.ts";

const DOWNLOADS = {
  "linux-x64": "https://example.test/v0.1.0/dagx-linux-x64",
  "linux-arm64": "https://example.test/v0.1.0/dagx-linux-arm64",
  "darwin-arm64": "https://example.test/v0.1.0/dagx-darwin-arm64",
};

function facts(errors: string[], extra: Partial<LoadFailureFacts> = {}): LoadFailureFacts {
  const dirs = ["/home/u/.cache/dagx/duckdb-1.5.5-r.5-abc", "/tmp/dagx-1000/duckdb-1.5.5-r.5-abc"];
  return {
    platform: "linux-x64",
    host: "linux-x64",
    glibc: "2.36",
    musl: false,
    minGlibc: "2.25",
    attempts: errors.map((error, i) => ({ dir: dirs[i]!, error })),
    downloads: DOWNLOADS,
    ...extra,
  };
}

describe("embedded DuckDB load failures", () => {
  test("too-old glibc: names the glibc it has and needs, and the systems that have it", () => {
    const err = "/home/u/.cache/dagx/duckdb-1.5.5-r.5-abc/libduckdb.so: /lib64/libc.so.6: version `GLIBC_2.25' not found (required by /home/u/.cache/dagx/duckdb-1.5.5-r.5-abc/libduckdb.so)";
    const f = facts([err, err.replaceAll("/home/u/.cache/dagx", "/tmp/dagx-1000")], { glibc: "2.17" });
    expect(classifyLoadFailure(f)).toBe("glibc");
    const msg = explainLoadFailure(f);
    expect(msg).toStartWith("dagx cannot load its embedded DuckDB library on linux-x64, glibc 2.17: this system's glibc (2.17) is too old: DuckDB in dagx-linux-x64 needs glibc 2.25 or newer.");
    expect(msg).toContain("Debian 10, Ubuntu 18.04, RHEL/Rocky 8");
    expect(msg).toContain(DOWNLOADS["linux-x64"]);
  });

  test("musl (Alpine with gcompat): no musl build, what to use instead", () => {
    const f = facts(["Error relocating libduckdb.so: __libc_single_threaded: symbol not found"], { glibc: null, musl: true });
    expect(classifyLoadFailure(f)).toBe("musl");
    const msg = explainLoadFailure(f);
    expect(msg).toContain("on linux-x64, musl libc: this Linux uses musl libc (Alpine?), and dagx-linux-x64 is built for glibc");
    expect(msg).toContain("debian:bookworm-slim");
    expect(msg).toContain(DOWNLOADS["linux-x64"]);
  });

  test("a noexec cache folder everywhere: DAGX_DUCKDB_DIR on an executable file system", () => {
    const f = facts(["/home/u/.cache/dagx/duckdb-1.5.5-r.5-abc/duckdb.node: failed to map segment from shared object", "/tmp/dagx-1000/duckdb-1.5.5-r.5-abc/duckdb.node: failed to map segment from shared object"]);
    expect(classifyLoadFailure(f)).toBe("noexec");
    const msg = explainLoadFailure(f);
    expect(msg).toContain("mounted noexec");
    expect(msg).toContain("DAGX_DUCKDB_DIR=");
    // the folder is named once per line, not twice
    expect(msg).toContain("  /tmp/dagx-1000/duckdb-1.5.5-r.5-abc: duckdb.node: failed to map segment");
  });

  test("a missing C++ runtime is named with the package that has it", () => {
    const f = facts(["libstdc++.so.6: cannot open shared object file: No such file or directory"]);
    expect(classifyLoadFailure(f)).toBe("library");
    expect(explainLoadFailure(f)).toContain("missing: libstdc++.so.6");
    expect(explainLoadFailure(f)).toContain("apt-get install libstdc++6");
  });

  test("the wrong binary for this machine: the download for this one", () => {
    const f = facts(["/x/duckdb.node: wrong ELF class: ELFCLASS64"], { platform: "linux-x64", host: "linux-arm64" });
    expect(classifyLoadFailure(f)).toBe("platform");
    expect(explainLoadFailure(f)).toContain(`Download the build for this machine instead: ${DOWNLOADS["linux-arm64"]}`);
  });

  test("unwritable folders, macOS signatures, Windows DLLs, anything else", () => {
    expect(causeOf("ENOTDIR: not a directory, mkdir '/dev/null/dagx'")).toBe("write");
    expect(causeOf("EROFS: read-only file system, open '/ro/duckdb.node.tmp-1'")).toBe("write");
    expect(causeOf("dlopen(/x/duckdb.node, 0x0001): tried: '/x/duckdb.node' (code signature invalid in <...>)")).toBe("signature");
    expect(causeOf("The specified module could not be found.\r\n\\\\?\\C:\\x\\duckdb.node")).toBe("library");
    expect(causeOf("something new")).toBe("unknown");
    const msg = explainLoadFailure(facts(["something new"], { platform: "darwin-arm64", host: "darwin-arm64", glibc: null, minGlibc: undefined }));
    expect(msg).toStartWith("dagx cannot load its embedded DuckDB library on darwin-arm64: the native library failed to load.");
    expect(msg).toContain("dagx doctor");
  });

  test("the error exits 2 as a DagxError (no stack unless --verbose)", () => {
    const e = new DuckDBLoadError(facts(["x: failed to map segment from shared object"]));
    expect(e).toBeInstanceOf(DagxError);
    expect(e.exitCode).toBe(2);
    expect(e.code).toBe("PLATFORM");
    expect(e.reason).toBe("noexec");
  });

  test("cache root: XDG, then %LOCALAPPDATA% on Windows, then ~/.cache", () => {
    expect(dagxCacheRoot({ XDG_CACHE_HOME: "/x", HOME: "/h" }, "linux")).toBe("/x/dagx");
    expect(dagxCacheRoot({ HOME: "/h", LOCALAPPDATA: "/l" }, "linux")).toBe("/h/.cache/dagx");
    expect(dagxCacheRoot({ HOME: "/h", LOCALAPPDATA: "/l" }, "win32")).toBe("/l/dagx");
  });
});
