import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { isFrameworkError } from "../../src/errors";
import {
  HttpScreeningProvider,
  openScreeningProvider,
  SanctionsListProvider,
  ScreeningConfigSchema,
} from "../../src/screening";

describe("screening provider configuration", function () {
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "screening-config-"));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("opens the provider each configuration names, and none for none", function () {
    const list = openScreeningProvider(ScreeningConfigSchema.parse({ provider: "sanctions-list", file: "sdn.csv" }));
    expect(list).to.be.instanceOf(SanctionsListProvider);
    expect(list?.name).to.equal("SDN");
    const http = ScreeningConfigSchema.parse({
      provider: "http",
      url: "http://127.0.0.1:1/s",
      timeoutMs: 500,
      retries: 2,
    });
    expect(http).to.deep.include({ backoffMs: 200, maxBackoffMs: 2_000, name: "screening-service" });
    expect(openScreeningProvider(http)).to.be.instanceOf(HttpScreeningProvider);
    expect(openScreeningProvider(ScreeningConfigSchema.parse({ provider: "none" }))).to.equal(null);
  });

  it("refuses an unknown provider, a service without its timeout, and an API key written into the file", function () {
    expect(ScreeningConfigSchema.safeParse({ provider: "magic" }).success).to.equal(false);
    expect(ScreeningConfigSchema.safeParse({ provider: "http", url: "http://x/", retries: 1 }).success).to.equal(false);
    const literal = { provider: "http", url: "http://x/", timeoutMs: 1, retries: 0, apiKey: { value: "k" } };
    expect(ScreeningConfigSchema.safeParse(literal).success).to.equal(false);
  });

  it("reads the API key from a file, and refuses an empty one with SCREENING_CONFIG_INVALID", function () {
    const file = path.join(dir, "key");
    writeFileSync(file, "k-1\n");
    const config = { provider: "http", url: "http://127.0.0.1:1/s", timeoutMs: 5, retries: 0, apiKey: { file } };
    expect(openScreeningProvider(ScreeningConfigSchema.parse(config))).to.be.instanceOf(HttpScreeningProvider);
    writeFileSync(file, "");
    try {
      openScreeningProvider(ScreeningConfigSchema.parse(config));
      expect.fail("expected a refusal");
    } catch (error) {
      expect(isFrameworkError(error, "SCREENING_CONFIG_INVALID"), String(error)).to.equal(true);
      expect(String((error as Error).message)).to.not.include("k-1");
    }
  });
});
