/**
 * Just enough Mach-O for the release build and its tests, without Apple's tools:
 * - universal ("fat") files: list the slices, cut out one (`thinMachO`): DuckDB ships one
 *   `libduckdb.dylib` for both macOS CPUs and each binary needs only its own half;
 * - the header: CPU, file type, minimum macOS (`LC_BUILD_VERSION` / `LC_VERSION_MIN_MACOSX`);
 * - the code signature: `verifyCodeSignature` parses `LC_CODE_SIGNATURE`, the SuperBlob and its
 *   CodeDirectory and recomputes every page hash and special-slot hash over the file, as the
 *   kernel does when it pages the file in on Apple silicon (an invalid signature: killed at launch).
 */
import { createHash } from "node:crypto";

export const MH_MAGIC_64 = 0xfeedfacf;
const FAT_MAGIC = 0xcafebabe;
export const CPU_TYPE = { x64: 0x01000007, arm64: 0x0100000c } as const;
const LC_CODE_SIGNATURE = 0x1d;
const LC_VERSION_MIN_MACOSX = 0x24;
const LC_BUILD_VERSION = 0x32;
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CS_ADHOC = 0x2;
const HASHES: Record<number, string> = { 1: "sha1", 2: "sha256" };

export interface FatSlice {
  cputype: number;
  offset: number;
  size: number;
}

/** Slices of a universal file (big-endian `fat_header`); null when `buf` is not one. */
export function fatSlices(buf: Uint8Array): FatSlice[] | null {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 8 || v.getUint32(0) !== FAT_MAGIC) return null;
  const n = v.getUint32(4);
  const out: FatSlice[] = [];
  for (let i = 0; i < n; i++) {
    const at = 8 + i * 20;
    out.push({ cputype: v.getUint32(at), offset: v.getUint32(at + 8), size: v.getUint32(at + 12) });
  }
  return out;
}

/** The slice for `cputype` of a universal file, or `buf` itself when it is a thin file of that CPU. */
export function thinMachO(buf: Uint8Array, cputype: number): Uint8Array {
  const slices = fatSlices(buf);
  if (!slices) {
    const h = machOHeader(buf);
    if (h.cputype !== cputype) throw new Error(`Mach-O file is for CPU 0x${h.cputype.toString(16)}, not 0x${cputype.toString(16)}`);
    return buf;
  }
  const s = slices.find((x) => x.cputype === cputype);
  if (!s) throw new Error(`universal file has no slice for CPU 0x${cputype.toString(16)}`);
  return buf.subarray(s.offset, s.offset + s.size);
}

export interface MachOHeader {
  cputype: number;
  filetype: number;
  /** `13.0`: the lowest macOS the file declares it runs on; null when it declares none. */
  minos: string | null;
  /** `LC_CODE_SIGNATURE`: where the signature blob lies in the file. */
  codeSignature: { dataoff: number; datasize: number } | null;
}

function version(v: number): string {
  return `${v >>> 16}.${(v >> 8) & 0xff}${v & 0xff ? `.${v & 0xff}` : ""}`;
}

/** Header and the load commands this build cares about (64-bit little-endian Mach-O only). */
export function machOHeader(buf: Uint8Array): MachOHeader {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 32 || v.getUint32(0, true) !== MH_MAGIC_64) throw new Error("not a 64-bit little-endian Mach-O file");
  const ncmds = v.getUint32(16, true);
  let at = 32;
  let minos: string | null = null;
  let codeSignature: MachOHeader["codeSignature"] = null;
  for (let i = 0; i < ncmds; i++) {
    const cmd = v.getUint32(at, true);
    const size = v.getUint32(at + 4, true);
    if (cmd === LC_BUILD_VERSION) minos = version(v.getUint32(at + 12, true));
    else if (cmd === LC_VERSION_MIN_MACOSX) minos = version(v.getUint32(at + 8, true));
    else if (cmd === LC_CODE_SIGNATURE) codeSignature = { dataoff: v.getUint32(at + 8, true), datasize: v.getUint32(at + 12, true) };
    at += size;
  }
  return { cputype: v.getUint32(4, true), filetype: v.getUint32(12, true), minos, codeSignature };
}

