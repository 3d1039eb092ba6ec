// Schemathesis against the running demo API: generated requests for every operation of the served OpenAPI
// document, with an administrator's token, checked for server errors and for answers that do not match the
// documented schemas. A bounded, seeded run (SCHEMATHESIS_EXAMPLES raises the examples per operation).
import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { useDemoApi } from "./helpers";

const SCHEMATHESIS = path.resolve(".venv/bin/schemathesis");
const EXAMPLES = process.env.SCHEMATHESIS_EXAMPLES ?? "10";

/** Runs the CLI to its end (asynchronously: the API it tests answers from this very process). */
function run(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, args, { env: { ...process.env, NO_COLOR: "1" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("API under schemathesis", function () {
  before(function () {
    if (!existsSync(SCHEMATHESIS)) this.skip(); // schemathesis is installed into .venv by scripts/setup.sh
  });
  const fixture = useDemoApi();
  it("answers generated requests to every operation without a server error and as its schemas say", async function () {
    this.timeout(900_000);
    const [alpha] = fixture().banks;
    const doc = (await (await fetch(`${alpha.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    const operations = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    const { code, output } = await run([
      "run",
      `${alpha.url}/openapi.json`,
      "--header",
      `Authorization: Bearer ${alpha.tokens.administrator}`,
      "--checks",
      "not_a_server_error,response_schema_conformance",
      "--max-examples",
      EXAMPLES,
      "--seed",
      "20261204",
      "--workers",
      "1",
      "--phases",
      "examples,fuzzing",
      "--generation-database",
      "none",
    ]);
    expect(code, output).to.equal(0);
    const cases = /(\d+) generated, (\d+) passed/.exec(output);
    expect(cases, output).to.not.equal(null);
    expect(cases![1]).to.equal(cases![2]);
    expect(Number(cases![1])).to.be.greaterThan(operations);
    expect(output).to.include(`Tested: ${operations}`);
  });
});
