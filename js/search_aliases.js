// Search words for front ends that predate SEARCH_ALIASES (the one ComfyUI 0.3.64
// ships searches node names only, so "inpaint" or "erase" found none of the pack's
// nodes). Where the server sends search_aliases this does nothing.
//
// Those front ends offer extensions no search hook, so this wraps the node search of
// their node-definition store (reached through the page's Vue app). Every step is
// checked: if a front end is shaped differently, search simply stays as it was.
import { api } from "../../scripts/api.js";

const ROUTE = "/object-removal/search-aliases";

function nodeDefStore() {
  const pinia = document.getElementById("vue-app")?.__vue_app__?.config?.globalProperties?.$pinia;
  return pinia?._s?.get?.("nodeDef") ?? null;
}

// Every word of the query starts a word of one alias ("obj rem" finds "object removal").
function matches(aliases, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return false;
  return aliases.some((alias) => {
    const aliasWords = alias.toLowerCase().split(/[\s-]+/);
    return words.every((w) => aliasWords.some((a) => a.startsWith(w)));
  });
}

function wrapSearch(service, aliases) {
  const prototype = Object.getPrototypeOf(service);
  if (typeof prototype?.searchNode !== "function" || prototype.searchNode.objectRemoval) return;
  const original = prototype.searchNode;
  const wrapped = function (query, filters = [], options, extraOptions = {}) {
    const found = original.call(this, query, filters, undefined, extraOptions);
    const have = new Set(found.map((def) => def.name));
    const wildcard = extraOptions.matchWildcards === false ? undefined : "*";
    const extra = (this.nodeFuseSearch?.data ?? []).filter(
      (def) =>
        aliases[def.name] &&
        !have.has(def.name) &&
        matches(aliases[def.name], String(query ?? "")) &&
        filters.every(({ filterDef, value }) => filterDef.matches(def, value, { wildcard })),
    );
    // Alias hits first, as front ends with native aliases rank them.
    const results = [...extra, ...found];
    return options?.limit ? results.slice(0, options.limit) : results;
  };
  wrapped.objectRemoval = true;
  prototype.searchNode = wrapped;
}

export async function addSearchAliasesIfMissing(serverSendsAliases) {
  if (serverSendsAliases) return;
  let aliases;
  try {
    const response = await api.fetchApi(ROUTE);
    if (!response.ok) return;
    aliases = await response.json();
  } catch {
    return;
  }
  const service = nodeDefStore()?.nodeSearchService;
  if (service) wrapSearch(service, aliases);
}
