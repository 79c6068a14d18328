/**
 * Environment and secrets: the project's `.env`, how `env()` references are looked up, and the
 * process's one redactor, which every output channel goes through (the CLI's two streams, the
 * state store's writes, the dev worker's messages, console output of user code).
 * The only door into io/secrets/.
 */
export { declareEnvironmentSecrets, loadDotEnv, projectEnv } from "./dotenv.ts";
export { declareSecrets, redact, redactConsole, redactingStore, redactor } from "./redactor.ts";
