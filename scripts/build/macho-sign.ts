/**
 * Ad-hoc code signing of a thin 64-bit Mach-O executable, in place, without Apple's tools.
 *
 * `bun build --compile --target=bun-darwin-x64` (Bun 1.4.5) appends the bundle but keeps the Bun
 * release's own Developer ID signature, whose page hashes no longer match (macOS kills such a
 * binary when it pages in a changed page). The arm64 target gets a fresh ad-hoc signature from
 * Bun; this writes the same kind (what `ld -adhoc_codesign` makes): one CodeDirectory, version
 * 0x20400, flags adhoc + linker-signed, SHA-256 over 4 KiB pages, exec segment = __TEXT, no
 * entitlements (no hardened runtime, so JIT and loading the ad-hoc signed libduckdb are allowed).
 * The signature replaces the old one at the end of __LINKEDIT; the file and __LINKEDIT grow or
 * shrink to fit. scripts/build/macho.ts `verifyCodeSignature` checks the result.
 */
import { createHash } from "node:crypto";
import { MH_MAGIC_64 } from "./macho.ts";

const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const PAGE = 4096;
const CD_HEADER = 88; // CodeDirectory through execSegFlags (version 0x20400)

interface Segment {
  cmdAt: number;
  name: string;
  vmaddr: bigint;
  fileoff: bigint;
  filesize: bigint;
}

/** Returns a new buffer: `buf` with a fresh ad-hoc signature (identifier `id`). */
export function adhocSign(input: Uint8Array, id: string): Uint8Array {
  const le = new DataView(input.buffer, input.byteOffset, input.byteLength);
  if (le.getUint32(0, true) !== MH_MAGIC_64) throw new Error("ad-hoc signing needs a thin 64-bit Mach-O file");
  const ncmds = le.getUint32(16, true);
  const segments: Segment[] = [];
  let sigCmd = -1;
  for (let i = 0, at = 32; i < ncmds; i++) {
    const cmd = le.getUint32(at, true);
    if (cmd === LC_SEGMENT_64) {
      const name = new TextDecoder().decode(input.subarray(at + 8, at + 24)).replace(/\0+$/, "");
      segments.push({ cmdAt: at, name, vmaddr: le.getBigUint64(at + 24, true), fileoff: le.getBigUint64(at + 40, true), filesize: le.getBigUint64(at + 48, true) });
    } else if (cmd === LC_CODE_SIGNATURE) sigCmd = at;
    at += le.getUint32(at + 4, true);
  }
  const linkedit = segments.find((s) => s.name === "__LINKEDIT");
  const text = segments.find((s) => s.name === "__TEXT");
  if (sigCmd < 0 || !linkedit || !text) throw new Error("no LC_CODE_SIGNATURE, __LINKEDIT or __TEXT to re-sign");
  if (segments.some((s) => s !== linkedit && (s.vmaddr > linkedit.vmaddr || s.fileoff > linkedit.fileoff))) throw new Error("__LINKEDIT is not the last segment");
  const dataoff = le.getUint32(sigCmd + 8, true);
  if (dataoff % 16 !== 0 || BigInt(dataoff) < linkedit.fileoff) throw new Error(`unexpected signature offset ${dataoff}`);

  const idBytes = new TextEncoder().encode(`${id}\0`);
  const nCode = Math.ceil(dataoff / PAGE);
  const hashOffset = CD_HEADER + idBytes.length;
  const cdLength = hashOffset + nCode * 32;
  const total = 20 + cdLength;

  const out = new Uint8Array(dataoff + total);
  out.set(input.subarray(0, Math.min(dataoff, input.length)));
  const o = new DataView(out.buffer);
  // Load commands first: they lie in page 0, which is hashed below.
  o.setUint32(sigCmd + 12, total, true);
  const linkeditSize = BigInt(dataoff + total) - linkedit.fileoff;
  o.setBigUint64(linkedit.cmdAt + 48, linkeditSize, true); // filesize
  o.setBigUint64(linkedit.cmdAt + 32, (linkeditSize + 0xfffn) & ~0xfffn, true); // vmsize, rounded to 4 KiB as Bun does

  const sb = dataoff;
  o.setUint32(sb, 0xfade0cc0); // SuperBlob, big-endian
  o.setUint32(sb + 4, total);
  o.setUint32(sb + 8, 1);
  o.setUint32(sb + 12, 0); // CSSLOT_CODEDIRECTORY
  o.setUint32(sb + 16, 20);
  const cd = sb + 20;
  o.setUint32(cd, 0xfade0c02);
  o.setUint32(cd + 4, cdLength);
  o.setUint32(cd + 8, 0x20400);
  o.setUint32(cd + 12, 0x20002); // CS_ADHOC | CS_LINKER_SIGNED
  o.setUint32(cd + 16, hashOffset);
  o.setUint32(cd + 20, CD_HEADER); // identOffset
  o.setUint32(cd + 24, 0); // nSpecialSlots
  o.setUint32(cd + 28, nCode);
  o.setUint32(cd + 32, dataoff); // codeLimit
  o.setUint8(cd + 36, 32); // hashSize
  o.setUint8(cd + 37, 2); // SHA-256
  o.setUint8(cd + 38, 0); // platform
  o.setUint8(cd + 39, 12); // log2(page size)
  // spare2, scatterOffset, teamOffset, spare3, codeLimit64 stay 0
  o.setBigUint64(cd + 64, text.fileoff); // execSegBase
  o.setBigUint64(cd + 72, text.filesize); // execSegLimit
  o.setBigUint64(cd + 80, 1n); // CS_EXECSEG_MAIN_BINARY
  out.set(idBytes, cd + CD_HEADER);
  for (let i = 0; i < nCode; i++) {
    const page = out.subarray(i * PAGE, Math.min((i + 1) * PAGE, dataoff));
    out.set(createHash("sha256").update(page).digest(), cd + hashOffset + i * 32);
  }
  return out;
}
