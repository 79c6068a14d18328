/** Client-side navigation (history API): the app re-renders the page of the new path. */

/** Go to a client route without reloading the page. */
export function navigate(to: string): void {
  history.pushState(null, "", to);
  dispatchEvent(new PopStateEvent("popstate"));
}
