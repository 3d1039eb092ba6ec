/**
 * `ChainFollower`: one bank's reader of the consortium's contract events. From its durable position (the last
 * block it recorded in full) it reads the blocks the configured confirmations allow, keeps the logs that concern
 * the bank (decode.ts) and the receipts of the bank's own transactions (those its audit log holds a signature
 * for), links each of them to the decision and signature records behind its transaction, and records them, their
 * webhook deliveries and its new position in one transaction. Then it appends every recorded event to the bank's
 * audit log (`chain.event`, `chain.receipt`) and notes each record's seq beside the event. Restarted after a crash
 * anywhere, it reads from the last recorded position again: an event recorded twice is one row (its id is where it
 * is on chain), and one appended but not noted is found in the audit log instead of appended again.
 */
import type { Provider, TransactionReceipt } from "ethers";
import type { AuditEntry, AuditStore } from "../audit";
import { Consortium__factory } from "../../typechain-types";
import { AuditLinks } from "./audit-links";
import { FollowerConfigSchema, parseEventsConfig, type FollowerConfig, type FollowerConfigInput } from "./config";
import { concernsBank, LogDecoder, type BankIdentity, type FollowedContracts } from "./decode";
import { EventsChainMismatchError } from "./errors";
import { chainEventId, type ChainEvent, type EventStore, type NewChainEvent } from "./store";

export interface ChainFollowerOptions {
  provider: Provider;
  store: EventStore;
  /** The bank's audit log: read for its signatures, appended with the events. */
  audit: AuditStore;
  contracts: FollowedContracts;
  bank: BankIdentity;
  config?: FollowerConfigInput;
  /** The position's name in the store (one store may hold several followers). Default `chain`. */
  name?: string;
  /** Told of a failed round of the polling loop; the next round tries again. */
  onError?: (error: unknown) => void;
}

/** What a bank's `Participant` offers a follower (structurally: this module does not depend on the participant). */
export interface FollowedParticipant {
  readonly address: string;
  readonly provider: Provider;
  readonly audit: AuditStore;
  readonly config: {
    readonly consortium: FollowedContracts & { readonly fromBlock: number };
    readonly bank: { readonly accounts: readonly string[] };
  };
}

/** Events appended to the audit log per append at most. */
const AUDIT_BATCH = 256;

export class ChainFollower {
  readonly config: FollowerConfig;
  readonly #o: ChainFollowerOptions;
  readonly #name: string;
  readonly #decoder: LogDecoder;
  readonly #links: AuditLinks;
  #settlements: Set<string> | null = null;
  #chainId: number | null = null;
  /** True once the stored position's block was found on the node with the stored hash. */
  #positionChecked = false;
  /** True when the last round stopped at the batch size, short of the confirmed head. */
  #behind = false;
  #round: Promise<number> | null = null;
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(options: ChainFollowerOptions) {
    this.config = parseEventsConfig(FollowerConfigSchema, options.config, "follower");
    this.#o = options;
    this.#name = options.name ?? "chain";
    this.#decoder = new LogDecoder(options.contracts);
    this.#links = new AuditLinks(options.audit);
  }

  /** A follower of `participant`'s bank: its key and accounts, and its member id read from the consortium. */
  static async forParticipant(
    participant: FollowedParticipant,
    store: EventStore,
    options: Pick<ChainFollowerOptions, "config" | "name" | "onError"> = {},
  ): Promise<ChainFollower> {
    const { consortium, bank } = participant.config;
    const memberId = Number(
      await Consortium__factory.connect(consortium.consortium, participant.provider).operatorMember(
        participant.address,
      ),
    );
    return new ChainFollower({
      provider: participant.provider,
      store,
      audit: participant.audit,
      contracts: consortium,
      bank: { addresses: [participant.address, ...bank.accounts], ...(memberId === 0 ? {} : { memberId }) },
      ...options,
      config: { fromBlock: consortium.fromBlock, ...options.config },
    });
  }

