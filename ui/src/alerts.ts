// Failures shown where the user is looking, in the page's role="alert" region. Each
// has a key so that a retry that succeeds can take its own message away again.

import { byId, h } from "./dom";

export function showError(key: string, message: string): void {
  const region = byId("alerts");
  const existing = region.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`);
  const dismiss = h("button", { class: "link-button", text: "Dismiss", attrs: { type: "button" } });
  const alert = h("div", { class: "alert", attrs: { "data-key": key } }, h("p", { text: message }), dismiss);
  dismiss.addEventListener("click", () => alert.remove());
  if (existing) existing.replaceWith(alert);
  else region.append(alert);
  console.error(`[flatline] ${message}`);
}

export function clearError(key: string): void {
  byId("alerts").querySelector(`[data-key="${CSS.escape(key)}"]`)?.remove();
}
