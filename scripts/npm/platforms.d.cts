/** Types of platforms.cjs (plain Node CommonJS, shipped in the `dagx` npm package as lib/platforms.js). */
export interface Target {
  /** `linux-x64`: the release binary's `<os>-<arch>`. */
  platform: string;
  /** `dagx-linux-x64`, `dagx-windows-x64.exe`: the file in dist/ and in a release. */
  file: string;
  /** `@dagx/linux-x64`: the npm package carrying it. */
  pkg: string;
  /** npm's `os` and `cpu` (Node's `process.platform` / `process.arch`). */
  os: string;
  cpu: string;
  /** npm's `libc`, Linux only. */
  libc?: string;
  description: string;
}
export declare const TARGETS: readonly Target[];
export declare const DOWNLOAD_BASE: string;
export declare const BINARY_PATH_ENV: string;
export declare function binaryInPackage(target: Target): string;
export declare function downloadUrl(version: string, target: Pick<Target, "file">): string;
export declare function findBinary(): { path: string; error?: undefined } | { error: string; path?: undefined };
export declare function hostTarget(): Target | null;
export declare function isMusl(): boolean;
