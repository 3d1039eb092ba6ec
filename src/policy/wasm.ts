/**
 * A compiled Wasm policy, loaded once and evaluated many times: re-loading per evaluation costs about
 * 35 times more (OPA issue 3715). Every result is validated against the decision schema; anything else
 * is a `PolicyError`, which callers treat as a deny.
 */
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { decisionSchema, type Decision } from "./decision";
import { PolicyEvaluationError, PolicyLoadError, PolicyResultError } from "./errors";
import { schemaIssues } from "../errors";

/** The policy's single entry point, as compiled by scripts/build-policy.sh. */
export const DECISION_ENTRYPOINT = "settlement/policy/decision";

/** The part of opa-wasm's `LoadedPolicy` this module uses. */
interface LoadedWasmPolicy {
  evaluate(input: unknown, entrypoint?: number | string): unknown;
  setData(data: object): void;
  entrypoints: Record<string, number>;
}

export class WasmPolicy {
  private constructor(
    private readonly loaded: LoadedWasmPolicy,
    /** The entry point evaluated by `evaluate`. */
    readonly entrypoint: string,
  ) {}

  /**
   * Compiles and instantiates `wasm` and loads `data` (the bundle's data.json, an object). Throws
   * `PolicyLoadError` if the module is invalid, lacks the entry point, or refuses the data.
   */
  static async load(wasm: Uint8Array, data: unknown, entrypoint: string = DECISION_ENTRYPOINT): Promise<WasmPolicy> {
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      throw new PolicyLoadError("the policy data must be a JSON object");
    }
    let loaded: LoadedWasmPolicy;
    try {
      loaded = await loadPolicy(wasm);
    } catch (error) {
      throw new PolicyLoadError("the Wasm module does not compile or instantiate", error);
    }
    if (!Object.prototype.hasOwnProperty.call(loaded.entrypoints, entrypoint)) {
      throw new PolicyLoadError(`the module has no entry point ${entrypoint}`);
    }
    try {
      loaded.setData(data);
    } catch (error) {
      throw new PolicyLoadError("the policy data could not be loaded", error);
    }
    return new WasmPolicy(loaded, entrypoint);
  }

  /**
   * Evaluates the entry point for `input` (normally a validated `Intent`) and returns the validated
   * decision. Throws `PolicyEvaluationError` if the evaluation fails and `PolicyResultError` if the
   * result is not exactly one decision document.
   */
  evaluate(input: unknown): Decision {
    let resultSet: unknown;
    try {
      resultSet = this.loaded.evaluate(input, this.entrypoint);
    } catch (error) {
      throw new PolicyEvaluationError(this.entrypoint, error);
    }
    if (!Array.isArray(resultSet) || resultSet.length !== 1) {
      const size = Array.isArray(resultSet) ? resultSet.length : typeof resultSet;
      throw new PolicyResultError(this.entrypoint, [`expected one result, got ${size}`]);
    }
    const first: unknown = resultSet[0];
    const result: unknown =
      first !== null && typeof first === "object" ? (first as { result?: unknown }).result : first;
    const parsed = decisionSchema.safeParse(result);
    if (!parsed.success) {
      throw new PolicyResultError(
        this.entrypoint,
        schemaIssues(parsed.error).map((i) => `${i.path}: ${i.message}`),
      );
    }
    return parsed.data;
  }
}
