// The digest approvals are bound to and the EIP-712 scheme, recomputed by hand from the documented
// encoding (not only round trips), and the configuration's refusals.
import { expect } from "chai";
import { AbiCoder, concat, id, keccak256, recoverAddress, toUtf8Bytes } from "ethers";
import { approvalTypedDigest, intentDigest, parseApprovalConfig, recoverApprover } from "../../src/approvals";
import { CHAIN_ID, config, intent, vote, wallets } from "./helpers";
import { isFrameworkError } from "../../src/errors";

const CANONICAL_INTENT =
  '{"action":"settle","aml":"clear","amount":"25000000","asset":"EURT","counterparty":"BANKBXXX",' +
  '"exposure_used":"0","initiator":{"id":"u-alice","roles":["trader"]},"intent_id":"intent-0001",' +
  '"key_tier":"hot","time_unix":1800000000}';

function handDigest(digest: string, approverId: string, decision: string, expiresAt: number, chainId: number): string {
  const abi = AbiCoder.defaultAbiCoder();
  const domainType = id("EIP712Domain(string name,string version,uint256 chainId)");
  const domain = keccak256(
    abi.encode(["bytes32", "bytes32", "bytes32", "uint256"], [domainType, id("ConsortiumApproval"), id("1"), chainId]),
  );
  const typeHash = id("Approval(bytes32 intentDigest,string approverId,string decision,uint64 expiresAt)");
  const struct = keccak256(
    abi.encode(
      ["bytes32", "bytes32", "bytes32", "bytes32", "uint64"],
      [typeHash, digest, id(approverId), id(decision), expiresAt],
    ),
  );
  return keccak256(concat(["0x1901", domain, struct]));
}

describe("approvals: digest and EIP-712 scheme", function () {
  it("hashes the canonical JSON of the intent without its approvals", function () {
    expect(intentDigest(intent())).to.equal(keccak256(toUtf8Bytes(CANONICAL_INTENT)));
    const withApprovals = intent({ approvals: [{ id: "u-carol", roles: ["compliance_officer"] }] });
    expect(intentDigest(withApprovals)).to.equal(intentDigest(intent()));
    const bare = intent();
    delete bare.approvals;
    expect(intentDigest(bare)).to.equal(intentDigest(intent()));
  });

  it("refuses an intent that is not plain JSON with APPROVAL_MALFORMED, never an audit error", function () {
    const odd = { ...intent(), initiator: { id: "u-alice", roles: ["trader"], limit: 10n } } as unknown as Parameters<
      typeof intentDigest
    >[0];
    const error: unknown = (() => {
      try {
        return intentDigest(odd);
      } catch (e) {
        return e;
      }
    })();
    expect(isFrameworkError(error, "APPROVAL_MALFORMED"), String(error)).to.equal(true);
    expect(error).to.have.nested.property("details.path", "intent.initiator.limit");
    expect(error).to.have.nested.property("details.intentId", "intent-0001");
  });

  it("changes the digest when any other field changes", function () {
    expect(intentDigest(intent({ amount: "25000001" }))).not.to.equal(intentDigest(intent()));
    expect(intentDigest(intent({ intent_id: "intent-0002" }))).not.to.equal(intentDigest(intent()));
  });

  it("signs the documented EIP-712 digest", async function () {
    const digest = intentDigest(intent());
    const signed = await vote("carol", "intent-0001", digest, { expiresAt: 1_800_007_200 });
    const expected = handDigest(digest, "u-carol", "approve", 1_800_007_200, CHAIN_ID);
    expect(approvalTypedDigest(signed.message, CHAIN_ID)).to.equal(expected);
    expect(recoverAddress(expected, signed.signature)).to.equal(wallets.carol.address);
    expect(recoverApprover(signed, CHAIN_ID)).to.equal(wallets.carol.address);
    expect(recoverApprover(signed, CHAIN_ID + 1)).not.to.equal(wallets.carol.address);
  });

  it("refuses a configuration with a duplicate approver id or a malformed address", function () {
    const base = config();
    const duplicate = { ...base, approvers: [...base.approvers, base.approvers[0]] };
    const badAddress = { ...base, approvers: [{ id: "u-x", address: "0x1234", roles: ["ops"] }] };
    for (const input of [duplicate, badAddress]) {
      let caught: unknown;
      try {
        parseApprovalConfig(input);
      } catch (error) {
        caught = error;
      }
      expect(isFrameworkError(caught, "APPROVAL_CONFIG_INVALID")).to.equal(true);
    }
  });
});
