/**
 * The clients' file forms. Besu's are compared with the forms of its documentation (QBFT genesis example, free gas
 * guide: `londonBlock` 0 with `zeroBaseFee`, `contractSizeLimit`, `min-gas-price=0`); GoQuorum's with the forms
 * GoQuorum v24.4.1 ran with (`isQuorum`, forks up to Berlin at 0, its own `config.qbft` keys, `?discport=0`).
 */
import { expect } from "chai";
import {
  besuGenesis,
  besuNodeToml,
  decodeQbftExtraData,
  genesisValidators,
  goQuorumGenesis,
  nodeKeyFromHex,
  parseDevnetSpec,
  planNodes,
  QBFT_MIX_HASH,
  staticNodes,
} from "../../src/devnet";

const KEYS = [
  "0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63",
  "0xc87509a1c067bbde78beb793e6fa76530b6382a4c0241e5e4a9ec0a0f44dc0d3",
  "0xae6ae8e5ccbfb04590405997ee2d52d2b330726137b875053c36d94e974d162f",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
].map((k) => nodeKeyFromHex(k));

function fixture() {
  const spec = parseDevnetSpec({ chainId: 4242, blockPeriodSeconds: 2, requestTimeoutSeconds: 6 });
  const nodes = planNodes(spec, KEYS);
  return { spec, nodes, validators: genesisValidators(nodes) };
}

describe("devnet: client file forms", () => {
  it("lists the genesis validators in ascending order", () => {
    const { validators } = fixture();
    expect(validators).to.deep.equal([...validators].sort());
    expect(validators).to.have.length(4);
  });

  it("writes Besu's QBFT genesis with its documented keys, free gas after London and the QBFT constants", () => {
    const { spec, validators } = fixture();
    const genesis = besuGenesis(spec, validators) as {
      config: Record<string, unknown> & { qbft: Record<string, unknown> };
      [key: string]: unknown;
    };
    expect(genesis.config.qbft).to.deep.equal({ blockperiodseconds: 2, epochlength: 30000, requesttimeoutseconds: 6 });
    expect(genesis.config).to.include({ chainId: 4242, berlinBlock: 0, londonBlock: 0, zeroBaseFee: true });
    expect(genesis.config.contractSizeLimit).to.equal(2147483647);
    expect(genesis).to.include({ difficulty: "0x1", mixHash: QBFT_MIX_HASH, gasLimit: "0x1fffffffffffff" });
    expect(genesis.config).not.to.have.property("isQuorum");
    const alloc = Object.keys(genesis.alloc as object);
    expect(alloc.every((a) => /^[0-9a-f]{40}$/.test(a))).to.be.true;
    const extra = decodeQbftExtraData(genesis.extraData as string);
    expect(extra.validators.map((v) => v.toLowerCase())).to.deep.equal(validators);
    expect(extra).to.include({ round: 0 });
  });

  it("writes GoQuorum's genesis with isQuorum, every fork to Berlin at 0 and its own qbft keys", () => {
    const { spec, validators } = fixture();
    const genesis = goQuorumGenesis(spec, validators) as { config: Record<string, unknown>; extraData: string };
    expect(genesis.config).to.include({ isQuorum: true, berlinBlock: 0, istanbulBlock: 0, chainId: 4242 });
    expect(genesis.config).not.to.have.property("londonBlock");
    expect(genesis.config.qbft).to.deep.equal({
      epochlength: 30000,
      blockperiodseconds: 2,
      emptyblockperiodseconds: 1,
      requesttimeoutseconds: 6,
      policy: 0,
      ceil2Nby3Block: 0,
    });
    expect(genesis.extraData).to.equal((besuGenesis(spec, validators) as { extraData: string }).extraData);
  });

  it("writes enodes in each client's form", () => {
    const { nodes } = fixture();
    const besu = staticNodes(nodes, "besu");
    const quorum = staticNodes(nodes, "goquorum");
    expect(besu[1]).to.equal(`enode://${KEYS[1].publicKey}@127.0.0.1:30304`);
    expect(quorum[1]).to.equal(`enode://${KEYS[1].publicKey}@127.0.0.1:30304?discport=0`);
  });

  it("writes a Besu TOML with its options, discovery off and a zero minimum gas price", () => {
    const { nodes } = fixture();
    const toml = besuNodeToml(nodes[2], {
      dataPath: "/d/data",
      genesisFile: "/d/genesis.json",
      keyFile: "/d/key",
      staticNodesFile: "/d/static-nodes.json",
    });
    for (const line of [
      'data-path="/d/data"',
      'genesis-file="/d/genesis.json"',
      'node-private-key-file="/d/key"',
      'static-nodes-file="/d/static-nodes.json"',
      "discovery-enabled=false",
      "p2p-port=30305",
      "rpc-http-enabled=true",
      "rpc-http-port=8547",
      "min-gas-price=0",
    ]) {
      expect(toml.split("\n")).to.include(line);
    }
    expect(toml).to.match(/^rpc-http-api=\[.*"QBFT".*\]$/m);
  });
});
