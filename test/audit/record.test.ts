/**
 * The record encoding against vectors computed independently (Python's hashlib and json with sorted keys),
 * the payload's refusal of values that are not plain JSON, and configuration parsing. The RFC 8785 vectors of
 * the canonical JSON itself are in test/core/json.test.ts.
 */
import { expect } from "chai";
import {
  encodePayload,
  GENESIS_HASH,
  parseAuditStoreConfig,
  SqliteAuditStore,
  recordHash,
  type JsonValue,
} from "../../src/audit";
import { isFrameworkError } from "../../src/errors";

describe("audit: record encoding", function () {
  it("hashes a record to a vector computed independently", function () {
    // python3: payload canonical with json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False);
    // preimage ["consortium-audit/v1",1,"decision","2026-01-01T00:00:00.000Z","intent-1",<payload>,"00..00"].
    const payload: JsonValue = { b: 1, a: [true, null], é: "ü\u2028", z: { y: 1.5, x: '"q"' } };
    const payloadJson = encodePayload(payload);
    expect(payloadJson).to.equal('{"a":[true,null],"b":1,"z":{"x":"\\"q\\"","y":1.5},"é":"ü\u2028"}');
    const hash = recordHash({
      seq: 1,
      kind: "decision",
      at: "2026-01-01T00:00:00.000Z",
      subject: "intent-1",
      payloadJson,
      prevHash: GENESIS_HASH,
    });
    expect(hash).to.equal("63ce1a359edd569e2293c2d32d1a34430acf312e10adde5746adfd3bb8216a11");
  });

  it("refuses a payload that is not plain JSON with AUDIT_ENTRY_INVALID naming the path", function () {
    const values: [string, unknown][] = [
      ["NaN", Number.NaN],
      ["Infinity", Infinity],
      ["undefined", undefined],
      ["bigint", 1n],
      ["Date", new Date(0)],
      ["function", { a: () => 1 }],
    ];
    for (const [name, value] of values) {
      expect(() => encodePayload({ inner: [value] }), name)
        .to.throw()
        .that.satisfies((e: unknown) => isFrameworkError(e, "AUDIT_ENTRY_INVALID"))
        .and.has.nested.property("details.path")
        .that.matches(/^payload\.inner\[0\]/);
    }
  });
});

describe("audit: configuration", function () {
  it("chooses SQLite by default and PostgreSQL when a connection string is given", function () {
    expect(parseAuditStoreConfig({ path: "/tmp/a.db" })).to.include({ backend: "sqlite", table: "audit_log" });
    expect(parseAuditStoreConfig({ connectionString: "postgresql://u@h/db" })).to.include({ backend: "postgres" });
  });

  it("reads the PostgreSQL URL from where `url` names it, and refuses both or neither of url and connectionString", function () {
    expect(parseAuditStoreConfig({ url: { env: "AUDIT_PG_URL" } })).to.include({ backend: "postgres" });
    const both = { url: { env: "AUDIT_PG_URL" }, connectionString: "postgresql://u@h/db" };
    for (const input of [both, { backend: "postgres" }, { url: { value: "postgresql://u@h/db" } }]) {
      expect(() => parseAuditStoreConfig(input), JSON.stringify(input))
        .to.throw()
        .that.satisfies((e: unknown) => isFrameworkError(e, "AUDIT_CONFIG_INVALID"));
    }
  });

  it("refuses an invalid configuration with AUDIT_CONFIG_INVALID", function () {
    for (const input of [{}, { path: "" }, { path: "/a", table: "drop table x" }, { path: "/a", extra: 1 }]) {
      expect(() => parseAuditStoreConfig(input), JSON.stringify(input))
        .to.throw()
        .that.satisfies((e: unknown) => isFrameworkError(e, "AUDIT_CONFIG_INVALID"));
    }
  });

  it("refuses a table name that is not a plain identifier even without the schema", function () {
    const open = (): SqliteAuditStore =>
      SqliteAuditStore.open({ path: ":memory:", table: "t; DROP TABLE x", pageSize: 10, busyTimeoutMs: 0 });
    expect(open)
      .to.throw()
      .that.satisfies((e: unknown) => isFrameworkError(e, "AUDIT_CONFIG_INVALID"));
  });
});
