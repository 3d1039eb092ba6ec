/**
 * Policy routes: the active bundle and the history of activations and rollbacks (from the audit log), upload of a
 * signed bundle as JSON (verified against the bank's compliance keys and threshold, the chain id and, under the
 * strict version policy, the consortium's shared-policy version; a verified bundle is staged, nothing changes
 * yet), activation of a staged bundle (verified again and audited by the policy registry), and rollback to the
 * bundle active before.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { Consortium__factory } from "../../../typechain-types";
import { bundleSignatureSchema, manifestSchema, verifyBundle, type PolicyBundle } from "../../policy";
import type { ApiRole } from "../../http/contract";
import { ApiError } from "../errors";
import type { RouteContext } from "../server";
import { responses, secured } from "./common";

const READERS: readonly ApiRole[] = ["compliance", "auditor", "operations"];
const COMPLIANCE: readonly ApiRole[] = ["compliance"];

const VersionSchema = z.object({ version: z.number().int(), policyHash: z.string() });

const BundleBodySchema = z
  .object({
    manifest: manifestSchema,
    signatures: z.array(bundleSignatureSchema).min(1),
    data: z.record(z.unknown()).describe("The bundle's data document"),
    wasm: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, "must be base64")
      .describe("The compiled policy, base64"),
  })
  .strict()
  .describe("A signed policy bundle as JSON: the files of a bundle directory, the Wasm in base64");

const StagedSchema = z.object({
  version: z.number().int(),
  policyHash: z.string(),
  sharedPolicyVersion: z.number().int(),
  signers: z.array(z.string()),
});

export function policyRoutes(scope: FastifyInstance, ctx: RouteContext): void {
  const { participant, authorize } = ctx;
  const registry = participant.engine.registry;
  const staged = new Map<number, { bundle: PolicyBundle; signers: string[] }>();

  /** The consortium's shared-policy version when the bank's bundles must match it (strict), else undefined. */
  async function onChainVersion(): Promise<number | undefined> {
    const shared = participant.config.sharedParameters;
    if (shared === undefined || shared.versionPolicy !== "strict") return undefined;
    const consortium = Consortium__factory.connect(participant.config.consortium.consortium, participant.provider);
    return Number(await consortium.policyVersion());
  }

  const app = scope.withTypeProvider<ZodTypeProvider>();

  app.get(
    "/policy",
    {
      onRequest: authorize(READERS),
      schema: {
        tags: ["policy"],
        summary: "The active policy bundle, the staged ones, and every activation and rollback recorded",
        ...secured(READERS),
        response: responses({
          200: z.object({
            active: VersionSchema.nullable(),
            highestVersion: z.number().int(),
            staged: z.array(StagedSchema),
            history: z.array(
              z.object({
                seq: z.number().int(),
                at: z.string(),
                kind: z.string(),
                outcome: z.string(),
                payload: z.record(z.unknown()),
              }),
            ),
          }),
        }),
      },
    },
    async () => {
      const history = [];
      for await (const r of participant.auditRecords()) {
        if (r.kind !== "bundle_activation" && r.kind !== "bundle_rollback") continue;
        const payload = r.payload as Record<string, unknown>;
        history.push({ seq: r.seq, at: r.at, kind: r.kind, outcome: String(payload.outcome), payload });
      }
      return {
        active: participant.policyVersion,
        highestVersion: registry.highestVersion,
        staged: [...staged.values()].map(({ bundle, signers }) => ({
          version: bundle.manifest.version,
          policyHash: bundle.manifest.policyHash,
          sharedPolicyVersion: bundle.manifest.sharedPolicyVersion,
          signers,
        })),
        history,
      };
    },
  );

  app.post(
    "/policy/bundles",
    {
      onRequest: authorize(COMPLIANCE),
      schema: {
        tags: ["policy"],
        summary: "Upload a signed bundle: verified against the compliance keys, then staged (not active yet)",
        ...secured(COMPLIANCE),
        body: BundleBodySchema,
        response: responses({ 201: StagedSchema }),
      },
    },
    async (request, reply) => {
      const { manifest, signatures, data, wasm } = request.body;
      const bundle: PolicyBundle = { manifest, signatures, data, wasm: new Uint8Array(Buffer.from(wasm, "base64")) };
      const chainId = Number((await participant.provider.getNetwork()).chainId);
      const verified = await verifyBundle(bundle, {
        complianceKeys: participant.config.policy.complianceKeys,
        threshold: participant.config.policy.threshold,
        chainId,
        minVersionExclusive: registry.highestVersion,
        onChainVersion: await onChainVersion(),
      });
      const signers = [...verified.signers];
      staged.set(manifest.version, { bundle, signers });
      return reply.code(201).send({
        version: manifest.version,
        policyHash: manifest.policyHash,
        sharedPolicyVersion: manifest.sharedPolicyVersion,
        signers,
      });
    },
  );

  app.post(
    "/policy/activate",
    {
      onRequest: authorize(COMPLIANCE),
      schema: {
        tags: ["policy"],
        summary: "Activate a staged bundle: the next decision uses it (verified again, audited)",
        ...secured(COMPLIANCE),
        body: z.object({ version: z.number().int().min(1) }).strict(),
        response: responses({ 200: z.object({ active: VersionSchema }) }),
      },
    },
    async (request) => {
      const found = staged.get(request.body.version);
      if (found === undefined) {
        throw new ApiError("API_BUNDLE_NOT_STAGED", `no bundle version ${request.body.version} was uploaded`, {
          version: request.body.version,
          staged: [...staged.keys()],
        });
      }
      const active = await registry.activate(found.bundle, { onChainVersion: await onChainVersion() });
      staged.delete(request.body.version);
      return { active };
    },
  );

  app.post(
    "/policy/rollback",
    {
      onRequest: authorize(COMPLIANCE),
      schema: {
        tags: ["policy"],
        summary: "Return to the bundle active before this one (audited; refused when there is none)",
        ...secured(COMPLIANCE),
        response: responses({ 200: z.object({ active: VersionSchema }) }),
      },
    },
    async () => ({ active: await registry.rollback() }),
  );
}
