/**
 * A sortable table that stays fast at 10,000 rows: clicking a header sorts by that column (again:
 * the other way); above `VIRTUALIZE_ABOVE` rows only the rows in view (plus a margin) are in the
 * DOM, between two spacer rows, inside a scrolling box of fixed row height.
 *
 *   html`<${DataTable} rows=${assets} rowKey=${(a) => a.key} columns=${[
 *     { id: "key", label: "Key", sort: (a) => a.key, cell: (a) => html`<a href=${…}>${a.key}</a>` },
 *   ]} initialSort=${{ id: "key", dir: 1 }} />`
 *
 * Hooks for tests: `<table data-rows=N>`, each row `data-key`, each sortable header `data-col`
 * and `aria-sort`.
 */
import type { ComponentChildren } from "preact";
import { useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { html } from "../html.ts";

/** One column: `sort` gives the value to sort by (numbers, strings; null sorts last). */
export interface Column<T> {
  id: string;
  label: string;
  sort?: (row: T) => string | number | null;
  cell: (row: T) => ComponentChildren;
  className?: string;
}

export type SortState = { id: string; dir: 1 | -1 };

/** Tables with more rows than this render only what is in view. */
export const VIRTUALIZE_ABOVE = 200;
const ROW_H = 34;
const OVERSCAN = 20;

/** One collator for every sort (`localeCompare` with options sets one up per call: sorting 10,000 keys took 235 ms that way, 12 ms with one collator, in Bun). */
const COLLATOR = new Intl.Collator("en", { numeric: true });

function compare(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return COLLATOR.compare(String(a), String(b));
}

export function DataTable<T>({ rows, columns, rowKey, initialSort, empty, onSort }: { rows: readonly T[]; columns: Column<T>[]; rowKey: (row: T) => string; initialSort?: SortState; empty?: string; onSort?: (s: SortState) => void }) {
  const [sort, setSort] = useState<SortState | null>(initialSort ?? null);
  const sorted = useMemo(() => {
    const col = sort && columns.find((c) => c.id === sort.id);
    if (!col?.sort) return rows;
    const get = col.sort;
    const keyed = rows.map((r) => [get(r), r] as const);
    keyed.sort((x, y) => {
      const c = compare(x[0], y[0]);
      return x[0] === null || y[0] === null ? c : c * sort!.dir;
    });
    return keyed.map(([, r]) => r);
  }, [rows, sort, columns]);
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 800 });
  const virtual = sorted.length > VIRTUALIZE_ABOVE;
  useLayoutEffect(() => {
    if (!virtual || !box.current) return;
    setScroll({ top: box.current.scrollTop, height: box.current.clientHeight || 800 });
  }, [virtual]);
  const first = virtual ? Math.max(0, Math.floor(scroll.top / ROW_H) - OVERSCAN) : 0;
  const last = virtual ? Math.min(sorted.length, Math.ceil((scroll.top + scroll.height) / ROW_H) + OVERSCAN) : sorted.length;
  const clickHeader = (c: Column<T>) => {
    if (!c.sort) return;
    const next: SortState = sort?.id === c.id ? { id: c.id, dir: sort.dir === 1 ? -1 : 1 } : { id: c.id, dir: 1 };
    setSort(next);
    onSort?.(next);
  };
  const header = html`<thead><tr>${columns.map(
    (c) => html`<th class=${[c.className, c.sort ? "sortable" : ""].filter(Boolean).join(" ")} data-col=${c.id} aria-sort=${sort?.id === c.id ? (sort.dir === 1 ? "ascending" : "descending") : "none"} onClick=${() => clickHeader(c)}>
      ${c.label}${sort?.id === c.id ? (sort.dir === 1 ? " ▲" : " ▼") : ""}
    </th>`,
  )}</tr></thead>`;
  const body = sorted.slice(first, last).map((r) => html`<tr key=${rowKey(r)} data-key=${rowKey(r)}>${columns.map((c) => html`<td class=${c.className ?? ""}>${c.cell(r)}</td>`)}</tr>`);
  const table = html`<table class=${virtual ? "data virtual" : "data"} data-rows=${sorted.length}>
    ${header}
    <tbody>
      ${virtual && first > 0 ? html`<tr class="spacer" style=${{ height: `${first * ROW_H}px` }}></tr>` : null}
      ${body}
      ${virtual && last < sorted.length ? html`<tr class="spacer" style=${{ height: `${(sorted.length - last) * ROW_H}px` }}></tr>` : null}
      ${sorted.length === 0 ? html`<tr><td class="empty" colspan=${columns.length}>${empty ?? "Nothing to show"}</td></tr>` : null}
    </tbody>
  </table>`;
  if (!virtual) return html`<div class="table-box">${table}</div>`;
  return html`<div class="table-box scroll" ref=${box} onScroll=${(e: Event) => {
    const el = e.currentTarget as HTMLDivElement;
    setScroll({ top: el.scrollTop, height: el.clientHeight });
  }}>${table}</div>`;
}
