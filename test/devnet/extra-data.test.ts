/**
 * The QBFT extraData codec against Besu's published vectors:
 *  - Besu documentation, "Configure QBFT consensus" (docs/private-networks/how-to/configure/consensus/qbft.md in
 *    hyperledger/besu-docs): the genesis extraData of the block header validator selection example (4 validators)
 *    and of the contract validator selection example (no validators).
 *  - Besu's QbftExtraDataCodecTest (consensus/qbft/src/test/java/org/hyperledger/besu/consensus/qbft/
 *    QbftExtraDataCodecTest.java in hyperledger/besu): RAW_HEX_ENCODING_STRING with vanity 0x01..0x20, validators
 *    0x..01 and 0x..02, an add vote for 0x..01, round 0xFEDCBA and two seals (r=1, s=10, v=0) and (r=10, s=1, v=0).
 */
import { expect } from "chai";
import { encodeRlp, toBeHex, zeroPadValue } from "ethers";
import {
  decodeQbftExtraData,
  encodeQbftExtraData,
  encodeQbftExtraDataFields,
  type QbftExtraData,
} from "../../src/devnet";
import { isFrameworkError } from "../../src/errors";

const BESU_DOCS_VALIDATORS = [
  "0x64a702e6263b7297a96638cac6ae65e6541f4169",
  "0x3923390ad55e90c237593b3b0e401f3b08a03185",
  "0xaefdb9a738c9f433e5b6b212a6d62f6370c2f692",
  "0xc7eeb9a4e00ce683cf93039b212648e01c6c6b78",
];
const BESU_DOCS_EXTRA_DATA =
  "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f8549464a702e6263b7297a96638cac6ae65e6541f" +
  "4169943923390ad55e90c237593b3b0e401f3b08a0318594aefdb9a738c9f433e5b6b212a6d62f6370c2f69294c7eeb9a4e00ce683cf9303" +
  "9b212648e01c6c6b78c080c0";
const BESU_DOCS_CONTRACT_EXTRA_DATA = "0xe5a00000000000000000000000000000000000000000000000000000000000000000c0c080c0";

const BESU_CODEC_RAW_HEX =
  "0xf8f0a00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20ea940000000000000000" +
  "000000000000000000000001940000000000000000000000000000000000000002d7940000000000000000" +
  "00000000000000000000000181ff83fedcbaf886b841000000000000000000000000000000000000000000" +
  "0000000000000000000001000000000000000000000000000000000000000000000000000000000000000a" +
  "00b841000000000000000000000000000000000000000000000000000000000000000a0000000000000000" +
  "00000000000000000000000000000000000000000000000100";

const address = (n: number) => zeroPadValue(toBeHex(n), 20);
const seal = (r: number, s: number, v: number) =>
  `${zeroPadValue(toBeHex(r), 32)}${zeroPadValue(toBeHex(s), 32).slice(2)}${toBeHex(v, 1).slice(2)}`;

const BESU_CODEC_DECODED: QbftExtraData = {
  vanity: `0x${Array.from({ length: 32 }, (_, i) => (i + 1).toString(16).padStart(2, "0")).join("")}`,
  validators: [address(1), address(2)],
  vote: { recipient: address(1), add: true },
  round: 0xfedcba,
  seals: [seal(1, 10, 0), seal(10, 1, 0)],
};

function expectExtraDataError(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(isFrameworkError(error, "DEVNET_EXTRA_DATA_INVALID"), String(error)).to.be.true;
    return;
  }
  expect.fail("expected DEVNET_EXTRA_DATA_INVALID");
}

describe("devnet: QBFT extraData", () => {
  it("encodes the genesis extraData of Besu's documented QBFT genesis", () => {
    expect(encodeQbftExtraData(BESU_DOCS_VALIDATORS)).to.equal(BESU_DOCS_EXTRA_DATA);
  });

  it("decodes Besu's documented genesis extraData to its four validators, no vote, round 0, no seals", () => {
    const decoded = decodeQbftExtraData(BESU_DOCS_EXTRA_DATA);
    expect(decoded.validators.map((v) => v.toLowerCase())).to.deep.equal(BESU_DOCS_VALIDATORS);
    expect(decoded.vote).to.equal(undefined);
    expect(decoded.round).to.equal(0);
    expect(decoded.seals).to.deep.equal([]);
    expect(decoded.vanity).to.equal(`0x${"00".repeat(32)}`);
  });

  it("encodes an empty validator list as Besu's contract-validator genesis does", () => {
    expect(encodeQbftExtraData([])).to.equal(BESU_DOCS_CONTRACT_EXTRA_DATA);
    expect(decodeQbftExtraData(BESU_DOCS_CONTRACT_EXTRA_DATA).validators).to.deep.equal([]);
  });

  it("encodes every field as Besu's codec test vector (vote, round 0xFEDCBA, seals)", () => {
    expect(encodeQbftExtraDataFields(BESU_CODEC_DECODED)).to.equal(BESU_CODEC_RAW_HEX);
  });

  it("decodes Besu's codec test vector to its fields", () => {
    const decoded = decodeQbftExtraData(BESU_CODEC_RAW_HEX);
    expect({
      ...decoded,
      validators: decoded.validators.map((v) => v.toLowerCase()),
      vote: decoded.vote && { ...decoded.vote, recipient: decoded.vote.recipient.toLowerCase() },
    }).to.deep.equal(BESU_CODEC_DECODED);
  });

  it("round-trips a drop vote", () => {
    const fields: QbftExtraData = { ...BESU_CODEC_DECODED, vote: { recipient: address(2), add: false } };
    expect(decodeQbftExtraData(encodeQbftExtraDataFields(fields)).vote?.add).to.equal(false);
  });

  it("refuses a round encoded with leading zero bytes (Besu reads it as a scalar)", () => {
    const vanity = `0x${"00".repeat(32)}`;
    expectExtraDataError(() => decodeQbftExtraData(encodeRlp([vanity, [], [], "0x00dcba", []])));
  });

  it("refuses extraData that is not five RLP items", () => {
    expectExtraDataError(() => decodeQbftExtraData(encodeRlp([`0x${"00".repeat(32)}`, []])));
    expectExtraDataError(() => decodeQbftExtraData("0xzz"));
    expectExtraDataError(() => decodeQbftExtraData("0x"));
  });

  it("refuses a validator that is not an address", () => {
    expectExtraDataError(() => encodeQbftExtraData(["0x1234"]));
  });
});
