import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { OPENING, deployConsortium, governedCall } from "../../fixtures";
import { enact } from "../governance/consortium.behavior";

const MAX_UINT112 = (1n << 112n) - 1n;

/**
 * The shared consortium with its deposit token as `token` (every role held by bank A's operator, `issuer`), the
 * settlement engine's address as an impersonated signer, and `removeBankC` to take bank C out by proposal.
 */
async function tokenFixture() {
  const f = await deployConsortium();
  const [a, b, c] = f.banks;
  const issuer = a.operator;
  const engineAddress = await f.engine.getAddress();
  await setBalance(engineAddress, ethers.parseEther("10"));
  const engine = await ethers.getImpersonatedSigner(engineAddress);
  const ISSUER_ROLE = await f.cash.ISSUER_ROLE();
  const FREEZER_ROLE = await f.cash.FREEZER_ROLE();
  const PAUSER_ROLE = await f.cash.PAUSER_ROLE();
  const removeBankC = async () => {
    const operators = f.banks.map((bank) => bank.operator);
    await enact(f.consortium, operators, governedCall(f.consortium, "removeMember", [c.id]));
  };
  return {
    ...f,
    token: f.cash,
    issuer,
    a,
    b,
    c,
    engine,
    engineAddress,
    roles: { ISSUER_ROLE, FREEZER_ROLE, PAUSER_ROLE },
    removeBankC,
  };
}

