/**
 * The demo's clock: the chain's time. On the in-process chain the demo moves it (to a Monday morning, past a
 * timelock, past the reversal window); on a real network (a QBFT devnet) no one can move a validator's clock, so
 * the demo waits for the chain's own blocks to pass the same points, reporting its progress while it waits. The
 * banks' decision engines read this clock, so their business-hours and cut-off rules see the time the contracts do.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { IN_PROCESS_NETWORK } from "../tasks/acting";

/** How often a waiting clock reads the chain's head, and how often it reports progress. */
export interface ClockWaitOptions {
  pollMs: number;
  reportEverySeconds: number;
}

const WAIT_DEFAULTS: ClockWaitOptions = { pollMs: 500, reportEverySeconds: 5 };

/** "45 s", "2 min", "48 h": a duration as the demo prints it. */
export function durationText(seconds: number): string {
  if (seconds % 3_600 === 0 && seconds > 0) return `${seconds / 3_600} h`;
  if (seconds % 60 === 0 && seconds > 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export class DemoClock {
  #offset = 0;
  /** True when the chain's clock can be moved (the in-process network); a real network is waited on. */
  readonly movable: boolean;

  constructor(
    private readonly hre: HardhatRuntimeEnvironment,
    private readonly onWait: (message: string) => void = () => undefined,
    private readonly wait: ClockWaitOptions = WAIT_DEFAULTS,
  ) {
    this.movable = hre.network.name === IN_PROCESS_NETWORK;
  }

  /**
   * Seconds added past a deadline before acting on it: a minute where the clock is moved, two seconds (two block
   * periods of the devnet) where the demo must wait for real.
   */
  get margin(): number {
    return this.movable ? 60 : 2;
  }

  /** The chain's time now, in Unix seconds. */
  now(): number {
    return Math.floor(Date.now() / 1000) + this.#offset;
  }

  /** Re-reads the chain's time from its latest block. */
  async sync(): Promise<number> {
    const block = await this.hre.ethers.provider.getBlock("latest");
    this.#offset = (block?.timestamp ?? 0) - Math.floor(Date.now() / 1000);
    return block?.timestamp ?? 0;
  }

  /**
   * Moves the chain forward by `seconds` (one block is mined) or, on a real network, waits until a block at
   * least `seconds` later than the latest one now has been produced.
   */
  async advance(seconds: number, why = "the chain's clock"): Promise<void> {
    if (this.movable) {
      await this.hre.network.provider.request({ method: "evm_increaseTime", params: [seconds] });
      await this.hre.network.provider.request({ method: "evm_mine", params: [] });
      await this.sync();
      return;
    }
    const target = (await this.sync()) + seconds;
    this.onWait(`waiting ${durationText(seconds)} of chain time for ${why} (real network: the clock is not moved)`);
    let reported = Date.now();
    for (;;) {
      const at = await this.sync();
      if (at >= target) break;
      if (Date.now() - reported >= this.wait.reportEverySeconds * 1000) {
        this.onWait(`... ${target - at} s to go (block time ${new Date(at * 1000).toISOString()})`);
        reported = Date.now();
      }
      await sleep(this.wait.pollMs);
    }
  }

  /**
   * Moves the chain to the next Monday at `hourUtc`:00 UTC, at least a day ahead. A real network keeps its own
   * time (the banks' rules there must allow the hour it is); the clock only reads it.
   */
  async toNextMonday(hourUtc: number): Promise<void> {
    await this.sync();
    if (!this.movable) return;
    const now = this.now();
    const day = 86_400;
    let t = Math.floor(now / day) * day + day + hourUtc * 3600;
    while (new Date(t * 1000).getUTCDay() !== 1) t += day;
    await this.hre.network.provider.request({ method: "evm_setNextBlockTimestamp", params: [t] });
    await this.hre.network.provider.request({ method: "evm_mine", params: [] });
    await this.sync();
  }
}
