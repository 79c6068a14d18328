/**
 * Memory floor (a): a compiled Bun program that does nothing. Built by bench/memory-floor.bench.ts
 * with scripts/build.ts, exactly as dist/dagx (bytecode, minified, embedded source map), so its
 * peak RSS is what Bun's own start costs before any of dagx's code or DuckDB.
 */
export {};
