// Each account's share of a group or session alert's evidence (the detectors put it in
// the evidence as `share_percent.<account>`, surveillance/acting.py): the accounts acting
// as one party, and how much of the episode each one did.

import { h, table } from "./format.js";

const PREFIX = "share_percent.";

export function isShare(key) {
  return key.startsWith(PREFIX);
}

export function evidenceShares(evidence) {
  const shares = Object.entries(evidence).filter(([key]) => isShare(key));
  if (!shares.length) return h("p", { class: "muted", id: "evidence-shares" }, "One account: the whole of the evidence is its own.");
  const party = evidence.party || (evidence.acts_by ? `by ${evidence.acts_by.replace("_", " ")}` : "");
  return h("div", { id: "evidence-shares" },
    party ? h("p", { class: "muted" }, `Acting as one: ${party}`) : "",
    table(["Account", "Share of the evidence", ""], shares.map(([key, share]) => {
      const account = key.slice(PREFIX.length);
      return h("tr", { dataset: { account } },
        h("td", {}, h("a", { href: `#/accounts/${account}` }, account)),
        h("td", { class: "num" }, `${share.toFixed(1)} %`),
        h("td", { class: "share-cell" }, h("span", { class: "share-bar", style: `width: ${Math.max(0, Math.min(100, share))}%` })));
    })));
}
