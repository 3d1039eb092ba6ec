/**
 * The demo's API: the demo consortium's three banks (each with its SoftHSM key, signed bundle and audit log, as
 * `npm run demo` sets them up, on the in-process network) with one API server per bank on localhost, and a demo
 * token issuer: an ES256 key generated at start, whose public key every server trusts, signing one bearer token
 * per bank and role. DEMO ONLY: a bank verifies tokens of its own identity provider.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import type { FastifyInstance } from "fastify";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import {
  buildPolicy,
  consortiumConfigWithKeys,
  createBankKeys,
  openBanks,
  type DemoBank,
  type DemoBankInput,
} from "../demo/banks";
import { DemoClock } from "../demo/clock";
import { DemoHsm } from "../demo/softhsm";
import { deployConsortium, type DeploymentRecord } from "../deploy";
import { demoIsoMapping } from "../demo/iso-mapping";
import { eventRoutes, openBankEvents, type BankEvents } from "../events";
import { API_ROLES, type ApiRole } from "../http/contract";
import { isoRoutes } from "./routes/iso20022";
import { createApiServer, type ApiPlugin } from "./server";

/** The demo's banks and their terms with each other (in cents), as the participant tests use them. */
const TERMS = { perSettlement: "100000000", daily: "900000000", cashThreshold: "50000000" };
export const DEMO_API_BANKS: readonly DemoBankInput[] = [
  { name: "Alpha Bank", lei: "DEMO00ALPHABANK00017", terms: TERMS },
  { name: "Beta Bank", lei: "DEMO00BETABANK000096", terms: TERMS },
  { name: "Gamma Bank", lei: "DEMO00GAMMABANK00078", terms: TERMS },
];

export const DEMO_ISSUER = "https://demo-issuer.invalid (demo only)";

export interface DemoApiBank {
  bank: DemoBank;
  app: FastifyInstance;
  /** The bank's chain follower, webhooks and live stream (served under /v1/events and /v1/webhooks). */
  events: BankEvents;
  url: string;
  audience: string;
  /** A bearer token per role, signed by the demo issuer. */
  tokens: Record<ApiRole, string>;
}

export interface DemoApi {
  record: DeploymentRecord;
  clock: DemoClock;
  banks: DemoApiBank[];
  /** Signs a token for `audience` with `claims` (tests: other roles, expiry, issuer). */
  sign(
    audience: string,
    claims: Record<string, unknown>,
    options?: { expiresIn?: string | number; issuer?: string },
  ): Promise<string>;
  /** The demo issuer's public key, as every server trusts it. */
  issuerJwk: JWK;
  /** The file of shell `export` lines with every URL, address and token. */
  envFile: string;
  close(): Promise<void>;
}

export interface DemoApiOptions {
  runDir: string;
  consortiumConfig: string;
  /** First bank's port; the others follow (0: any free port for each). */
  port: number;
  host?: string;
  plugins?: readonly ApiPlugin[];
}

/** Sets up the demo consortium and starts one API server per bank. */
export async function startDemoApi(hre: HardhatRuntimeEnvironment, options: DemoApiOptions): Promise<DemoApi> {
  rmSync(options.runDir, { recursive: true, force: true });
  mkdirSync(options.runDir, { recursive: true });
  const hsm = DemoHsm.create(path.join(options.runDir, "hsm"));
  const keys = createBankKeys(hsm, DEMO_API_BANKS);
  const configFile = consortiumConfigWithKeys(
    options.consortiumConfig,
    keys,
    path.join(options.runDir, "consortium.json"),
  );
  const { wasm, base } = await buildPolicy(hre.config.paths.root, path.join(options.runDir, "policy-build"));
  const record = (await deployConsortium(hre, { configFile, fresh: true })).record;
  const clock = new DemoClock(hre);
  await clock.toNextMonday(9);
  const opened = await openBanks(hre, {
    runDir: options.runDir,
    hsm,
    record,
    banks: DEMO_API_BANKS,
    keys,
    wasm,
    base,
    clock,
  });

  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk: JWK = { ...(await exportJWK(publicKey)), alg: "ES256", kid: "demo-issuer" };
  const sign: DemoApi["sign"] = (audience, claims, o = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: "demo-issuer" })
      .setIssuer(o.issuer ?? DEMO_ISSUER)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(o.expiresIn ?? "12h")
      .sign(privateKey);

  const banks: DemoApiBank[] = [];
  const eventStacks: BankEvents[] = [];
  const host = options.host ?? "127.0.0.1";
  try {
    for (const [i, bank] of opened.entries()) {
      const audience = `consortium-api:${bank.short}`;
      // The in-process network builds a block per transaction and none after: the follower reads the head.
      const events = await openBankEvents(bank.participant, {
        path: path.join(bank.dir, "events.sqlite"),
        follower: { confirmations: 0, pollIntervalMs: 250, fromBlock: record.blockNumber },
        webhooks: { retryScheduleMs: [1_000, 5_000, 30_000], pollIntervalMs: 250 },
      });
      eventStacks.push(events);
      events.start();
      const mapping = demoIsoMapping(opened, i, record);
      const app = await createApiServer({
        participant: bank.participant,
        title: `${bank.name} settlement API (demo)`,
        plugins: [
          ...(options.plugins ?? []),
          (scope, ctx) => eventRoutes(scope, { ...ctx, events }),
          async (scope, ctx) => {
            await scope.register(isoRoutes, { ...ctx, mapping });
          },
        ],
        config: {
          auth: { issuer: DEMO_ISSUER, audience, algorithms: ["ES256"], publicKeys: [jwk] },
          idempotency: { path: path.join(bank.dir, "api-idempotency.sqlite") },
        },
      });
      const url = await app.listen({ host, port: options.port === 0 ? 0 : options.port + i });
      const tokens = {} as Record<ApiRole, string>;
      for (const role of API_ROLES)
        tokens[role] = await sign(audience, { sub: `${bank.short}-${role}`, roles: [role] });
      banks.push({ bank, app, events, url, audience, tokens });
    }
  } catch (error) {
    for (const b of banks) await b.app.close();
    for (const e of eventStacks) await e.close();
    for (const b of opened) await b.participant.close();
    throw error;
  }
  const envFile = path.join(options.runDir, "env.sh");
  writeFileSync(envFile, envLines(banks));
  return {
    record,
    clock,
    banks,
    sign,
    issuerJwk: jwk,
    envFile,
    close: async () => {
      for (const b of banks) await b.app.close();
      for (const b of banks) await b.events.close();
      for (const b of banks) await b.bank.participant.close();
    },
  };
}

/** `export NAME=value` lines: each bank's URL, address and a token per role (ALPHA_URL, ALPHA_OPERATIONS_TOKEN). */
function envLines(banks: readonly DemoApiBank[]): string {
  const lines = ["# Demo only: tokens signed by a key generated when `npm run api` started."];
  for (const b of banks) {
    const name = b.bank.short.toUpperCase();
    lines.push(`export ${name}_URL=${b.url}`, `export ${name}_ADDRESS=${b.bank.address}`);
    for (const role of API_ROLES) lines.push(`export ${name}_${role.toUpperCase()}_TOKEN=${b.tokens[role]}`);
  }
  return `${lines.join("\n")}\n`;
}
