/**
 * The web app's files (web/index.html and what it loads), served by io/ui/server.ts with the
 * security headers. The HTML import is bundled for the browser by `bun build --compile` (the
 * compiled binary holds the files: `app.files`); run from source, the same entry is bundled once in
 * memory with Bun.build on the first request. Nothing is fetched from the network either way.
 */
import app from "../../web/index.html";

/** One file of the bundle. */
export interface AppFile {
  /** URL path it is served at (`/chunk-1hjmjxyd.js`; the page is `/index.html`). */
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** A strong validator of the bytes. */
  etag: string;
}

/** The bundle: the page, and its scripts and styles by URL path. */
export interface AppBundle {
  index: AppFile;
  files: Map<string, AppFile>;
  /** Sum of the files' sizes, bytes. */
  bytes: number;
  /** Whether it came from the compiled binary (else bundled now from web/). */
  embedded: boolean;
}

let loading: Promise<AppBundle> | null = null;

/** The app's bundle, built or read once per process. */
export function loadAppBundle(): Promise<AppBundle> {
  loading ??= readBundle().catch((e) => {
    loading = null;
    throw e;
  });
  return loading;
}

const base = (p: string) => `/${p.split("/").pop()!}`;
const etagOf = (bytes: Uint8Array) => `"${Bun.hash(bytes).toString(36)}"`;

async function readBundle(): Promise<AppBundle> {
  const files = new Map<string, AppFile>();
  let index: AppFile | null = null;
  if (app.files?.length) {
    for (const f of app.files) {
      const bytes = new Uint8Array(await Bun.file(f.path).arrayBuffer());
      const file = { path: f.loader === "html" ? "/index.html" : base(f.path), bytes, contentType: f.headers["content-type"], etag: etagOf(bytes) };
      files.set(file.path, file);
      if (f.loader === "html") index = file;
    }
  } else {
    const built = await Bun.build({ entrypoints: [app.index], target: "browser", minify: true, publicPath: "/" });
    if (!built.success) throw new Error(`the web app did not bundle:\n${built.logs.map(String).join("\n")}`);
    for (const o of built.outputs) {
      const bytes = new Uint8Array(await o.arrayBuffer());
      const html = o.path.endsWith(".html");
      const file = { path: html ? "/index.html" : base(o.path), bytes, contentType: o.type, etag: etagOf(bytes) };
      files.set(file.path, file);
      if (html) index = file;
    }
  }
  if (!index) throw new Error("the web app's bundle has no HTML page");
  let bytes = 0;
  for (const f of files.values()) bytes += f.bytes.length;
  return { index, files, bytes, embedded: Boolean(app.files?.length) };
}