describe("PermissionedToken", () => {
  describe("constructor", () => {
    for (const [i, which] of ["consortium", "engine", "admin"].entries()) {
      it(`refuses a zero ${which} address`, async () => {
        const { consortium, engineAddress, issuer, token } = await loadFixture(tokenFixture);
        const args = [await consortium.getAddress(), engineAddress, issuer.address];
        args[i] = ethers.ZeroAddress;
        await expect(
          ethers.deployContract("PermissionedToken", ["Token", "TKN", 2, ...args]),
        ).to.be.revertedWithCustomError(token, "TokenZeroAddress");
      });
    }

    it("records its consortium, engine and decimals, and gives the admin every role", async () => {
      const { token, bond, consortium, engineAddress, issuer, b, roles } = await loadFixture(tokenFixture);
      expect(await token.name()).to.equal("Alpha Tokenized Deposit EUR");
      expect(await token.symbol()).to.equal("aEUR");
      expect(await token.decimals()).to.equal(2n);
      expect(await bond.decimals()).to.equal(0n);
      expect(await token.consortium()).to.equal(await consortium.getAddress());
      expect(await token.settlementEngine()).to.equal(engineAddress);
      for (const role of [await token.DEFAULT_ADMIN_ROLE(), roles.ISSUER_ROLE, roles.FREEZER_ROLE, roles.PAUSER_ROLE]) {
        expect(await token.hasRole(role, issuer.address)).to.equal(true);
        expect(await token.hasRole(role, b.operator.address)).to.equal(false);
      }
    });
  });

  describe("mint and burn", () => {
    it("lets the issuer mint to an eligible account", async () => {
      const { token, issuer, a } = await loadFixture(tokenFixture);
      await expect(token.connect(issuer).mint(a.account.address, 100n))
        .to.emit(token, "Transfer")
        .withArgs(ethers.ZeroAddress, a.account.address, 100n);
      expect(await token.balanceOf(a.account.address)).to.equal(OPENING.cash + 100n);
    });

    it("refuses a mint to an unregistered address", async () => {
      const { token, issuer, outsider, a } = await loadFixture(tokenFixture);
      for (const to of [outsider.address, a.operator.address]) {
        await expect(token.connect(issuer).mint(to, 100n))
          .to.be.revertedWithCustomError(token, "TokenNotEligible")
          .withArgs(to);
      }
    });

    it("refuses mint and burn from an address without the issuer role", async () => {
      const { token, a, b, roles } = await loadFixture(tokenFixture);
      await expect(token.connect(b.operator).mint(a.account.address, 1n))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(b.operator.address, roles.ISSUER_ROLE);
      await expect(token.connect(a.account).burn(a.account.address, 1n))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(a.account.address, roles.ISSUER_ROLE);
    });

    it("lets the issuer burn an account's tokens", async () => {
      const { token, issuer, a } = await loadFixture(tokenFixture);
      await expect(token.connect(issuer).burn(a.account.address, 40n))
        .to.emit(token, "Transfer")
        .withArgs(a.account.address, ethers.ZeroAddress, 40n);
      expect(await token.balanceOf(a.account.address)).to.equal(OPENING.cash - 40n);
    });

    it("burns only the unfrozen part of a balance", async () => {
      const { token, issuer, a } = await loadFixture(tokenFixture);
      await token.connect(issuer).setFrozenTokens(a.account.address, OPENING.cash - 10n);
      await expect(token.connect(issuer).burn(a.account.address, 11n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientUnfrozen")
        .withArgs(a.account.address, 10n, 11n);
      await token.connect(issuer).burn(a.account.address, 10n);
      expect(await token.balanceOf(a.account.address)).to.equal(OPENING.cash - 10n);
    });

    it("lets a role admin grant the issuer role", async () => {
      const { token, issuer, a, b, roles } = await loadFixture(tokenFixture);
      await token.connect(issuer).grantRole(roles.ISSUER_ROLE, b.operator.address);
      await expect(token.connect(b.operator).mint(a.account.address, 1n)).to.emit(token, "Transfer");
    });
  });

  describe("eligibility", () => {
    it("moves tokens between accounts of members", async () => {
      const { token, a, b } = await loadFixture(tokenFixture);
      await expect(token.connect(a.account).transfer(b.account.address, 5n)).to.changeTokenBalances(
        token,
        [a.account, b.account],
        [-5n, 5n],
      );
    });

    it("refuses a transfer to an outsider", async () => {
      const { token, a, outsider } = await loadFixture(tokenFixture);
      await expect(token.connect(a.account).transfer(outsider.address, 5n))
        .to.be.revertedWithCustomError(token, "TokenNotEligible")
        .withArgs(outsider.address);
    });

    it("refuses a transferFrom to an outsider, allowance notwithstanding", async () => {
      const { token, a, outsider } = await loadFixture(tokenFixture);
      await token.connect(a.account).approve(outsider.address, 5n);
      await expect(token.connect(outsider).transferFrom(a.account.address, outsider.address, 5n))
        .to.be.revertedWithCustomError(token, "TokenNotEligible")
        .withArgs(outsider.address);
    });

    it("refuses stray tokens: a transfer or a mint to the settlement engine by anyone but the engine", async () => {
      const { token, consortium, issuer, a, engineAddress } = await loadFixture(tokenFixture);
      expect(await consortium.isEligibleHolder(engineAddress)).to.equal(false);
      await expect(token.connect(a.account).transfer(engineAddress, 5n))
        .to.be.revertedWithCustomError(token, "TokenNotEligible")
        .withArgs(engineAddress);
      await expect(token.connect(issuer).mint(engineAddress, 5n))
        .to.be.revertedWithCustomError(token, "TokenNotEligible")
        .withArgs(engineAddress);
      await token.connect(a.account).approve(issuer.address, 5n);
      await expect(token.connect(issuer).transferFrom(a.account.address, engineAddress, 5n))
        .to.be.revertedWithCustomError(token, "TokenNotEligible")
        .withArgs(engineAddress);
      expect(await token.balanceOf(engineAddress)).to.equal(0n);
    });

    it("refuses the settlement engine as a receiver even when the engine itself pulls (legs are locked in place)", async () => {
      const { token, a, engine, engineAddress } = await loadFixture(tokenFixture);
      await expect(token.connect(engine).transferFrom(a.account.address, engineAddress, 5n))
        .to.be.revertedWithCustomError(token, "TokenNotEligible")
        .withArgs(engineAddress);
      expect(await token.balanceOf(engineAddress)).to.equal(0n);
    });

    it("refuses the settlement engine even when a member registers it as an account", async () => {
      const { token, consortium, engine, engineAddress, a, b } = await loadFixture(tokenFixture);
      await consortium.connect(b.operator).registerAccount(engineAddress);
      expect(await consortium.isEligibleHolder(engineAddress)).to.equal(true);
      await expect(token.connect(a.account).transfer(engineAddress, 5n))
        .to.be.revertedWithCustomError(token, "TokenNotEligible")
        .withArgs(engineAddress);
      await token.connect(engine).lock(a.account.address, 5n, 1n);
      await expect(token.connect(engine).transferLocked(a.account.address, engineAddress, 5n))
        .to.be.revertedWithCustomError(token, "TokenNotEligible")
        .withArgs(engineAddress);
    });

    it("refuses a transfer to an account of a removed member", async () => {
      const { token, a, c, removeBankC } = await loadFixture(tokenFixture);
      await removeBankC();
      await expect(token.connect(a.account).transfer(c.account.address, 5n))
        .to.be.revertedWithCustomError(token, "TokenNotEligible")
        .withArgs(c.account.address);
    });

    it("still lets a removed member's account send its tokens to a member", async () => {
      const { token, a, c, removeBankC } = await loadFixture(tokenFixture);
      await removeBankC();
      await expect(token.connect(c.account).transfer(a.account.address, 5n)).to.changeTokenBalances(
        token,
        [c.account, a.account],
        [-5n, 5n],
      );
    });

    it("refuses a transfer to a deregistered account", async () => {
      const { token, consortium, a, b } = await loadFixture(tokenFixture);
      await consortium.connect(b.operator).deregisterAccount(b.account.address);
      await expect(token.connect(a.account).transfer(b.account.address, 5n))
        .to.be.revertedWithCustomError(token, "TokenNotEligible")
        .withArgs(b.account.address);
    });
  });

  describe("whole-address freeze", () => {
    it("is set and lifted by the freezer, with AddressFrozen events", async () => {
      const { token, issuer, a } = await loadFixture(tokenFixture);
      await expect(token.connect(issuer).setAddressFrozen(a.account.address, true))
        .to.emit(token, "AddressFrozen")
        .withArgs(a.account.address, true, issuer.address);
      expect(await token.isFrozen(a.account.address)).to.equal(true);
      await expect(token.connect(issuer).setAddressFrozen(a.account.address, false))
        .to.emit(token, "AddressFrozen")
        .withArgs(a.account.address, false, issuer.address);
      expect(await token.isFrozen(a.account.address)).to.equal(false);
    });

    it("blocks sending", async () => {
      const { token, issuer, a, b } = await loadFixture(tokenFixture);
      await token.connect(issuer).setAddressFrozen(a.account.address, true);
      await expect(token.connect(a.account).transfer(b.account.address, 1n))
        .to.be.revertedWithCustomError(token, "TokenAddressFrozen")
        .withArgs(a.account.address);
      await expect(token.connect(issuer).burn(a.account.address, 1n))
        .to.be.revertedWithCustomError(token, "TokenAddressFrozen")
        .withArgs(a.account.address);
    });

    it("blocks receiving", async () => {
      const { token, issuer, a, b } = await loadFixture(tokenFixture);
      await token.connect(issuer).setAddressFrozen(b.account.address, true);
      await expect(token.connect(a.account).transfer(b.account.address, 1n))
        .to.be.revertedWithCustomError(token, "TokenAddressFrozen")
        .withArgs(b.account.address);
      await expect(token.connect(issuer).mint(b.account.address, 1n))
        .to.be.revertedWithCustomError(token, "TokenAddressFrozen")
        .withArgs(b.account.address);
    });

    it("lets transfers resume once lifted", async () => {
      const { token, issuer, a, b } = await loadFixture(tokenFixture);
      await token.connect(issuer).setAddressFrozen(a.account.address, true);
      await token.connect(issuer).setAddressFrozen(a.account.address, false);
      await expect(token.connect(a.account).transfer(b.account.address, 1n)).to.changeTokenBalance(
        token,
        b.account,
        1n,
      );
    });

    it("refuses an address without the freezer role", async () => {
      const { token, a, b, roles } = await loadFixture(tokenFixture);
      await expect(token.connect(b.operator).setAddressFrozen(a.account.address, true))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(b.operator.address, roles.FREEZER_ROLE);
      await expect(token.connect(b.operator).setFrozenTokens(a.account.address, 1n))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(b.operator.address, roles.FREEZER_ROLE);
    });
  });

  describe("partial freeze", () => {
    it("is set by the freezer, with a TokensFrozen event", async () => {
      const { token, issuer, a } = await loadFixture(tokenFixture);
      await expect(token.connect(issuer).setFrozenTokens(a.account.address, 300n))
        .to.emit(token, "TokensFrozen")
        .withArgs(a.account.address, 300n, issuer.address);
      expect(await token.frozenTokens(a.account.address)).to.equal(300n);
    });

    it("lets the unfrozen part move and refuses the rest", async () => {
      const { token, issuer, a, b } = await loadFixture(tokenFixture);
      const frozen = 300n;
      const available = OPENING.cash - frozen;
      await token.connect(issuer).setFrozenTokens(a.account.address, frozen);
      await expect(token.connect(a.account).transfer(b.account.address, available + 1n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientUnfrozen")
        .withArgs(a.account.address, available, available + 1n);
      await token.connect(a.account).transfer(b.account.address, available);
      expect(await token.balanceOf(a.account.address)).to.equal(frozen);
      await expect(token.connect(a.account).transfer(b.account.address, 1n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientUnfrozen")
        .withArgs(a.account.address, 0n, 1n);
    });

    it("reports nothing available when more than the balance is frozen", async () => {
      const { token, issuer, a, b } = await loadFixture(tokenFixture);
      await token.connect(issuer).setFrozenTokens(a.account.address, OPENING.cash * 2n);
      await expect(token.connect(a.account).transfer(b.account.address, 1n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientUnfrozen")
        .withArgs(a.account.address, 0n, 1n);
    });

    it("keeps a frozen amount of any size exactly", async () => {
      const { token, issuer, a, b } = await loadFixture(tokenFixture);
      await expect(token.connect(issuer).setFrozenTokens(a.account.address, ethers.MaxUint256))
        .to.emit(token, "TokensFrozen")
        .withArgs(a.account.address, ethers.MaxUint256, issuer.address);
      expect(await token.frozenTokens(a.account.address)).to.equal(ethers.MaxUint256);
      await expect(token.connect(a.account).transfer(b.account.address, 1n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientUnfrozen")
        .withArgs(a.account.address, 0n, 1n);
    });

    it("does not stop an account receiving, and lifts with 0", async () => {
      const { token, issuer, a, b } = await loadFixture(tokenFixture);
      await token.connect(issuer).setFrozenTokens(b.account.address, OPENING.cash);
      await expect(token.connect(a.account).transfer(b.account.address, 7n)).to.changeTokenBalance(
        token,
        b.account,
        7n,
      );
      await token.connect(b.account).transfer(a.account.address, 7n);
      await token.connect(issuer).setFrozenTokens(b.account.address, 0n);
      await expect(token.connect(b.account).transfer(a.account.address, OPENING.cash)).to.changeTokenBalance(
        token,
        b.account,
        -OPENING.cash,
      );
    });
  });

  describe("pause", () => {
    it("stops transfers, mints and burns until unpaused", async () => {
      const { token, issuer, a, b } = await loadFixture(tokenFixture);
      await expect(token.connect(issuer).pause()).to.emit(token, "Paused").withArgs(issuer.address);
      expect(await token.paused()).to.equal(true);
      await expect(token.connect(a.account).transfer(b.account.address, 1n)).to.be.revertedWithCustomError(
        token,
        "EnforcedPause",
      );
      await expect(token.connect(issuer).mint(a.account.address, 1n)).to.be.revertedWithCustomError(
        token,
        "EnforcedPause",
      );
      await expect(token.connect(issuer).burn(a.account.address, 1n)).to.be.revertedWithCustomError(
        token,
        "EnforcedPause",
      );
      await expect(token.connect(issuer).unpause()).to.emit(token, "Unpaused").withArgs(issuer.address);
      await expect(token.connect(a.account).transfer(b.account.address, 1n)).to.changeTokenBalance(
        token,
        b.account,
        1n,
      );
    });

    it("refuses an address without the pauser role", async () => {
      const { token, issuer, b, roles } = await loadFixture(tokenFixture);
      await expect(token.connect(b.operator).pause())
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(b.operator.address, roles.PAUSER_ROLE);
      await token.connect(issuer).pause();
      await expect(token.connect(b.operator).unpause())
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(b.operator.address, roles.PAUSER_ROLE);
    });
  });

  describe("forceTransfer", () => {
    it("lets the engine move tokens without allowance, with a ForcedTransfer event", async () => {
      const { token, engine, a, b } = await loadFixture(tokenFixture);
      await token.connect(a.account).approve(engine.address, 0n);
      const tx = token.connect(engine).forceTransfer(a.account.address, b.account.address, 25n, 7n);
      await expect(tx)
        .to.emit(token, "Transfer")
        .withArgs(a.account.address, b.account.address, 25n)
        .and.to.emit(token, "ForcedTransfer")
        .withArgs(a.account.address, b.account.address, 25n, 7n);
      await expect(tx).to.changeTokenBalances(token, [a.account, b.account], [-25n, 25n]);
      expect(await token.allowance(a.account.address, engine.address)).to.equal(0n);
    });

    it("refuses anyone but the engine, the issuer included", async () => {
      const { token, issuer, a, b } = await loadFixture(tokenFixture);
      for (const who of [issuer, a.account]) {
        await expect(token.connect(who).forceTransfer(a.account.address, b.account.address, 1n, 1n))
          .to.be.revertedWithCustomError(token, "TokenOnlySettlementEngine")
          .withArgs(who.address);
      }
    });

    it("refuses the same account on both sides", async () => {
      const { token, engine, a } = await loadFixture(tokenFixture);
      await expect(token.connect(engine).forceTransfer(a.account.address, a.account.address, 1n, 1n))
        .to.be.revertedWithCustomError(token, "TokenSelfTransfer")
        .withArgs(a.account.address);
    });

    it("obeys eligibility", async () => {
      const { token, engine, a, outsider } = await loadFixture(tokenFixture);
      await expect(token.connect(engine).forceTransfer(a.account.address, outsider.address, 1n, 1n))
        .to.be.revertedWithCustomError(token, "TokenNotEligible")
        .withArgs(outsider.address);
    });

    it("obeys whole-address and partial freezes", async () => {
      const { token, issuer, engine, a, b } = await loadFixture(tokenFixture);
      await token.connect(issuer).setAddressFrozen(a.account.address, true);
      await expect(token.connect(engine).forceTransfer(a.account.address, b.account.address, 1n, 1n))
        .to.be.revertedWithCustomError(token, "TokenAddressFrozen")
        .withArgs(a.account.address);
      await expect(token.connect(engine).forceTransfer(b.account.address, a.account.address, 1n, 1n))
        .to.be.revertedWithCustomError(token, "TokenAddressFrozen")
        .withArgs(a.account.address);
      await token.connect(issuer).setFrozenTokens(b.account.address, OPENING.cash);
      await expect(token.connect(engine).forceTransfer(b.account.address, a.account.address, 1n, 1n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientUnfrozen")
        .withArgs(b.account.address, 0n, 1n);
    });

    it("obeys the pause", async () => {
      const { token, issuer, engine, a, b } = await loadFixture(tokenFixture);
      await token.connect(issuer).pause();
      await expect(
        token.connect(engine).forceTransfer(a.account.address, b.account.address, 1n, 1n),
      ).to.be.revertedWithCustomError(token, "EnforcedPause");
    });

    it("cannot take locked tokens", async () => {
      const { token, engine, a, b } = await loadFixture(tokenFixture);
      await token.connect(engine).lock(a.account.address, OPENING.cash - 1n, 1n);
      await expect(token.connect(engine).forceTransfer(a.account.address, b.account.address, 2n, 1n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientUnlocked")
        .withArgs(a.account.address, 1n, 2n);
      await expect(
        token.connect(engine).forceTransfer(a.account.address, b.account.address, 1n, 1n),
      ).to.changeTokenBalances(token, [a.account, b.account], [-1n, 1n]);
    });
  });

  describe("lock", () => {
    it("locks a leg in its owner's account with a TokensLocked event, spending the allowance", async () => {
      const { token, engine, engineAddress, a } = await loadFixture(tokenFixture);
      await token.connect(a.account).approve(engineAddress, 15n);
      const tx = token.connect(engine).lock(a.account.address, 10n, 7n);
      await expect(tx).to.emit(token, "TokensLocked").withArgs(a.account.address, 10n, 7n);
      await expect(tx).not.to.emit(token, "Transfer");
      await expect(tx).to.changeTokenBalances(token, [a.account, engineAddress], [0n, 0n]);
      expect(await token.lockedOf(a.account.address)).to.equal(10n);
      expect(await token.allowance(a.account.address, engineAddress)).to.equal(5n);
    });

    it("refuses without the owner's allowance to the engine", async () => {
      const { token, engine, engineAddress, a } = await loadFixture(tokenFixture);
      await token.connect(a.account).approve(engineAddress, 9n);
      await expect(token.connect(engine).lock(a.account.address, 10n, 7n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(engineAddress, 9n, 10n);
    });

    it("refuses anyone but the engine, the issuer included", async () => {
      const { token, issuer, a } = await loadFixture(tokenFixture);
      const calls = [
        () => token.connect(issuer).lock(a.account.address, 1n, 7n),
        () => token.connect(issuer).unlock(a.account.address, 1n, 7n),
        () => token.connect(issuer).transferLocked(a.account.address, issuer.address, 1n),
      ];
      for (const call of calls) {
        await expect(call()).to.be.revertedWithCustomError(token, "TokenOnlySettlementEngine").withArgs(issuer.address);
      }
    });

    it("refuses more than the balance, then more than the unlocked part", async () => {
      const { token, engine, a } = await loadFixture(tokenFixture);
      await expect(token.connect(engine).lock(a.account.address, OPENING.cash + 1n, 7n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
        .withArgs(a.account.address, OPENING.cash, OPENING.cash + 1n);
      await token.connect(engine).lock(a.account.address, OPENING.cash - 3n, 7n);
      await expect(token.connect(engine).lock(a.account.address, 4n, 8n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientUnlocked")
        .withArgs(a.account.address, 3n, 4n);
      await token.connect(engine).lock(a.account.address, 3n, 8n);
      expect(await token.lockedOf(a.account.address)).to.equal(OPENING.cash);
    });

    it("refuses frozen tokens, a frozen owner and a paused token", async () => {
      const { token, issuer, engine, a } = await loadFixture(tokenFixture);
      await token.connect(issuer).setFrozenTokens(a.account.address, OPENING.cash - 5n);
      await token.connect(engine).lock(a.account.address, 2n, 7n);
      await expect(token.connect(engine).lock(a.account.address, 4n, 8n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientUnfrozen")
        .withArgs(a.account.address, 3n, 4n);
      await token.connect(issuer).setAddressFrozen(a.account.address, true);
      await expect(token.connect(engine).lock(a.account.address, 1n, 8n))
        .to.be.revertedWithCustomError(token, "TokenAddressFrozen")
        .withArgs(a.account.address);
      await token.connect(issuer).setAddressFrozen(a.account.address, false);
      await token.connect(issuer).pause();
      await expect(token.connect(engine).lock(a.account.address, 1n, 8n)).to.be.revertedWithCustomError(
        token,
        "EnforcedPause",
      );
    });

    it("keeps locked tokens from being sent, pulled or burnt, while they still count in the balance", async () => {
      const { token, issuer, engine, a, b } = await loadFixture(tokenFixture);
      await token.connect(engine).lock(a.account.address, OPENING.cash - 1n, 7n);
      expect(await token.balanceOf(a.account.address)).to.equal(OPENING.cash);
      await expect(token.connect(a.account).transfer(b.account.address, 2n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientUnlocked")
        .withArgs(a.account.address, 1n, 2n);
      await token.connect(a.account).approve(b.account.address, 2n);
      await expect(token.connect(b.account).transferFrom(a.account.address, b.account.address, 2n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientUnlocked")
        .withArgs(a.account.address, 1n, 2n);
      await expect(token.connect(issuer).burn(a.account.address, 2n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientUnlocked")
        .withArgs(a.account.address, 1n, 2n);
      await expect(token.connect(a.account).transfer(b.account.address, 1n)).to.changeTokenBalance(
        token,
        b.account,
        1n,
      );
    });

    it("refuses a mint past 2^112 - 1 in total, the width of a stored balance", async () => {
      const { token, issuer, a } = await loadFixture(tokenFixture);
      const supply = await token.totalSupply();
      await token.connect(issuer).mint(a.account.address, MAX_UINT112 - supply);
      expect(await token.totalSupply()).to.equal(MAX_UINT112);
      await expect(token.connect(issuer).mint(a.account.address, 1n))
        .to.be.revertedWithCustomError(token, "TokenSupplyOverflow")
        .withArgs(MAX_UINT112 + 1n);
    });
  });

  describe("transferLocked", () => {
    /** The fixture with 10 tokens of bank C's account locked. */
    async function lockedFixture() {
      const f = await tokenFixture();
      await f.token.connect(f.engine).lock(f.c.account.address, 10n, 7n);
      return f;
    }

    it("delivers a locked leg to an eligible account with a Transfer event", async () => {
      const { token, engine, a, c } = await loadFixture(lockedFixture);
      const tx = token.connect(engine).transferLocked(c.account.address, a.account.address, 10n);
      await expect(tx).to.emit(token, "Transfer").withArgs(c.account.address, a.account.address, 10n);
      await expect(tx).to.changeTokenBalances(token, [c.account, a.account], [-10n, 10n]);
      expect(await token.lockedOf(c.account.address)).to.equal(0n);
    });

    it("cannot deliver more than is locked", async () => {
      const { token, engine, a, c } = await loadFixture(lockedFixture);
      await expect(token.connect(engine).transferLocked(c.account.address, a.account.address, 11n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientLocked")
        .withArgs(c.account.address, 10n, 11n);
    });

    it("obeys the receiver's eligibility and freeze and the pause, not the sender's freezes", async () => {
      const { token, issuer, engine, engineAddress, a, c, outsider } = await loadFixture(lockedFixture);
      for (const to of [outsider.address, engineAddress]) {
        await expect(token.connect(engine).transferLocked(c.account.address, to, 1n))
          .to.be.revertedWithCustomError(token, "TokenNotEligible")
          .withArgs(to);
      }
      await token.connect(issuer).setAddressFrozen(a.account.address, true);
      await expect(token.connect(engine).transferLocked(c.account.address, a.account.address, 1n))
        .to.be.revertedWithCustomError(token, "TokenAddressFrozen")
        .withArgs(a.account.address);
      await token.connect(issuer).setAddressFrozen(a.account.address, false);
      await token.connect(issuer).pause();
      await expect(
        token.connect(engine).transferLocked(c.account.address, a.account.address, 1n),
      ).to.be.revertedWithCustomError(token, "EnforcedPause");
      await token.connect(issuer).unpause();
      await token.connect(issuer).setAddressFrozen(c.account.address, true);
      await token.connect(issuer).setFrozenTokens(c.account.address, OPENING.cash);
      await expect(
        token.connect(engine).transferLocked(c.account.address, a.account.address, 10n),
      ).to.changeTokenBalances(token, [c.account, a.account], [-10n, 10n]);
    });
  });

  describe("unlock", () => {
    /** The fixture with 10 tokens of bank C's account locked. */
    async function escrowFixture() {
      const f = await tokenFixture();
      await f.token.connect(f.engine).lock(f.c.account.address, 10n, 7n);
      return f;
    }

    it("unlocks a leg in its account, with a TokensUnlocked event", async () => {
      const { token, engine, engineAddress, c } = await loadFixture(escrowFixture);
      const tx = token.connect(engine).unlock(c.account.address, 10n, 7n);
      await expect(tx).to.emit(token, "TokensUnlocked").withArgs(c.account.address, 10n, 7n);
      await expect(tx).not.to.emit(token, "Transfer");
      await expect(tx).to.changeTokenBalances(token, [engineAddress, c.account.address], [0n, 0n]);
      expect(await token.lockedOf(c.account.address)).to.equal(0n);
    });

    it("unlocks a leg of an account whose member was removed, which can then send it to a member", async () => {
      const { token, consortium, engine, a, c, removeBankC } = await loadFixture(escrowFixture);
      await removeBankC();
      expect(await consortium.isEligibleHolder(c.account.address)).to.equal(false);
      await token.connect(engine).unlock(c.account.address, 10n, 7n);
      expect(await token.lockedOf(c.account.address)).to.equal(0n);
      await expect(token.connect(c.account).transfer(a.account.address, 10n)).to.changeTokenBalance(
        token,
        a.account,
        10n,
      );
    });

    it("unlocks a leg of a frozen account, where the freeze keeps it", async () => {
      const { token, issuer, engine, a, c } = await loadFixture(escrowFixture);
      await token.connect(issuer).setAddressFrozen(c.account.address, true);
      await token.connect(engine).unlock(c.account.address, 10n, 7n);
      expect(await token.lockedOf(c.account.address)).to.equal(0n);
      await expect(token.connect(c.account).transfer(a.account.address, 1n))
        .to.be.revertedWithCustomError(token, "TokenAddressFrozen")
        .withArgs(c.account.address);
    });

    it("unlocks a leg while the token is paused or the tokens are frozen in part", async () => {
      const { token, issuer, engine, c } = await loadFixture(escrowFixture);
      await token.connect(issuer).pause();
      await token.connect(issuer).setFrozenTokens(c.account.address, OPENING.cash);
      await token.connect(engine).unlock(c.account.address, 4n, 7n);
      await token.connect(engine).unlock(c.account.address, 6n, 7n);
      expect(await token.lockedOf(c.account.address)).to.equal(0n);
    });

    it("cannot unlock more than is locked", async () => {
      const { token, engine, c } = await loadFixture(escrowFixture);
      await expect(token.connect(engine).unlock(c.account.address, 11n, 7n))
        .to.be.revertedWithCustomError(token, "TokenInsufficientLocked")
        .withArgs(c.account.address, 10n, 11n);
    });
  });
});