  /**
   * One round: records what the confirmed blocks after the position hold (up to the batch size), then appends what
   * is recorded but not yet in the audit log. Resolves with the number of events recorded. Rounds never overlap.
   */
  poll(): Promise<number> {
    this.#round ??= this.#pollOnce().finally(() => {
      this.#round = null;
    });
    return this.#round;
  }

  async #pollOnce(): Promise<number> {
    const { provider, store } = this.#o;
    const chainId = await this.#checkedChainId();
    const position = await store.position(this.#name);
    if (position !== undefined && position.chainId !== chainId) {
      throw new EventsChainMismatchError("chain", String(position.chainId), String(chainId));
    }
    if (position !== undefined && !this.#positionChecked) {
      // Another network at the same chain id (a devnet started again) would have other blocks: refuse to go on.
      const block = await provider.getBlock(position.blockNumber);
      if (block?.hash !== position.blockHash) {
        throw new EventsChainMismatchError(`block ${position.blockNumber}`, position.blockHash, block?.hash ?? "none");
      }
      this.#positionChecked = true;
    }
    const from = position === undefined ? this.config.fromBlock : position.blockNumber + 1;
    const confirmed = (await provider.getBlockNumber()) - this.config.confirmations;
    const to = Math.min(confirmed, from + this.config.maxBlocksPerBatch - 1);
    this.#behind = to < confirmed;
    let recorded: ChainEvent[] = [];
    if (to >= from) {
      await this.#links.refresh();
      this.#settlements ??= new Set(await store.subjects());
      const { events, last } = await this.#read(chainId, from, to);
      recorded = await store.record(this.#name, { chainId, ...last }, events);
    }
    await this.#appendToAudit();
    return recorded.length;
  }

  async #checkedChainId(): Promise<number> {
    this.#chainId ??= Number((await this.#o.provider.getNetwork()).chainId);
    return this.#chainId;
  }

  /** The events of blocks `from`..`to` that concern the bank, in chain order, and the last block's position. */
  async #read(
    chainId: number,
    from: number,
    to: number,
  ): Promise<{ events: NewChainEvent[]; last: { blockNumber: number; blockHash: string; logIndex: number } }> {
    const { provider } = this.#o;
    const logs = await provider.getLogs({ address: this.#decoder.addresses, fromBlock: from, toBlock: to });
    const byTx = new Map<string, typeof logs>();
    for (const log of logs) byTx.set(log.transactionHash, [...(byTx.get(log.transactionHash) ?? []), log]);
    const events: NewChainEvent[] = [];
    let last = { blockNumber: from - 1, blockHash: "", logIndex: -1 };
    for (let n = from; n <= to; n++) {
      const block = await provider.getBlock(n);
      if (block === null || block.hash === null)
        throw new EventsChainMismatchError("block", String(n), "no such block");
      last = { blockNumber: n, blockHash: block.hash, logIndex: -1 };
      for (const txHash of block.transactions) {
        const signed = this.#links.signed(txHash);
        const link = {
          own: signed !== undefined,
          decisionSeq: signed?.decisionSeq ?? null,
          signatureSeq: signed?.signatureSeq ?? null,
        };
        for (const log of (byTx.get(txHash) ?? []).sort((a, b) => a.index - b.index)) {
          if (log.blockHash !== block.hash) throw new EventsChainMismatchError("block hash", block.hash, log.blockHash);
          last.logIndex = log.index;
          const decoded = this.#decoder.decode(log);
          if (decoded === undefined || !concernsBank(decoded, this.#o.bank, this.#settlements!)) continue;
          if (decoded.subject !== null && decoded.type === "SettlementInstructed")
            this.#settlements!.add(decoded.subject);
          events.push({
            id: chainEventId("event", chainId, block.hash, log.index),
            kind: "event",
            type: decoded.type,
            chainId,
            blockNumber: n,
            blockHash: block.hash,
            logIndex: log.index,
            txHash,
            contract: decoded.contract,
            address: log.address,
            subject: decoded.subject,
            data: decoded.data,
            ...link,
          });
        }
        if (signed !== undefined) {
          const receipt = await provider.getTransactionReceipt(txHash);
          if (receipt !== null) events.push(receiptEvent(chainId, receipt, link));
        }
      }
    }
    return { events, last };
  }

  /** Appends the recorded events the audit log lacks, and notes each one's record. */
  async #appendToAudit(): Promise<void> {
    const { store, audit } = this.#o;
    for (;;) {
      const pending = await store.unaudited(AUDIT_BATCH);
      if (pending.length === 0) return;
      await this.#links.refresh();
      const links = new Map<string, number>();
      const missing = pending.filter((e) => {
        const seq = this.#links.eventRecord(e.id);
        if (seq !== undefined) links.set(e.id, seq);
        return seq === undefined;
      });
      const records = await audit.appendMany(missing.map(auditEntry));
      records.forEach((r, i) => links.set(missing[i].id, r.seq));
      await store.linkAudit(links);
    }
  }

  /** Polls every `pollIntervalMs` until stopped. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let recorded = 0;
      try {
        recorded = await this.poll();
      } catch (error) {
        this.#o.onError?.(error);
      }
      if (!this.#running) break;
      if (recorded > 0 || this.#behind) continue;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, this.config.pollIntervalMs);
      });
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#wake = null;
    }
  }

  /** Stops polling once the round under way has finished. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    this.#loop = null;
  }
}

function receiptEvent(
  chainId: number,
  receipt: TransactionReceipt,
  link: Pick<NewChainEvent, "own" | "decisionSeq" | "signatureSeq">,
): NewChainEvent {
  return {
    id: chainEventId("receipt", chainId, receipt.blockHash, receipt.index),
    kind: "receipt",
    type: "TransactionReceipt",
    chainId,
    blockNumber: receipt.blockNumber,
    blockHash: receipt.blockHash,
    logIndex: receipt.index,
    txHash: receipt.hash,
    contract: "",
    address: receipt.to ?? "",
    subject: null,
    data: {
      status: receipt.status === 1 ? "success" : "reverted",
      from: receipt.from,
      to: receipt.to,
      gasUsed: receipt.gasUsed.toString(),
      logs: receipt.logs.length,
    },
    ...link,
  };
}

/** The audit record of a recorded event: what it was, where on chain, and the records behind its transaction. */
function auditEntry(e: ChainEvent): AuditEntry {
  return {
    kind: e.kind === "event" ? "chain.event" : "chain.receipt",
    subject: e.subject ?? e.txHash,
    payload: {
      eventId: e.id,
      type: e.type,
      chainId: e.chainId,
      blockNumber: e.blockNumber,
      blockHash: e.blockHash,
      logIndex: e.logIndex,
      txHash: e.txHash,
      contract: e.contract,
      address: e.address,
      data: e.data,
      own: e.own,
      decisionSeq: e.decisionSeq,
      signatureSeq: e.signatureSeq,
    },
  };
}
