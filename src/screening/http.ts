/**
 * A provider that asks a screening service over HTTP: one JSON POST per subject, its answer validated with
 * zod. Each attempt has a timeout; a failed attempt (no connection, timeout, 5xx) is retried a bounded number
 * of times with exponential backoff, all from configuration. It fails closed: an outage, a timeout, an error
 * status or a malformed answer is an outage with its typed reason, never `clear`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { schemaIssues } from "../errors";
import { ScreeningConfigError, ScreeningError } from "./errors";
import type { ScreeningProvider, ScreeningResult, ScreeningSubject, ScreeningVerdict } from "./provider";

export const HttpScreeningConfigSchema = z
  .object({
    /** The provider's name as reported in results. */
    name: z.string().min(1).max(64).default("screening-service"),
    url: z.string().url(),
    /** Time allowed for one attempt, answer body included. */
    timeoutMs: z.number().int().min(1).max(60_000),
    /** Attempts after the first one, for a failed connection, a timeout or a 5xx. */
    retries: z.number().int().min(0).max(10),
    /** Wait before the first retry; doubled before each next one, up to `maxBackoffMs`. */
    backoffMs: z.number().int().min(0).max(60_000),
    maxBackoffMs: z.number().int().min(0).max(300_000),
    /** Largest answer read; a longer one is a malformed answer (the rest is not read). */
    maxAnswerBytes: z.number().int().min(256).max(1_048_576).default(65_536),
    /** Sent as `Authorization: Bearer <apiKey>`; read from a secret source by the caller, never logged. */
    apiKey: z.string().min(1).optional(),
  })
  .strict();
export type HttpScreeningConfig = z.input<typeof HttpScreeningConfigSchema>;

/** The service's answer. A `clear` lists no match; `medium` and `hit` list at least one. */
export const ScreeningAnswerSchema = z
  .object({
    result: z.enum(["clear", "medium", "hit"]),
    matches: z.array(
      z
        .object({
          party: z.enum(["counterparty", "client"]),
          list: z.string().min(1),
          entry: z.string().min(1),
          name: z.string(),
          matchedOn: z.enum(["identifier", "name"]),
        })
        .strict(),
    ),
  })
  .strict()
  .refine((a) => (a.result === "clear") === (a.matches.length === 0), {
    message: "clear lists no match; medium and hit list at least one",
    path: ["matches"],
  });

type Attempt = { verdict: ScreeningVerdict } | { error: ScreeningError; retry: boolean };

export class HttpScreeningProvider implements ScreeningProvider {
  readonly name: string;
  readonly #config: z.output<typeof HttpScreeningConfigSchema>;

  constructor(config: HttpScreeningConfig) {
    const parsed = HttpScreeningConfigSchema.safeParse(config);
    if (!parsed.success) throw new ScreeningConfigError("screening service", schemaIssues(parsed.error));
    this.#config = parsed.data;
    this.name = parsed.data.name;
  }

  async screen(subject: ScreeningSubject): Promise<ScreeningResult> {
    const { retries, backoffMs, maxBackoffMs } = this.#config;
    const travel = subject.travelRule === undefined ? {} : { travelRule: subject.travelRule };
    const body = JSON.stringify({
      counterparty: subject.counterparty,
      ...(subject.client === undefined ? {} : { client: subject.client }),
    });
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(body, attempt);
      if ("verdict" in outcome) return { ...outcome.verdict, ...travel };
      if (!outcome.retry || attempt > retries) {
        return { status: "outage", provider: this.name, error: outcome.error, ...travel };
      }
      await sleep(Math.min(backoffMs * 2 ** (attempt - 1), maxBackoffMs));
    }
  }

  async #attempt(body: string, attempt: number): Promise<Attempt> {
    const { url, timeoutMs } = this.#config;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    const fail = (code: ScreeningError["code"], reason: string, retry: boolean, more = {}, cause?: unknown) => ({
      error: new ScreeningError(
        code,
        `screening service ${this.name} ${reason}`,
        { provider: this.name, url, attempts: attempt, reason, ...more },
        cause,
      ),
      retry,
    });
    try {
      let response: Response;
      let text: string;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json",
            ...(this.#config.apiKey === undefined ? {} : { authorization: `Bearer ${this.#config.apiKey}` }),
          },
          body,
          signal: abort.signal,
        });
        text = await readBounded(response, this.#config.maxAnswerBytes);
      } catch (error) {
        if (error instanceof AnswerTooLarge) {
          return fail("SCREENING_ANSWER_INVALID", `answered more than ${error.limit} bytes`, false);
        }
        return abort.signal.aborted
          ? fail("SCREENING_TIMEOUT", `did not answer within ${timeoutMs} ms`, true, { timeoutMs }, error)
          : fail("SCREENING_UNAVAILABLE", "is unreachable", true, {}, error);
      }
      if (response.status !== 200) {
        const retry = response.status >= 500;
        return fail("SCREENING_UNAVAILABLE", `answered HTTP ${response.status}`, retry, { status: response.status });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        return fail("SCREENING_ANSWER_INVALID", "answered something that is not JSON", false, {}, error);
      }
      const answer = ScreeningAnswerSchema.safeParse(json);
      if (!answer.success) {
        const issues = schemaIssues(answer.error);
        return fail("SCREENING_ANSWER_INVALID", "answered outside its schema", false, { issues });
      }
      return { verdict: { status: answer.data.result, provider: this.name, matches: answer.data.matches } };
    } finally {
      clearTimeout(timer);
    }
  }
}

class AnswerTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`answer larger than ${limit} bytes`);
  }
}

/** The body of `response` as UTF-8, refused past `limit` bytes without reading further. */
async function readBounded(response: Response, limit: number): Promise<string> {
  if (response.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    // Leaving the loop cancels the stream: the rest of the answer is not read.
    if (size > limit) throw new AnswerTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
