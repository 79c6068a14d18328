/**
 * Drop the static symbol table (`.symtab` + its `.strtab`) of a 64-bit little-endian ELF shared
 * library, as `strip` would, without binutils. DuckDB's Linux `libduckdb.so` ships unstripped:
 * the two sections are ~10.4 MiB of the 67 MiB library, used only by debuggers. The dynamic
 * symbol table (`.dynsym`), which the loader and the addon use, is kept; nothing loadable moves.
 *
 * Only the layout DuckDB's library has is handled (the two sections last, then `.shstrtab`);
 * any other layout is returned unchanged with the reason.
 */

const SHT_SYMTAB = 2;
const SHF_ALLOC = 2n;
const PT_LOAD = 1;

export interface StripResult {
  bytes: Uint8Array;
  /** Bytes saved (0 when unchanged). */
  saved: number;
  /** Why nothing was stripped, when nothing was. */
  skipped?: string;
}

export function stripSymbolTable(buf: Uint8Array): StripResult {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const keep = (skipped: string): StripResult => ({ bytes: buf, saved: 0, skipped });
  if (v.getUint32(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return keep("not a 64-bit little-endian ELF file");
  const shoff = Number(v.getBigUint64(0x28, true));
  const shentsize = v.getUint16(0x3a, true);
  const shnum = v.getUint16(0x3c, true);
  const shstrndx = v.getUint16(0x3e, true);
  const sh = (i: number) => {
    const at = shoff + i * shentsize;
    return { at, type: v.getUint32(at + 4, true), flags: v.getBigUint64(at + 8, true), offset: Number(v.getBigUint64(at + 24, true)), size: Number(v.getBigUint64(at + 32, true)), link: v.getUint32(at + 40, true) };
  };
  const s = [...Array(shnum).keys()].find((i) => sh(i).type === SHT_SYMTAB);
  if (s === undefined) return keep("no .symtab (already stripped)");
  const symtab = sh(s);
  const strtab = sh(symtab.link);
  if (symtab.link !== s + 1 || shstrndx !== s + 2 || shnum !== s + 3) return keep("sections not in the expected order");
  if ((symtab.flags | strtab.flags) & SHF_ALLOC) return keep(".symtab or .strtab is loaded");
  const cut = symtab.offset;
  if (strtab.offset < cut) return keep(".strtab before .symtab");
  for (let i = 0; i < s; i++) {
    const x = sh(i);
    if (x.link === s || x.link === s + 1) return keep(`section ${i} refers to the symbol table`);
    if (x.type !== 8 /* NOBITS */ && x.offset + x.size > cut) return keep(`section ${i} lies after .symtab`);
  }
  const phoff = Number(v.getBigUint64(0x20, true));
  for (let i = 0; i < v.getUint16(0x38, true); i++) {
    const at = phoff + i * v.getUint16(0x36, true);
    if (v.getUint32(at, true) === PT_LOAD && Number(v.getBigUint64(at + 8, true) + v.getBigUint64(at + 32, true)) > cut) return keep("a loaded segment reaches into .symtab");
  }
  const shstr = sh(shstrndx);
  const newShstrOff = cut;
  const newShoff = Math.ceil((newShstrOff + shstr.size) / 8) * 8;
  const out = new Uint8Array(newShoff + (s + 1) * shentsize);
  out.set(buf.subarray(0, cut));
  out.set(buf.subarray(shstr.offset, shstr.offset + shstr.size), newShstrOff);
  out.set(buf.subarray(shoff, shoff + s * shentsize), newShoff);
  out.set(buf.subarray(shstr.at, shstr.at + shentsize), newShoff + s * shentsize);
  const o = new DataView(out.buffer);
  o.setBigUint64(newShoff + s * shentsize + 24, BigInt(newShstrOff), true);
  o.setBigUint64(0x28, BigInt(newShoff), true);
  o.setUint16(0x3c, s + 1, true);
  o.setUint16(0x3e, s, true);
  return { bytes: out, saved: buf.length - out.length };
}
