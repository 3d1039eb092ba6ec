/**
 * Minimal JSON-RPC over HTTP to one node, with a timeout: what the devnet needs to watch its nodes (head, peers,
 * validators) without a provider that retries on its own.
 */

/** A node answered with a JSON-RPC error, or not at all. */
export class RpcCallError extends Error {
  constructor(
    readonly url: string,
    readonly method: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${method} on ${url}: ${message}`, options);
    this.name = "RpcCallError";
  }
}

/** Calls `method` on the node at `url`; throws `RpcCallError` on a transport failure, timeout or RPC error. */
export async function rpcCall<T>(url: string, method: string, params: unknown[], timeoutMs: number): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw new RpcCallError(url, method, (cause as Error).message, { cause });
  }
  if (!response.ok) throw new RpcCallError(url, method, `HTTP ${response.status}`);
  const body = (await response.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error !== undefined) throw new RpcCallError(url, method, `${body.error.code} ${body.error.message}`);
  return body.result as T;
}
