/**
 * Which OS and CPU an executable or library is for, read from its header (ELF e_machine, PE
 * machine, Mach-O cputype), and the highest glibc symbol version an ELF file needs. Used by the
 * build (the embedded library's glibc floor goes into the binary's load-error message) and by
 * the tests that check every release binary without running it.
 */
import { fatSlices, MH_MAGIC_64 } from "./macho.ts";

export interface ExecutableFormat {
  os: "linux" | "darwin" | "windows";
  arch: "x64" | "arm64";
  /** `ELF`, `Mach-O`, `Mach-O universal`, `PE32+`. */
  format: string;
}

const ELF_MACHINE: Record<number, "x64" | "arm64"> = { 62: "x64", 183: "arm64" };
const PE_MACHINE: Record<number, "x64" | "arm64"> = { 0x8664: "x64", 0xaa64: "arm64" };
const MACHO_CPU: Record<number, "x64" | "arm64"> = { 0x01000007: "x64", 0x0100000c: "arm64" };

/** The format of `buf` (the first few KB of a file are enough), or null when none of the three. */
export function executableFormat(buf: Uint8Array): ExecutableFormat | null {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length >= 20 && v.getUint32(0) === 0x7f454c46) {
    const arch = ELF_MACHINE[v.getUint16(18, buf[5] === 1)];
    return arch ? { os: "linux", arch, format: "ELF" } : null;
  }
  if (buf.length >= 8 && v.getUint32(0, true) === MH_MAGIC_64) {
    const arch = MACHO_CPU[v.getUint32(4, true)];
    return arch ? { os: "darwin", arch, format: "Mach-O" } : null;
  }
  const slices = fatSlices(buf);
  if (slices?.length === 1) {
    const arch = MACHO_CPU[slices[0]!.cputype];
    return arch ? { os: "darwin", arch, format: "Mach-O universal" } : null;
  }
  if (buf.length >= 64 && buf[0] === 0x4d && buf[1] === 0x5a) {
    const pe = v.getUint32(0x3c, true);
    if (pe + 6 > buf.length || v.getUint32(pe) !== 0x50450000) return null;
    const arch = PE_MACHINE[v.getUint16(pe + 4, true)];
    return arch ? { os: "windows", arch, format: "PE32+" } : null;
  }
  return null;
}

/** Highest `GLIBC_x.y[.z]` version named in an ELF file (its version needs), e.g. `2.25`; null when none. */
export function maxGlibcVersion(buf: Uint8Array): string | null {
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("latin1");
  let best: number[] | null = null;
  for (const m of text.matchAll(/GLIBC_(\d+)\.(\d+)(?:\.(\d+))?\0/g)) {
    const v = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
    if (!best || v[0]! > best[0]! || (v[0] === best[0] && (v[1]! > best[1]! || (v[1] === best[1] && v[2]! > best[2]!)))) best = v;
  }
  return best ? `${best[0]}.${best[1]}${best[2] ? `.${best[2]}` : ""}` : null;
}
