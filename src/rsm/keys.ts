/**
 * Keys of the remote signing protocol. A private key is read only from a file or an environment variable, as a
 * JWK or a PEM (PKCS#8, optionally encrypted with a passphrase that itself comes from a file or a variable);
 * public keys may also be given inline as a JWK. Every key is checked against the algorithm it serves.
 * `generateRsmKeys` makes the three key pairs a deployment needs, as JWKs with RFC 7638 thumbprints as `kid`.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";
import { z } from "zod";
import { RsmKeyUnavailableError } from "./errors";
import { readSecret, SecretSourceSchema } from "../core/secrets";

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name");

/** Where a secret (a passphrase) comes from. Strict: a literal value is rejected. */
export { SecretSourceSchema };

/** A private key from a file or an environment variable (JWK or PEM). Strict: no inline key material. */
export const PrivateKeySourceSchema = z.union([
  z.object({ file: z.string().min(1), passphrase: SecretSourceSchema.optional() }).strict(),
  z.object({ env: envName, passphrase: SecretSourceSchema.optional() }).strict(),
]);

/** A public key: from a file or a variable, or inline as a public JWK. */
export const PublicKeySourceSchema = z.union([
  z.object({ file: z.string().min(1) }).strict(),
  z.object({ env: envName }).strict(),
  z.object({ jwk: z.record(z.unknown()).refine((jwk) => !("d" in jwk), "must not hold a private part") }).strict(),
]);

export type SecretSource = z.output<typeof SecretSourceSchema>;
export type PrivateKeySource = z.output<typeof PrivateKeySourceSchema>;
export type PublicKeySource = z.output<typeof PublicKeySourceSchema>;

/** Request and response signature algorithms (JWS `alg`). */
export const SIGNING_ALGORITHMS = ["ES256", "EdDSA"] as const;
export type RsmSigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
/** What a key is used for: a JWS algorithm, or ECDH-ES key agreement on P-256 for the request encryption. */
export type KeyUse = RsmSigningAlgorithm | "ECDH-ES";

function readSource(name: string, source: { file: string } | { env: string }, what: string): string {
  const where = "env" in source ? `environment variable ${source.env}` : `file ${source.file}`;
  return readSecret(source, (cause) =>
    cause.problem === "unreadable"
      ? new RsmKeyUnavailableError(name, `cannot read ${what} ${where}`, cause)
      : new RsmKeyUnavailableError(name, `${what} ${where} is empty or unset`, cause),
  );
}

function checkUse(name: string, key: KeyObject, use: KeyUse): KeyObject {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const fits = use === "EdDSA" ? key.asymmetricKeyType === "ed25519" : curve === "prime256v1";
  if (!fits) throw new RsmKeyUnavailableError(name, `not a ${use === "EdDSA" ? "Ed25519" : "P-256"} key for ${use}`);
  return key;
}

/** The key text as PEM (a string) or a parsed JWK. */
function decode(name: string, text: string): string | JsonWebKey {
  if (text.trimStart().startsWith("-----BEGIN")) return text;
  try {
    return JSON.parse(text) as JsonWebKey;
  } catch (error) {
    throw new RsmKeyUnavailableError(name, "neither a PEM key nor a JSON JWK", error);
  }
}

function make(name: string, build: () => KeyObject): KeyObject {
  try {
    return build();
  } catch (error) {
    throw new RsmKeyUnavailableError(name, "not a usable key (or wrong passphrase)", error);
  }
}

/** Reads and checks a private key. `name` appears in errors (never the key or its passphrase). */
export function loadPrivateKey(name: string, source: PrivateKeySource, use: KeyUse): KeyObject {
  const input = decode(name, readSource(name, source, "key"));
  const passphrase = source.passphrase === undefined ? undefined : readSource(name, source.passphrase, "passphrase");
  const key = make(name, () =>
    typeof input === "string"
      ? createPrivateKey({ key: input, format: "pem", passphrase })
      : createPrivateKey({ key: input, format: "jwk" }),
  );
  return checkUse(name, key, use);
}

/** Reads and checks a public key; a source that holds a private key is refused (it should not be there). */
export function loadPublicKey(name: string, source: PublicKeySource, use: KeyUse): KeyObject {
  const input = "jwk" in source ? (source.jwk as JsonWebKey) : decode(name, readSource(name, source, "key"));
  if (typeof input === "string" ? /PRIVATE KEY-----/.test(input) : "d" in input) {
    throw new RsmKeyUnavailableError(name, "a public key source holds a private key");
  }
  const key = make(name, () =>
    typeof input === "string" ? createPublicKey(input) : createPublicKey({ key: input, format: "jwk" }),
  );
  return checkUse(name, key, use);
}

/** One generated key pair, as JWKs carrying `kid`, `alg` and `use`. */
export interface RsmKeyPair {
  kid: string;
  alg: string;
  // Node's JsonWebKey rather than jose's JWK: jose is an ES module, which a CommonJS consumer's declarations
  // cannot import.
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
}

/** The key pairs of one module and one middleware: encryption to the module, its answers, the middleware's requests. */
export interface RsmKeySet {
  moduleEncryption: RsmKeyPair;
  moduleResponse: RsmKeyPair;
  middleware: RsmKeyPair;
}

async function keyPair(sign: RsmSigningAlgorithm | "ECDH-ES+A256KW"): Promise<RsmKeyPair> {
  const { privateKey, publicKey } =
    sign === "EdDSA" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const bare = publicKey.export({ format: "jwk" }) as JWK;
  const kid = await calculateJwkThumbprint(bare);
  const tags = { kid, alg: sign, use: sign === "ECDH-ES+A256KW" ? "enc" : "sig" };
  return {
    kid,
    alg: sign,
    privateJwk: { ...(privateKey.export({ format: "jwk" }) as JWK), ...tags },
    publicJwk: { ...bare, ...tags },
  };
}

/** Generates fresh key pairs for a module and its middleware (P-256 encryption; ES256 or EdDSA signatures). */
export async function generateRsmKeys(
  options: { middlewareAlg?: RsmSigningAlgorithm; responseAlg?: RsmSigningAlgorithm } = {},
): Promise<RsmKeySet> {
  return {
    moduleEncryption: await keyPair("ECDH-ES+A256KW"),
    moduleResponse: await keyPair(options.responseAlg ?? "ES256"),
    middleware: await keyPair(options.middlewareAlg ?? "ES256"),
  };
}
