/**
 * Remote signing module (RSM): a small HTTP service beside the HSM that signs only requests sealed by the
 * bank's middleware, and `RemoteSigner`, the ethers signer the bank's applications use to reach it.
 *
 * Request: a JWS (ES256 or EdDSA, `typ` rsm-request+jwt, `kid` of the middleware key) over
 * {jti, iat, exp, iss, aud, signer, kind: transaction | message | typedData, payload}, encrypted as a compact
 * JWE (ECDH-ES+A256KW, A256GCM, `cty` JWT, `kid` of the module key) and POSTed to /v1/sign as
 * `application/jose`. Transactions are fully populated (the module fills nothing and signs exactly that).
 * The module checks, in order: recipient kid, decryption, sender kid, signature, schema, iss owning the key,
 * aud == moduleId, iat <= now + skew, exp + skew > now, exp - iat <= maxLifetime; then the signer exists, then
 * (iss, jti) is consumed durably (SQLite, kept until exp + skew), and only then is the signer asked. A jti is
 * spent even when the signer refuses: a retry needs a new request. The answer is a JWS by the module's response
 * key over {iss: moduleId, aud: iss, jti, iat, kind, signer, result, digest}; the result is also checked
 * (recovered signer, signed payload) by the module before answering and by the client after.
 *
 * HTTP statuses come from the framework's table (`ERROR_STATUS` in src/errors): 400 malformed / undecryptable /
 * lifetime too long; 401 unknown sender, bad signature, expired or not yet valid (the JWS is the credential; 408
 * is kept for a body not received in time); 403 the signer's policy gate or approvals refused (GATE_*,
 * APPROVAL_*; but their stores or audit failing → 503 and their configuration → 500: infrastructure, not
 * policy); 404 unknown route or signer key; 405; 409 replay, SIGNING_NONCE_CONFLICT; 413 body over the limit;
 * 415 wrong Content-Type; 421 wrong recipient key or audience (misdirected); 422 a request the signer cannot
 * protect (SIGNING_REQUEST_INVALID); 503 an HSM, store or node away (HSM_UNAVAILABLE, replay or signing record
 * store down); 500 configuration and anything else, with no internal message.
 *
 * Every outcome is logged (structured, no payloads or keys) and appended to the optional audit store as kind
 * "signature", subject = jti once authenticated, payload {module, outcome: signed | refused, code, ...}.
 */
export {
  loadClientKeys,
  loadServiceKeys,
  parseRemoteSignerConfig,
  parseRsmServiceConfig,
  RemoteSignerConfigSchema,
  RsmServiceConfigSchema,
  type RemoteSignerConfig,
  type RemoteSignerConfigInput,
  type RemoteSignerKeys,
  type RsmServiceConfig,
  type RsmServiceConfigInput,
  type RsmServiceKeys,
  type TrustedSender,
} from "./config";
export { RemoteSigner } from "./client";
export {
  RsmConfigError,
  RsmError,
  RsmKeyUnavailableError,
  RsmRemoteRefusedError,
  RsmReplayStoreError,
  RsmRequestError,
  RsmResponseInvalidError,
  RsmSigningError,
  RsmTransportError,
  type RsmErrorCode,
} from "./errors";
export { rsmHttpStatus, startRsmServer, type RsmServer } from "./http";
export {
  generateRsmKeys,
  loadPrivateKey,
  loadPublicKey,
  PrivateKeySourceSchema,
  PublicKeySourceSchema,
  SecretSourceSchema,
  SIGNING_ALGORITHMS,
  type KeyUse,
  type PrivateKeySource,
  type PublicKeySource,
  type RsmKeyPair,
  type RsmKeySet,
  type RsmSigningAlgorithm,
  type SecretSource,
} from "./keys";
export {
  checkSignedResult,
  decodeTransaction,
  encodeMessage,
  encodeTransaction,
  encodeTypedData,
  toJson,
  transactionRequest,
} from "./payload";
export {
  HEALTH_PATH,
  JWE_ALG,
  JWE_ENC,
  REQUEST_TYP,
  RequestClaimsSchema,
  RESPONSE_TYP,
  RSM_CONTENT_TYPE,
  SIGN_PATH,
  MessagePayloadSchema,
  TransactionPayloadSchema,
  TypedDataPayloadSchema,
  type MessagePayload,
  type RequestClaims,
  type SignBody,
  type SignKind,
  type TransactionPayload,
  type TypedDataPayload,
} from "./protocol";
export { ReplayStore } from "./replay";
export { openRequest, sealRequest, type OpenContext, type SealOptions } from "./request";
export { ResponseClaimsSchema, signResponse, verifyResponse, type ResponseClaims } from "./response";
export { RemoteSigningModule, type RemoteSigningModuleOptions, type RsmLogEntry, type RsmOutcome } from "./service";
