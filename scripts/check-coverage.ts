/**
 * Fails when the contracts' coverage (from `hardhat coverage`, json-summary reporter) falls below the
 * project's floor: 100% of lines and 95% of branches of contracts/, test doubles excluded.
 */
import fs from "node:fs";
import path from "node:path";

interface Metric {
  total: number;
  covered: number;
  pct: number | "Unknown";
}
type Summary = Record<string, { lines: Metric; branches: Metric }>;

const FLOOR = { lines: 100, branches: 95 };
const summaryPath = path.join(__dirname, "..", "coverage", "coverage-summary.json");

function pct(m: Metric): number {
  return m.total === 0 ? 100 : (100 * m.covered) / m.total;
}

function main(): number {
  if (!fs.existsSync(summaryPath)) {
    console.error(`coverage: ${summaryPath} is missing; run \`npx hardhat coverage\` first`);
    return 2;
  }
  const summary = JSON.parse(fs.readFileSync(summaryPath, "utf8")) as Summary;
  const failures: string[] = [];
  for (const [file, m] of Object.entries(summary)) {
    if (file === "total") continue;
    const name = path.relative(path.join(__dirname, ".."), file);
    const lines = pct(m.lines);
    const branches = pct(m.branches);
    console.log(
      `coverage: ${name.padEnd(48)} lines ${lines.toFixed(1).padStart(5)}%  branches ${branches.toFixed(1).padStart(5)}%`,
    );
    if (lines < FLOOR.lines) failures.push(`${name}: lines ${lines.toFixed(1)}% < ${FLOOR.lines}%`);
  }
  const total = summary.total;
  const totalBranches = pct(total.branches);
  console.log(`coverage: total lines ${pct(total.lines).toFixed(1)}%, branches ${totalBranches.toFixed(1)}%`);
  if (totalBranches < FLOOR.branches) failures.push(`branches ${totalBranches.toFixed(1)}% < ${FLOOR.branches}%`);
  for (const f of failures) console.error(`coverage below the floor: ${f}`);
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = main();
