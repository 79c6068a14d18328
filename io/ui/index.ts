/**
 * The web UI's server (`dagx ui`, and `dagx dev` unless --no-ui): the app bundled into the binary,
 * the JSON API of core/ui-api.ts, the live change stream, security (DESIGN §11, §13).
 * The only door into io/ui/: other folders import from here, never a file behind it.
 */
export { startUiServer } from "./server.ts";
export type { UiServer, UiServerOptions } from "./server.ts";
export { createToken, CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from "./security.ts";
export { loadAppBundle } from "./app-files.ts";
export { dagxCommand } from "./launch.ts";
export { createChangeFeed } from "./change-feed.ts";
export type { ChangeFeed } from "./change-feed.ts";
