/**
 * The pipeline benchmark's chart as hand-written SVG (no dependency): throughput of baseline and pipeline with
 * the goal marked, and the mean latency per intent, the pipeline's stacked by stage.
 */
import type { Report } from "./report";
import { STAGE_LABELS, STAGES, type Stage } from "./timing";

const COLORS: Record<Stage, string> = {
  policy: "#4e79a7",
  approvals: "#f28e2b",
  signing: "#e15759",
  commit: "#edc948",
  submission: "#76b7b2",
  other: "#bab0ac",
};
const BASELINE = "#59a14f";
const PIPELINE = "#4e79a7";
const X0 = 200;
const WIDTH = 440;

const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function chart(report: Report): string {
  const { baseline, pipeline, goal } = report;
  const out: string[] = [];
  const text = (x: number, y: number, s: string, extra = "") =>
    out.push(`<text x="${x.toFixed(1)}" y="${y}"${extra}>${escape(s)}</text>`);
  const rect = (x: number, y: number, w: number, h: number, fill: string) =>
    out.push(
      `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(w, 0.5).toFixed(1)}" height="${h}" fill="${fill}"/>`,
    );
  const bar = (y: number, label: string, value: number, max: number, fill: string, shown: string) => {
    const w = (WIDTH * value) / max;
    text(10, y + 15, label);
    rect(X0, y + 3, w, 16, fill);
    text(X0 + w + 6, y + 15, shown);
  };

  let y = 24;
  text(10, y, "Throughput, intents per second (one at a time)", ' font-weight="bold"');
  y += 10;
  const top = y;
  const maxRate = Math.max(baseline.perSecond, pipeline.perSecond);
  bar(y, baseline.label, baseline.perSecond, maxRate, BASELINE, baseline.perSecond.toFixed(1));
  y += 24;
  const ratio = pipeline.perSecond / baseline.perSecond;
  bar(
    y,
    pipeline.label,
    pipeline.perSecond,
    maxRate,
    PIPELINE,
    `${pipeline.perSecond.toFixed(1)} (${ratio.toFixed(2)}x)`,
  );
  y += 24;
  const goalX = X0 + (WIDTH * goal * baseline.perSecond) / maxRate;
  out.push(
    `<line x1="${goalX.toFixed(1)}" y1="${top}" x2="${goalX.toFixed(1)}" y2="${y + 4}" stroke="#333" stroke-dasharray="4 3"/>`,
  );
  text(goalX + 4, y + 14, `goal: ${goal} x baseline`, ' font-size="11"');
  y += 44;

  text(10, y, "Mean latency per intent, ms (call to receipt)", ' font-weight="bold"');
  y += 10;
  const maxMs = Math.max(pipeline.latency.mean, baseline.latency.mean);
  bar(y, baseline.label, baseline.latency.mean, maxMs, BASELINE, baseline.latency.mean.toFixed(2));
  y += 24;
  text(10, y + 15, pipeline.label);
  let x = X0;
  for (const s of STAGES) {
    const w = (WIDTH * pipeline.stages![s].mean) / maxMs;
    rect(x, y + 3, w, 16, COLORS[s]);
    x += w;
  }
  text(x + 6, y + 15, pipeline.latency.mean.toFixed(2));
  y += 40;
  for (const s of STAGES) {
    rect(X0, y - 10, 12, 12, COLORS[s]);
    text(X0 + 18, y, `${STAGE_LABELS[s]}: ${pipeline.stages![s].mean.toFixed(2)} ms`, ' font-size="11"');
    y += 18;
  }
  y += 4;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="${y}" viewBox="0 0 760 ${y}" font-family="sans-serif" font-size="12">`,
    `<rect width="760" height="${y}" fill="#fff"/>`,
    ...out,
    "</svg>",
    "",
  ].join("\n");
}
