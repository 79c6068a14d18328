/**
 * The asset page's "Code" section (GET …/code): a SQL asset's query as `dagx sql` compiles it (its
 * parameters, bound when one partition is picked), a dbt model's SQL — raw, and compiled when a build
 * wrote it — with its dbt tests, a Pipes asset's command and script, or a TS asset's file:line.
 * Everything is text: Preact text nodes in `<pre>`, never HTML.
 */
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.ts";
import { useApi } from "../api.ts";
import type { ApiAssetCode, ApiCheckResult, ApiCodeText, ApiDeclaredCheck } from "../../core/ui-api.ts";
import { Badge, ErrorBox, Facts } from "./ui.ts";
import { assetApi } from "./format.ts";

const TOPICS = ["definitions"] as const;

/** One partition key from the page's partitions box, or "" for none, a range, a list or a word such as `latest` (parameters then stay unbound). */
export function singlePartition(text: string): string {
  const t = text.trim();
  if (!t || t.includes("..") || t.includes(",") || t.includes("*")) return "";
  return ["latest", "missing", "failed", "stale", "all"].includes(t) ? "" : t;
}

function where(t: { file: string | null; line: number | null }): string {
  return t.file ? `${t.file}${t.line ? `:${t.line}` : ""}` : "";
}

function CodeText({ t }: { t: ApiCodeText }) {
  return html`<figure class="code-text" data-label=${t.label}>
    <figcaption><strong>${t.label}</strong>${t.file ? html` <code class="muted">${where(t)}</code>` : null}${t.truncated ? html` <span class="warn">(first 512 KiB)</span>` : null}</figcaption>
    <pre class="code" data-language=${t.language}><code>${t.text}</code></pre>
  </figure>`;
}

function outcome(c: ApiCheckResult | undefined): string {
  if (!c) return "not run";
  return c.passed ? "passed" : c.severity === "warn" ? "warned" : "failed";
}

function DeclaredChecks({ checks, latest, dbt }: { checks: ApiDeclaredCheck[]; latest: ApiCheckResult[]; dbt: boolean }) {
  const list = dbt ? checks.filter((c) => c.dbt) : checks;
  if (!list.length) return null;
  return html`<h3>${dbt ? "dbt tests (run as the checks below)" : "Declared checks"}</h3>
    <table class="data declared-checks">
      <thead><tr><th>check</th>${dbt ? html`<th>test</th>` : html`<th>kind</th>`}<th>severity</th><th>blocking</th><th>latest</th></tr></thead>
      <tbody>
        ${list.map((c) => {
          const r = latest.find((x) => x.check === c.name && !x.partition) ?? latest.find((x) => x.check === c.name);
          return html`<tr class="declared-check" data-check=${c.name}>
            <td><a href="#checks">${c.name}</a>${c.description ? html`<div class="muted small">${c.description}</div>` : null}</td>
            <td>${dbt ? html`<code class="dbt-test">${c.dbt?.test ?? "—"}</code>${c.dbt?.compiledSql ? html`<details><summary class="small">compiled SQL</summary><pre class="code"><code>${c.dbt.compiledSql}</code></pre></details>` : null}` : c.kind}</td>
            <td>${c.severity}</td>
            <td>${c.blocking ? "yes" : "no"}</td>
            <td>${r ? html`<${Badge} status=${outcome(r)} />` : html`<span class="muted">not run</span>`}</td>
          </tr>`;
        })}
      </tbody>
    </table>`;
}

/** `partition`: the page's partitions box (its value binds a SQL asset's parameters when it is one key). */
export function AssetCode({ assetKey, partition, materializedAt, latest }: { assetKey: string; partition: string; materializedAt: string | null; latest: ApiCheckResult[] }) {
  // asked once typing pauses, not for every keystroke of a partition key
  const [p, setP] = useState(() => singlePartition(partition));
  useEffect(() => {
    const next = singlePartition(partition);
    if (next === p) return;
    const timer = setTimeout(() => setP(next), 350);
    return () => clearTimeout(timer);
  }, [partition, p]);
  const q = [p ? `partition=${encodeURIComponent(p)}` : "", materializedAt ? `at=${encodeURIComponent(materializedAt)}` : ""].filter(Boolean).join("&");
  const { data, error } = useApi<ApiAssetCode>(assetApi(assetKey, `/code${q ? `?${q}` : ""}`), TOPICS);
  if (!data) return error ? html`<${ErrorBox} error=${error} />` : html`<p class="muted">Loading code…</p>`;
  const rows: [string, unknown][] = [["location", html`<code>${data.location}</code>`]];
  if (data.sql) {
    rows.push([
      "parameters",
      data.sql.params.length
        ? html`<ul class="sql-params">${data.sql.params.map((x) => html`<li data-param=${x.name}><code>$${x.index}</code> = <code>$${x.name}</code>: ${x.value === null ? html`<span class="muted">${p ? "NULL" : "bound at run time (pick one partition to see it)"}</span>` : html`<code>${x.value}</code>`}</li>`)}</ul>`
        : "none",
    ]);
    if (data.sql.external.length) rows.push(["external tables", data.sql.external.join(", ")]);
  }
  if (data.dbt) {
    rows.push(["dbt unique id", html`<code>${data.dbt.uniqueId}</code>`]);
    rows.push(["dbt project", html`<code>${data.dbt.projectDir}</code> (${data.dbt.file})`]);
    if (!data.dbt.compiled && data.dbt.resourceType !== "seed") rows.push(["compiled SQL", html`<span class="muted">written by dbt at the next build</span>`]);
  }
  if (data.pipes) {
    rows.push(["command", html`<code class="pipes-command">${data.pipes.command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")}</code>`]);
    rows.push(["runs from", "the project root, speaking Dagster Pipes"]);
  }
  return html`<div class="asset-code" data-kind=${data.kind}>
    <${ErrorBox} error=${error} />
    <${Facts} rows=${rows} />
    ${data.texts.map((t) => html`<${CodeText} t=${t} />`)}
    ${data.kind === "ts" ? html`<p class="muted">A TypeScript asset: its function is in the file above.</p>` : null}
    <${DeclaredChecks} checks=${data.checks} latest=${latest} dbt=${data.kind === "dbt"} />
  </div>`;
}
