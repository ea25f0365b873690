// Building markup without ever parsing strings as HTML: vendor text is untrusted, so
// every string becomes a Text node (or textContent) and nothing here touches
// innerHTML.

import { fullTime, shortTime } from "./format";

type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string | undefined;
  text?: string | undefined;
  attrs?: Record<string, string | number | boolean | null | undefined>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  if (props.text !== undefined) node.textContent = props.text;
  append(node, children);
  return node;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** A time people read ("14:05"), with the machine and the unambiguous forms. */
export function time(iso: string, cls?: string): HTMLTimeElement {
  return h("time", { class: cls, text: shortTime(iso), attrs: { datetime: iso, title: fullTime(iso) } });
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page lacks #${id}`);
  return node as T;
}

/**
 * Only https links leave the app (in the system browser, as the opener capability
 * allows); anything else stays text.
 */
export function isWebUrl(url: string): boolean {
  try {
    return new URL(url).protocol === "https:";
  } catch {
    return false;
  }
}

const URL_IN_TEXT = /\bhttps:\/\/[^\s<>"']+/g;

/**
 * Plain text with its web addresses made clickable. The text is split, never parsed:
 * each piece is a Text node or an <a> whose label is the address itself.
 */
export function linkified(text: string): Node[] {
  const nodes: Node[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    // Sentence punctuation after an address belongs to the sentence.
    const url = match[0].replace(/[.,;:!?)\]]+$/, "");
    const start = match.index;
    if (!isWebUrl(url)) continue;
    if (start > last) nodes.push(document.createTextNode(text.slice(last, start)));
    nodes.push(h("a", { text: url, attrs: { href: url, rel: "noreferrer" } }));
    last = start + url.length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}
