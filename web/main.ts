/**
 * The app's entry: a header with the navigation, and the page of the current path. Navigation is
 * client-side (history API); links are plain `<a href>` elements that `navigate` intercepts.
 */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.ts";
import { ROUTES } from "./routes.ts";
import { navigate } from "./navigate.ts";
import { isWorkerScope } from "./graph/layout-worker.ts";

export { navigate } from "./navigate.ts";

function usePath(): string {
  const [path, setPath] = useState(location.pathname + location.search);
  useEffect(() => {
    const on = () => setPath(location.pathname + location.search);
    addEventListener("popstate", on);
    return () => removeEventListener("popstate", on);
  }, []);
  return path;
}

function App() {
  const path = usePath();
  const url = new URL(path, location.origin);
  const route = ROUTES.find((r) => (r.exact ? url.pathname === r.prefix : url.pathname.startsWith(r.prefix))) ?? ROUTES[0]!;
  const param = route.prefix.endsWith("/") && !route.exact ? decodeURIComponent(url.pathname.slice(route.prefix.length)) : "";
  useEffect(() => {
    document.title = `${route.title} · dagx`;
  }, [route.title]);
  const Page = route.page;
  const nav = [["/", "Overview"], ["/graph", "Graph"], ["/assets", "Assets"], ["/runs", "Runs"], ["/backfills", "Backfills"], ["/schedules", "Schedules"], ["/sensors", "Sensors"]] as const;
  return html`<header class="top">
      <a class="brand" href="/">dagx</a>
      <nav>${nav.map(([href, label]) => html`<a href=${href} class=${url.pathname === href || (href !== "/" && url.pathname.startsWith(href)) ? "active" : ""}>${label}</a>`)}</nav>
    </header>
    <main><${Page} param=${param} query=${url.searchParams} /></main>`;
}

// In the graph's layout worker (this same bundle started as a worker, web/graph/layout-worker.ts)
// there is no page: render nothing.
if (!isWorkerScope()) {
  // links: client-side navigation for same-origin plain clicks
  document.addEventListener("click", (e) => {
    const a = (e.target as Element | null)?.closest?.("a");
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target || a.origin !== location.origin) return;
    e.preventDefault();
    navigate(a.pathname + a.search);
  });

  render(html`<${App} />`, document.getElementById("app")!);
}
