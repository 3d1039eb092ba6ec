/**
 * The demo's HTML report, for a compliance officer: one self-contained page (no scripts, no external assets,
 * every value escaped) with when and from which commit it was generated, how to read it (the two clocks, the
 * record kinds, bundle against shared version, head, anchored, verifies), the scenes, each bank's audit log
 * state, and for every trade what was denied or refused and why, its chain events each linked to the audit
 * record that signed its transaction, and each bank's records about it, one log below the other.
 */
import type { AuditLine, BankEvidence, ChainEvent, DemoEvidence, TradeEvidence } from "./evidence";
import { durationText, isoText, OUTCOME_TEXT, shortHash, STATUS_TEXT, utcText } from "./record-text";

/** Markup built here from escaped parts; anything else put on the page is escaped. */
interface Html {
  html: string;
}
type Cell = string | number | Html | { content: string | number | Html; key?: string; cls?: string; title?: string };

const escape = (value: unknown): string =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

const raw = (html: string): Html => ({ html });
const isHtml = (v: unknown): v is Html => typeof v === "object" && v !== null && "html" in v;
const text = (v: string | number | Html): string => (isHtml(v) ? v.html : escape(v));
const code = (v: string): Html => raw(`<code>${escape(v)}</code>`);
const link = (anchor: string, label: string): Html => raw(`<a href="#${escape(anchor)}">${escape(label)}</a>`);
/** A "2026-12-07 09:00:02 UTC" time that breaks only between its date and its time of day. */
const when = (t: string): Html =>
  raw(
    t
      .split(/ (?=\d\d:)/)
      .map((part) => `<span class="nowrap">${escape(part)}</span>`)
      .join(" "),
  );
const recordAnchor = (short: string, seq: number): string => `rec-${short}-${seq}`;
const txAnchor = (hash: string): string => `tx-${hash.toLowerCase()}`;

function cell(c: Cell): string {
  if (typeof c !== "object" || isHtml(c)) return `<td>${text(c)}</td>`;
  const attrs = [
    c.key === undefined ? "" : ` data-key="${escape(c.key)}"`,
    c.cls === undefined ? "" : ` class="${escape(c.cls)}"`,
    c.title === undefined ? "" : ` title="${escape(c.title)}"`,
  ].join("");
  return `<td${attrs}>${text(c.content)}</td>`;
}

