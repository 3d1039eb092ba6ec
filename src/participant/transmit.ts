/**
 * Getting a signed transaction to a receipt: broadcast (raw, with bounded retries and backoff), then poll for
 * the receipt until it has the configured confirmations, and record the outcome in the submission store. A
 * transaction found again by a retried call is rebroadcast with the same bytes, or its receipt returned.
 */
import type { Provider, TransactionReceipt } from "ethers";
import { ErrorCode, TransactionError } from "../errors";
import type { ParticipantConfig } from "./config";
import type { Submitted } from "./participant";
import type { SubmissionStore } from "./submissions";

export class Transmitter {
  constructor(
    private readonly provider: Provider,
    private readonly submissions: SubmissionStore,
    private readonly settings: ParticipantConfig["submission"],
  ) {}

  async track(key: string, raw: string, txHash: string, nonce: number, retried: boolean): Promise<Submitted> {
    const { confirmations, receiptTimeoutMs, broadcastAttempts, backoffMs } = this.settings;
    // A transaction signed just now cannot have a receipt yet; one found again by a retry may.
    let receipt = retried ? await this.provider.getTransactionReceipt(txHash) : null;
    for (let attempt = 1; receipt === null; attempt++) {
      try {
        await this.#broadcast(raw);
        break;
      } catch (error) {
        receipt = await this.provider.getTransactionReceipt(txHash);
        if (receipt !== null || (await this.provider.getTransaction(txHash)) !== null) break;
        if (attempt >= broadcastAttempts) {
          throw new TransactionError(
            ErrorCode.TransactionFailed,
            `transaction ${txHash} could not be broadcast`,
            { txHash, nonce, attempts: attempt },
            error,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, backoffMs * attempt));
      }
    }
    receipt ??= await this.#waitForReceipt(txHash, confirmations, receiptTimeoutMs);
    if (receipt === null) {
      throw new TransactionError(
        ErrorCode.TransactionFailed,
        `no receipt for ${txHash} within ${receiptTimeoutMs} ms`,
        { txHash, nonce },
      );
    }
    await this.submissions.settle(key, receipt.status === 1 ? "mined" : "reverted", receipt.blockNumber);
    if (receipt.status !== 1) {
      throw new TransactionError(ErrorCode.TransactionFailed, `transaction ${txHash} reverted`, { txHash, nonce });
    }
    return { txHash, nonce, receipt, retried };
  }

  /**
   * Sends the signed bytes. With a JSON-RPC provider the raw call is used: the transaction response ethers
   * would build is not needed, and building it recovers the sender again.
   */
  async #broadcast(raw: string): Promise<void> {
    const rpc = this.provider as Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> };
    if (typeof rpc.send === "function") await rpc.send("eth_sendRawTransaction", [raw]);
    else await this.provider.broadcastTransaction(raw);
  }

  /** Polls for the receipt (any provider, the in-process one included) until it has `confirmations`. */
  async #waitForReceipt(txHash: string, confirmations: number, timeoutMs: number): Promise<TransactionReceipt | null> {
    const deadline = Date.now() + timeoutMs;
    for (let wait = 25; ; wait = Math.min(wait * 2, 1000)) {
      const receipt = await this.provider.getTransactionReceipt(txHash);
      if (receipt !== null && (confirmations === 1 || (await receipt.confirmations()) >= confirmations)) return receipt;
      if (Date.now() >= deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
