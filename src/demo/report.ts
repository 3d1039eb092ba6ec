/**
 * The demo's HTML report: one self-contained page (no scripts, no external assets) with the scenes, each
 * bank's audit log state, and for every trade its chain events beside the matching records of both parties'
 * audit logs. Every value is escaped.
 */
import type { DemoEvidence, TradeEvidence } from "./evidence";

const escape = (value: unknown): string =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

const table = (headers: readonly string[], rows: readonly (readonly unknown[])[]): string =>
  `<table><thead><tr>${headers.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;

const time = (seconds: number): string =>
  new Date(seconds * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");

function tradeSection(t: TradeEvidence): string {
  const events = table(
    ["block", "time", "event", "by", "transaction"],
    t.timeline.map((e) => [e.blockNumber, time(e.timestamp), e.event, e.by, e.transactionHash]),
  );
  const logs = t.audit
    .map(
      (a) =>
        `<div class="log"><h4>${escape(a.bank)}'s audit log</h4>${
          a.records.length === 0
            ? "<p>No record: this bank signed nothing for this trade.</p>"
            : table(
                ["seq", "at", "kind", "summary", "hash"],
                a.records.map((r) => [r.seq, r.at, r.kind, r.summary, `${r.hash.slice(0, 16)}…`]),
              )
        }</div>`,
    )
    .join("");
  const notes = t.notes.length === 0 ? "" : `<ul>${t.notes.map((n) => `<li>${escape(n)}</li>`).join("")}</ul>`;
  return `<section><h3>${escape(t.ref)}: ${escape(t.status)}</h3><p>${escape(t.seller)} delivers ${escape(t.legs)} to ${escape(
    t.buyer,
  )}. Settlement <code>${escape(t.id)}</code></p>${notes}<h4>Chain events</h4>${
    t.timeline.length === 0 ? "<p>None: nothing reached the chain.</p>" : events
  }<div class="logs">${logs}</div></section>`;
}

export function renderDemoReport(e: DemoEvidence): string {
  const style = `body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}code{font-size:12px}
section{border-top:2px solid #333;margin-top:1.5em}.logs{display:flex;gap:1.5em;flex-wrap:wrap}.log{flex:1;min-width:380px}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Consortium settlement demo</title><style>${style}</style></head><body>
<h1>Consortium settlement demo</h1>
<p>Network ${escape(e.network)} (chain id ${escape(e.chainId)}). Consortium ${escape(e.consortium.name)} at <code>${escape(
    e.consortium.address,
  )}</code>, settlement engine <code>${escape(e.consortium.engine)}</code>, audit anchor <code>${escape(e.consortium.auditAnchor ?? "-")}</code>.</p>
<h2>Scenes</h2>${table(
    ["#", "scene", "outcome"],
    e.scenes.map((s) => [s.n, s.title, s.outcome]),
  )}
<h2>Audit logs</h2><p>Each bank anchored its log's head on chain at the end of the run and verified the whole log against every head it anchored.</p>${table(
    ["bank", "LEI", "HSM key", "bundle", "records", "head", "anchored in block", "verifies"],
    e.banks.map((b) => [
      b.name,
      b.lei,
      b.address,
      `v${b.bundleVersion}`,
      b.records,
      `${b.head.seq} ${b.head.hash}`,
      b.anchoredAt,
      b.verified ? "yes" : `no: ${b.problem}`,
    ]),
  )}
<h2>Trades</h2>${e.trades.map(tradeSection).join("\n")}
</body></html>
`;
}
