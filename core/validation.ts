/**
 * The validation library the "dagx" module ships as `v` (valibot), so an asset's `config` schema
 * needs nothing installed — the compiled binary's users may have no node_modules. valibot implements
 * Standard Schema, like zod and arktype, which `config` accepts too. Why valibot: docs/ARCHITECTURE.md
 * ("Per-run config"): the smallest addition to the binary among the well-kept libraries measured.
 */
import * as v from "valibot";

export { v };