export interface SignatureCheck {
  ok: boolean;
  /** What is wrong (empty when ok). */
  problems: string[];
  adhoc: boolean;
  identifier: string;
  hashType: string;
  pages: number;
  pageSize: number;
}

/** Recompute the CodeDirectory's page and special-slot hashes over `buf` (a thin Mach-O) and compare. */
export function verifyCodeSignature(buf: Uint8Array): SignatureCheck {
  const problems: string[] = [];
  const res: SignatureCheck = { ok: false, problems, adhoc: false, identifier: "", hashType: "", pages: 0, pageSize: 0 };
  const cs = machOHeader(buf).codeSignature;
  if (!cs) return { ...res, problems: ["no LC_CODE_SIGNATURE"] };
  if (cs.dataoff + cs.datasize > buf.length) return { ...res, problems: ["signature lies beyond the end of the file"] };
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const sb = cs.dataoff;
  if (v.getUint32(sb) !== CSMAGIC_EMBEDDED_SIGNATURE) return { ...res, problems: ["no embedded-signature SuperBlob at dataoff"] };
  const blobs = new Map<number, { at: number; length: number }>();
  const count = v.getUint32(sb + 8);
  for (let i = 0; i < count; i++) {
    const type = v.getUint32(sb + 12 + i * 8);
    const at = sb + v.getUint32(sb + 16 + i * 8);
    blobs.set(type, { at, length: v.getUint32(at + 4) });
  }
  const cdBlob = blobs.get(0);
  if (!cdBlob || v.getUint32(cdBlob.at) !== CSMAGIC_CODEDIRECTORY) return { ...res, problems: ["no CodeDirectory"] };
  const cd = cdBlob.at;
  const flags = v.getUint32(cd + 12);
  const hashOffset = v.getUint32(cd + 16);
  const identOffset = v.getUint32(cd + 20);
  const nSpecial = v.getUint32(cd + 24);
  const nCode = v.getUint32(cd + 28);
  const codeLimit = v.getUint32(cd + 32);
  const hashSize = v.getUint8(cd + 36);
  const hashName = HASHES[v.getUint8(cd + 37)];
  const pageSize = 2 ** v.getUint8(cd + 39);
  let id = "";
  for (let p = cd + identOffset; p < buf.length && buf[p] !== 0; p++) id += String.fromCharCode(buf[p]!);
  Object.assign(res, { adhoc: (flags & CS_ADHOC) !== 0, identifier: id, hashType: hashName ?? "unknown", pages: nCode, pageSize });
  if (!hashName) return { ...res, problems: [`unknown hash type ${v.getUint8(cd + 37)}`] };
  if (codeLimit !== cs.dataoff) problems.push(`codeLimit ${codeLimit} does not end where the signature starts (${cs.dataoff})`);
  if (nCode !== Math.ceil(codeLimit / pageSize)) problems.push(`${nCode} page hashes for ${Math.ceil(codeLimit / pageSize)} pages`);
  const hashesAt = cd + hashOffset;
  const bad: number[] = [];
  for (let i = 0; i < nCode; i++) {
    const page = buf.subarray(i * pageSize, Math.min((i + 1) * pageSize, codeLimit));
    const want = buf.subarray(hashesAt + i * hashSize, hashesAt + (i + 1) * hashSize);
    const got = createHash(hashName).update(page).digest().subarray(0, hashSize);
    if (!got.equals(want)) bad.push(i);
  }
  if (bad.length) problems.push(`${bad.length} of ${nCode} page hashes do not match (first: page ${bad[0]}, file offset ${bad[0]! * pageSize})`);
  // Special slots -1…-nSpecial hash the blob of the same type (requirements = 2, entitlements = 5…), zeros when absent.
  for (let slot = 1; slot <= nSpecial; slot++) {
    const want = buf.subarray(hashesAt - slot * hashSize, hashesAt - (slot - 1) * hashSize);
    const blob = blobs.get(slot);
    const got = blob ? createHash(hashName).update(buf.subarray(blob.at, blob.at + blob.length)).digest().subarray(0, hashSize) : Buffer.alloc(hashSize);
    if (!got.equals(want)) problems.push(`special slot -${slot} does not match its blob`);
  }
  res.ok = problems.length === 0;
  return res;
}