function table(
  headers: readonly string[],
  rows: readonly { cells: readonly Cell[]; id?: string }[],
  caption?: string,
): string {
  const body = rows
    .map((r) => `<tr${r.id === undefined ? "" : ` id="${escape(r.id)}"`}>${r.cells.map(cell).join("")}</tr>`)
    .join("");
  return `<table>${caption === undefined ? "" : `<caption>${escape(caption)}</caption>`}<thead><tr>${headers
    .map((h) => `<th>${escape(h)}</th>`)
    .join("")}</tr></thead><tbody>${body}</tbody></table>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;color:#111;margin:0 auto;padding:1.5em;max-width:1200px}
h1{margin:0 0 .2em}h2{margin-top:1.6em}h3{margin:.8em 0 .3em}h4{margin:1em 0 .2em}
table{border-collapse:collapse;margin:.3em 0 1em;width:100%}
caption{text-align:left;font-weight:600;padding:.2em 0}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}
code{font:12px ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere;word-break:break-all}
td.hash code{white-space:nowrap;word-break:normal}
.num{text-align:right;white-space:nowrap}.nowrap{white-space:nowrap}
.muted{color:#666}
.ok{color:#05620f;font-weight:600}.bad{color:#a40000;font-weight:600}
section.trade{border-top:2px solid #333;margin-top:1.6em}
ul.findings{padding-left:1.2em}ul.findings li{margin:.2em 0}
li.denied::marker,li.refused::marker{color:#a40000}
dl.legend{display:grid;grid-template-columns:minmax(9em,max-content) 1fr;gap:.3em 1em}
dl.legend dt{font-weight:600}dl.legend dd{margin:0}
.note{background:#f6f6f6;border-left:4px solid #888;padding:.5em .8em}
tr:target{background:#fff3b0}
`;

function legend(e: DemoEvidence): string {
  const ahead = e.clock.chainEnd - e.clock.wallEnd;
  const items: [string, string][] = [
    [
      "Chain time",
      `The timestamp of a block. ${e.network === "hardhat" ? "The demo runs on an in-process chain and moves its clock forward: to a Monday at 09:00 UTC so the banks' business-hours and cut-off rules apply, past the governance timelock (scene 5) and past the reversal window (scene 6)." : `The demo runs on the ${e.network} network, whose validators keep their own clock: it waits for blocks past the governance timelock (scene 5) and past the reversal window (scene 6), and the banks there are open all day.`} The banks' policies decide on chain time; records of steps taken off chain (approvals, reservations) have none and say off chain. The consortium was deployed in block ${e.clock.deployedBlock} at ${utcText(e.clock.chainStart)}; the last block, ${e.clock.endBlock}, is at ${utcText(e.clock.chainEnd)}.`,
    ],
    [
      "Written (wall clock)",
      `The time on the machine that ran the demo when a bank wrote a record to its audit log. At the end of the run the chain's clock was ${durationText(ahead)} ${ahead >= 0 ? "ahead of" : "behind"} the wall clock, so compare a record's chain time with the chain events, not its written time.`,
    ],
    [
      "Record kinds",
      "decision: a bank's policy (bundle vN) or its signing gate (gate check, for calls that are not trade steps) decided whether its key may sign: allowed, denied or approval required. signature: the bank's HSM key signed a transaction (linked to it). approval: a request for approval, an officer's approval, their completion. reservation: exposure reserved against or released from a counterparty limit. bundle_activation: a signed policy bundle became active. anchor: the bank wrote its log's head on chain.",
    ],
    [
      "Bundle and shared version",
      "Bundle vN is a bank's own signed policy bundle (its limits, thresholds and hours), numbered by the bank. The shared version is the consortium's policy version on chain, changed only by proposal, quorum and timelock. Each bundle is approved against one shared version; while the two differ the bank's policy denies every step (SHARED_VERSION_MISMATCH).",
    ],
    [
      "Head",
      "The last record of a bank's audit log: its number and hash. Each record's hash covers the one before it, so the head commits to the whole log.",
    ],
    [
      "Anchored in block",
      "The block in which the bank wrote a head (record number and hash) to the consortium's AuditAnchor contract. The records after the anchored head are the anchoring's own gate check, signature and anchor record.",
    ],
    [
      "Verifies",
      "The whole log was hashed again from record 1 and matches every head the bank anchored on chain: no record was altered, removed, inserted or reordered.",
    ],
    [
      "Amounts",
      "In the token's units: aEUR (a tokenized deposit) in euros with two decimals, B30 (a tokenized bond) in bonds. The chain and the policies count aEUR in cents.",
    ],
    [
      "Settlement status",
      `The settlement engine's status words, as this report states them: ${Object.entries(STATUS_TEXT)
        .map(([k, v]) => `${k} as "${v}"`)
        .join("; ")}.`,
    ],
  ];
  return `<h2>How to read this report</h2><dl class="legend">${items
    .map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`)
    .join("")}</dl>`;
}

const bankRow = (b: BankEvidence) => ({
  cells: [
    b.name,
    code(b.lei),
    code(b.address),
    `bundle v${b.bundleVersion} against shared version ${b.sharedVersion ?? "unknown"}`,
    { content: String(b.records), cls: "num" },
    { key: "head", content: raw(`record ${b.head.seq}<br><code>${escape(b.head.hash)}</code>`) },
    {
      key: "anchored",
      content: raw(
        `block ${b.anchored.blockNumber}: head record ${b.anchored.seq}<br><code>${escape(b.anchored.hash)}</code>`,
      ),
    },
    b.verified
      ? { key: "verifies", cls: "ok", content: "yes" }
      : { key: "verifies", cls: "bad", content: `no: ${b.problem ?? "unknown problem"}` },
  ],
});

function eventRows(t: TradeEvidence): { cells: Cell[]; id?: string }[] {
  const seen = new Set<string>();
  const bankShort = new Map(t.audit.map((a) => [a.bank, a.short]));
  return t.timeline.map((e: ChainEvent) => {
    const first = !seen.has(e.transactionHash);
    seen.add(e.transactionHash);
    const s = e.signedIn;
    const short = s === null ? undefined : bankShort.get(s.bank);
    const signed: Cell =
      s === null
        ? { cls: "bad", content: "no signature record found" }
        : raw(
            `${short === undefined ? escape(`${s.bank} #${s.seq}`) : link(recordAnchor(short, s.seq), `${s.bank} #${s.seq}`).html}${
              s.decision === null
                ? escape(" (no policy decision: gate check)")
                : escape(
                    ` after decision #${s.decision.seq}, ${OUTCOME_TEXT[s.decision.outcome] ?? s.decision.outcome} by bundle v${s.decision.bundle ?? "?"}`,
                  )
            }`,
          );
    return {
      id: first ? txAnchor(e.transactionHash) : undefined,
      cells: [
        { content: e.blockNumber, cls: "num" },
        when(utcText(e.timestamp)),
        e.event,
        e.by,
        first ? code(e.transactionHash) : { cls: "muted", content: "same transaction" },
        signed,
      ],
    };
  });
}

function logTable(bank: string, short: string, records: readonly AuditLine[]): string {
  if (records.length === 0)
    return `<h4>${escape(bank)}'s audit log</h4><p>No record: this bank decided and signed nothing for this trade.</p>`;
  return `<h4>${escape(bank)}'s audit log</h4>${table(
    ["#", "kind", "what", "chain time", "written (wall clock)", "record hash"],
    records.map((r) => ({
      id: recordAnchor(short, r.seq),
      cells: [
        { content: r.seq, cls: "num" },
        r.kind,
        r.tx === null
          ? r.summary
          : raw(
              `${escape(r.summary)}, ${
                r.tx.blockNumber === null
                  ? escape("not mined")
                  : link(txAnchor(r.tx.hash), `mined in block ${r.tx.blockNumber}`).html
              }`,
            ),
        r.chainTime === null ? { cls: "muted", content: "off chain" } : when(utcText(r.chainTime)),
        when(isoText(r.at)),
        { content: code(shortHash(r.hash)), title: r.hash, cls: "hash" },
      ],
    })),
  )}`;
}

