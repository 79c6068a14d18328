import { describe, expect, test } from "bun:test";
import { env } from "../../core/env.ts";
import { postgresTable, postgresTableOptionsOf, postgresTableProblem } from "../../core/postgres-table.ts";

describe("postgresTable options", () => {
  test("checks its options at load, never showing a literal URL", () => {
    expect(postgresTableProblem({ url: env("DATABASE_URL") })).toBeNull();
    expect(postgresTableProblem({ url: env("DATABASE_URL"), schema: "analytics", name: "pg" })).toBeNull();
    expect(postgresTableProblem({})).toContain("postgresTable needs url");
    expect(postgresTableProblem({ url: env("X"), bucket: "b" })).toBe('postgresTable has no option "bucket": use url, schema, lockTimeoutMs or name');
    expect(postgresTableProblem({ url: env("X"), schema: "My Schema" })).toContain("postgresTable's schema must be a plain lower-case name");
    const literal = postgresTableProblem({ url: "mysql://u:hunter2secret@h/db" })!;
    expect(literal).toContain("must be a postgres:// or postgresql:// URL");
    expect(literal).not.toContain("hunter2secret");
  });

  test("the URL is a secret whatever the variable's name", () => {
    const ref = env("DATABASE_URL");
    expect(ref.secret).toBe(false);
    const options = postgresTableOptionsOf(postgresTable({ url: ref }))!;
    expect((options.url as typeof ref).secret).toBe(true);
    expect((options.url as typeof ref).name).toBe("DATABASE_URL");
    expect(postgresTable({ url: ref }).name).toBe("postgres");
    expect(() => postgresTable({ url: env("X"), schema: "A-B" })).toThrow(TypeError);
  });
});
