// Replay protection of the remote signing module across restarts, configuration changes and clock steps: a
// request id is remembered until the request's own expiry plus the largest clock skew any configuration may
// allow, and the module's clock never runs backwards, so a request used once is never signed again.
import { expect } from "chai";
import path from "node:path";
import { RemoteSigningModule, type RsmOutcome, type RsmServiceConfigInput, type SignBody } from "../../src/rsm";
import { RsmHarness } from "./helpers";

const T = 1_900_000_000;
const body = (text: string): SignBody => ({ kind: "message", payload: { text } });

describe("remote signing module: replay ids", function () {
  let rsm: RsmHarness;
  let cases = 0;

  before(async function () {
    rsm = await RsmHarness.create("rsm-replay");
  });

  after(async function () {
    await rsm.destroy();
  });

  /** A module on its own replay store `file`, with the clock `clock.now`. */
  function open(
    clock: { now: number },
    file: string,
    config: Partial<RsmServiceConfigInput> = {},
  ): Promise<RemoteSigningModule> {
    return RemoteSigningModule.open(rsm.serviceConfig({ ...config, replayStore: { path: file } }), {
      signers: [rsm.hsmSigner],
      audit: rsm.audit,
      log: () => undefined,
      now: () => clock.now,
    });
  }

  const code = (outcome: RsmOutcome): string | undefined =>
    outcome.ok ? undefined : (outcome.error as { code?: string }).code;

  it("signs no replayed request after a restart with a larger allowed clock skew", async function () {
    const clock = { now: T };
    const file = path.join(rsm.dir, `replay-${++cases}.db`);
    let module = await open(clock, file, { clockSkewSeconds: 30 });
    const used = await rsm.seal(body("pay once"), { iat: T, exp: T + 60 });
    expect((await module.sign(used.jwe)).ok).to.equal(true);
    clock.now = T + 100;
    const later = await rsm.seal(body("later"), { iat: clock.now, exp: clock.now + 60 });
    expect((await module.sign(later.jwe)).ok).to.equal(true);
    await module.close();
    module = await open(clock, file, { clockSkewSeconds: 300 });
    const replayed = await module.sign(used.jwe);
    await module.close();
    expect(replayed.ok).to.equal(false);
    expect(code(replayed)).to.equal("RSM_REPLAY");
  });

  it("signs no replayed request after its clock steps forward and back", async function () {
    const clock = { now: T };
    const file = path.join(rsm.dir, `replay-${++cases}.db`);
    const module = await open(clock, file, { clockSkewSeconds: 30 });
    const used = await rsm.seal(body("pay once"), { iat: T, exp: T + 60 });
    expect((await module.sign(used.jwe)).ok).to.equal(true);
    clock.now = T + 3_600;
    const ahead = await rsm.seal(body("ahead"), { iat: clock.now, exp: clock.now + 60 });
    expect((await module.sign(ahead.jwe)).ok).to.equal(true);
    clock.now = T + 10;
    const replayed = await module.sign(used.jwe);
    await module.close();
    expect(replayed.ok).to.equal(false);
    expect(["RSM_REPLAY", "RSM_REQUEST_EXPIRED"]).to.include(code(replayed));
  });
});
