/**
 * The demo's clock: the in-process chain's time, which the demo moves (to a Monday morning, past a timelock,
 * past the reversal window). The banks' decision engines read it, so their business-hours and cut-off rules
 * see the same time the contracts do.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";

export class DemoClock {
  #offset = 0;

  constructor(private readonly hre: HardhatRuntimeEnvironment) {}

  /** The chain's time now, in Unix seconds. */
  now(): number {
    return Math.floor(Date.now() / 1000) + this.#offset;
  }

  /** Re-reads the chain's time from its latest block. */
  async sync(): Promise<void> {
    const block = await this.hre.ethers.provider.getBlock("latest");
    this.#offset = (block?.timestamp ?? 0) - Math.floor(Date.now() / 1000);
  }

  /** Moves the chain forward by `seconds` (one block is mined). */
  async advance(seconds: number): Promise<void> {
    await this.hre.network.provider.request({ method: "evm_increaseTime", params: [seconds] });
    await this.hre.network.provider.request({ method: "evm_mine", params: [] });
    await this.sync();
  }

  /** Moves the chain to the next Monday at `hourUtc`:00 UTC, at least a day ahead. */
  async toNextMonday(hourUtc: number): Promise<void> {
    await this.sync();
    const now = this.now();
    const day = 86_400;
    let t = Math.floor(now / day) * day + day + hourUtc * 3600;
    while (new Date(t * 1000).getUTCDay() !== 1) t += day;
    await this.hre.network.provider.request({ method: "evm_setNextBlockTimestamp", params: [t] });
    await this.hre.network.provider.request({ method: "evm_mine", params: [] });
    await this.sync();
  }
}
