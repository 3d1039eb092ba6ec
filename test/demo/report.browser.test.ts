import { expect } from "chai";
import hre from "hardhat";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import type { DemoEvidence } from "../../src/demo/evidence";
import { renderDemoReport } from "../../src/demo/report";
import { captureStdout, DEMO_CONFIG, isolateChain } from "../tasks/helpers";

/** Debian's Chromium (scripts/setup.sh installs the `chromium` package), driven by playwright-core. */
const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const WIDTHS = [1280, 800] as const;
const RUN_DIR = "reports/demo-browser";

describe("demo report in a real browser", function () {
  isolateChain();
  let evidence: DemoEvidence;
  let browser: Browser | undefined;

  before(async function () {
    // The whole demo under coverage instrumentation can pass the suite's per-test default of 2 minutes.
    this.timeout(15 * 60_000);
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: scripts/setup.sh installs Debian's chromium package`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    evidence = (
      await captureStdout(
        () => hre.run("demo", { consortiumConfig: DEMO_CONFIG, runDir: RUN_DIR, json: false }) as Promise<DemoEvidence>,
      )
    ).result;
  });

  after(async function () {
    await browser?.close();
  });

  async function open(width: number): Promise<Page> {
    const page = await browser!.newPage({ viewport: { width, height: 900 } });
    await page.goto(pathToFileURL(evidence.report).href);
    return page;
  }

  async function atEachWidth(check: (page: Page, width: number) => Promise<void>): Promise<void> {
    for (const width of WIDTHS) {
      const page = await open(width);
      try {
        await check(page, width);
      } finally {
        await page.close();
      }
    }
  }

  it("draws no two tables on top of each other, at 1280 and 800 px", async function () {
    // Scenes, banks, and per trade its chain events and each log that has records about it.
    const tables =
      2 +
      evidence.trades.reduce(
        (n, t) => n + (t.timeline.length > 0 ? 1 : 0) + t.audit.filter((a) => a.records.length > 0).length,
        0,
      );
    await atEachWidth(async (page, width) => {
      const overlaps = await page.evaluate(() => {
        const boxes = [...document.querySelectorAll("table")].map((t, i) => {
          const r = t.getBoundingClientRect();
          let heading: Element | null = t;
          while (heading !== null && !/^H[1-4]$/.test(heading.tagName))
            heading = heading.previousElementSibling ?? heading.parentElement;
          const name = `table ${i} under "${heading?.textContent ?? ""}"`;
          return { name, left: r.left, right: r.right, top: r.top + scrollY, bottom: r.bottom + scrollY };
        });
        const found: string[] = [];
        for (const [i, a] of boxes.entries())
          for (const b of boxes.slice(i + 1)) {
            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (w > 0 && h > 0) found.push(`${a.name} and ${b.name}`);
          }
        return { count: boxes.length, found };
      });
      expect(overlaps.count, `tables at ${width} px`).to.equal(tables);
      expect(overlaps.found, `overlapping tables at ${width} px`).to.deep.equal([]);
      await page.screenshot({ path: path.join(RUN_DIR, `report-${width}.png`), fullPage: true });
    });
  });

  it("keeps every bank's head, anchored block and verifies cell on screen, at 1280 and 800 px", async function () {
    await atEachWidth(async (page, width) => {
      const scroll = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
      expect(scroll[0], `page width at ${width} px`).to.be.at.most(scroll[1]);
      const cells = page.locator("td[data-key]");
      expect(await cells.count()).to.equal(3 * evidence.banks.length);
      for (const key of ["head", "anchored", "verifies"]) {
        const keyed = page.locator(`td[data-key="${key}"]`);
        for (let i = 0; i < evidence.banks.length; i++) {
          const cell = keyed.nth(i);
          await cell.scrollIntoViewIfNeeded();
          const seen = await cell.evaluate((td) => {
            const r = td.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 10));
            return {
              inside: r.left >= 0 && r.right <= document.documentElement.clientWidth && r.width > 0 && r.height > 0,
              onTop: hit !== null && td.contains(hit),
              text: (td as HTMLElement).innerText,
            };
          });
          expect(seen.inside, `${key} of ${evidence.banks[i].name} inside ${width} px`).to.equal(true);
          expect(seen.onTop, `${key} of ${evidence.banks[i].name} not covered at ${width} px`).to.equal(true);
          const bank = evidence.banks[i];
          const expected = { head: bank.head.hash, anchored: `block ${bank.anchored.blockNumber}`, verifies: "yes" }[
            key
          ]!;
          expect(seen.text.replace(/\s+/g, "")).to.include(expected.replace(/\s+/g, ""));
        }
      }
    });
  });

  it("shows amounts in units, statuses in words and chain times as dates, not minor units, 'None' or Unix seconds", async function () {
    const page = await open(1280);
    // The legend names the chain's raw status words once, to explain them; everything else states them in words.
    const text = await page.evaluate(() =>
      [...document.body.children]
        .filter((e) => !e.matches("dl.legend"))
        .map((e) => (e as HTMLElement).innerText)
        .join("\n"),
    );
    const trades = (await page.locator("section.trade").allInnerTexts()).join("\n");
    await page.close();
    expect(text).to.include("1,000 B30").and.include("101,000.00 aEUR").and.include("75,000.00 aEUR");
    expect(text).to.not.match(/\b\d{4,} (aEUR|B30)\b/);
    expect(text).to.not.match(/\b7500000\b/);
    expect(text).to.not.match(/\bNone\b/);
    expect(text).to.not.match(/\b1[6-9]\d{8}\b/);
    for (const b of evidence.banks) expect(trades).to.not.include(b.lei);
  });

  it("names the amount, the limit and the counterparty of every denial", async function () {
    const page = await open(1280);
    const findings = async (ref: string) => page.locator(`section[id="${ref}"] ul.findings li`).allInnerTexts();
    // The record a denial links to is the deny decision in the deciding bank's log, wherever in the log it falls.
    const denialRecord = (ref: string): number => {
      const trade = evidence.trades.find((t) => t.ref === ref)!;
      const seq = trade.findings.find((f) => f.kind === "denied")!.record!;
      const line = trade.audit.find((a) => a.bank === "Alpha Bank")!.records.find((r) => r.seq === seq);
      expect(line?.kind, `${ref}: record #${seq} in Alpha Bank's log`).to.equal("decision");
      return seq;
    };
    expect(await findings("DEMO-DVP-0002")).to.deep.equal([
      `Alpha Bank's policy (bundle v1) denied the instruction: 1,500,000.00 aEUR exceeds the per-settlement limit of 1,000,000.00 aEUR with Gamma Bank [SETTLEMENT_LIMIT_EXCEEDED] (Alpha Bank's audit record #${denialRecord("DEMO-DVP-0002")})`,
    ]);
    expect(await findings("DEMO-DVP-0004")).to.deep.equal([
      `Alpha Bank's policy (bundle v2) denied the affirmation: 75,000.00 aEUR exceeds the per-settlement limit of 50,000.00 aEUR with Beta Bank [SETTLEMENT_LIMIT_EXCEEDED] (Alpha Bank's audit record #${denialRecord("DEMO-DVP-0004")})`,
    ]);
    const [shared] = await findings("DEMO-DVP-0005");
    expect(shared).to.match(
      /^Beta Bank's policy \(bundle v1\) denied the instruction: .*version 1.*version 2 \[SHARED_VERSION_MISMATCH\]/,
    );
    expect((await findings("DEMO-DVP-0001"))[0]).to.match(
      /^The chain refused Alpha Bank's reversal request before it was signed: SettlementFinal\(id=DEMO-DVP-0001, finalAt=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/,
    );
    await page.close();
  });

  it("links every chain transaction to the signature record that signed it, and that record back to its block", async function () {
    const page = await open(1280);
    const links = await page.evaluate(() =>
      [...document.querySelectorAll("section.trade tr[id^='tx-']")].map((row) => {
        const tx = row.id.slice(3);
        const a = row.querySelector<HTMLAnchorElement>("a[href^='#rec-']");
        const target = a === null ? null : document.getElementById(a.getAttribute("href")!.slice(1));
        const back = target?.querySelector<HTMLAnchorElement>("a[href^='#tx-']")?.getAttribute("href") ?? null;
        const cells = (r: Element | null | undefined) =>
          [...(r?.children ?? [])].map((c) => (c as HTMLElement).innerText);
        return {
          tx,
          kind: cells(target)[1] ?? null,
          back,
          txTime: cells(row)[1],
          recordTime: cells(target)[3] ?? null,
        };
      }),
    );
    await page.close();
    const txs = new Set(evidence.trades.flatMap((t) => t.timeline.map((e) => e.transactionHash.toLowerCase())));
    expect(links.map((l) => l.tx).sort()).to.deep.equal([...txs].sort());
    for (const l of links) {
      expect(l.kind, `record behind ${l.tx}`).to.equal("signature");
      expect(l.back, `link back from the record of ${l.tx}`).to.equal(`#tx-${l.tx}`);
      expect(l.recordTime, `chain time of the record of ${l.tx}`).to.equal(l.txTime);
    }
  });

  it("explains both clocks, the record kinds, bundle against shared version, head, anchored and verifies, and says when and from which commit it was generated", async function () {
    const page = await open(1280);
    const terms = await page.locator("dl.legend dt").allInnerTexts();
    const headers = await page.locator("section.trade table th").allInnerTexts();
    const text = await page.locator("body").innerText();
    await page.close();
    expect(terms).to.include.members([
      "Chain time",
      "Written (wall clock)",
      "Record kinds",
      "Bundle and shared version",
      "Head",
      "Anchored in block",
      "Verifies",
      "Amounts",
    ]);
    expect(headers).to.include.members(["chain time", "written (wall clock)", "signed in (audit record)"]);
    expect(text).to.match(/the chain's clock was \d+ d( \d+ h)?( \d+ min)? ahead of the wall clock/);
    const generated = evidence.generatedAt.replace("T", " ").replace(/\.\d+Z$/, " UTC");
    expect(text).to.include(`Generated ${generated} (wall clock) from commit ${evidence.commit!.hash}`);
  });

  it("stays self-contained and escapes every value: no script, no external asset, markup in a name shown as text", async function () {
    const html = readFileSync(evidence.report, "utf8");
    expect(html).to.not.match(/<script|<link|<img|<iframe|src=|url\(|@import/i);
    expect([...html.matchAll(/href="([^"]*)"/g)].every((m) => m[1].startsWith("#"))).to.equal(true);
    const hostile = '<img src=x onerror="document.title=1">';
    const tampered: DemoEvidence = structuredClone(evidence);
    tampered.banks[0].name = hostile;
    tampered.trades[0].findings.push({ kind: "denied", bank: hostile, step: "instruct", text: hostile, record: 1 });
    const page = await browser!.newPage();
    await page.setContent(renderDemoReport(tampered));
    expect(await page.locator("img").count()).to.equal(0);
    expect(await page.locator("body").innerText()).to.include(hostile);
    await page.close();
  });
});