function tradeSection(t: TradeEvidence): string {
  const findings =
    t.findings.length === 0
      ? ""
      : `<ul class="findings">${t.findings
          .map((f) => {
            const short = t.audit.find((a) => a.bank === f.bank)?.short;
            const ref =
              f.record === null || short === undefined
                ? ""
                : ` (${link(recordAnchor(short, f.record), `${f.bank}'s audit record #${f.record}`).html})`;
            return `<li class="${escape(f.kind)}">${escape(f.text)}${ref}</li>`;
          })
          .join("")}</ul>`;
  const events =
    t.timeline.length === 0
      ? "<p>Nothing reached the chain.</p>"
      : table(["block", "chain time", "event", "by", "transaction", "signed in (audit record)"], eventRows(t));
  return `<section class="trade" id="${escape(t.ref)}"><h3>${escape(t.ref)}: ${escape(t.statusText)}</h3><p>${escape(
    `${t.seller} delivers ${t.bonds} to ${t.buyer} against ${t.cash}.`,
  )} Settlement id <code>${escape(t.id)}</code>.</p>${findings}<h4>Chain events</h4>${events}${t.audit
    .map((a) => logTable(a.bank, a.short, a.records))
    .join("")}</section>`;
}

export function renderDemoReport(e: DemoEvidence): string {
  const refs = e.trades.map((t) => t.ref);
  const linked = (s: string): Html =>
    raw(refs.reduce((html, ref) => html.split(escape(ref)).join(link(ref, ref).html), escape(s)));
  const commit =
    e.commit === null
      ? "outside a git checkout (no commit)"
      : `commit ${e.commit.hash}${e.commit.dirty ? " with uncommitted changes" : ""}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Consortium settlement demo</title><style>${STYLE}</style></head><body>
<h1>Consortium settlement demo</h1>
<p class="note">Generated ${escape(isoText(e.generatedAt))} (wall clock) from ${escape(commit)}.</p>
<p>Network ${escape(e.network)} (chain id ${escape(e.chainId)}). Consortium ${escape(e.consortium.name)} at <code>${escape(
    e.consortium.address,
  )}</code>, settlement engine <code>${escape(e.consortium.engine)}</code>, audit anchor <code>${escape(e.consortium.auditAnchor ?? "none")}</code>.</p>
${legend(e)}
<h2>Scenes</h2>${table(
    ["#", "scene", "outcome"],
    e.scenes.map((s) => ({ cells: [{ content: s.n, cls: "num" }, s.title, linked(s.readable)] })),
  )}
<h2>Audit logs</h2><p>At the end of the run each bank anchored its log's head on chain and verified the whole log against every head it anchored.</p>${table(
    ["bank", "LEI", "HSM key", "policy", "records", "head", "anchored in block", "verifies"],
    e.banks.map(bankRow),
  )}
<h2>Trades</h2>${e.trades.map(tradeSection).join("\n")}
</body></html>
`;
}
